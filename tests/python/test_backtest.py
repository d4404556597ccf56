"""scripts/backtest.py and scripts/natosim_plot/backtest.py: the backtest of a results file against
observed shares.

Most tests use a small results file written here with h5py (schema of docs/OUTPUT.md) whose
quantiles, compliance probabilities and allies_compliant quantiles are set by hand, and a small
observed file, so every number of the backtest is known exactly (worked out in the comments):

    allies: PL, DE, FR, SE (joins 2016), the U.S. (patron) and IS (exempt); years 2014-2017;
    threshold 2.0 in 2014-2016 and 2.5 in 2017 (the file's `threshold`, not a hard-coded 2);
    observed years 2014, 2016, 2017 (DE has no 2017 figure: a partial year) and PL 2018 (outside
    the results, but PL's last observed year for the straight line).
"""

import csv
import json
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
sys.path.insert(0, str(SCRIPTS))

import backtest as backtest_script  # noqa: E402  (scripts/backtest.py)
from natosim_plot import backtest  # noqa: E402
from natosim_plot.results import Results, UsageError  # noqa: E402

PYTHON = "/usr/bin/python3"
SCRIPT = SCRIPTS / "backtest.py"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

MEMBERS = ["PL", "DE", "FR", "IS", "SE", "US"]
NAMES = ["Poland", "Germany", "France", "Iceland", "Sweden", "United States"]
YEARS = [2014, 2015, 2016, 2017]
QUANTILES = [0.05, 0.25, 0.5, 0.75, 0.95]
MEDIAN = {  # simulated median (% of GDP) by year
    "PL": [1.9, 2.1, 2.5, 3.0], "DE": [1.2, 1.3, 1.5, 2.05], "FR": [1.8, 1.9, 2.0, 2.2],
    "IS": [0.0, 0.0, 0.0, 0.0], "SE": [1.1, 1.2, 1.4, 1.6], "US": [3.5, 3.5, 3.5, 3.5],
}
P_COMPLIANT = {  # P(share >= threshold); NaN where not applicable
    "PL": [0.4, 0.7, 0.9, 0.9], "DE": [0.0, 0.0, 0.1, 0.7], "FR": [0.1, 0.2, 0.5, 0.5],
    "IS": [np.nan] * 4, "SE": [np.nan, np.nan, 0.1, 0.2], "US": [1.0] * 4,
}
ALLIES_COMPLIANT = [[0, 0, 0, 1, 1], [0, 1, 1, 1, 2], [1, 2, 2, 3, 3], [9, 9, 9, 9, 9]]
THRESHOLD = [2.0, 2.0, 2.0, 2.5]

OBSERVED = """iso2,name,joined,year,pct_gdp,source
PL,Poland,1999,2014,1.90,"NATO, table 3"
PL,Poland,1999,2016,2.60,x
PL,Poland,1999,2017,3.10,x
PL,Poland,1999,2018,4.00,x
DE,Germany,1955,2014,1.20,x
DE,Germany,1955,2016,1.40,x
FR,France,1949,2014,1.80,x
FR,France,1949,2016,2.05,x
FR,France,1949,2017,2.30,x
SE,Sweden,2016,2014,1.00,x
SE,Sweden,2016,2016,2.00,x
SE,Sweden,2016,2017,2.50,x
US,United States,1949,2014,3.60,x
US,United States,1949,2016,3.50,x
IS,Iceland,1949,2014,,no armed forces
IS,Iceland,1949,2016,,no armed forces
"""


def _scale(f, name, data, string=False):
    if string:
        ds = f.create_dataset(name, data=np.array(data, dtype=object),
                              dtype=h5py.string_dtype("utf-8"))
    else:
        ds = f.create_dataset(name, data=np.asarray(data))
    ds.make_scale(name)
    return ds


def _variable(f, scales, name, stat, data, axes, **attrs):
    ds = f.create_dataset(f"{name}_{stat}", data=np.asarray(data, dtype=np.float64))
    for i, axis in enumerate(axes):
        ds.dims[i].attach_scale(scales[axis])
    for key, value in attrs.items():
        ds.attrs[key] = value


def write_results(path, config_text='[model.data]\nexempt = ["IS"]\n', threshold=True,
                  scenarios=("history", "no_pledge"), reference="history"):
    """The hand-made results file described in the module docstring. The second scenario's
    medians are 1 pp higher, so picking the wrong scenario shows in every error."""
    with h5py.File(path, "w") as f:
        f.attrs["file_type"] = "natosim_results"
        f.attrs["schema_version"] = "1.0"
        f.attrs["replicates"] = np.int64(100)
        f.attrs["seed"] = np.uint64(1)
        f.attrs["reference_scenario"] = reference
        f.attrs["study_name"] = "tiny_backtest"
        if config_text is not None:
            f.attrs["config_text"] = config_text
        scales = {"scenario": _scale(f, "scenario", list(scenarios), string=True),
                  "year": _scale(f, "year", np.array(YEARS, dtype=np.int32)),
                  "member": _scale(f, "member", MEMBERS, string=True),
                  "quantile": _scale(f, "quantile", np.array(QUANTILES))}
        names = f.create_dataset("member_name", data=np.array(NAMES, dtype=object),
                                 dtype=h5py.string_dtype("utf-8"))
        names.dims[0].attach_scale(scales["member"])
        descriptions = f.create_dataset("scenario_description",
                                        data=np.array([""] * len(scenarios), dtype=object),
                                        dtype=h5py.string_dtype("utf-8"))
        descriptions.dims[0].attach_scale(scales["scenario"])
        S, Y, M = len(scenarios), len(YEARS), len(MEMBERS)
        median = np.array([MEDIAN[m] for m in MEMBERS]).T  # (year, member)
        offsets = np.array([-0.3, -0.1, 0.0, 0.1, 0.3])
        q = np.stack([median[..., None] + offsets + s for s in range(S)])
        q = np.clip(q, 0.0, None)
        member_axes = ("scenario", "year", "member")
        _variable(f, scales, "defence_share", "quantiles", q, member_axes + ("quantile",))
        _variable(f, scales, "defence_share", "mean", q[..., 2], member_axes, units="% of GDP",
                  level="member", binary=np.int32(0))
        p = np.array([P_COMPLIANT[m] for m in MEMBERS]).T
        _variable(f, scales, "compliant", "mean", np.stack([p] * S), member_axes, units="1",
                  level="member", binary=np.int32(1))
        ac = np.array(ALLIES_COMPLIANT, dtype=float)
        _variable(f, scales, "allies_compliant", "quantiles", np.stack([ac] * S),
                  ("scenario", "year", "quantile"))
        _variable(f, scales, "allies_compliant", "mean", np.stack([ac[:, 2]] * S),
                  ("scenario", "year"), units="count", level="global", binary=np.int32(0))
        if threshold:
            _variable(f, scales, "threshold", "mean", np.stack([THRESHOLD] * S),
                      ("scenario", "year"), units="% of GDP", level="global",
                      binary=np.int32(0))
        assert (S, Y, M) == q.shape[:3]
    return path


@pytest.fixture
def files(tmp_path):
    observed = tmp_path / "observed.csv"
    observed.write_text(OBSERVED, encoding="utf-8")
    return observed, write_results(tmp_path / "results.h5")


def by_year(data):
    return {row["year"]: row for row in data["rows"]}


def run(*args, cwd=None):
    return subprocess.run([PYTHON, str(SCRIPT), *map(str, args)], capture_output=True, text=True,
                          timeout=120, cwd=cwd)


# --- the numbers -----------------------------------------------------------------------------


def test_the_years_compared_are_those_in_both_files_and_the_start_year_is_the_results_first(files):
    data = backtest.compute(*files)
    assert data["scenario"] == "history"  # the reference scenario by default
    assert data["start_year"] == 2014
    # 2015 has no observed figure; 2018 is not simulated.
    assert [r["year"] for r in data["rows"]] == [2014, 2016, 2017]
    assert data["exempt"] == ["IS"]


def test_the_allies_compared_leave_out_the_patron_and_exempt_members(files):
    rows = by_year(backtest.compute(*files))
    # SE's 2014 figure is compared (NATO reports it before accession) but not counted.
    assert rows[2014]["allies"] == ["PL", "DE", "FR", "SE"]
    assert rows[2014]["count_allies"] == ["PL", "DE", "FR"]
    assert rows[2016]["count_allies"] == ["PL", "DE", "FR", "SE"]
    assert rows[2017]["allies"] == ["PL", "FR", "SE"]  # DE has no 2017 figure
    assert rows[2017]["missing"] == ["DE"]


def test_mean_absolute_errors_of_the_model_and_the_naive_predictors_are_exact(files):
    rows = by_year(backtest.compute(*files))
    mae = {year: row["mae"] for year, row in rows.items()}
    # 2014: only SE's median (1.1 vs 1.0) is off; the naive predictors are exact at the start.
    assert mae[2014]["model"] == pytest.approx(0.1 / 4, abs=1e-12)
    assert mae[2014]["persistence"] == 0.0
    assert mae[2014]["line"] == pytest.approx(0.0, abs=1e-12)
    # 2016: model |2.5-2.6|+|1.5-1.4|+|2.0-2.05|+|1.4-2.0| = 0.85; persistence 0.7+0.2+0.25+1.0;
    # line: PL 1.9 + 2.1 * 2/4 = 2.95 (its last year is 2018), DE exact (last year 2016),
    # FR 1.8 + 0.5 * 2/3, SE 1.0 + 1.5 * 2/3 = 2.0 exact.
    assert mae[2016]["model"] == pytest.approx(0.85 / 4, abs=1e-12)
    assert mae[2016]["persistence"] == pytest.approx(2.15 / 4, abs=1e-12)
    assert mae[2016]["line"] == pytest.approx((0.35 + (1.8 + 0.5 * 2 / 3 - 2.05)) / 4,
                                              abs=1e-12)
    # 2017: model 0.1 + 0.1 + 0.9; persistence 1.2 + 0.5 + 1.5; line: PL 3.475 vs 3.10.
    assert mae[2017]["model"] == pytest.approx(1.1 / 3, abs=1e-12)
    assert mae[2017]["persistence"] == pytest.approx(3.2 / 3, abs=1e-12)
    assert mae[2017]["line"] == pytest.approx(0.375 / 3, abs=1e-12)


def test_counts_at_the_threshold_use_allies_compliant_in_a_full_year(files):
    rows = by_year(backtest.compute(*files))
    assert rows[2014]["full"] and rows[2016]["full"]
    assert rows[2014]["count"] == {
        "observed": 0, "persistence": 0, "line": 0,
        "model": {"method": "allies_compliant", "median": 0.0, "low": 0.0, "high": 1.0}}
    # 2016 (threshold 2.0): observed PL 2.60, FR 2.05, SE 2.00; line PL 2.95, FR 2.13, SE 2.0.
    assert rows[2016]["count"] == {
        "observed": 3, "persistence": 0, "line": 3,
        "model": {"method": "allies_compliant", "median": 2.0, "low": 1.0, "high": 3.0}}


def test_a_partial_year_gives_the_expected_count_with_a_poisson_binomial_interval(files):
    row = by_year(backtest.compute(*files))[2017]
    assert not row["full"]
    # Threshold 2.5 (the file's): observed PL 3.10 and SE 2.50; line PL 3.475 and SE 2.5.
    assert row["threshold"] == 2.5
    assert (row["count"]["observed"], row["count"]["persistence"], row["count"]["line"]) == \
        (2, 0, 2)
    # P = 0.9, 0.5, 0.2 (DE, without a figure, left out; allies_compliant's 9 not used):
    # pmf 0.04, 0.41, 0.46, 0.09 -> cdf 0.04, 0.45, 0.91, 1: 5% quantile 1, 95% quantile 3.
    model = row["count"]["model"]
    assert model["method"] == "poisson_binomial"
    assert model["median"] == pytest.approx(1.6, abs=1e-12)
    assert (model["low"], model["high"]) == (1.0, 3.0)


def test_poisson_binomial_distribution_is_exact():
    assert backtest.poisson_binomial([0.9, 0.5, 0.2]) == pytest.approx([0.04, 0.41, 0.46, 0.09])
    assert backtest.poisson_binomial([]) == pytest.approx([1.0])
    pmf = backtest.poisson_binomial([0.5] * 4)
    assert pmf == pytest.approx(np.array([1, 4, 6, 4, 1]) / 16)
    assert backtest.pmf_quantile(pmf, 0.05) == 0 and backtest.pmf_quantile(pmf, 0.5) == 2
    assert backtest.pmf_quantile(pmf, 0.95) == 4


def test_band_edges_include_the_threshold_and_exclude_threshold_plus_a_tenth():
    values = [1.999999, 2.0 - 1e-12, 2.0, 2.0999999, 2.1, 2.0 + 0.1, 2.2]
    # 2.0 - 1e-12 is rounding (within 1e-9); 1.999999 is below.
    assert backtest._at_or_above(values, 2.0) == 6
    assert backtest._in_band(values, 2.0) == 3
    assert backtest._in_band([3.5, 3.6, 3.59], 3.5) == 2


def test_band_counts_just_above_the_threshold_are_exact(files):
    rows = by_year(backtest.compute(*files))
    assert rows[2014]["band"] == {"observed": 0, "model": 0, "persistence": 0, "line": 0}
    # [2.0, 2.1): observed FR 2.05 and SE 2.00; model median FR 2.0; line SE 2.0.
    assert rows[2016]["band"] == {"observed": 2, "model": 1, "persistence": 0, "line": 1}
    # [2.5, 2.6): observed SE 2.50; line SE 2.5; medians 3.0, 2.2, 1.6 are outside.
    assert rows[2017]["band"] == {"observed": 1, "model": 0, "persistence": 0, "line": 1}


def test_the_per_ally_table_is_for_the_last_common_year(files):
    last = backtest.compute(*files)["last_year"]
    assert last["year"] == 2017
    pl = last["allies"][0]
    assert pl["iso2"] == "PL" and pl["name"] == "Poland"
    assert (pl["observed"], pl["median"]) == (3.10, 3.0)
    assert (pl["q05"], pl["q95"]) == pytest.approx((2.7, 3.3))
    assert pl["error"] == pytest.approx(-0.1)
    assert pl["persistence"] == 1.9 and pl["line"] == pytest.approx(3.475)


def test_another_scenario_can_be_chosen(files):
    rows = by_year(backtest.compute(*files, scenario="no_pledge"))
    # Every median is 1 pp higher: in 2014 the errors are 1, 1, 1 and 1.1.
    assert rows[2014]["mae"]["model"] == pytest.approx(4.1 / 4, abs=1e-12)
    with pytest.raises(UsageError, match="has no scenario 'nope'"):
        backtest.compute(*files, scenario="nope")


def test_without_a_threshold_variable_two_percent_is_assumed_and_said(tmp_path):
    observed = tmp_path / "observed.csv"
    observed.write_text(OBSERVED, encoding="utf-8")
    data = backtest.compute(observed, write_results(tmp_path / "r.h5", threshold=False))
    assert data["thresholds"] == [2.0] * 4
    assert "assumed 2.00%" in data["threshold_source"]
    assert by_year(data)[2017]["count"]["observed"] == 3  # PL 3.10, FR 2.30, SE 2.50 >= 2.0


def test_without_a_joined_column_allies_count_from_when_the_model_records_their_compliance(
        tmp_path):
    # NATO's own yearly tables have no joined column: the model's membership (SE's compliance
    # is recorded from 2016) decides, so observed and simulated counts run over the same allies.
    observed = tmp_path / "observed.csv"
    lines = OBSERVED.splitlines()
    observed.write_text("\n".join(",".join(line.split(",")[:2] + line.split(",")[3:5])
                                  for line in lines) + "\n", encoding="utf-8")
    rows = by_year(backtest.compute(observed, write_results(tmp_path / "r.h5")))
    assert rows[2014]["count_allies"] == ["PL", "DE", "FR"]
    assert rows[2016]["count_allies"] == ["PL", "DE", "FR", "SE"]


def test_exempt_members_come_from_the_config_or_else_from_compliance_never_recorded(tmp_path):
    path = write_results(tmp_path / "r.h5", config_text=None)
    with Results(path) as results:
        compliant = results.stat("compliant", "mean", axes=("scenario", "year", "member"))[0]
        assert backtest.exempt_members(results, compliant) == ["IS"]
    path = write_results(tmp_path / "r2.h5", config_text='[model.data]\nexempt = ["FR"]\n')
    with Results(path) as results:
        assert backtest.exempt_members(results, None) == ["FR"]


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize("text, message", [
    ("iso2,year,share\nPL,2014,1.9\n",
     "1:1: pct_gdp: missing column, got columns iso2, year, share (expected a column named "
     "pct_gdp)"),
    ("iso2,year,pct_gdp\nPL,2014,1.9\nDE,2014,abc\n",
     '3:3: pct_gdp: not a number, got "abc" (expected a share of GDP in percent such as 1.85, '
     "or an empty field)"),
    ("iso2,year,pct_gdp\nPL,2014,1.9\nXX,2014,1.0\n",
     "3:1: iso2: unknown ally, got XX (expected a member of RESULTS: PL, DE, FR, IS, SE, US)"),
    ("iso2,year,pct_gdp\nPL,20x4,1.9\n",
     '2:2: year: not an integer, got "20x4" (expected an integer year in [1900, 2200])'),
    ("iso2,year,pct_gdp\nPL,2014,-1\n",
     "2:3: pct_gdp: out of range, got -1 (expected a share of GDP in [0, 100] percent)"),
    ("iso2,year,pct_gdp\nPL,2014,1.9\nPL,2014,2.0\n",
     "3:1: iso2: duplicate row, got PL 2014 again (expected one row per ally and year (first "
     "on line 2))"),
    ("iso2,year,pct_gdp\nPL,2014\n",
     "2:1: wrong number of fields, got 2 (expected 3 fields as in the header)"),
])
def test_bad_observed_file_gives_one_line_and_exit_status_2(tmp_path, capsys, text, message):
    """In process (the exit status is main's return value); the test below runs the script."""
    results = write_results(tmp_path / "results.h5")
    observed = tmp_path / "bad.csv"
    observed.write_text(text, encoding="utf-8")
    status = backtest_script.main([str(observed), str(results), "-o", str(tmp_path / "figs")])
    captured = capsys.readouterr()
    assert status == 2
    expected = f"error: {observed}:{message}".replace("RESULTS", str(results))
    assert captured.err == expected + "\n"
    assert captured.out == ""
    assert not (tmp_path / "figs").exists()


def test_the_script_itself_exits_with_status_2_on_a_bad_value(tmp_path):
    results = write_results(tmp_path / "results.h5")
    observed = tmp_path / "bad.csv"
    observed.write_text("iso2,year,pct_gdp\nPL,2014,1,9\n", encoding="utf-8")
    done = run(observed, results, "-o", tmp_path / "figs")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (f"error: {observed}:2:1: wrong number of fields, got 4 (expected 3 "
                           f"fields as in the header)\n")
    assert not (tmp_path / "figs").exists()


def test_no_common_year_or_no_start_year_figure_is_a_usage_error(tmp_path, capsys):
    results = str(write_results(tmp_path / "results.h5"))
    observed = tmp_path / "late.csv"
    observed.write_text("iso2,year,pct_gdp\nPL,2030,2.0\n", encoding="utf-8")
    assert backtest_script.main([str(observed), results]) == 2
    assert "have no year in common" in capsys.readouterr().err
    observed.write_text("iso2,year,pct_gdp\nPL,2016,2.0\n", encoding="utf-8")
    assert backtest_script.main([str(observed), results]) == 2
    assert capsys.readouterr().err.strip().endswith(
        "has no figure for 2014, the results' start year, which the naive predictors need")


def test_a_missing_or_non_results_file_gives_one_line(tmp_path, files, capsys):
    observed, results = map(str, files)
    # A results file natosim would refuse: exit status 3, as natosim's; a bad observed file is
    # bad input: 2.
    assert backtest_script.main([observed, str(tmp_path / "none.h5")]) == 3
    assert capsys.readouterr().err == f"error: {tmp_path / 'none.h5'}: no such file\n"
    assert backtest_script.main([str(tmp_path / "none.csv"), results]) == 2
    assert capsys.readouterr().err == f"error: {tmp_path / 'none.csv'}: no such file\n"
    assert backtest_script.main([observed, observed]) == 3
    assert "not a natosim results file" in capsys.readouterr().err


# --- the command, the figure and the report section ------------------------------------------


def test_command_prints_the_table_and_writes_the_figure(files, tmp_path):
    observed, results = files
    out = tmp_path / "figs"
    done = run(observed, results, "-o", out, "--format", "png", "--format", "pdf")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    row = next(line.split() for line in lines if line.startswith("2016 "))
    assert row == ["2016", "4/4", "0.213", "0.537", "0.108", "3", "2", "[1-3]", "0", "3", "2",
                   "1", "0", "1"]
    row = next(line.split() for line in lines if line.startswith("2017 "))
    assert row[6:8] == ["1.6", "[1-3]*"]
    assert any("exact in that year by construction" in line for line in lines)
    assert any(line.split()[:2] == ["SE", "Sweden"] and line.split()[-1] == "-0.90"
               for line in lines)
    png = out / "backtest_fan.png"
    assert png.read_bytes()[:8] == PNG_SIGNATURE
    assert (out / "backtest_fan.pdf").read_bytes()[:5] == b"%PDF-"
    assert lines[-2:] == [str(png), str(out / "backtest_fan.pdf")]


def test_json_holds_the_same_numbers_as_compute(files, tmp_path):
    observed, results = files
    done = run(observed, results, "-o", tmp_path / "figs", "--json")
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    expected = json.loads(json.dumps(backtest.json_ready(backtest.compute(*files))))
    assert printed.pop("figures") == [str(tmp_path / "figs" / "backtest_fan.png")]
    assert printed == expected


def test_the_figure_has_one_panel_per_compared_ally(files):
    data = backtest.compute(*files)
    assert list(data["series"]) == ["PL", "DE", "FR", "SE"]
    assert data["series"]["PL"]["quantiles"]["0.5"] == MEDIAN["PL"]
    assert data["series"]["PL"]["observed"] == {"2014": 1.9, "2016": 2.6, "2017": 3.1}
    assert data["series"]["SE"]["persistence"] == 1.0


def test_report_section_holds_the_tables_and_the_figure_with_alt_text(files, tmp_path):
    section = backtest.backtest_section(*files, tmp_path / "report")
    assert (tmp_path / "report" / "figures" / "backtest_fan.png").exists()
    assert '<img src="figures/backtest_fan.png" alt="Small multiples, one panel per ally' in section
    assert "<figcaption>" in section and section.count("<table>") == 2
    assert "<td>2016</td>" in section and "1.6 [1-3]*" in section


# --- on natosim's own output and the shipped data --------------------------------------------


def test_backtest_of_natosim_output_against_the_shipped_data(natosim_bin, source_dir, tmp_path):
    """configs/backtest_2014.toml at 40 replicates against configs/data/defence_share.csv: the
    years in both are 2014 (every ally: allies_compliant) and 2024, 2025 (partial: each ally has
    one of the two), the U.S. and Iceland are left out, and the naive predictors are exact where
    the data fix them."""
    results = tmp_path / "backtest.h5"
    done = subprocess.run([str(natosim_bin), "run", str(source_dir / "configs/backtest_2014.toml"),
                           "--replicates", "40", "-o", str(results), "--quiet"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    observed = source_dir / "configs" / "data" / "defence_share.csv"
    data = backtest.compute(observed, results)
    rows = by_year(data)
    assert data["scenario"] == "history" and data["start_year"] == 2014
    assert sorted(rows) == [2014, 2024, 2025]
    assert data["exempt"] == ["IS"]
    figures = {}
    with open(observed, encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["pct_gdp"] and r["iso2"] not in ("US", "IS"):
                figures.setdefault(int(r["year"]), {})[r["iso2"]] = float(r["pct_gdp"])
    for year, row in rows.items():
        assert sorted(row["allies"]) == sorted(figures[year])
        assert row["count"]["observed"] == sum(figures[year][m] >= row["threshold"]
                                               for m in row["count_allies"])
        assert row["mae"]["line"] == pytest.approx(0.0, abs=1e-12)  # each ally's first or last
    assert rows[2014]["count"]["model"]["method"] == "allies_compliant"
    assert rows[2024]["count"]["model"]["method"] == "poisson_binomial"
    assert rows[2025]["count"]["model"]["method"] == "poisson_binomial"
    # Montenegro (2017), North Macedonia (2020), Finland (2023), Sweden (2024) are compared in
    # 2014 (NATO reports them retroactively) but not counted.
    assert len(rows[2014]["allies"]) - len(rows[2014]["count_allies"]) == 4
    assert rows[2014]["mae"]["persistence"] == 0.0
    # The model starts from the 2014 figures: its 2014 median is within the quantile sketch's
    # relative error (2^-8) of them.
    assert rows[2014]["mae"]["model"] < 4.5 * 2 ** -8


def test_help_describes_every_option():
    done = run("--help")
    assert done.returncode == 0, done.stderr
    for option in ("OBSERVED.csv", "RESULTS.h5", "--scenario", "--output", "--format", "--json"):
        assert option in done.stdout
