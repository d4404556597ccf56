"""scripts/slurm_shards.sh, the example Slurm array job (README, "Scaling out"): each task runs
one shard of a study, and `natosim merge` of the tasks' parts gives the file one process writes,
bit for bit. Run without Slurm by setting SLURM_ARRAY_TASK_ID as sbatch would."""
import os
import shutil
import subprocess
from pathlib import Path

import h5py
import pytest

from same_datasets import assert_same_datasets, write_paired_study

REPLICATES = 300  # 5 blocks of 64, the last one short: shards of 1, 2 and 2 blocks
SHARDS = 3


@pytest.fixture(scope="module")
def script(source_dir):
    return Path(source_dir) / "scripts" / "slurm_shards.sh"


@pytest.fixture(scope="module")
def study(tmp_path_factory, source_dir):
    """The shipped baseline on its priors, two scenarios with a reference (paired differences)."""
    return write_paired_study(tmp_path_factory.mktemp("study") / "study.toml", source_dir,
                              REPLICATES)


def environment(natosim_bin=None, task=None, cpus=None):
    """The test's environment without any Slurm variable (the tests may run inside a job)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("SLURM_") and k != "NATOSIM_BIN"}
    if natosim_bin is not None:
        env["NATOSIM_BIN"] = str(natosim_bin)
    if task is not None:
        env["SLURM_ARRAY_TASK_ID"] = str(task)
    if cpus is not None:
        env["SLURM_CPUS_PER_TASK"] = str(cpus)
    return env


def task(script, env, *args, cwd=None):
    return subprocess.run([str(script), *map(str, args)], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=300)


def one_line(result, code, *words):
    assert result.returncode == code, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], lines[0]


def test_the_script_is_executable_and_parses(script):
    assert os.access(script, os.X_OK)
    assert subprocess.run(["bash", "-n", str(script)], timeout=60).returncode == 0
    if shutil.which("shellcheck"):
        checked = subprocess.run(["shellcheck", str(script)], capture_output=True, text=True,
                                 timeout=60)
        assert checked.returncode == 0, checked.stdout


def test_three_array_tasks_merged_give_the_one_process_file(natosim_bin, script, study,
                                                            tmp_path):
    whole = tmp_path / "whole.h5"
    result = subprocess.run([str(natosim_bin), "run", str(study), "-o", str(whole), "-q",
                             "--trajectories", "--threads", "2"], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    # As Slurm runs the tasks: in the submit folder (OUTDIR relative to it), each with its own
    # SLURM_ARRAY_TASK_ID and, here, another thread count (the datasets do not depend on it).
    for i in range(SHARDS):
        result = task(script, environment(natosim_bin, task=i, cpus=i + 1), study, SHARDS,
                      "parts", "--trajectories", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
    parts = sorted((tmp_path / "parts").glob("part_*.part"))
    assert [p.name for p in parts] == [f"part_{i}.part" for i in range(SHARDS)]
    merged = tmp_path / "merged.h5"
    result = subprocess.run([str(natosim_bin), "merge", *map(str, parts), "-o", str(merged),
                             "-q"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert_same_datasets(whole, merged)
    with h5py.File(merged, "r") as f:
        assert f.attrs["merged_from_shards"] == str(SHARDS)
        assert "--trajectories" in f.attrs["command_line"]  # passed through to every task
        assert "defence_share" in f and "allies_compliant_diff_mean" in f


def test_without_a_task_id_the_script_refuses_in_one_line(natosim_bin, script, study,
                                                          tmp_path):
    one_line(task(script, environment(natosim_bin), study, SHARDS, tmp_path / "parts"), 2,
             "SLURM_ARRAY_TASK_ID is not set")
    assert list(tmp_path.iterdir()) == []


def test_a_task_beyond_n_gets_natosims_shard_error(natosim_bin, script, study, tmp_path):
    result = task(script, environment(natosim_bin, task=SHARDS), study, SHARDS,
                  tmp_path / "parts")
    assert result.returncode != 0
    one_line(result, result.returncode, "command line: --shard:", "I must be below N")
    assert not list((tmp_path / "parts").glob("*"))


@pytest.mark.parametrize("args, words", [
    ((), ["CONFIG, N and OUTDIR are required"]),
    (("{study}", 3), ["CONFIG, N and OUTDIR are required"]),
    (("{study}", "three", "{out}"), ["N must be the number of shards", "three"]),
    (("{study}", 0, "{out}"), ["N must be the number of shards"]),
    (("{tmp}/missing.toml", 3, "{out}"), ["no study file"]),
    (("{study}", 3, "{out}", "-o", "{tmp}/x.h5"), ["-o is not allowed here"]),
    (("{study}", 3, "{out}", "--resume"), ["--resume is not allowed here"]),
    (("{study}", 3, "{out}", "--threads", 4), ["--threads is not allowed here"]),
])
def test_bad_arguments_are_refused_in_one_line(natosim_bin, script, study, tmp_path, args, words):
    values = {"study": study, "out": tmp_path / "parts", "tmp": tmp_path}
    args = [str(a).format(**values) for a in args]
    one_line(task(script, environment(natosim_bin, task=0), *args), 2, *words)
    assert not (tmp_path / "parts").exists()


def test_a_bad_task_id_or_binary_is_refused_in_one_line(natosim_bin, script, study, tmp_path):
    out = tmp_path / "parts"
    one_line(task(script, environment(natosim_bin, task="x"), study, SHARDS, out), 2,
             "SLURM_ARRAY_TASK_ID must be a shard number", '"x"')
    one_line(task(script, environment(tmp_path / "nowhere", task=0), study, SHARDS, out), 2,
             "no natosim binary at", "NATOSIM_BIN")
    assert not out.exists()


def test_without_natosim_bin_the_repositorys_release_build_is_used(natosim_bin, script, study,
                                                                   tmp_path):
    # A repository beside the script, and (as sbatch does) a lone copy of the script in a spool
    # folder, which finds the binary through the folder the job was submitted from.
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    (repo / "build" / "release").mkdir(parents=True)
    (repo / "build" / "release" / "natosim").symlink_to(natosim_bin)
    shutil.copy2(script, repo / "scripts" / "slurm_shards.sh")
    spool = tmp_path / "spool"
    spool.mkdir()
    shutil.copy2(script, spool / "slurm_script")

    result = task(repo / "scripts" / "slurm_shards.sh", environment(task=0, cpus=1), study, 2,
                  tmp_path / "beside")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "beside" / "part_0.part").is_file()

    env = environment(task=1, cpus=1)
    env["SLURM_SUBMIT_DIR"] = str(repo)
    result = task(spool / "slurm_script", env, study, 2, tmp_path / "spooled", cwd=repo)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "spooled" / "part_1.part").is_file()
