"""Sensitivity files (`natosim sensitivity`, docs/SENSITIVITY.md): reading, the index figure
(one panel per output: indices with their bootstrap intervals, sorted, the noise share stated)
and the report section.

    from natosim_plot import sensitivity
    plotted = sensitivity.plot("sens.h5", "figures")      # files and the numbers drawn
    html = sensitivity.sensitivity_section("sens.h5", "report")   # an HTML fragment
"""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np

from . import style
from .errors import ResultsError
from .h5check import Checked
from .results import decode

FILE_TYPE = "natosim_sensitivity"
SCHEMA_MAJOR = "1"


class Sensitivity:
    """The contents of a sensitivity file, as numpy arrays indexed (parameter, output)."""

    def __init__(self, path):
        self.path = Path(path)
        self.display = str(path)
        c = Checked(path, "sensitivity")
        try:
            self._read(c)
        finally:
            c.close()

    def _read(self, c: Checked):
        """Checks in the manner of natosim's readers (natosim itself reads no sensitivity file:
        `natosim info` calls one "not a natosim results file")."""
        c.require_file_type(FILE_TYPE, "sensitivity")
        version = c.string_attribute("schema_version")
        if version.split(".", 1)[0] != SCHEMA_MAJOR:
            raise ResultsError(f"{self.display}: sensitivity schema version {version} is not "
                               f"supported (these scripts read {SCHEMA_MAJOR}.x)")
        self.method = c.string_attribute("method")
        if self.method not in ("sobol", "morris"):
            raise ResultsError(f"{self.display}: attribute 'method' is '{self.method}', "
                               f"expected sobol or morris")
        self.attrs = {k: decode(v) for k, v in c.file.attrs.items()}
        self.parameters = c.strings("parameter")
        self.outputs = c.strings("output")
        p, o = len(self.parameters), len(self.outputs)
        self.output_labels = c.strings("output_label", (o,))
        self.noise_share = c.numbers("noise_share", expected=(o,))
        names = (["S1", "S1_ci_low", "S1_ci_high", "ST", "ST_ci_low", "ST_ci_high"]
                 if self.method == "sobol" else
                 ["mu", "mu_star", "mu_star_ci_low", "mu_star_ci_high", "sigma"])
        self.index = {name: c.numbers(name, expected=(p, o)).reshape(p, o) for name in names}

    def ranking(self, output: int) -> np.ndarray:
        """Parameter indices sorted by the headline index (ST or mu*), largest first."""
        key = self.index["ST" if self.method == "sobol" else "mu_star"][:, output]
        return np.argsort(-np.nan_to_num(key, nan=-np.inf), kind="stable")


def _caption(s: Sensitivity) -> str:
    parts = [f"study: {s.attrs.get('study_name', '?')}", f"scenario: {s.attrs.get('scenario')}",
             f"{s.method}: N = {s.attrs.get('samples')}, {s.attrs.get('replicates')} replicates "
             f"per point", f"intervals: {float(s.attrs.get('confidence', 0.95)):.0%} bootstrap "
             f"({s.attrs.get('bootstrap')} resamples)",
             f"natosim {s.attrs.get('natosim_version', '?')} (commit "
             f"{s.attrs.get('git_commit', '?')})"]
    return " | ".join(parts)


def plot(path, outdir, formats=("png",)) -> style.Plotted:
    """One figure, a panel per output: for Sobol the total (ST) and first-order (S1) indices, for
    Morris mu* (and sigma), with bootstrap intervals, parameters sorted by ST or mu*, the noise
    share in each panel's title. Returns the files and the numbers drawn (per output, in the
    drawn order)."""
    s = Sensitivity(path)
    n_out = len(s.outputs)
    n_par = len(s.parameters)
    fig, axes = style.new_figure(5.2 * n_out, 0.9 + 0.32 * n_par, 1, n_out, squeeze=False)
    data = {}
    for o, ax in enumerate(axes[0]):
        order = s.ranking(o)
        y = np.arange(n_par)
        labels = [s.parameters[i] for i in order]
        if s.method == "sobol":
            series = [("ST", "total (ST)", style.colour(0), -0.18),
                      ("S1", "first order (S1)", style.colour(1), 0.18)]
        else:
            series = [("mu_star", "mu*", style.colour(0), -0.18),
                      ("sigma", "sigma", style.colour(1), 0.18)]
        for name, label, colour, offset in series:
            values = s.index[name][order, o]
            data[f"{s.outputs[o]}.{name}"] = values
            low_name = f"{name}_ci_low"
            if low_name in s.index:
                low = s.index[low_name][order, o]
                high = s.index[f"{name}_ci_high"][order, o]
                data[f"{s.outputs[o]}.{name}_ci_low"] = low
                data[f"{s.outputs[o]}.{name}_ci_high"] = high
                err = np.vstack([np.clip(values - low, 0, None), np.clip(high - values, 0, None)])
                ax.errorbar(values, y + offset, xerr=err, fmt="o", color=colour, markersize=4,
                            capsize=2, linewidth=1, label=label)
            else:
                ax.plot(values, y + offset, "s", color=colour, markersize=4, label=label)
        data[f"{s.outputs[o]}.parameters"] = np.array(labels)
        data[f"{s.outputs[o]}.noise_share"] = s.noise_share[o]
        ax.set_yticks(y, labels)
        ax.invert_yaxis()
        ax.axvline(0, color="#999999", linewidth=0.8)
        ax.set_xlabel("Sobol index" if s.method == "sobol" else
                      "elementary effect (output units per unit of probability)")
        noise = s.noise_share[o]
        noise_text = "n/a" if np.isnan(noise) else f"{noise:.0%}"
        ax.set_title(f"{s.outputs[o]}  ({s.output_labels[o]})\nnoise share {noise_text}")
        ax.legend(loc="lower right")
    style.finish(fig, f"What drives the outputs: {s.method.capitalize()} sensitivity",
                 _caption(s))
    files = style.save(fig, outdir, "sensitivity", formats)
    return style.Plotted(files, data)


def sensitivity_section(path, out_dir) -> str:
    """An HTML fragment for the study report: the index figure (written into out_dir) and a
    table per output of the parameters ranked by ST (or mu*) with intervals and the noise
    share."""
    out_dir = Path(out_dir)
    s = Sensitivity(path)
    plotted = plot(path, out_dir, ("png",))
    figure = plotted.files[0]
    parts = ["<section class=\"sensitivity\">", "<h2>Global sensitivity</h2>",
             f"<p>{html.escape(_caption(s))}. The noise share is the part of an output's "
             "variance due to Monte Carlo replicates at fixed parameters: indices describe the "
             "rest (docs/SENSITIVITY.md).</p>",
             f"<img src=\"{html.escape(figure.name)}\" alt=\"sensitivity indices\">"]
    for o, output in enumerate(s.outputs):
        noise = s.noise_share[o]
        parts.append(f"<h3>{html.escape(output)} <small>({html.escape(s.output_labels[o])}; "
                     f"noise share {'n/a' if np.isnan(noise) else f'{noise:.0%}'})</small></h3>")
        if s.method == "sobol":
            header = "<tr><th>parameter</th><th>ST [interval]</th><th>S1 [interval]</th></tr>"
            cells = [(s.parameters[i],
                      f"{s.index['ST'][i, o]:.3f} [{s.index['ST_ci_low'][i, o]:.3f}, "
                      f"{s.index['ST_ci_high'][i, o]:.3f}]",
                      f"{s.index['S1'][i, o]:.3f} [{s.index['S1_ci_low'][i, o]:.3f}, "
                      f"{s.index['S1_ci_high'][i, o]:.3f}]") for i in s.ranking(o)]
        else:
            header = "<tr><th>parameter</th><th>mu* [interval]</th><th>sigma</th></tr>"
            cells = [(s.parameters[i],
                      f"{s.index['mu_star'][i, o]:.3g} [{s.index['mu_star_ci_low'][i, o]:.3g}, "
                      f"{s.index['mu_star_ci_high'][i, o]:.3g}]",
                      f"{s.index['sigma'][i, o]:.3g}") for i in s.ranking(o)]
        rows = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
                       for row in cells)
        parts.append(f"<table>{header}{rows}</table>")
    parts.append("</section>")
    return "\n".join(parts)
