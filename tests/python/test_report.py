"""scripts/report.py: one command turns a results file into figures plus an index.html with the
study's provenance, headline numbers per scenario and the figures. The HTML must reference only
files that exist, show the file's own numbers, and list the figures it could not draw.

Runs on a file natosim writes (configs/baseline.toml, 40 replicates) and, for the parts natosim
does not write yet (the attack model, sweeps), on synthetic files written with h5py that follow
docs/OUTPUT.md (scripts/natosim_plot/synthetic.py).
"""

import html
import subprocess
import sys
import urllib.parse
from html.parser import HTMLParser
from pathlib import Path

import h5py
import numpy as np
import pytest

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
sys.path.insert(0, str(SCRIPTS))

import report  # noqa: E402
from natosim_plot import synthetic  # noqa: E402

PYTHON = "/usr/bin/python3"


@pytest.fixture(scope="session")
def natosim_file(natosim_bin, source_dir, tmp_path_factory):
    """A results file natosim writes for the default study, with 40 replicates (once)."""
    config = source_dir / "configs" / "baseline.toml"
    assert config.exists(), f"{config} is missing: the default study is needed for these tests"
    out = tmp_path_factory.mktemp("report_natosim") / "baseline.h5"
    done = subprocess.run([str(natosim_bin), "run", str(config), "--replicates", "40", "-o",
                           str(out), "--quiet"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"natosim run failed: {done.stderr}"
    return out


@pytest.fixture(scope="session")
def natosim_report(natosim_file, tmp_path_factory):
    """report.py run once on natosim's file: (output folder, CompletedProcess)."""
    out = tmp_path_factory.mktemp("report") / "report"
    return out, run_report(natosim_file, "-o", out)


def run_report(*args):
    return subprocess.run([PYTHON, str(SCRIPTS / "report.py"), *map(str, args)],
                          capture_output=True, text=True, timeout=300)


class Links(HTMLParser):
    """Collects every <img src> and <a href>."""

    def __init__(self):
        super().__init__()
        self.images, self.links = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.images.append(attrs.get("src"))
        elif tag == "a":
            self.links.append(attrs.get("href"))


def assert_links_exist(index: Path):
    parser = Links()
    parser.feed(index.read_text(encoding="utf-8"))
    for target in parser.images + parser.links:
        assert target, "an <img> or <a> without a target"
        parsed = urllib.parse.urlparse(target)
        assert not parsed.scheme and not parsed.netloc and not target.startswith("/"), (
            f"{target} is not a relative link")
        path = index.parent / urllib.parse.unquote(parsed.path)
        assert path.is_file(), f"index.html references {target}, which does not exist"
        assert path.stat().st_size > 0
    return parser


def attr(path, name):
    with h5py.File(path, "r") as f:
        value = f.attrs[name]
    if isinstance(value, bytes):
        return value.decode()
    return value.item() if hasattr(value, "item") else value


def read(path, name):
    with h5py.File(path, "r") as f:
        return f[name][()]


def test_report_on_a_natosim_file(natosim_report, natosim_file):
    out, done = natosim_report
    assert done.returncode == 0, done.stderr
    index = out / "index.html"
    assert done.stdout.strip() == f"report: {index.resolve()}"
    assert not list(out.glob("*.partial")) and not list(out.glob(".*.partial"))
    parser = assert_links_exist(index)
    figures = {Path(src).name for src in parser.images}
    for expected in ("allies_compliant.png", "spending.png", "differences.png",
                     "fan_status_quo.png", "compliance_status_quo.png"):
        assert expected in figures
    for src in parser.images:
        assert (out / src).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = index.read_text(encoding="utf-8")
    # Figures the file has no variables for are listed, not drawn.
    with h5py.File(natosim_file, "r") as f:
        has_attacks = "attacked_mean" in f
    if not has_attacks:
        assert "not applicable to this file: missing attacked_mean" in text
    assert "not applicable to this file: missing design_point" in text


def test_report_shows_the_provenance(natosim_report, natosim_file):
    out, _ = natosim_report
    text = (out / "index.html").read_text(encoding="utf-8")
    for key in ("natosim_version", "git_commit", "study_name", "config_sha256", "command_line"):
        assert html.escape(str(attr(natosim_file, key))) in text, key
    assert f"<td>{attr(natosim_file, 'seed')}</td>" in text
    assert f"<td>{attr(natosim_file, 'replicates')}</td>" in text
    config = attr(natosim_file, "config_text")
    assert f"<pre>{html.escape(config)}</pre>" in text


def test_report_headline_numbers_are_the_files(natosim_report, natosim_file):
    out, _ = natosim_report
    text = (out / "index.html").read_text(encoding="utf-8")
    levels = list(read(natosim_file, "quantile"))
    lo, hi = levels.index(0.05), levels.index(0.95)
    for variable in ("allies_compliant", "europe_canada_spending", "us_share_of_spending"):
        mean = read(natosim_file, f"{variable}_mean")[:, -1]
        q = read(natosim_file, f"{variable}_quantiles")[:, -1]
        kind = "percent" if variable == "us_share_of_spending" else "plain"
        for s in range(len(mean)):
            cell = report.with_interval(mean[s], q[s, lo], q[s, hi], kind)
            assert f'<td class="num">{html.escape(cell)}</td>' in text, (variable, cell)
    # Differences to the reference, with their 95% interval.
    diff = [read(natosim_file, f"allies_compliant_{s}")[1, -1]
            for s in ("diff_mean", "diff_ci_low", "diff_ci_high")]
    assert html.escape(report.with_interval(*diff)) in text
    # The mean compliance probability over allies (Iceland, exempt, has no value).
    with np.errstate(all="ignore"):
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.nanmean(read(natosim_file, "compliant_mean")[0, -1])
            low = np.nanmean(read(natosim_file, "compliant_wilson_low")[0, -1])
            high = np.nanmean(read(natosim_file, "compliant_wilson_high")[0, -1])
    assert report.with_interval(mean, low, high, "probability") in text


def test_report_with_every_figure(tmp_path):
    """Synthetic file with the attack model's variables and the threshold (not yet written by
    natosim), a config text that needs escaping, and PDFs on request."""
    path = synthetic.write(tmp_path / "synthetic.h5", scenarios=("current_plans", "hague_5pct"),
                           years=6, replicates=30, attack=True, threshold=True)
    done = run_report(path, "-o", tmp_path / "out", "--member", "EE", "--format", "pdf",
                      "--scenario", "hague_5pct")
    assert done.returncode == 0, done.stderr
    index = tmp_path / "out" / "index.html"
    parser = assert_links_exist(index)
    figures = {Path(src).name for src in parser.images}
    assert {"deterrence.png", "attacked_by_ally.png", "fan_EE.png",
            "differences.png"} <= figures
    assert {Path(h).name for h in parser.links if h.endswith(".pdf")} == {
        name.replace(".png", ".pdf") for name in figures}
    text = index.read_text(encoding="utf-8")
    assert "&lt;not a real study&gt; &amp; &quot;quoted&quot;" in text
    assert "<not a real study>" not in text
    assert "Attack probability (deterrence failure)" in text
    p = read(path, "deterrence_failure_mean")[:, -1]
    low = read(path, "deterrence_failure_wilson_low")[:, -1]
    high = read(path, "deterrence_failure_wilson_high")[:, -1]
    s = 1  # hague_5pct, the scenario asked for
    assert report.with_interval(p[s], low[s], high[s], "probability") in text
    assert "not applicable to this file: missing design_point" in text


def test_report_on_a_sweep(tmp_path):
    """Synthetic sweep file: only the sweep figures apply; the others are listed."""
    path = synthetic.write(tmp_path / "sweep.h5", scenarios=("current_plans", "hague_5pct"),
                           years=3, replicates=10, sweep=True, attack=True)
    done = run_report(path, "-o", tmp_path / "out", "--scenario", "hague_5pct")
    assert done.returncode == 0, done.stderr
    parser = assert_links_exist(tmp_path / "out" / "index.html")
    assert {Path(src).name for src in parser.images} == {"sweep_heatmap_hague_5pct.png",
                                                         "sweep_lines_hague_5pct.png"}
    text = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert text.count("not applicable to this file") == 6


def test_report_lists_missing_variables(tmp_path):
    """Synthetic file that lacks the alliance variables: nothing to draw, every figure listed
    with the variable it misses."""
    path = synthetic.write(tmp_path / "bare.h5", scenarios=("a", "b"), years=3, replicates=10,
                           alliance=False, reference="a")
    done = run_report(path, "-o", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    parser = assert_links_exist(tmp_path / "out" / "index.html")
    assert parser.images == []
    for dataset in ("allies_compliant_mean", "compliant_mean", "defence_share_quantiles",
                    "europe_canada_spending_mean", "attacked_mean", "design_point"):
        assert f"not applicable to this file: missing {dataset}" in text, dataset


def test_report_on_an_unreadable_file(tmp_path):
    bad = tmp_path / "bad.h5"
    bad.write_text("not a results file")
    done = run_report(bad, "-o", tmp_path / "out")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]
    assert done.stderr.startswith("error: ")
    assert not (tmp_path / "out" / "index.html").exists()
