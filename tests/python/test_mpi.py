"""MPI (issue 13, part 3): `mpirun -n R natosim run|sweep` spreads the blocks over ranks, rank 0
merges in the fixed order and writes; `calibrate` and `sensitivity` spread their runs. Every file
is bit-identical for any ranks x threads, including one process without mpirun. Needs Debian's
openmpi-bin (scripts/install_deps.sh)."""
import os
import shutil
import subprocess

import h5py
import pytest

from same_datasets import assert_same_datasets, write_paired_study

MPIRUN = shutil.which("mpirun")
pytestmark = pytest.mark.skipif(MPIRUN is None, reason="mpirun not installed (openmpi-bin)")


def mpirun(ranks, natosim_bin, *args):
    launcher = [MPIRUN, "-n", str(ranks), "--oversubscribe"]
    if os.geteuid() == 0:
        launcher.append("--allow-run-as-root")
    return subprocess.run([*launcher, str(natosim_bin), *map(str, args)], capture_output=True,
                          text=True, timeout=600)


def run(natosim_bin, *args):
    return subprocess.run([str(natosim_bin), *map(str, args)], capture_output=True, text=True,
                          timeout=600)


@pytest.fixture(scope="module")
def study(tmp_path_factory, source_dir):
    return write_paired_study(tmp_path_factory.mktemp("study") / "study.toml", source_dir,
                              700)


@pytest.fixture(scope="module")
def whole(natosim_bin, study, tmp_path_factory):
    out = tmp_path_factory.mktemp("whole") / "whole.h5"
    result = run(natosim_bin, "run", study, "-o", out, "-q", "--trajectories", "--threads", 2)
    assert result.returncode == 0, result.stderr
    return out


@pytest.mark.parametrize("ranks, threads", [(1, 1), (2, 1), (2, 2), (3, 1)])
def test_any_ranks_and_threads_give_the_one_process_file(natosim_bin, study, whole, tmp_path,
                                                         ranks, threads):
    out = tmp_path / "mpi.h5"
    result = mpirun(ranks, natosim_bin, "run", study, "-o", out, "--trajectories", "--threads",
                    threads)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"results: {out}"  # rank 0 alone reports
    if ranks > 1:
        assert f"x {ranks} MPI ranks" in result.stderr
    assert_same_datasets(whole, out)
    with h5py.File(out, "r") as f:
        assert f.attrs.get("mpi_ranks", "1") == str(ranks)


def test_a_sweep_spreads_over_ranks_too(natosim_bin, source_dir, tmp_path):
    config = source_dir / "configs" / "threshold_sweep.toml"
    one, two = tmp_path / "one.h5", tmp_path / "two.h5"
    common = ["--replicates", 130, "--set", "model.posterior=false", "-q"]
    first = run(natosim_bin, "sweep", config, "-o", one, *common)
    assert first.returncode == 0, first.stderr
    second = mpirun(2, natosim_bin, "sweep", config, "-o", two, *common)
    assert second.returncode == 0, second.stderr
    assert_same_datasets(one, two)


def first_line(result):
    """natosim's own line: mpirun adds lines of dashes and its own words around it, and may print
    them before the ranks' output reaches it."""
    ours = [line for line in result.stderr.strip().splitlines()
            if line.startswith(("error:", "command line:"))]
    assert len(ours) == 1, result.stderr
    return ours[0]


def test_refusals_under_mpirun_are_rank_0_s_one_line(natosim_bin, study, whole, tmp_path):
    before = whole.read_bytes()
    result = mpirun(2, natosim_bin, "run", study, "-o", whole, "-q")
    assert result.returncode == 3
    assert first_line(result) == f"error: {whole} exists; pass --force to overwrite it"
    assert "rank 1" not in result.stderr
    assert whole.read_bytes() == before
    out = tmp_path / "o.h5"
    for option in (["--resume"], ["--checkpoint"], ["--shard", "0/2"]):
        result = mpirun(2, natosim_bin, "run", study, "-o", out, *option)
        assert result.returncode == 2, result.stderr
        assert first_line(result).startswith(f"command line: {option[0]}: not available under "
                                             "mpirun")
    assert not out.exists()


# calibrate and sensitivity: every rank runs a share of each batch of runs and receives all the
# values, so every rank takes the same path; rank 0 alone writes. Through the toy CLI (fast).


def toy_mpirun(ranks, build_dir, *args):
    return mpirun(ranks, build_dir / "tests" / "sim" / "natosim_toy_cli", *args)


def test_calibrate_spreads_over_ranks_with_the_same_posterior(build_dir, tmp_path):
    from test_calibration import assert_same_datasets as same_calibration, toy, write_study
    study = write_study(tmp_path)
    one, two = tmp_path / "one.h5", tmp_path / "two.h5"
    result = toy("calibrate", study, "-o", one, "--threads", 2, "-q")
    assert result.returncode == 0, result.stderr
    result = toy_mpirun(2, build_dir, "calibrate", study, "-o", two, "--threads", 1, "-q")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"calibration: {two}"
    same_calibration(one, two)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("two")) == ["two.h5"]


def test_sensitivity_spreads_over_ranks_with_the_same_indices(build_dir, tmp_path):
    from test_sensitivity_cli import STUDY
    from test_cli import toy
    study = tmp_path / "gs.toml"
    study.write_text(STUDY)
    one, three = tmp_path / "one.h5", tmp_path / "three.h5"
    result = toy("sensitivity", study, "-o", one, "--threads", 2, "-q")
    assert result.returncode == 0, result.stderr
    result = toy_mpirun(3, build_dir, "sensitivity", study, "-o", three, "--threads", 1, "-q")
    assert result.returncode == 0, result.stderr
    assert_same_datasets(one, three)


def test_a_refusal_on_rank_0_alone_ends_the_job(build_dir, tmp_path):
    """The output exists: rank 0 refuses while the other ranks would wait in the first
    collective call; the job ends with rank 0's status and line instead of hanging."""
    from test_calibration import write_study
    study = write_study(tmp_path)
    out = tmp_path / "cal.h5"
    out.write_text("precious")
    result = toy_mpirun(2, build_dir, "calibrate", study, "-o", out, "-q")
    assert result.returncode == 3, result.stderr
    assert first_line(result) == f"error: {out} exists; pass --force to overwrite it"
    assert out.read_text() == "precious"
