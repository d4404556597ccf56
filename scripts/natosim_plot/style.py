"""What every natosim figure shares: the colour-blind-safe palette, the caption line, the layout
that leaves room for it, and writing PNG/PDF files."""

from __future__ import annotations

import contextlib
import os
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common form of colour
# blindness.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
# Order for scenarios and series: the strongest contrasts on white first, yellow last.
PALETTE = [OKABE_ITO[name] for name in ("blue", "orange", "bluish_green", "vermillion",
                                         "reddish_purple", "sky_blue", "black", "yellow")]
# Sequential colour map for probabilities: cividis is built to read the same with colour-vision
# deficiency, and is monotone in lightness (prints in grey).
SEQUENTIAL_CMAP = "cividis"
# Drawn where a value is not applicable (NaN), e.g. Iceland's compliance.
MISSING_COLOUR = "#d9d9d9"
THRESHOLD_COLOUR = OKABE_ITO["vermillion"]
# Line styles paired with colours, so series stay apart in greyscale too.
LINESTYLES = ["-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1))]

FORMATS = ("png", "pdf")
DPI = 150

_CAPTION_FONTSIZE = 8
_CAPTION_LINE_INCHES = 0.16
_CHARS_PER_INCH = 15.5

plt.rcParams.update({
    "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "figure.titlesize": 12,
    "axes.spines.top": False,
    "axes.spines.right": False,
})


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def linestyle(index: int):
    return LINESTYLES[index % len(LINESTYLES)]


def provenance(results) -> str:
    """'natosim 0.1.0 (commit 0123456789ab)'."""
    version = results.attrs.get("natosim_version") or "version unknown"
    commit = results.attrs.get("git_commit")
    text = f"natosim {version}"
    if commit:
        text += f" (commit {commit})"
    return text


def caption(results, scenario_indices=None, *notes) -> str:
    """'scenarios: a, b | replicates: 1000 | natosim 0.1.0 (commit ...) | note | note'."""
    if scenario_indices is None:
        scenario_indices = range(len(results.scenarios))
    labels = getattr(results, "scenario_labels", None) or results.scenarios
    names = [labels[i] for i in scenario_indices]
    listed = (f"scenarios: {', '.join(names)}" if len(names) <= 8
              else f"scenarios: {len(names)} (named in the figure)")
    parts = [listed, f"replicates: {results.replicates}",
             provenance(results)]
    if results.attrs.get("study_name"):
        parts.insert(0, f"study: {results.attrs['study_name']}")
    parts += [note for note in notes if note]
    return " | ".join(parts)


def new_figure(width: float, height: float, nrows: int = 1, ncols: int = 1, **kwargs):
    """A figure with constrained layout and `nrows` x `ncols` axes (squeezed like subplots)."""
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, height), layout="constrained",
                             **kwargs)
    return fig, axes


def finish(fig, title: str, caption_text: str):
    """Adds the title and the caption line (wrapped to the figure width, at the bottom, in a
    band the layout leaves free)."""
    width, height = fig.get_size_inches()
    lines = textwrap.wrap(caption_text, width=max(40, int(width * _CHARS_PER_INCH)),
                          break_on_hyphens=False)
    reserve = (len(lines) * _CAPTION_LINE_INCHES + 0.12) / height
    engine = fig.get_layout_engine()
    if engine is not None and hasattr(engine, "set"):
        engine.set(rect=(0, reserve, 1, 1 - reserve))
    fig.suptitle(title)
    fig.text(0.01, 0.06 / height, "\n".join(lines), ha="left", va="bottom",
             fontsize=_CAPTION_FONTSIZE, color="#333333", wrap=False)


def integer_years(ax):
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))


# Figures saved while a script's run is staged: (partial, final path), renamed into place when
# the run succeeds, removed when it fails (cli.run). Only the process that staged stages: a
# report's worker processes rename their figures at once.
_staged = None
_staged_pid = None


@contextlib.contextmanager
def staged():
    """Stages the figures saved inside the block: they are renamed into place at its end, or
    removed when it raises."""
    global _staged, _staged_pid
    outer = (_staged, _staged_pid)
    _staged, _staged_pid = [], os.getpid()
    mine = _staged
    try:
        yield
    except BaseException:
        for partial, _ in mine:
            _remove_quietly(partial)
        raise
    else:
        try:
            for partial, path in mine:
                os.replace(partial, path)
        finally:
            for partial, _ in mine:
                _remove_quietly(partial)
    finally:
        _staged, _staged_pid = outer


def _remove_quietly(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def save(fig, outdir, stem: str, formats=("png",)) -> list:
    """Writes the figure as outdir/stem.<format> for each format (atomically: a temporary file
    renamed into place, at the end of a staged run), closes it and returns the paths."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    paths = []
    staging = _staged is not None and _staged_pid == os.getpid()
    try:
        for fmt in formats:
            if fmt not in FORMATS:
                raise ValueError(f"unknown figure format '{fmt}' (use png or pdf)")
            path = outdir / f"{stem}.{fmt}"
            partial = outdir / f".{stem}.{fmt}.{os.getpid()}.partial"
            try:
                fig.savefig(partial, format=fmt, dpi=DPI)
                if staging:
                    _staged.append((partial, path))
                    partial = None
                else:
                    os.replace(partial, path)
            finally:
                if partial is not None and partial.exists():
                    partial.unlink()
            paths.append(path)
    finally:
        plt.close(fig)
    return paths


def safe_stem(text: str) -> str:
    """A file-name-safe form of a scenario or member name."""
    out = "".join(c if c.isalnum() or c in "-_." else "_" for c in text)
    return out.strip("._") or "unnamed"


class Plotted:
    """What a plot function drew: the files it wrote and the numbers it plotted (name -> numpy
    array), so tests can compare them with the results file."""

    def __init__(self, files=None, data=None, notes=None):
        self.files = list(files or [])
        self.data = dict(data or {})
        self.notes = list(notes or [])

    def extend(self, other: "Plotted", prefix: str = ""):
        self.files += other.files
        self.data.update({prefix + k: v for k, v in other.data.items()})
        self.notes += other.notes
        return self

    def __repr__(self):
        return f"Plotted(files={[str(f) for f in self.files]}, data={sorted(self.data)})"
