"""natosim sensitivity, params, run --store-draws and --set, through the toy CLI (gauss model).

The gauss model records x = mean + sd * z (z a fresh normal per year from the replicate's stream)
and trend[m] = slope * (year index + 1) + m, so which parameter drives which output is known
exactly."""
import pytest

from test_cli import toy  # the CLI over the toy models

STUDY = """[study]
name = "gs"
model = "gauss"
seed = 4
start_year = 2025
years = 3

[model]
mean = {dist = "uniform", low = 0, high = 1}
sd = 0.5
slope = 1.0

[[scenario]]
name = "base"

[sensitivity]
method = "sobol"
samples = 64
replicates = 64
bootstrap = 100

[[sensitivity.parameter]]
key = "mean"

[[sensitivity.parameter]]
key = "slope"
low = 0
high = 2

[[sensitivity.output]]
name = "x_last"
variable = "x"
year = 2027

[[sensitivity.output]]
name = "trend_bb"
variable = "trend"
member = "BB"
years = [2026, 2027]
aggregate = "last"
"""


@pytest.fixture
def study(tmp_path):
    path = tmp_path / "gs.toml"
    path.write_text(STUDY)
    return path


def open_dataset(path):
    import xarray as xr
    return xr.open_dataset(path, engine="h5netcdf")


def test_sobol_indices_find_the_only_input_of_each_output(study, tmp_path):
    out = tmp_path / "s.h5"
    result = toy("sensitivity", study, "-o", out, "--quiet")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"sensitivity: {out}"
    ds = open_dataset(out)
    assert list(ds.parameter.values) == ["mean", "slope"]
    assert list(ds.output.values) == ["x_last", "trend_bb"]
    assert list(ds.parameter_source.values) == ["prior", "range"]
    assert ds.sizes["point"] == 64 * 4
    st = ds.ST.sel
    # An input an output does not depend on leaves f(A) = f(AB_i) exactly: ST is exactly 0.
    assert st(parameter="slope", output="x_last").item() == 0.0
    assert st(parameter="mean", output="trend_bb").item() == 0.0
    # The only input: ST = 1 up to the estimator's error at N = 64 (inside its interval).
    for parameter, output in (("mean", "x_last"), ("slope", "trend_bb")):
        assert st(parameter=parameter, output=output).item() == pytest.approx(1.0, abs=0.05)
        assert ds.ST_ci_low.sel(parameter=parameter, output=output).item() <= 1.0
        assert ds.ST_ci_high.sel(parameter=parameter, output=output).item() >= 1.0
    # trend = slope * 3 + 1 at 2027: the design's values give the point means exactly.
    slope = ds.design_value.sel(parameter="slope").values
    assert ds.point_mean.sel(output="trend_bb").values == pytest.approx(3 * slope + 1, abs=1e-12)
    assert (ds.design_unit.values > 0).all() and (ds.design_unit.values < 1).all()


def test_noise_share_is_replicate_variance_over_total_variance(study, tmp_path):
    import numpy as np
    out = tmp_path / "s.h5"
    assert toy("sensitivity", study, "-o", out, "--quiet").returncode == 0
    ds = open_dataset(out)
    k = int(ds.attrs["replicates"])
    sd = ds.point_sd.sel(output="x_last").values
    # Common random numbers: every point sees the same 64 normal draws, so the same spread.
    assert np.ptp(sd) < 1e-12
    mean = ds.point_mean.sel(output="x_last").values
    n = mean.size * k
    total = ((k - 1) * (sd ** 2).sum() + k * ((mean - mean.mean()) ** 2).sum()) / (n - 1)
    share = ds.noise_share.sel(output="x_last").item()
    assert share == pytest.approx((sd ** 2).mean() / total, rel=1e-12)
    # Analytic: 0.25 / (1/12 + 0.25) = 0.75; the within-point variance is 0.25 s^2(z) over the
    # same 64 draws (relative sd sqrt(2/63) = 0.18), so +-2.5 sd of s^2 maps to [0.62, 0.83].
    assert 0.62 < share < 0.83
    assert ds.noise_share.sel(output="trend_bb").item() == 0.0


def test_sensitivity_file_is_bit_identical_for_1_and_2_threads(study, tmp_path):
    import h5py
    import numpy as np
    files = []
    for threads in (1, 2):
        out = tmp_path / f"t{threads}.h5"
        result = toy("sensitivity", study, "-o", out, "--quiet", "--threads", threads)
        assert result.returncode == 0, result.stderr
        files.append(h5py.File(out, "r"))
    names = []
    files[0].visit(names.append)
    assert "S1" in names and "point_mean" in names
    for name in names:
        a, b = files[0][name][()], files[1][name][()]
        if a.dtype.kind == "f":
            assert np.array_equal(a.view(np.uint64), b.view(np.uint64)), name
        else:
            assert np.array_equal(a, b), name


def test_morris_screening_gives_zero_for_an_input_an_output_ignores(study, tmp_path):
    out = tmp_path / "m.h5"
    result = toy("sensitivity", study, "-o", out, "--quiet", "--set", 'sensitivity.method="morris"',
                 "--set", "sensitivity.samples=10", "--set", "sensitivity.candidates=30")
    assert result.returncode == 0, result.stderr
    ds = open_dataset(out)
    assert ds.attrs["method"] == "morris"
    assert ds.mu_star.sel(parameter="slope", output="x_last").item() == 0.0
    # trend_bb = 3 slope + 1 with slope on [0, 2]: effect per unit of probability is 6 exactly.
    assert ds.mu.sel(parameter="slope", output="trend_bb").item() == pytest.approx(6.0)
    assert ds.sigma.sel(parameter="slope", output="trend_bb").item() == pytest.approx(0, abs=1e-9)


def test_dry_run_prints_the_plan_and_writes_nothing(study, tmp_path):
    result = toy("sensitivity", study, "-o", tmp_path / "s.h5", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "256 design points x 64 replicates = 16384 runs of 3 years" in result.stderr
    assert "memory:" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gs.toml"]


BAD = [
    ('sensitivity.parameter=[{key="meen"}]',
     "sensitivity.parameter[0].key: unknown parameter, got \"meen\" (expected a [model] key the "
     "'gauss' model reads in scenario 'base' (see natosim params))"),
    ('sensitivity.parameter=[{key="slope",low=2,high=1}]',
     "sensitivity.parameter[0].high: empty range, got 1 (expected a number > low = 2)"),
    ("sensitivity.samples=100",
     "sensitivity.samples: not a power of two, got 100 (expected a power of two such as 128 for "
     "Saltelli sampling)"),
    ('sensitivity.output=[{name="a",variable="y",year=2025}]',
     "sensitivity.output[0].variable: unknown variable, got \"y\" (expected one of: trend, x)"),
    ('sensitivity.output=[{name="a",variable="x",year=2030}]',
     "sensitivity.output[0].year: out of range, got 2030 (expected an integer in [2025, 2027])"),
    ('sensitivity.parameter=[{key="slope",low=0,high=1},{key="slope",low=0,high=1}]',
     "sensitivity.parameter[1].key: parameter listed twice, got \"slope\" (expected each key "
     "once)"),
    ('sensitivity.method="fast"',
     "sensitivity.method: unknown value, got \"fast\" (expected one of \"sobol\", \"morris\")"),
    ('sensitivity.parameter=[{key="sd"}]',
     "sensitivity.parameter[0].key: no range and no prior, got \"sd\" fixed at 0.5 in scenario "
     "'base' (expected low and high, a distribution, or a distribution for the key in [model])"),
    ('sensitivity.parameter=[{key="sd",low=-1,high=1}]',
     "model.sd: out of range (set by [sensitivity] at the design's extreme values), got "
     "-0.9720441710669547 (expected a number > 0)"),
    ("model.sd=-1",
     "model.sd: out of range (set by scenario 'base'), got -1 (expected a number > 0)"),
    ('sensitivity.scenario="nope"',
     "sensitivity.scenario: unknown value, got \"nope\" (expected one of \"base\")"),
    ("sensitivity.replicates=[1",
     "sensitivity.replicates: value is not TOML, got \"[1\" (expected a TOML value such as 0.3, "
     "true, \"text\", [1, 2] or {a = 1})"),
]


@pytest.mark.parametrize("override,message", BAD)
def test_bad_sensitivity_input_exits_2_with_one_line_and_writes_nothing(study, tmp_path, override,
                                                                       message):
    result = toy("sensitivity", study, "-o", tmp_path / "s.h5", "--set", override)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"--set {override}: {message}"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gs.toml"]


def test_bad_input_in_the_file_is_placed_at_its_line(study, tmp_path):
    study.write_text(STUDY.replace("samples = 64", "samples = 48"))
    result = toy("sensitivity", study, "-o", tmp_path / "s.h5")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"{study}:18:11: sensitivity.samples: not a power of two, got 48 (expected a power of "
        "two such as 64 for Saltelli sampling)"]
    study.write_text(STUDY.split("[sensitivity]")[0])
    result = toy("sensitivity", study, "-o", tmp_path / "s.h5")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"{study}: sensitivity: missing table, got nothing (expected a [sensitivity] table with "
        "method, samples, [[sensitivity.parameter]] and [[sensitivity.output]] blocks)"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gs.toml"]


def test_malformed_set_names_the_flag_for_run_and_sweep(study, tmp_path):
    for command in ("run", "sweep"):
        result = toy(command, study, "-o", tmp_path / "r.h5", "--set", "sd")
        assert result.returncode == 2
        assert result.stderr.strip().splitlines() == [
            "--set sd: malformed override, got \"sd\" (expected KEY=VALUE with a dotted key of "
            "letters, digits, '_' or '-' and a TOML value, e.g. model.economy.volatility=0.3)"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gs.toml"]


def test_set_changes_the_run_like_editing_the_file(study, tmp_path):
    import h5py
    import numpy as np
    edited = tmp_path / "edited.toml"
    edited.write_text(STUDY.replace("sd = 0.5", "sd = 2.0").replace("seed = 4", "seed = 9"))
    a, b = tmp_path / "a.h5", tmp_path / "b.h5"
    assert toy("run", study, "-o", a, "-q", "--replicates", 20, "--set", "model.sd=2.0",
               "--set", "study.seed=9").returncode == 0
    assert toy("run", edited, "-o", b, "-q", "--replicates", 20).returncode == 0
    with h5py.File(a, "r") as fa, h5py.File(b, "r") as fb:
        assert np.array_equal(fa["x_mean"][()], fb["x_mean"][()])
        assert "--set model.sd=2.0" in fa.attrs["command_line"]


def test_store_draws_writes_the_value_each_replicate_drew(study, tmp_path):
    import numpy as np
    study.write_text(STUDY.replace("sd = 0.5", "sd = 1e-9"))
    out = tmp_path / "d.h5"
    result = toy("run", study, "-o", out, "-q", "--replicates", 40, "--store-draws",
                 "--trajectories")
    assert result.returncode == 0, result.stderr
    ds = open_dataset(out)
    assert ds.draw_mean.dims == ("replicate",)
    assert ds.draw_mean.attrs["key"] == "mean"
    assert ds.draw_mean.attrs["distribution"] == "uniform(low=0, high=1)"
    # x = mean + 1e-9 z: the recorded trajectory is the draw.
    x = ds.x.sel(scenario="base").isel(year=0).values
    assert np.abs(x - ds.draw_mean.values).max() < 1e-7
    assert "draw_sd" not in ds  # fixed parameters are not draws


def test_store_draws_is_per_scenario_when_scenarios_draw_differently(study, tmp_path):
    study.write_text(STUDY.replace('name = "base"\n', 'name = "base"\n\n[[scenario]]\nname = '
                                   '"wide"\n[scenario.set]\nmean = {dist = "uniform", low = 0, '
                                   'high = 5}\n'))
    out = tmp_path / "d.h5"
    assert toy("run", study, "-o", out, "-q", "--replicates", 30, "--store-draws").returncode == 0
    ds = open_dataset(out)
    assert ds.draw_mean.dims == ("scenario", "replicate")
    base, wide = ds.draw_mean.sel(scenario="base").values, ds.draw_mean.sel(scenario="wide").values
    # The same uniform stream scaled: common random numbers across scenarios.
    assert wide == pytest.approx(5 * base, rel=1e-12)


def test_params_lists_values_ranges_and_documented_descriptions(study, tmp_path):
    import json
    doc = tmp_path / "MODEL.md"
    doc.write_text("| key | unit | default | plausible | source |\n|---|---|---|---|---|\n"
                   "| **[model]** | | | | |\n| `sd`, `slope` | 1 | 1 | 0-2 | toy |\n")
    result = toy("params", study, "--doc", doc, "--json")
    assert result.returncode == 0, result.stderr
    rows = {p["key"]: p for p in json.loads(result.stdout)["parameters"]}
    assert rows["model.mean"]["value"] == "uniform(low=0, high=1)"
    assert rows["model.mean"]["uncertain"] is True
    assert rows["model.mean"]["description"] == ""
    assert rows["model.sd"] == {"key": "model.sd", "value": "0.5", "uncertain": False,
                                "range": "a number > 0",
                                "description": "unit: 1; plausible: 0-2; source: toy"}
    text = toy("params", study, "--doc", doc)
    assert text.returncode == 0
    assert "model.slope" in text.stdout and "source: toy" in text.stdout


def test_noise_share_of_means_compares_noise_over_k_with_the_means_variance(study, tmp_path):
    out = tmp_path / "s.h5"
    assert toy("sensitivity", study, "-o", out, "--quiet").returncode == 0
    ds = open_dataset(out)
    k = int(ds.attrs["replicates"])
    sd = ds.point_sd.sel(output="x_last").values
    mean = ds.point_mean.sel(output="x_last").values
    expected = (sd ** 2).mean() / k / mean.var(ddof=1)
    assert ds.noise_share_of_means.sel(output="x_last").item() == pytest.approx(expected, rel=1e-9)
    assert ds.noise_share_of_means.sel(output="trend_bb").item() == 0.0


def test_second_order_adds_s2_over_parameter_pairs(study, tmp_path):
    import numpy as np
    out = tmp_path / "s2.h5"
    result = toy("sensitivity", study, "-o", out, "--quiet", "--set",
                 "sensitivity.second_order=true")
    assert result.returncode == 0, result.stderr
    ds = open_dataset(out)
    assert ds.S2.dims == ("parameter", "parameter_2", "output")
    assert ds.sizes["point"] == 64 * (2 * 2 + 2)
    # mean and slope never act on the same output: no interaction (estimator error at N = 64).
    assert abs(ds.S2.sel(parameter="mean", parameter_2="slope", output="x_last").item()) < 0.1
    assert np.isnan(ds.S2.sel(parameter="slope", parameter_2="mean", output="x_last").item())


def test_validate_checks_the_sensitivity_table(study, tmp_path):
    result = toy("validate", study)
    assert result.returncode == 0, result.stderr
    assert ("  sensitivity: Sobol of scenario 'base', 2 parameters x 2 outputs, 256 design points "
            "x 64 replicates") in result.stdout.splitlines()
    study.write_text(STUDY.replace("samples = 64", "samples = 48"))
    result = toy("validate", study)
    assert result.returncode == 2
    assert "sensitivity.samples: not a power of two, got 48" in result.stderr


def test_all_uncertain_adds_every_distribution_after_the_listed_parameters(study, tmp_path):
    out = tmp_path / "s.h5"
    result = toy("sensitivity", study, "-o", out, "--quiet", "--set",
                 'sensitivity.parameter=[{key="slope",low=0,high=2}]', "--set",
                 "sensitivity.all_uncertain=true")
    assert result.returncode == 0, result.stderr
    ds = open_dataset(out)
    assert list(ds.parameter.values) == ["slope", "mean"]
    assert list(ds.parameter_source.values) == ["range", "prior"]
    # Without blocks and without distributions there is nothing to analyse.
    text = STUDY.replace('mean = {dist = "uniform", low = 0, high = 1}', "mean = 0.5")
    text = text.replace('[[sensitivity.parameter]]\nkey = "mean"\n\n', "").replace(
        '[[sensitivity.parameter]]\nkey = "slope"\nlow = 0\nhigh = 2\n\n', "all_uncertain = true\n\n")
    study.write_text(text)
    result = toy("sensitivity", study, "-o", tmp_path / "t.h5")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"{study}:16:1: sensitivity.parameter: no parameters, got none (expected at least one "
        "[[sensitivity.parameter]], or all_uncertain = true with a model that has distributions)"]
    assert not (tmp_path / "t.h5").exists()
