"""natosim calibrate through the CLI built over the toy models (tests/sim/toy_cli_main.cpp):
files, determinism, resume after kill -9, bad input, and studies drawing from a posterior."""
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

BUILD = Path(os.environ.get("NATOSIM_BUILD_DIR", "build/ci")).resolve()
TOY_CLI = BUILD / "tests" / "sim" / "natosim_toy_cli"

CALIBRATION = """[study]
name = "gauss_calibration"
model = "gauss"
seed = 4
start_year = 2020
years = 10

[model]
sd = 1.0

[calibration]
population = 300
replicates = 4
max_generations = 4
common_random_numbers = false

[[calibration.parameter]]
key = "mean"
prior = {dist = "normal", mean = 0.0, sd = 2.0, lower = -20, upper = 20}

[[calibration.parameter]]
key = "slope"
prior = {dist = "uniform", low = 0.0, high = 3.0}

[[calibration.target]]
variable = "x"
years = [2020, 2029]
value = 0.8

[[calibration.target]]
file = "trend.csv"
variable = "trend"
scale = 2
"""

TREND_CSV = "iso2,year,value\nAA,2022,4.5\nBB,2025,10.0\n"


def toy(*args, **kwargs):
    return subprocess.run([str(TOY_CLI), *map(str, args)], capture_output=True, text=True,
                          timeout=300, **kwargs)


def write_study(folder, text=CALIBRATION, name="cal.toml"):
    (folder / "trend.csv").write_text(TREND_CSV)
    path = folder / name
    path.write_text(text)
    return path


def datasets(path):
    """Every dataset of a file as numpy arrays (attributes such as created_utc excluded)."""
    with h5py.File(path, "r") as f:
        return {name: f[name][()] for name in f.keys()}


def assert_same_datasets(a, b):
    first, second = datasets(a), datasets(b)
    assert sorted(first) == sorted(second)
    for name in first:
        assert np.array_equal(first[name], second[name], equal_nan=first[name].dtype.kind == "f"), \
            name


@pytest.fixture(scope="module")
def calibration_file(tmp_path_factory):
    folder = tmp_path_factory.mktemp("calibration")
    study = write_study(folder)
    out = folder / "cal.h5"
    result = toy("calibrate", study, "-o", out, "--threads", 2)
    assert result.returncode == 0, result.stderr
    return out, result


def test_calibrate_writes_a_file_that_xarray_opens(calibration_file):
    import xarray as xr
    out, result = calibration_file
    assert result.stdout == f"calibration: {out}\n"
    assert not Path(str(out) + ".partial").exists()
    assert not Path(str(out) + ".checkpoint").exists()
    lines = [line for line in result.stderr.splitlines() if line.startswith("generation ")]
    assert len(lines) == 4
    for word in ("tolerance", "acceptance", "ESS", "simulations", "ETA"):
        assert word in lines[-1]
    with xr.open_dataset(out) as ds:
        assert dict(ds.sizes) == {"generation": 4, "particle": 300, "parameter": 2, "target": 3}
        assert list(ds["parameter"].values) == ["mean", "slope"]
        assert list(ds["target"].values) == ["x@2020-2029:mean", "trend[AA]@2022", "trend[BB]@2025"]
        assert ds["particles"].dims == ("generation", "particle", "parameter")
        assert ds["simulated"].dims == ("generation", "particle", "target")
        assert np.allclose(ds["weights"].sum("particle"), 1.0)
        assert np.isinf(ds["tolerance"][0])
        tolerance = ds["tolerance"].values[1:]
        assert np.all(np.diff(tolerance) < 0)
        # Accepted particles respect their generation's tolerance.
        for g in range(1, 4):
            assert np.all(ds["distances"][g] <= ds["tolerance"][g])
        assert np.array_equal(ds["posterior_particles"], ds["particles"][-1])
        assert list(ds["observed"].values) == [0.8, 4.5, 10.0]
        assert list(ds["target_scale"].values) == [1.0, 2.0, 2.0]
        assert ds.attrs["file_type"] == "natosim_calibration"
        assert ds.attrs["stop_reason"] == "max_generations"
        assert ds.attrs["model"] == "gauss"
        assert "[calibration]" in ds.attrs["config_text"]
        assert len(ds.attrs["config_sha256"]) == 64
        # The trend targets fix slope: trend[AA]@2022 = 3 slope, trend[BB]@2025 = 6 slope + 1.
        slope = np.average(ds["particles"][-1, :, 1], weights=ds["weights"][-1])
        assert abs(slope - 1.5) < 0.1


def test_info_describes_a_calibration_file(calibration_file):
    out, _ = calibration_file
    text = toy("info", out)
    assert text.returncode == 0, text.stderr
    assert text.stdout.startswith(f"natosim calibration file {out}\n")
    for fact in ("gauss_calibration", "max_generations", "mean", "slope", "trend[BB]@2025",
                 "uniform(low=0, high=3)"):
        assert fact in text.stdout
    parsed = json.loads(toy("info", out, "--json").stdout)
    assert parsed["file_type"] == "natosim_calibration"
    assert parsed["generations"] == 4 and parsed["population"] == 300
    assert [p["key"] for p in parsed["parameters"]] == ["mean", "slope"]
    assert parsed["tolerance"][0] is None


def test_calibration_is_bit_identical_for_1_and_2_threads(tmp_path, calibration_file):
    study = write_study(tmp_path)
    out = tmp_path / "one.h5"
    assert toy("calibrate", study, "-o", out, "--threads", 1, "-q").returncode == 0
    assert_same_datasets(out, calibration_file[0])


def test_existing_output_or_checkpoint_is_kept_without_force(tmp_path):
    study = write_study(tmp_path)
    out = tmp_path / "o.h5"
    out.write_text("keep")
    result = toy("calibrate", study, "-o", out, "-q")
    assert result.returncode == 3
    assert result.stderr == f"error: {out} exists; pass --force to overwrite it\n"
    assert out.read_text() == "keep"
    out.unlink()
    checkpoint = Path(str(out) + ".checkpoint")
    checkpoint.write_text("old")
    result = toy("calibrate", study, "-o", out, "-q")
    assert result.returncode == 3
    assert "pass --resume to continue it or --force to start over" in result.stderr
    assert not out.exists()


SLOW = CALIBRATION.replace("population = 300", "population = 3000").replace(
    "replicates = 4", "replicates = 16").replace("max_generations = 4", "max_generations = 7") \
    .replace("years = 10", "years = 40").replace("years = [2020, 2029]", "years = [2020, 2059]")


def test_resume_after_kill_9_ends_bit_identical_to_an_uninterrupted_run(tmp_path):
    study = write_study(tmp_path, SLOW)
    whole = tmp_path / "whole.h5"
    assert toy("calibrate", study, "-o", whole, "-q").returncode == 0
    out = tmp_path / "o.h5"
    checkpoint = Path(str(out) + ".checkpoint")
    process = subprocess.Popen([str(TOY_CLI), "calibrate", str(study), "-o", str(out), "-q"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while not checkpoint.exists() and time.time() < deadline and process.poll() is None:
        time.sleep(0.002)
    assert process.poll() is None, "the calibration finished before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)
    assert not out.exists()
    with h5py.File(checkpoint, "r") as f:
        finished = f["generation"].shape[0]
        assert f.attrs["stop_reason"] == ""
    assert 1 <= finished < 7
    result = toy("calibrate", study, "-o", out, "--resume")
    assert result.returncode == 0, result.stderr
    assert f"resuming after generation {finished - 1}" in result.stderr
    assert not checkpoint.exists()
    assert_same_datasets(out, whole)


def random_walk_calibration(folder, key, prior):
    text = f"""[study]
model = "random_walk"
seed = 2
years = 5

[model]
members = 2

[calibration]
population = 20
replicates = 2
max_generations = 1

[[calibration.parameter]]
key = "{key}"
prior = {prior}

[[calibration.target]]
variable = "total"
year = 2027
value = 1.0
"""
    study = folder / f"rw_{key}.toml"
    study.write_text(text)
    out = folder / f"rw_{key}.h5"
    result = toy("calibrate", study, "-o", out, "-q")
    assert result.returncode == 0, result.stderr
    return out


BASE = CALIBRATION.replace("population = 300", "population = 20").replace(
    "max_generations = 4", "max_generations = 1")

BAD_CALIBRATIONS = [
    ("unknown parameter", ('key = "mean"', 'key = "meen"'),
     "cal.toml:19:9: model.meen: unknown key (at the centre of the prior), got 0 (expected one "
     "of: mean, sd, slope)"),
    ("prior outside the valid range",
     ('prior = {dist = "uniform", low = 0.0, high = 3.0}',
      'prior = {dist = "uniform", low = 0.0, high = 150.0}'),
     "cal.toml:23:9: model.slope: out of range (at the high end of the prior's support), got 150 "
     "(expected a number in [-100, 100])"),
    ("unbounded prior on a bounded parameter", (", lower = -20, upper = 20}", "}"),
     "cal.toml:19:9: model.mean: out of range (at the low end of the prior's support), got "
     "-1e+300 (expected a number in [-1000, 1000])"),
    ("a fixed number as prior",
     ('prior = {dist = "uniform", low = 0.0, high = 3.0}', "prior = 1.5"),
     "cal.toml:23:9: calibration.parameter[1].prior: a calibrated parameter needs a prior "
     "distribution, got 1.5 (expected a table such as {dist = \"uniform\", low = 0, high = 1})"),
    ("parameter twice", ('key = "slope"', 'key = "mean"'),
     "cal.toml:22:7: calibration.parameter[1].key: parameter calibrated twice, got \"mean\" "
     "(expected each key once)"),
    ("unknown variable", ('variable = "x"', 'variable = "y"'),
     "cal.toml:26:12: calibration.target[0].variable: unknown variable, got \"y\" (expected one "
     "of: trend, x)"),
    ("year outside the study", ("years = [2020, 2029]", "years = [2020, 2031]"),
     "cal.toml:27:9: calibration.target[0].years[1]: out of range, got 2031 (expected a number "
     "in [2020, 2029])"),
    ("unknown member inline", ('variable = "x"\nyears = [2020, 2029]',
                               'variable = "trend"\nmember = "ZZ"\nyear = 2021'),
     "cal.toml:27:10: calibration.target[0].member: unknown member, got \"ZZ\" (expected one of: "
     "AA, BB)"),
    ("unknown member in the target file", ("trend.csv", "unknown.csv"),
     "./unknown.csv:3: member: unknown member, got \"QQ\" (expected one of: AA, BB)"),
    ("year outside the study in the target file", ("trend.csv", "late.csv"),
     "./late.csv:2: year: year outside the study, got 2035 (expected a year in 2020-2029)"),
    ("empty target file", ("trend.csv", "empty.csv"),
     "./empty.csv:1: header: no data rows, got a header line only (expected one or more data "
     "rows under the header)"),
    ("target file without the columns", ("trend.csv", "columns.csv"),
     "./columns.csv:1: header: missing columns, got \"country,yr,v\" (expected columns iso2 "
     "(or member), year and value)"),
    ("unknown distance", ("[calibration]", "[calibration]\ndistance = \"max\""),
     "cal.toml:12:12: calibration.distance: unknown value, got \"max\" (expected one of \"mae\", "
     "\"rmse\")"),
]


@pytest.mark.parametrize("name,change,message", BAD_CALIBRATIONS,
                         ids=[case[0] for case in BAD_CALIBRATIONS])
def test_bad_calibration_input_is_one_line_exit_2_and_nothing_written(tmp_path, name, change,
                                                                      message):
    study = write_study(tmp_path, BASE.replace(*change))
    (tmp_path / "unknown.csv").write_text("iso2,year,value\nAA,2022,4.5\nQQ,2023,1\n")
    (tmp_path / "late.csv").write_text("iso2,year,value\nAA,2035,4.5\n")
    (tmp_path / "empty.csv").write_text("iso2,year,value\n")
    (tmp_path / "columns.csv").write_text("country,yr,v\nAA,2022,4.5\n")
    assert BASE.replace(*change) != BASE
    out = tmp_path / "o.h5"
    result = toy("calibrate", study.name, "-o", out.name, "-q", cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr == message + "\n"
    assert result.stdout == ""
    assert not out.exists()
    assert not Path(str(out) + ".partial").exists()
    assert not Path(str(out) + ".checkpoint").exists()


POSTERIOR_STUDY = """[study]
model = "gauss"
seed = 9
replicates = 4000
start_year = 2020
years = 2

[model]
posterior = "cal.h5"
sd = 1e-9
"""


@pytest.fixture(scope="module")
def posterior_folder(calibration_file):
    return calibration_file[0].parent


def test_a_study_on_the_posterior_is_bit_identical_for_1_and_2_threads(posterior_folder):
    study = posterior_folder / "posterior.toml"
    study.write_text(POSTERIOR_STUDY)
    outs = []
    for threads in (1, 2):
        out = posterior_folder / f"posterior{threads}.h5"
        result = toy("run", study, "-o", out, "--threads", threads, "--trajectories", "--force",
                     "-q")
        assert result.returncode == 0, result.stderr
        outs.append(out)
    assert_same_datasets(*outs)


def test_replicates_draw_whole_particles_by_posterior_weight(posterior_folder):
    """Each replicate takes (mean, slope) from one particle, chosen with the particle's weight.

    With sd = 1e-9, x is the drawn mean and trend[AA] in the first year is the drawn slope.
    The particles are cut into 10 groups of about equal total weight; the replicates' counts per
    group are multinomial, and a chi-square over 9 degrees of freedom above 27.9 (p = 0.001)
    fails the test.
    """
    study = posterior_folder / "posterior_draws.toml"
    study.write_text(POSTERIOR_STUDY)
    out = posterior_folder / "posterior_draws.h5"
    result = toy("run", study, "-o", out, "--trajectories", "--force", "-q")
    assert result.returncode == 0, result.stderr
    with h5py.File(posterior_folder / "cal.h5", "r") as f:
        particles = f["posterior_particles"][()]
        weights = f["posterior_weights"][()]
    with h5py.File(out, "r") as f:
        mean = f["x"][0, :, 0]
        slope = f["trend"][0, :, 0, 0]
    # Each (mean, slope) pair is one particle's: the nearest particle matches both values.
    chosen = []
    for m, s in zip(mean, slope):
        i = int(np.argmin(np.abs(particles[:, 1] - s) + np.abs(particles[:, 0] - m)))
        assert particles[i, 1] == s
        assert abs(particles[i, 0] - m) < 1e-6
        chosen.append(i)
    cumulative = np.cumsum(weights)
    groups = np.minimum((cumulative - weights / 2) * 10, 9.999).astype(int)
    expected = np.array([weights[groups == g].sum() for g in range(10)]) * len(chosen)
    observed = np.bincount(groups[np.array(chosen)], minlength=10)
    chi_square = float(((observed - expected) ** 2 / expected).sum())
    assert chi_square < 27.9, (observed, expected)


def test_posterior_from_another_model_or_with_other_keys_is_refused(tmp_path,
                                                                    calibration_file):
    walk = random_walk_calibration(tmp_path, "drift",
                                   '{dist = "uniform", low = 0.0, high = 1.0}')
    volatility = random_walk_calibration(tmp_path, "volatility",
                                         '{dist = "uniform", low = 0.5, high = 1.0}')
    # A checkpoint (no stop reason yet), and a posterior whose weights miss a particle: the
    # run reads only the final generation's datasets, and still checks them.
    checkpoint = tmp_path / "checkpoint.h5"
    shutil.copy(calibration_file[0], checkpoint)
    with h5py.File(checkpoint, "r+") as f:
        f.attrs["stop_reason"] = ""
    short = tmp_path / "short.h5"
    shutil.copy(calibration_file[0], short)
    with h5py.File(short, "r+") as f:
        weights = f["posterior_weights"][()]
        del f["posterior_weights"]
        f["posterior_weights"] = weights[:-1]
    cases = [
        (POSTERIOR_STUDY.replace('"cal.h5"', '"checkpoint.h5"'),
         "./checkpoint.h5: calibration did not finish (a checkpoint, not a posterior)"),
        (POSTERIOR_STUDY.replace('"cal.h5"', '"short.h5"'),
         "./short.h5: malformed calibration file (dataset shapes disagree)"),
        (POSTERIOR_STUDY.replace('"cal.h5"', f'"{walk.name}"'),
         f"./{walk.name}: posterior calibrated for model 'random_walk', not 'gauss'"),
        ("[study]\nmodel = \"random_walk\"\nreplicates = 5\n\n[model]\nposterior = "
         f"\"{volatility.name}\"\n",
         f"./{volatility.name}: posterior parameter 'volatility' is not an uncertain parameter "
         "of model 'random_walk' (the model does not read it, or reads it as a fixed number)"),
        (POSTERIOR_STUDY.replace('"cal.h5"', '"rw_drift.toml"'),
         "./rw_drift.toml: not a natosim calibration file (expected the output of natosim "
         "calibrate)"),
        (POSTERIOR_STUDY.replace('"cal.h5"', '"missing.h5"'),
         'study.toml:9:13: model.posterior: no such calibration file, got "missing.h5" '
         "(expected a file written by `natosim calibrate` (relative paths start at the "
         "config's folder .))"),
        (POSTERIOR_STUDY.replace('"cal.h5"', 'true'),
         "study.toml:9:13: model.posterior: wrong type, got true (expected the path of a natosim "
         "calibration file, or false for the priors as written)"),
    ]
    for text, message in cases:
        study = tmp_path / "study.toml"
        study.write_text(text)
        out = tmp_path / "out.h5"
        result = toy("run", study.name, "-o", out.name, "-q", cwd=tmp_path)
        assert result.returncode == 2, result.stderr
        assert result.stderr == message + "\n"
        assert not out.exists()


SOURCE = Path(os.environ.get("NATOSIM_SOURCE_DIR", ".")).resolve()
PLOT = SOURCE / "scripts" / "plot_calibration.py"


def calibration_module():
    import sys
    sys.path.insert(0, str(SOURCE / "scripts"))
    from natosim_plot import calibration
    return calibration


def test_plot_calibration_writes_the_four_figures(calibration_file, tmp_path):
    out, _ = calibration_file
    result = subprocess.run(["/usr/bin/python3", str(PLOT), str(out), "-o", str(tmp_path)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    names = sorted(Path(line).name for line in result.stdout.split())
    assert names == ["calibration_generations.png", "calibration_marginals.png",
                     "calibration_pairs.png", "calibration_predictive.png"]
    for name in names:
        assert (tmp_path / name).stat().st_size > 10000


def test_calibration_figures_draw_the_numbers_in_the_file(calibration_file, tmp_path):
    calibration = calibration_module()
    out, _ = calibration_file
    plotted = calibration.plot_all(out, tmp_path)
    with h5py.File(out, "r") as f:
        particles, weights = f["particles"][()], f["weights"][()]
        simulated, observed = f["simulated"][()], f["observed"][()]
        for name in ("tolerance", "acceptance_rate", "ess"):
            assert np.array_equal(plotted.data[f"generations/{name}"], f[name][()])
    for k, name in enumerate(("mean", "slope")):
        edges = plotted.data[f"marginals/{name}/edges"]
        expected, _ = np.histogram(particles[-1, :, k], bins=edges, weights=weights[-1],
                                   density=True)
        assert np.array_equal(plotted.data[f"marginals/{name}/posterior_density"], expected)
        prior, _ = np.histogram(particles[0, :, k], bins=edges, density=True)
        assert np.array_equal(plotted.data[f"marginals/{name}/prior_density"], prior)
    assert np.allclose(plotted.data["pairs/mean"], weights[-1] @ particles[-1])
    # Posterior predictive: weighted 5/50/95% quantiles of each target's simulated summary.
    for t in range(len(observed)):
        order = np.argsort(simulated[-1, :, t], kind="stable")
        cumulative = np.cumsum(weights[-1][order])
        median = simulated[-1, order[np.searchsorted(cumulative, 0.5 * cumulative[-1])], t]
        assert plotted.data["predictive/posterior_quantiles"][t, 1] == median
    assert np.array_equal(plotted.data["predictive/observed"], observed)


def test_calibration_section_is_an_html_fragment_with_its_figures(calibration_file, tmp_path):
    calibration = calibration_module()
    out, _ = calibration_file
    fragment = calibration.calibration_section(out, tmp_path / "report")
    assert fragment.startswith("<h2>Calibration: gauss_calibration</h2>")
    for text in ("<table>", "<td>mean</td>", "<td>slope</td>", "uniform(low=0, high=3)",
                 'src="calibration_marginals.png"'):
        assert text in fragment
    assert (tmp_path / "report" / "calibration_pairs.png").exists()


def test_plot_calibration_refuses_a_results_file(tmp_path):
    study = tmp_path / "s.toml"
    study.write_text('[study]\nmodel = "gauss"\nreplicates = 3\nyears = 2\n[model]\n')
    results = tmp_path / "r.h5"
    assert toy("run", study, "-o", results, "-q").returncode == 0
    result = subprocess.run(["/usr/bin/python3", str(PLOT), str(results), "-o", str(tmp_path)],
                            capture_output=True, text=True, timeout=300)
    # natosim's own message for a file that is not a calibration file (read_calibration), and
    # its exit status for a refused file.
    assert result.returncode == 3
    assert result.stderr == (f"error: {results}: not a natosim calibration file (no root "
                             "attribute file_type = \"natosim_calibration\")\n")


def test_calibrate_has_help_for_every_flag():
    result = toy("calibrate", "--help")
    assert result.returncode == 0
    for flag in ("--output", "--threads", "--seed", "--resume", "--force", "--quiet"):
        assert flag in result.stdout


def test_validate_checks_the_calibration_table(tmp_path):
    study = write_study(tmp_path)
    result = toy("validate", study)
    assert result.returncode == 0, result.stderr
    assert "calibration: 2 parameters (mean, slope), 3 targets" in result.stdout
    study.write_text(CALIBRATION.replace('key = "mean"', 'key = "meen"'))
    result = toy("validate", study)
    assert result.returncode == 2
    assert result.stderr.startswith(f"{study}:19:9: model.meen: unknown key")


def test_interrupt_keeps_the_checkpoint_and_says_how_to_resume(tmp_path):
    study = write_study(tmp_path, SLOW)
    out = tmp_path / "o.h5"
    checkpoint = Path(str(out) + ".checkpoint")
    process = subprocess.Popen([str(TOY_CLI), "calibrate", str(study), "-o", str(out), "-q"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while not checkpoint.exists() and time.time() < deadline and process.poll() is None:
        time.sleep(0.002)
    assert process.poll() is None, "the calibration finished before it could be interrupted"
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert f"the finished generations are kept in {checkpoint}; continue with --resume" in stderr
    assert checkpoint.exists()
    assert not out.exists()
    assert not Path(str(out) + ".partial").exists()


def test_a_sweep_value_beats_the_posterior_for_its_key(posterior_folder):
    """A design point's number for a posterior key is used as set; the other posterior keys are
    still drawn (here `mean`, so x varies across replicates)."""
    study = posterior_folder / "posterior_sweep.toml"
    study.write_text(POSTERIOR_STUDY.replace("replicates = 4000", "replicates = 50") + """
[sweep]
design = "grid"
[[sweep.parameter]]
key = "slope"
values = [0.5, 2.0]
""")
    out = posterior_folder / "posterior_sweep.h5"
    result = toy("sweep", study, "-o", out, "--trajectories", "--force", "-q")
    assert result.returncode == 0, result.stderr
    with h5py.File(out, "r") as f:
        trend = f["trend"][()]  # (design_point, replicate, year, member)
        x = f["x"][()]
    assert np.all(trend[0, :, 0, 0] == 0.5)
    assert np.all(trend[1, :, 0, 0] == 2.0)
    assert np.std(x[0, :, 0]) > 0.1


def test_a_scenario_value_beats_the_posterior_and_false_restores_the_priors(posterior_folder):
    """A counterfactual that sets a posterior key (e.g. an event's size to 0) gets exactly its
    value while the other keys are still drawn; `posterior = false` gives the written values."""
    study = posterior_folder / "posterior_scenarios.toml"
    study.write_text(POSTERIOR_STUDY.replace("replicates = 4000", "replicates = 50") + """
[[scenario]]
name = "drawn"

[[scenario]]
name = "slope_set"
[scenario.set]
slope = 0.25

[[scenario]]
name = "priors"
[scenario.set]
posterior = false
""")
    out = posterior_folder / "posterior_scenarios.h5"
    result = toy("run", study, "-o", out, "--trajectories", "--force", "-q")
    assert result.returncode == 0, result.stderr
    with h5py.File(out, "r") as f:
        trend = f["trend"][()]  # (scenario, replicate, year, member)
        x = f["x"][()]
    assert np.std(trend[0, :, 0, 0]) > 0.01
    assert np.all(trend[1, :, 0, 0] == 0.25)
    # `mean` is still drawn, from the same particle per replicate (common random numbers).
    assert np.array_equal(x[1, :, 0], x[0, :, 0])
    assert np.std(x[1, :, 0]) > 0.1
    # The written values: mean and slope default to 0, sd 1e-9.
    assert np.all(trend[2, :, 0, 0] == 0.0)
    assert np.all(np.abs(x[2, :, 0]) < 1e-6)


def test_target_file_in_the_shipped_data_format(tmp_path):
    """configs/data/defence_share.csv's layout: more columns, a quoted source with commas, an
    empty value (no figure), rows of other years and of members to leave out."""
    (tmp_path / "shares.csv").write_text(
        "iso2,name,joined,year,pct_gdp,kind,source\n"
        'AA,Aland,1949,2022,4.5,actual,"NATO, Table 3, 2025"\n'
        "BB,Bland,1949,2022,,actual,no figure\n"
        'BB,Bland,1949,2025,10.0,estimate,"a, b"\n'
        "AA,Aland,1949,2019,99,actual,outside the study\n"
        "US,United States,1949,2022,3.2,actual,excluded\n")
    text = CALIBRATION.replace('file = "trend.csv"', 'file = "shares.csv"\ncolumn = "pct_gdp"\n'
                               'years = [2022, 2025]\nexclude = ["US"]')
    study = write_study(tmp_path, text)
    out = tmp_path / "o.h5"
    result = toy("calibrate", study, "-o", out, "-q")
    assert result.returncode == 0, result.stderr
    with h5py.File(out, "r") as f:
        assert [t.decode() for t in f["target"][()]] == ["x@2020-2029:mean", "trend[AA]@2022",
                                                        "trend[BB]@2025"]
        assert list(f["observed"][()]) == [0.8, 4.5, 10.0]


def test_resume_refuses_a_checkpoint_of_another_config(tmp_path):
    study = write_study(tmp_path, BASE)
    out = tmp_path / "o.h5"
    assert toy("calibrate", study, "-o", out, "-q").returncode == 0
    checkpoint = Path(str(out) + ".checkpoint")
    out.rename(checkpoint)
    study.write_text(BASE.replace("value = 0.8", "value = 0.9"))
    result = toy("calibrate", study, "-o", out, "--resume")
    assert result.returncode == 3
    assert result.stderr == (f"error: {checkpoint} was written for another config or seed; pass "
                             "--force without --resume to start over\n")
    assert not out.exists()
    result = toy("calibrate", study, "-o", out, "--resume", "--seed", 5)
    assert result.returncode == 3
    checkpoint.unlink()
    result = toy("calibrate", study, "-o", out, "--resume")
    assert result.returncode == 0
    assert f"no checkpoint {checkpoint}: starting from generation 0" in result.stderr
