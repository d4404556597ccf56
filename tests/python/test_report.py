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
                     "compliance_difference.png", "deterrence.png", "attack_targets.png"):
        assert expected in figures
    # Per-scenario heat maps and fans only with --all-figures.
    assert not any(name.startswith(("fan_", "compliance_status")) for name in figures)
    # One line per figure with its time.
    timed = [line for line in done.stderr.splitlines() if line.strip().endswith(
        ("figure(s)",)) and " s " in line]
    assert len(timed) == len(figures), done.stderr
    for src in parser.images:
        assert (out / src).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = index.read_text(encoding="utf-8")
    # Figures the file has no variables for are listed, not drawn.
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


def cell(text):
    return f'<td class="num">{html.escape(text)}<br><span class="ci">'


def test_report_headline_numbers_are_the_files(natosim_report, natosim_file):
    """The whole-period table: allies at or above the threshold at the end, spending summed over
    the years, expected attacks on allies summed over the years (at most one a year), the
    threshold in force, labels for names; and the paired differences."""
    out, _ = natosim_report
    text = (out / "index.html").read_text(encoding="utf-8")
    levels = list(read(natosim_file, "quantile"))
    lo, hi = levels.index(0.05), levels.index(0.95)
    labels = [v.decode() for v in read(natosim_file, "scenario_label")]
    mean = read(natosim_file, "allies_compliant_mean")[:, -1]
    q = read(natosim_file, "allies_compliant_quantiles")[:, -1]
    # Constant prices, which the model records, before current prices.
    spend = read(natosim_file, "europe_canada_spending_real_mean").sum(axis=1)
    # The model records attacks on allies to date (the report's source); older files only the
    # yearly indicator, summed. (Both are the same number; reading the same one keeps rounding
    # at x.xx5 identical.)
    with h5py.File(natosim_file, "r") as f:
        recorded = "attacks_to_date_mean" in f
    attacks = (read(natosim_file, "attacks_to_date_mean")[:, -1] if recorded
               else read(natosim_file, "deterrence_failure_mean").sum(axis=1))
    for s in range(len(mean)):
        assert f"<td>{html.escape(labels[s])}" in text
        assert cell(report.number(mean[s])) + html.escape(
            f"[{report.number(q[s, lo])}, {report.number(q[s, hi])}]") in text
        assert cell(report.number(spend[s])) in text
        assert cell(report.number(attacks[s])) in text
    threshold = read(natosim_file, "threshold_mean")
    assert f'<td class="num">{threshold[1, 0]:g}%' in text or "2% to 3.5% (2035)" in text
    # Differences to the reference, with their 95% interval.
    diff = [read(natosim_file, f"allies_compliant_{s}")[1, -1]
            for s in ("diff_mean", "diff_ci_low", "diff_ci_high")]
    assert html.escape(report.Cell(*diff).html()) in html.escape(text) or \
        report.Cell(*diff).html() in text


def test_report_number_keeps_rare_values_readable():
    assert report.number(0.003, "probability") == "0.30%"
    assert report.number(0.12, "probability") == "12.0%"
    assert report.number(0.0421, "probability") == "4.21%"
    assert report.number(0.0, "probability") == "0%"
    assert report.number(0.00012, "pp") == "0.012 pp"
    assert report.number(0.048) == "0.048"
    assert report.number(1234.5) == "1,234"


def test_report_notes_and_whole_period_outcomes(tmp_path):
    """Synthetic file with the whole-period outcomes and a scenario identical to the reference:
    the table uses the cumulative variables' last year and the notes say what the numbers
    need."""
    path = synthetic.write(tmp_path / "w.h5", scenarios=("ref", "same", "five"), years=5,
                           replicates=30, attack=True, threshold=True, whole_period=True,
                           reference="ref", thresholds=(2.0, 2.0, 5.0),
                           labels=("Reference case", "Same as ref", "Five percent"),
                           groups=("", "", "5%"))
    with h5py.File(path, "r+") as f:  # make 'same' identical to the reference, paired
        for name in list(f):
            if name.endswith("_diff_mean") or name.endswith("_diff_mcse"):
                data = f[name][()]
                data[1] = 0.0
                f[name][...] = data
    done = run_report(path, "-o", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    p = read(path, "any_attack_on_ally_mean")[:, -1]
    low = read(path, "any_attack_on_ally_wilson_low")[:, -1]
    for s in range(3):
        assert cell(report.number(p[s], "probability")) + html.escape(
            f"[{report.number(low[s], 'probability')}, ") in text
    expected = read(path, "attacks_to_date_mean")[:, -1]
    assert cell(report.number(expected[2])) in text
    assert "Same as ref: identical to the reference" in text
    assert "Scenarios hold the allies to different thresholds (2%, 5%)" in text
    assert "this file has no any_attack_on_ally" not in text


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
    assert {"deterrence.png", "attack_targets.png", "fan_EE.png",
            "differences.png"} <= figures
    assert {Path(h).name for h in parser.links if h.endswith(".pdf")} == {
        name.replace(".png", ".pdf") for name in figures}
    text = index.read_text(encoding="utf-8")
    assert "&lt;not a real study&gt; &amp; &quot;quoted&quot;" in text
    assert "<not a real study>" not in text
    # Without the whole-period variables the table says why it has no probability column.
    assert "this file has no any_attack_on_ally" in text
    s = 1  # hague_5pct, the scenario asked for
    attacks = read(path, "deterrence_failure_mean")[s].sum()
    assert cell(report.number(attacks)) in text
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
    assert text.count("not applicable to this file") == 6  # every default figure but the sweep


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
    for dataset in ("allies_compliant_mean", "compliant_diff_mean",
                    "europe_canada_spending_mean", "attacked_mean", "design_point"):
        assert f"not applicable to this file: missing {dataset}" in text, dataset


def test_report_on_an_unreadable_file(tmp_path):
    bad = tmp_path / "bad.h5"
    bad.write_text("not a results file")
    done = run_report(bad, "-o", tmp_path / "out")
    assert done.returncode == 3
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]
    assert done.stderr.startswith("error: ")
    assert not (tmp_path / "out" / "index.html").exists()


def test_report_adds_the_backtest_with_observed_figures(natosim_bin, source_dir, tmp_path):
    """--observed adds the backtest section (its per-year table and figure) to a results file's
    report: natosim's own backtest study against the shipped data."""
    results = tmp_path / "backtest.h5"
    done = subprocess.run([str(natosim_bin), "run", str(source_dir / "configs" / "backtest_2014.toml"),
                           "--replicates", "30", "-o", str(results), "--quiet"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    observed = source_dir / "configs" / "data" / "defence_share.csv"
    out = tmp_path / "report"
    completed = run_report(results, "--observed", observed, "-o", out, "--quiet")
    assert completed.returncode == 0, completed.stderr
    text = (out / "index.html").read_text(encoding="utf-8")
    assert "backtest_fan.png" in text
    assert (out / "figures" / "backtest_fan.png").stat().st_size > 0
    # A bad observed file is the backtest's one-line error, exit 2, and no report.
    bad = tmp_path / "bad.csv"
    bad.write_text("iso2,year\nPL,2025\n", encoding="utf-8")
    failed = run_report(results, "--observed", bad, "-o", tmp_path / "none", "--quiet")
    assert failed.returncode == 2
    assert failed.stderr.strip().count("\n") == 0
    assert not (tmp_path / "none" / "index.html").exists()


def test_report_on_a_calibration_file_is_its_own_page(natosim_bin, source_dir, tmp_path):
    """A calibration file gets the calibration section (posterior table and figures)."""
    cal = tmp_path / "cal.h5"
    done = subprocess.run([str(natosim_bin), "calibrate",
                           str(source_dir / "configs" / "calibration_2014.toml"), "-o", str(cal),
                           "--set", "calibration.population=40", "--set",
                           "calibration.max_generations=2", "--quiet"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    with h5py.File(cal, "r") as f:  # --set reached the [calibration] table
        assert int(f.attrs["population"]) == 40
        assert f["tolerance"].shape == (2,)
    out = tmp_path / "report"
    completed = run_report(cal, "-o", out)
    assert completed.returncode == 0, completed.stderr
    text = (out / "index.html").read_text(encoding="utf-8")
    assert "budget.threat_response_pp" in text
    assert "<img" in text


def test_a_study_extending_the_baseline_draws_from_a_posterior(natosim_bin, source_dir, tmp_path):
    """`posterior = FILE` in a study that extends configs/baseline.toml: the base's data paths
    still resolve from the base's folder, and the run writes its file."""
    cal = tmp_path / "cal.h5"
    done = subprocess.run([str(natosim_bin), "calibrate",
                           str(source_dir / "configs" / "calibration_2014.toml"), "-o", str(cal),
                           "--set", "calibration.population=30", "--set",
                           "calibration.max_generations=2", "--quiet"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    study = tmp_path / "posterior_study.toml"
    study.write_text(
        "[study]\nname = \"p\"\nmodel = \"alliance\"\n"
        f"extends = \"{source_dir / 'configs' / 'baseline.toml'}\"\n"
        "seed = 3\nreplicates = 20\nstart_year = 2014\nyears = 12\n"
        f"[model]\nposterior = \"{cal}\"\nattack.enabled = false\n"
        "[[scenario]]\nname = \"history\"\n", encoding="utf-8")
    out = tmp_path / "p.h5"
    ran = subprocess.run([str(natosim_bin), "run", str(study), "-o", str(out), "--quiet",
                          "--store-draws"], capture_output=True, text=True, timeout=300)
    assert ran.returncode == 0, ran.stderr
    with h5py.File(cal, "r") as f:
        keys = [k.decode() if isinstance(k, bytes) else k for k in f["parameter"][:]]
        particles = f["posterior_particles"][:]
    with h5py.File(out, "r") as f:
        drawn = f["draw_budget_threat_response_pp"][:].ravel()
    # Every replicate's draw is one of the posterior's particles.
    column = particles[:, keys.index("budget.threat_response_pp")]
    assert all(abs(column - x).min() == 0.0 for x in drawn)


def test_report_headline_has_the_member_level_whole_period_outcomes(natosim_report, natosim_file):
    """Allies that gave up by the end (sum over allies of P(gave up)) and years compliant per
    ally (mean over allies), read from the file."""
    import numpy as np
    out, _ = natosim_report
    text = (out / "index.html").read_text(encoding="utf-8")
    assert "Allies that gave up" in text and "Years compliant per ally" in text
    assert "(every scenario)" not in text  # the baseline's scenarios share one threshold
    gave_up = read(natosim_file, "gave_up_mean")[:, -1, :]
    years = read(natosim_file, "years_compliant_mean")[:, -1, :]
    for s in range(gave_up.shape[0]):
        assert f'<td class="num">{html.escape(report.number(np.nansum(gave_up[s])))}' in text
        assert f'<td class="num">{html.escape(report.number(np.nanmean(years[s])))}' in text


def test_headline_counts_against_a_common_threshold_when_thresholds_differ(natosim_bin,
                                                                           source_dir, tmp_path):
    """The policy study holds scenarios to 2%, 3.5%, 5% and the Hague path: the headline table
    then also counts every scenario against one threshold (3.5%), straight from the file."""
    import numpy as np
    out = tmp_path / "policies.h5"
    done = subprocess.run([str(natosim_bin), "run", str(source_dir / "configs" / "policies.toml"),
                           "--replicates", "20", "-o", str(out), "--quiet", "--no-events"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    with report.Results(out) as results:
        selected = list(range(len(results.scenarios)))
        columns, notes = report.headline_columns(results, selected)
        notes += report.automatic_notes(results, selected)
    common = [c for c in columns if c.title.startswith("Allies at or above 3.5% (every scenario)")]
    assert len(common) == 1
    expected = read(out, "allies_at_common_threshold_mean")[:, -1]
    assert [c.text for c in common[0].cells] == [report.number(v) for v in expected]
    assert any("counts every scenario against the same threshold" in n for n in notes)
    assert np.ptp(read(out, "threshold_mean")[:, -1]) > 0  # the thresholds do differ here
