"""The plotting scripts (scripts/plot_*.py): each runs on a results file, writes a valid PNG, and
plots the numbers the file holds (each plot function returns what it plotted; the tests compare
it with the file read directly through h5py). Files that lack a figure's variables give a
one-line message and exit status 2 (3 for a file natosim would refuse), never a traceback.

The alliance figures run on a file natosim itself writes (configs/baseline.toml, 40 replicates).
Figures whose variables natosim does not write yet (the attack model's deterrence outcomes,
parameter sweeps, the spending threshold) are checked for their clear error on that file, and
drawn from synthetic files written with h5py that follow docs/OUTPUT.md
(scripts/natosim_plot/synthetic.py): those tests say so in their docstrings.
"""

import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
sys.path.insert(0, str(SCRIPTS))

import plot_allies_compliant  # noqa: E402
import plot_compliance_heatmap  # noqa: E402
import plot_deterrence  # noqa: E402
import plot_differences  # noqa: E402
import plot_fan  # noqa: E402
import plot_spending  # noqa: E402
import plot_sweep  # noqa: E402
from natosim_plot import synthetic  # noqa: E402
from natosim_plot.results import Results  # noqa: E402

PYTHON = "/usr/bin/python3"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ALLIANCE_SCRIPTS = ["plot_fan.py", "plot_compliance_heatmap.py", "plot_allies_compliant.py",
                    "plot_spending.py", "plot_differences.py"]
QUANTILE_KEYS = {0.05: "q05", 0.25: "q25", 0.5: "median", 0.75: "q75", 0.95: "q95"}


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def natosim_results(natosim_bin, source_dir, tmp_path_factory):
    """A results file natosim writes for the default study, with 40 replicates (once)."""
    config = source_dir / "configs" / "baseline.toml"
    assert config.exists(), f"{config} is missing: the default study is needed for these tests"
    out = tmp_path_factory.mktemp("natosim") / "baseline.h5"
    done = subprocess.run([str(natosim_bin), "run", str(config), "--replicates", "40", "-o",
                           str(out), "--quiet"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"natosim run failed: {done.stderr}"
    assert out.exists()
    return out


@pytest.fixture(scope="session")
def synthetic_results(tmp_path_factory):
    """A synthetic file (h5py, schema of docs/OUTPUT.md) with the attack model's variables and
    the threshold, which natosim does not write yet."""
    path = tmp_path_factory.mktemp("synthetic") / "synthetic.h5"
    return synthetic.write(path, scenarios=("current_plans", "hague_5pct"), years=8,
                           replicates=40, attack=True, threshold=True)


@pytest.fixture(scope="session")
def synthetic_sweep(tmp_path_factory):
    """A synthetic parameter sweep (design_point axis, two swept parameters on a 4 x 3 grid)."""
    path = tmp_path_factory.mktemp("synthetic") / "sweep.h5"
    return synthetic.write(path, scenarios=("current_plans", "hague_5pct"), years=5,
                           replicates=20, attack=True, sweep=True)


@pytest.fixture(scope="session")
def file_without_alliance_variables(tmp_path_factory):
    """A schema-valid file whose alliance variables are all missing."""
    path = tmp_path_factory.mktemp("synthetic") / "bare.h5"
    return synthetic.write(path, scenarios=("current_plans", "hague_5pct"), years=3,
                           replicates=10, alliance=False)


# --- helpers ---------------------------------------------------------------------------------


def run_script(name, *args):
    return subprocess.run([PYTHON, str(SCRIPTS / name), *map(str, args)], capture_output=True,
                          text=True, timeout=120)


def assert_png(path):
    path = Path(path)
    assert path.is_file(), f"{path} was not written"
    assert path.stat().st_size > 1000, f"{path} is (nearly) empty"
    with open(path, "rb") as f:
        assert f.read(8) == PNG_SIGNATURE, f"{path} is not a PNG"
    import matplotlib.image
    image = matplotlib.image.imread(str(path))  # decodes the whole file
    assert image.shape[0] > 100 and image.shape[1] > 100


def read(path, name):
    with h5py.File(path, "r") as f:
        return f[name][()]


def text_list(path, name):
    return [v.decode() if isinstance(v, bytes) else str(v) for v in read(path, name)]


def quantile_index(path, level):
    levels = read(path, "quantile")
    return int(np.nonzero(np.isclose(levels, level))[0][0])


def assert_one_line_error(done, expected=None, status=2):
    """Exit status 2 for a valid file that lacks what the figure needs (or a bad option), 3 for
    a file natosim would refuse (tests/python/test_scripts_bad_files.py)."""
    assert done.returncode == status, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: ")
    if expected is not None:
        assert lines[0] == expected


# --- every alliance figure on natosim's own file -------------------------------------------


@pytest.mark.parametrize("script", ALLIANCE_SCRIPTS)
def test_script_writes_pngs_from_a_natosim_file(script, natosim_results, tmp_path):
    done = run_script(script, natosim_results, "-o", tmp_path / "figs")
    assert done.returncode == 0, done.stderr
    written = [Path(line) for line in done.stdout.split()]
    assert written, "the script printed no file"
    for path in written:
        assert path.parent == tmp_path / "figs" and path.suffix == ".png"
        assert_png(path)
    assert sorted(written) == sorted((tmp_path / "figs").glob("*.png"))
    assert not list((tmp_path / "figs").glob("*.partial"))


def test_default_output_folder_and_pdf(natosim_results):
    done = run_script("plot_allies_compliant.py", natosim_results, "--format", "png",
                      "--format", "pdf")
    assert done.returncode == 0, done.stderr
    folder = natosim_results.parent / "figures"
    assert_png(folder / "allies_compliant.png")
    pdf = folder / "allies_compliant.pdf"
    assert pdf.stat().st_size > 1000 and pdf.read_bytes()[:5] == b"%PDF-"


def test_fan_plots_the_quantiles_in_the_file(natosim_results, tmp_path):
    with Results(natosim_results) as results:
        plotted = plot_fan.plot(results, tmp_path)
        single = plot_fan.plot(results, tmp_path, scenarios=["status_quo"], member="pl")
    q = read(natosim_results, "defence_share_quantiles")  # (scenario, year, member, quantile)
    members = text_list(natosim_results, "member")
    for level, key in QUANTILE_KEYS.items():
        expected = q[..., quantile_index(natosim_results, level)]
        np.testing.assert_array_equal(plotted.data[key], expected)
        np.testing.assert_array_equal(single.data[key][:, :, 0],
                                      expected[:1, :, members.index("PL")])
    np.testing.assert_array_equal(plotted.data["year"], read(natosim_results, "year"))
    assert len(plotted.files) == len(read(natosim_results, "scenario"))
    assert [f.name for f in single.files] == ["fan_PL.png"]
    for path in plotted.files + single.files:
        assert_png(path)
    if "threshold_mean" not in h5py.File(natosim_results, "r"):
        assert "threshold" not in plotted.data
        assert any("no threshold" in note for note in plotted.notes)


def test_fan_draws_the_threshold_when_recorded(synthetic_results, tmp_path):
    """Synthetic file: natosim does not record the threshold yet."""
    with Results(synthetic_results) as results:
        plotted = plot_fan.plot(results, tmp_path, member="EE")
    np.testing.assert_array_equal(plotted.data["threshold"], read(synthetic_results,
                                                                  "threshold_mean"))
    assert_png(plotted.files[0])


def test_compliance_heatmap_plots_the_probabilities_in_the_file(natosim_results, tmp_path):
    with Results(natosim_results) as results:
        plotted = plot_compliance_heatmap.plot(results, tmp_path, scenarios=["status_quo"])
    scenarios = text_list(natosim_results, "scenario")
    s = scenarios.index("status_quo")
    np.testing.assert_array_equal(plotted.data["probability"],
                                  read(natosim_results, "compliant_mean")[[s]])
    # Iceland is exempt: no value in any replicate, drawn as "not applicable".
    iceland = text_list(natosim_results, "member").index("IS")
    assert np.all(np.isnan(plotted.data["probability"][..., iceland]))
    assert np.all(read(natosim_results, "compliant_count")[..., iceland] == 0)
    assert [f.name for f in plotted.files] == ["compliance_status_quo.png"]


def test_allies_compliant_plots_mean_and_band(natosim_results, tmp_path):
    with Results(natosim_results) as results:
        plotted = plot_allies_compliant.plot(results, tmp_path)
    order = plotted.data["scenario_index"]
    assert sorted(order) == list(range(len(read(natosim_results, "scenario"))))
    mean = read(natosim_results, "allies_compliant_mean")[order]
    mcse = read(natosim_results, "allies_compliant_mcse")[order]
    q = read(natosim_results, "allies_compliant_quantiles")[order]
    np.testing.assert_array_equal(plotted.data["mean"], mean)
    np.testing.assert_array_equal(plotted.data["mean_ci_low"], mean - 1.96 * mcse)
    np.testing.assert_array_equal(plotted.data["q05"], q[..., quantile_index(natosim_results,
                                                                              0.05)])
    np.testing.assert_array_equal(plotted.data["q95"], q[..., quantile_index(natosim_results,
                                                                              0.95)])
    # The threshold each scenario is counted against is drawn under the counts.
    np.testing.assert_array_equal(plotted.data["threshold"],
                                  read(natosim_results, "threshold_mean")[order])


def test_spending_plots_both_alliance_series(natosim_results, tmp_path):
    """Constant prices by default (the model records them), current prices when asked."""
    with Results(natosim_results) as results:
        plotted = plot_spending.plot(results, tmp_path, scenarios=["conditional_article5"])
        current = plot_spending.plot(results, tmp_path, scenarios=["conditional_article5"],
                                     current_prices=True)
    s = text_list(natosim_results, "scenario").index("conditional_article5")
    for figure, variables in ((plotted, ("europe_canada_spending_real", "us_share_of_spending")),
                              (current, ("europe_canada_spending", "us_share_of_spending"))):
        for variable in variables:
            np.testing.assert_array_equal(figure.data[f"{variable}/mean"],
                                          read(natosim_results, f"{variable}_mean")[[s]])
            q = read(natosim_results, f"{variable}_quantiles")
            np.testing.assert_array_equal(figure.data[f"{variable}/q95"],
                                          q[[s], :, quantile_index(natosim_results, 0.95)])
    assert "europe_canada_spending/mean" not in plotted.data


def test_differences_plot_the_paired_differences_of_the_final_year(natosim_results, tmp_path):
    with Results(natosim_results) as results:
        plotted = plot_differences.plot(results, tmp_path)
        per_ally = plot_differences.plot(results, tmp_path, variables=["defence_share"])
    with h5py.File(natosim_results, "r") as f:
        reference = f.attrs["reference_scenario"]
        reference = reference.decode() if isinstance(reference, bytes) else reference
    scenarios = text_list(natosim_results, "scenario")
    compared = list(plotted.data["scenario_index"])  # grouped: the reading order
    assert sorted(compared) == [i for i, s in enumerate(scenarios) if s != reference]
    # Low-enforcement variants are open circles, everything else filled squares.
    expected_markers = ["o" if scenarios[k].endswith(("_low", "_low_enforcement")) else "s"
                        for k in compared]
    assert list(plotted.data["marker"]) == expected_markers
    assert "o" in expected_markers and "s" in expected_markers
    # Spending in constant prices: the model records them, and they replace current prices.
    for variable in ("allies_compliant", "europe_canada_spending_real", "us_share_of_spending"):
        for stat in ("diff_mean", "diff_ci_low", "diff_ci_high"):
            np.testing.assert_array_equal(plotted.data[f"{variable}/{stat}"],
                                          read(natosim_results, f"{variable}_{stat}")[compared,
                                                                                      -1])
    with np.errstate(all="ignore"):
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            expected = np.nanmean(read(natosim_results, "compliant_diff_mean")[compared, -1],
                                  axis=-1)
    np.testing.assert_allclose(
        plotted.data[f"{plot_differences.MEAN_COMPLIANCE}/diff_mean"], expected, rtol=1e-12)
    np.testing.assert_array_equal(per_ally.data["defence_share/diff_mean"],
                                  read(natosim_results, "defence_share_diff_mean")[compared, -1])
    assert [f.name for f in per_ally.files] == ["differences_defence_share.png"]
    for path in plotted.files + per_ally.files:
        assert_png(path)


# --- figures natosim cannot draw yet: clear errors on its file, drawing on synthetic files ---


def test_deterrence_on_a_file_without_the_attack_model(natosim_results, tmp_path):
    with h5py.File(natosim_results, "r") as f:
        has_attacks = "attacked_mean" in f
    done = run_script("plot_deterrence.py", natosim_results, "-o", tmp_path)
    if has_attacks:  # the attack model has landed: the figure must now work
        assert done.returncode == 0, done.stderr
        return
    assert_one_line_error(done, f"error: {natosim_results} has no variable 'attacked_mean' "
                                "(this figure needs the attack model's output)")
    assert not list(tmp_path.iterdir()), "nothing is written when the figure cannot be drawn"


def test_sweep_on_a_file_that_is_not_a_sweep(natosim_results, tmp_path):
    done = run_script("plot_sweep.py", natosim_results, "-o", tmp_path)
    assert_one_line_error(done, f"error: {natosim_results} has no variable 'design_point' "
                                "(this figure needs a parameter sweep's output)")


def test_deterrence_plots_the_outcomes_in_the_file(synthetic_results, tmp_path):
    """Synthetic file without the whole-period outcomes: one year's probabilities, and the
    expected attacks summed over the years."""
    done = run_script("plot_deterrence.py", synthetic_results, "-o", tmp_path)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.glob("*.png")) == ["attack_targets.png",
                                                             "deterrence.png"]
    for path in tmp_path.glob("*.png"):
        assert_png(path)
    with Results(synthetic_results) as results:
        plotted = plot_deterrence.plot(results, tmp_path / "in", year=2029)
    y = list(read(synthetic_results, "year")).index(2029)
    order = plotted.data["scenario_index"]
    f = lambda name: read(synthetic_results, name)[order]  # noqa: E731
    np.testing.assert_array_equal(plotted.data["attack_probability"],
                                  f("deterrence_failure_mean")[:, y])
    np.testing.assert_array_equal(plotted.data["attack_probability_low"],
                                  f("deterrence_failure_wilson_low")[:, y])
    np.testing.assert_array_equal(plotted.data["us_stood_aside_high"],
                                  f("us_stood_aside_wilson_high")[:, y])
    # territory_lost is member-level: summed over allies
    np.testing.assert_allclose(plotted.data["territory_lost"],
                               f("territory_lost_mean")[:, y].sum(axis=-1), rtol=1e-12)
    # At most one attack a year: the expected attacks on allies over the period are the sum of
    # the yearly probabilities that an ally is attacked.
    np.testing.assert_allclose(plotted.data["expected_attacks"],
                               f("deterrence_failure_mean").sum(axis=1), rtol=1e-12)


def test_deterrence_uses_the_whole_period_outcomes(tmp_path):
    """Synthetic file with the cumulative whole-period variables: their last year is drawn."""
    path = synthetic.write(tmp_path / "whole.h5", scenarios=("a", "b", "c"), years=5,
                           replicates=40, attack=True, whole_period=True, reference="a")
    with Results(path) as results:
        plotted = plot_deterrence.plot(results, tmp_path)
        targets = plot_deterrence.plot_targets(results, tmp_path)
    order = plotted.data["scenario_index"]
    f = lambda name: read(path, name)[order]  # noqa: E731
    for key, variable in (("any_attack", "any_attack_on_ally"),
                          ("peacekeepers", "peacekeepers_attacked_ever")):
        np.testing.assert_array_equal(plotted.data[key], f(f"{variable}_mean")[:, -1])
        np.testing.assert_array_equal(plotted.data[f"{key}_low"],
                                      f(f"{variable}_wilson_low")[:, -1])
    np.testing.assert_array_equal(plotted.data["expected_attacks"],
                                  f("attacks_to_date_mean")[:, -1])
    assert "attack_probability" not in plotted.data
    # Shares of the period's expected attacks by target: the allies' expected attacks are the
    # sums over years of P(attacked); with the peacekeepers' they add up to every attack.
    t = targets.data
    order = t["scenario_index"]
    expected = read(path, "attacked_mean")[order].sum(axis=1)
    force = read(path, "peacekeepers_attacked_mean")[order].sum(axis=1)
    top = t["top_members"]
    np.testing.assert_allclose(t["expected"][:, :len(top)], expected[:, top], rtol=1e-12)
    np.testing.assert_allclose(t["expected"][:, -1], force, rtol=1e-12)
    np.testing.assert_allclose(t["share"].sum(axis=1), 1.0, rtol=1e-12)
    assert np.all(t["share_low"] <= t["share"] + 1e-12)
    assert np.all(t["share"] <= t["share_high"] + 1e-12)
    assert t["targets"][-2:] == ["Other allies", "Peacekeepers"]
    for png in plotted.files + targets.files:
        assert_png(png)


def test_compliance_difference_maps_the_paired_differences(natosim_results, tmp_path):
    done = run_script("plot_compliance_heatmap.py", natosim_results, "-o", tmp_path,
                      "--difference")
    assert done.returncode == 0, done.stderr
    assert [Path(p).name for p in done.stdout.split()] == ["compliance_difference.png"]
    with Results(natosim_results) as results:
        plotted = plot_compliance_heatmap.plot_difference(results, tmp_path / "in")
        reference = results.scenarios.index(results.reference_scenario)
    order = plotted.data["scenario_index"]
    assert reference not in order and len(order) == len(read(natosim_results, "scenario")) - 1
    np.testing.assert_array_equal(plotted.data["difference"],
                                  read(natosim_results, "compliant_diff_mean")[order])


def test_sixteen_scenarios_never_share_a_colour_and_line(tmp_path):
    """Synthetic file with 16 labelled, grouped scenarios (the policy study's shape): reading
    order by group, low before high, the reference first, one style each, small multiples."""
    from natosim_plot.scenarios import Scenarios
    names = ["status_quo"] + [f"{lever}_{level}" for lever in
                              ("c2", "c35", "c5", "hague", "ex", "troops", "all")
                              for level in ("high", "low")] + ["peacekeepers"]
    groups = ["Reference"] + ["2%"] * 2 + ["3.5%"] * 2 + ["5%"] * 2 + ["Hague"] * 2 + \
        ["Levers"] * 6 + ["Peacekeepers"]
    path = synthetic.write(tmp_path / "many.h5", scenarios=names, years=3, replicates=10,
                           reference="status_quo", labels=[n.upper() for n in names],
                           groups=groups)
    with Results(path) as results:
        order = Scenarios(results)
        styles = {(order.colour(s), str(order.style(s)["linestyle"])) for s in order}
        assert len(styles) == 16
        ordered = [results.scenarios[s] for s in order]
        assert ordered[0] == "status_quo"
        assert ordered.index("c2_low") + 1 == ordered.index("c2_high")
        assert [g for g, _ in order.by_group()] == ["Reference", "2%", "3.5%", "5%", "Hague",
                                                    "Levers", "Peacekeepers"]
        assert order.label(0) == "STATUS_QUO"
        panels = order.panels()
        assert len(panels) == 6 and all(p[1][0] == 0 for p in panels)  # reference in each
        plotted = plot_allies_compliant.plot(results, tmp_path)
    assert_png(plotted.files[0])


def test_sweep_plots_the_design_points(synthetic_sweep, tmp_path):
    """Synthetic file: natosim's sweep output is not final yet; the file follows the planned
    layout (a design_point axis after scenario, one coordinate dataset per swept parameter)."""
    done = run_script("plot_sweep.py", synthetic_sweep, "-o", tmp_path, "--scenario",
                      "hague_5pct")
    assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in tmp_path.glob("*.png"))
    assert names == ["sweep_heatmap_hague_5pct.png", "sweep_lines_hague_5pct.png"]
    for path in tmp_path.glob("*.png"):
        assert_png(path)
    with Results(synthetic_sweep) as results:
        plotted = plot_sweep.plot(results, tmp_path / "in")
    x = read(synthetic_sweep, "threat_growth")
    y = read(synthetic_sweep, "us_reliability_shift")
    np.testing.assert_array_equal(plotted.data["x_values"], np.unique(x))
    np.testing.assert_array_equal(plotted.data["y_values"], np.unique(y))
    for key, variable in (("compliance", "allies_compliant"),
                          ("deterrence_failure", "deterrence_failure")):
        mean = read(synthetic_sweep, f"{variable}_mean")[:, :, -1]  # (scenario, design point)
        np.testing.assert_array_equal(plotted.data[f"{key}/design_point_mean"], mean)
        grid = plotted.data[f"{key}/grid"]  # (scenario, y, x)
        for d in range(len(x)):  # every design point is one cell of the 4 x 3 grid
            i = list(np.unique(x)).index(x[d])
            j = list(np.unique(y)).index(y[d])
            np.testing.assert_array_equal(grid[:, j, i], mean[:, d])


def test_sweep_on_a_latin_hypercube(tmp_path):
    """Synthetic Latin-hypercube sweep (40 points, no grid): scatter against each parameter with
    binned means, and a two-parameter binned view; no grid lines per sampled value."""
    path = synthetic.write(tmp_path / "lhs.h5", scenarios=("current_plans",), years=3,
                           replicates=10, attack=True, sweep="lhs", reference=None)
    with Results(path) as results:
        assert not plot_sweep.is_grid(results, results.design_parameters())
        plotted = plot_sweep.plot(results, tmp_path)
    assert sorted(p.name for p in plotted.files) == ["sweep_binned_current_plans.png",
                                                     "sweep_scatter_current_plans.png"]
    mean = read(path, "allies_compliant_mean")[:, :, -1]
    np.testing.assert_array_equal(plotted.data["compliance/design_point_mean"], mean)
    x = read(path, "threat_growth")
    counts = plotted.data["compliance/threat_growth/bin_count"]
    assert counts.sum() == len(x) and counts.min() >= 2
    # Each binned mean is the mean of the design points in its bin (bins hold x in order).
    edges = plot_sweep.bins(x, len(counts))
    index = np.clip(np.digitize(x, edges) - 1, 0, len(counts) - 1)
    for b in range(len(counts)):
        np.testing.assert_allclose(plotted.data["compliance/threat_growth/bin_mean"][b],
                                   mean[0, index == b].mean(), rtol=1e-12)
    assert plotted.data["binned/count"].sum() == len(x)
    for png in plotted.files:
        assert_png(png)


def test_sweep_file_is_refused_by_the_other_figures(synthetic_sweep, tmp_path):
    """Synthetic sweep file: a one-design-point figure says it cannot plot a sweep."""
    done = run_script("plot_allies_compliant.py", synthetic_sweep, "-o", tmp_path)
    assert_one_line_error(done)
    assert "parameter sweep" in done.stderr and "plot_sweep.py" in done.stderr


# --- clear messages --------------------------------------------------------------------------


@pytest.mark.parametrize("script, dataset", [
    ("plot_fan.py", "defence_share_quantiles"),
    ("plot_compliance_heatmap.py", "compliant_mean"),
    ("plot_allies_compliant.py", "allies_compliant_mean"),
    ("plot_spending.py", "europe_canada_spending_mean"),
    ("plot_differences.py", "allies_compliant_diff_mean"),
])
def test_missing_variable_is_one_clear_line(script, dataset, file_without_alliance_variables,
                                            tmp_path):
    """Synthetic file without the alliance variables."""
    done = run_script(script, file_without_alliance_variables, "-o", tmp_path)
    assert_one_line_error(done, f"error: {file_without_alliance_variables} has no variable "
                                f"'{dataset}' (this figure needs the alliance model's output)")


def test_differences_need_a_reference_scenario(tmp_path):
    """Synthetic file without a reference scenario."""
    path = synthetic.write(tmp_path / "noref.h5", scenarios=("a", "b"), years=3, replicates=10,
                           reference=None)
    done = run_script("plot_differences.py", path, "-o", tmp_path / "figs")
    assert_one_line_error(done)
    assert "no reference scenario" in done.stderr


def test_not_a_results_file(tmp_path):
    text = tmp_path / "notes.h5"
    text.write_text("not HDF5\n")
    assert_one_line_error(run_script("plot_fan.py", text, "-o", tmp_path), status=3)
    assert_one_line_error(run_script("plot_fan.py", tmp_path / "absent.h5", "-o", tmp_path),
                          f"error: {tmp_path / 'absent.h5'}: no such file", status=3)
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f["x"] = [1, 2, 3]
    done = run_script("plot_spending.py", other, "-o", tmp_path)
    assert_one_line_error(done, status=3)
    assert "not a natosim results file" in done.stderr


def test_unknown_scenario_and_member(natosim_results, tmp_path):
    done = run_script("plot_fan.py", natosim_results, "-o", tmp_path, "--scenario", "nope")
    assert_one_line_error(done)
    assert "no scenario 'nope'" in done.stderr and "status_quo" in done.stderr
    done = run_script("plot_fan.py", natosim_results, "-o", tmp_path, "--member", "XX")
    assert_one_line_error(done)
    assert "no member 'XX'" in done.stderr
