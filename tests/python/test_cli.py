"""Command-line behaviour of the engine, through the CLI built over the toy test models."""
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

BUILD = Path(os.environ.get("NATOSIM_BUILD_DIR", "build/ci"))
TOY_CLI = BUILD / "tests" / "sim" / "natosim_toy_cli"

STUDY = """[study]
name = "toy"
model = "random_walk"
seed = 3
replicates = 50
years = 5
reference = "low"

[model]
members = 3
drift = 0.1

[[scenario]]
name = "low"

[[scenario]]
name = "high"
[scenario.set]
drift = 0.3
"""


def toy(*args, **kwargs):
    return subprocess.run([str(TOY_CLI), *map(str, args)], capture_output=True, text=True,
                          timeout=120, **kwargs)


@pytest.fixture
def study(tmp_path):
    path = tmp_path / "study.toml"
    path.write_text(STUDY)
    return path


def test_toy_cli_was_built():
    assert TOY_CLI.exists(), f"{TOY_CLI} missing: build the tests first"


def test_run_writes_results_and_reports_the_path(study, tmp_path):
    out = tmp_path / "out.h5"
    result = toy("run", study, "-o", out, "--quiet")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"results: {out}"
    assert result.stderr == ""
    assert out.exists()
    assert not Path(str(out) + ".partial").exists()


def test_bad_config_gives_one_line_exit_2_and_writes_nothing(study, tmp_path):
    study.write_text(STUDY.replace("members = 3", "members = 3\nvolatility = -2"))
    out = tmp_path / "out.h5"
    result = toy("run", study, "-o", out)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"{study}:11:14: model.volatility: out of range, got -2 (expected a number > 0)"]
    assert list(tmp_path.iterdir()) == [study]


def test_validate_checks_without_running(study, tmp_path):
    result = toy("validate", study)
    assert result.returncode == 0, result.stderr
    assert "valid study 'toy'" in result.stdout
    assert "high" in result.stdout
    study.write_text(STUDY.replace('name = "high"', 'name = "low"'))
    result = toy("validate", study)
    assert result.returncode == 2
    assert "duplicate scenario name" in result.stderr
    assert list(tmp_path.iterdir()) == [study]


def test_existing_output_is_kept_without_force_and_replaced_with_it(study, tmp_path):
    out = tmp_path / "out.h5"
    assert toy("run", study, "-o", out, "--quiet").returncode == 0
    before = out.read_bytes()
    result = toy("run", study, "-o", out, "--quiet", "--seed", "5")
    assert result.returncode == 3
    assert result.stderr == f"error: {out} exists; pass --force to overwrite it\n"
    assert out.read_bytes() == before
    result = toy("run", study, "-o", out, "--quiet", "--force", "--seed", "5")
    assert result.returncode == 0, result.stderr
    assert out.read_bytes()[:8] == b"\x89HDF\r\n\x1a\n" and out.read_bytes() != before
    # Not natosim's own file: kept, --force or not.
    precious = tmp_path / "precious.h5"
    precious.write_bytes(b"precious")
    result = toy("run", study, "-o", precious, "--quiet", "--force")
    assert result.returncode == 3
    assert precious.read_bytes() == b"precious"


def test_same_seed_gives_identical_files_for_any_thread_count(study, tmp_path):
    import h5py
    import numpy as np
    files = []
    for threads in (1, 2, 7):
        out = tmp_path / f"t{threads}.h5"
        result = toy("run", study, "-o", out, "--quiet", "--threads", threads, "--trajectories")
        assert result.returncode == 0, result.stderr
        files.append(h5py.File(out, "r"))
    names = []
    files[0].visit(names.append)
    datasets = [n for n in names if isinstance(files[0][n], h5py.Dataset)]
    assert "level_mean" in datasets and "level" in datasets
    for name in datasets:
        for other in files[1:]:
            a, b = files[0][name][()], other[name][()]
            if a.dtype.kind == "f":
                assert np.array_equal(a.view(np.uint64), b.view(np.uint64)), name
            else:
                assert np.array_equal(a, b), name


def test_seed_and_replicates_options_override_the_study(study, tmp_path):
    import h5py
    out = tmp_path / "o.h5"
    assert toy("run", study, "-o", out, "--quiet", "--seed", 9, "--replicates", 17).returncode == 0
    with h5py.File(out, "r") as f:
        assert int(f.attrs["seed"]) == 9
        assert int(f.attrs["replicates"]) == 17


def test_unknown_scenario_selection_is_a_clear_error(study, tmp_path):
    result = toy("run", study, "-o", tmp_path / "o.h5", "--scenario", "nope")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        'command line: --scenario: unknown scenario, got "nope" (expected one of: low, high)')


def test_dry_run_prints_the_plan_and_writes_nothing(study, tmp_path):
    out = tmp_path / "o.h5"
    result = toy("run", study, "-o", out, "--dry-run")
    assert result.returncode == 0
    assert "2 scenarios x 50 replicates = 100 runs" in result.stderr
    assert "expected results file" in result.stderr
    assert not out.exists()


def test_interrupted_run_leaves_no_file(study, tmp_path):
    study.write_text(STUDY.replace("replicates = 50", "replicates = 5000000")
                     .replace("years = 5", "years = 200"))
    out = tmp_path / "o.h5"
    process = subprocess.Popen([str(TOY_CLI), "run", str(study), "-o", str(out), "--quiet"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)
    assert process.poll() is None, "the run finished before it could be interrupted"
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert "interrupted" in stderr
    assert not out.exists()
    assert not Path(str(out) + ".partial").exists()


def test_info_describes_a_results_file(study, tmp_path):
    import json
    out = tmp_path / "o.h5"
    assert toy("run", study, "-o", out, "--quiet").returncode == 0
    text = toy("info", out)
    assert text.returncode == 0, text.stderr
    for fact in ("low", "high", "2025", "level", "50"):
        assert fact in text.stdout
    as_json = toy("info", out, "--json")
    assert as_json.returncode == 0
    parsed = json.loads(as_json.stdout)
    assert parsed["replicates"] == 50
    assert parsed["seed"] == 3
    assert [s["name"] for s in parsed["scenarios"]] == ["low", "high"]
    assert parsed["reference_scenario"] == "low"
    assert [v["name"] for v in parsed["variables"]] == ["level", "flag", "maybe", "total"]
    assert parsed["first_year"] == 2025 and parsed["last_year"] == 2029
    missing = toy("info", tmp_path / "missing.h5")
    assert missing.returncode != 0


@pytest.mark.parametrize("command", [[], ["run"], ["sweep"], ["validate"], ["info"]])
def test_every_command_has_help(command):
    result = toy(*command, "--help")
    assert result.returncode == 0
    assert "Usage" in result.stdout or "usage" in result.stdout.lower()


def test_version_names_the_build():
    result = toy("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("natosim ")
    assert "commit" in result.stdout


SWEEP = STUDY.replace('reference = "low"\n', "") + """
[sweep]
design = "latin_hypercube"
base_scenario = "high"
points = 6
seed = 4
[[sweep.parameter]]
key = "drift"
low = 0.0
high = 0.5
[[sweep.parameter]]
key = "volatility"
low = 0.5
high = 2.0
"""


def test_sweep_writes_a_design_point_axis_that_xarray_can_select_on(tmp_path):
    import numpy as np
    import xarray as xr
    study = tmp_path / "sweep.toml"
    study.write_text(SWEEP)
    out = tmp_path / "sweep.h5"
    result = toy("sweep", study, "-o", out, "--quiet")
    assert result.returncode == 0, result.stderr
    with xr.open_dataset(out) as ds:
        assert ds.sizes["design_point"] == 6
        assert "scenario" not in ds.dims
        drift = ds["drift"].values
        volatility = ds["volatility"].values
        # One point in each sixth of each range (Latin hypercube).
        assert sorted(np.floor(drift / (0.5 / 6)).astype(int)) == list(range(6))
        assert sorted(np.floor((volatility - 0.5) / (1.5 / 6)).astype(int)) == list(range(6))
        assert ds["level_mean"].dims == ("design_point", "year", "member")
        assert ds.attrs["sweep_design"] == "latin_hypercube"


def test_sweep_without_a_sweep_table_is_a_clear_error(study, tmp_path):
    result = toy("sweep", study, "-o", tmp_path / "o.h5")
    assert result.returncode == 2
    assert "missing [sweep] table" in result.stderr
    assert not (tmp_path / "o.h5").exists()


def test_a_run_above_the_size_limit_asks_for_force(study, tmp_path):
    out = tmp_path / "o.h5"
    result = toy("run", study, "-o", out, "--trajectories", "--max-output-mib", "1",
                 "--replicates", "20000", "--quiet")
    assert result.returncode == 3
    assert "above the limit" in result.stderr and "--force" in result.stderr
    assert not out.exists()


def test_validate_checks_the_sweep_too(tmp_path):
    study = tmp_path / "sweep.toml"
    study.write_text(SWEEP)
    result = toy("validate", study)
    assert result.returncode == 0, result.stderr
    assert "sweep: 6 design points of scenario 'high' over drift, volatility" in result.stdout
    study.write_text(SWEEP.replace("low = 0.5\nhigh = 2.0", "low = -2.0\nhigh = 2.0"))
    result = toy("validate", study)
    assert result.returncode == 2
    assert "model.volatility: out of range (set by sweep design point dp" in result.stderr


def test_sweep_help_offers_a_study_with_a_sweep_table():
    result = toy("sweep", "--help")
    assert result.returncode == 0
    assert "configs/threshold_sweep.toml (a study with a [sweep] table)" in result.stdout
