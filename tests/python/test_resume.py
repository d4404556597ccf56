"""Resume after a crash (issue 13, part 2): a run killed at any moment (SIGKILL) and finished with
--resume writes the same datasets, bit for bit, as one uninterrupted run; a checkpoint written for
another config, seed or binary is refused in one line, and nothing is lost or overwritten."""
import random
import shutil
import signal
import subprocess
import time
from pathlib import Path

import h5py
import pytest

from same_datasets import assert_same_datasets

REPLICATES = 2560  # 40 blocks of 64 per scenario


def run(natosim_bin, *args, timeout=300):
    return subprocess.run([str(natosim_bin), *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture
def study(tmp_path, source_dir):
    """The shipped baseline (all its scenarios, on its priors: no calibration file needed)."""
    path = tmp_path / "study.toml"
    path.write_text(f'[study]\nmodel = "alliance"\nextends = "{source_dir}/configs/baseline.toml"\n'
                    f'replicates = {REPLICATES}\n\n[model]\nposterior = false\n')
    return path


def start(natosim_bin, study, out, *extra, threads=2):
    return subprocess.Popen([str(natosim_bin), "run", str(study), "-o", str(out), "-q",
                             "--trajectories", "--threads", str(threads), *map(str, extra)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def interrupted_run(natosim_bin, study, out, *extra):
    """A run killed (SIGKILL) once its checkpoint holds a finished block."""
    process = start(natosim_bin, study, out, "--checkpoint", *extra)
    state = Path(str(out) + ".checkpoint") / "state"
    deadline = time.monotonic() + 120
    while not state.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    process.kill()
    process.communicate()
    assert state.exists() and not out.exists()


@pytest.fixture
def uninterrupted(natosim_bin, study, tmp_path):
    out = tmp_path / "whole.h5"
    result = run(natosim_bin, "run", study, "-o", out, "-q", "--trajectories", "--threads", 2)
    assert result.returncode == 0, result.stderr
    return out


def test_a_run_killed_at_random_moments_resumes_to_the_same_file(natosim_bin, study, tmp_path,
                                                                  uninterrupted):
    out = tmp_path / "killed.h5"
    checkpoint = Path(str(out) + ".checkpoint")
    state = checkpoint / "state"
    rng = random.Random(13)
    kills = attempts = 0
    while not out.exists():
        attempts += 1
        assert attempts < 200, "the run never finished"
        resume = ["--resume"] if checkpoint.exists() else []
        # One thread and short lives, so that at least ten kills land before the run is done.
        process = start(natosim_bin, study, out, "--checkpoint", *resume, threads=1)
        if kills < 12:
            if kills >= 10:
                # The last two kills wait for a finished block in the checkpoint, so that the
                # run that finishes resumes from one: on a loaded machine every short life can
                # end before the first block (seen in CI rehearsal under load).
                deadline = time.monotonic() + 120
                while (not state.exists() and process.poll() is None
                       and time.monotonic() < deadline):
                    time.sleep(0.005)
            # Any moment: reading the config, replaying the checkpoint, running, writing the
            # summaries, renaming.
            time.sleep(rng.uniform(0.0, 0.35))
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                kills += 1
        _, stderr = process.communicate()
        assert process.returncode in (0, -signal.SIGKILL), stderr
    assert kills >= 10, f"{kills} kills in {attempts} attempts"
    print(f"{kills} kills in {attempts} attempts")
    assert_same_datasets(uninterrupted, out)
    with h5py.File(out, "r") as f:
        assert int(f.attrs["resumed_after_blocks"]) > 0
    # Finished: no checkpoint, partial file or lock is left.
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("killed")) == [
        "killed.h5"]


def test_ctrl_c_keeps_a_checkpoint_that_resume_finishes(natosim_bin, study, tmp_path,
                                                       uninterrupted):
    out = tmp_path / "stopped.h5"
    process = start(natosim_bin, study, out)  # default interval: the stop itself saves
    time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate()
    if process.returncode == 0:
        pytest.skip("the run finished before the signal (a very fast machine)")
    assert process.returncode == 130, stderr
    assert "--resume" in stderr and not out.exists()
    result = run(natosim_bin, "run", study, "-o", out, "--trajectories", "--threads", 1, "--resume")
    assert result.returncode == 0, result.stderr
    assert "resuming after" in result.stderr
    assert_same_datasets(uninterrupted, out)
    assert not Path(str(out) + ".checkpoint").exists()


def test_a_short_run_leaves_no_checkpoint(natosim_bin, study, tmp_path):
    out = tmp_path / "short.h5"
    result = run(natosim_bin, "run", study, "-o", out, "-q", "--replicates", 64)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("short")) == ["short.h5"]


def one_line_error(result, *words):
    assert result.returncode == 3, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], lines[0]


def test_resume_without_a_checkpoint_or_after_the_end_is_refused(natosim_bin, study, tmp_path):
    out = tmp_path / "o.h5"
    one_line_error(run(natosim_bin, "run", study, "-o", out, "--resume"), "no checkpoint")
    assert not out.exists()
    assert run(natosim_bin, "run", study, "-o", out, "-q", "--replicates", 64).returncode == 0
    before = out.read_bytes()
    one_line_error(run(natosim_bin, "run", study, "-o", out, "--resume", "--replicates", 64),
                   "is complete", "nothing to resume")
    assert out.read_bytes() == before


@pytest.mark.parametrize("change, word", [
    (["--seed", 99], "seed"),
    (["--set", "model.threat.base=0.5"], "--set overrides"),
    (["--replicates", 1280], "replicates"),
    (["--no-events"], "--no-events"),
])
def test_resume_with_other_inputs_is_refused_and_the_checkpoint_kept(natosim_bin, study, tmp_path,
                                                                     change, word):
    out = tmp_path / "o.h5"
    interrupted_run(natosim_bin, study, out)
    state = Path(str(out) + ".checkpoint") / "state"
    saved = state.read_bytes()
    result = run(natosim_bin, "run", study, "-o", out, "--trajectories", "--resume", *change)
    one_line_error(result, f"written for another {word}")
    assert state.read_bytes() == saved and not out.exists()


def test_resume_with_another_config_or_binary_is_refused(natosim_bin, study, tmp_path):
    out = tmp_path / "o.h5"
    interrupted_run(natosim_bin, study, out)
    edited = tmp_path / "edited.toml"
    edited.write_text(study.read_text().replace("posterior = false", "posterior = false\n# edit"))
    result = run(natosim_bin, "run", edited, "-o", out, "--trajectories", "--resume")
    one_line_error(result, "written for another config")
    # The same program with one byte more: a different build as far as anyone can tell.
    other = tmp_path / "natosim_other"
    shutil.copy(natosim_bin, other)
    with open(other, "ab") as f:
        f.write(b"\0")
    result = run(other, "run", study, "-o", out, "--trajectories", "--resume")
    one_line_error(result, "written for another binary")
    # Starting afresh without --resume needs --force, which discards the checkpoint.
    one_line_error(run(natosim_bin, "run", study, "-o", out, "--trajectories"),
                   "exists (an interrupted run)", "--resume")
    result = run(natosim_bin, "run", study, "-o", out, "-q", "--force", "--replicates", 64)
    assert result.returncode == 0, result.stderr
    assert not Path(str(out) + ".checkpoint").exists()


def test_a_damaged_checkpoint_is_refused(natosim_bin, study, tmp_path):
    out = tmp_path / "o.h5"
    interrupted_run(natosim_bin, study, out)
    state = Path(str(out) + ".checkpoint") / "state"
    data = bytearray(state.read_bytes())
    data[len(data) // 2] ^= 0xFF
    state.write_bytes(bytes(data))
    one_line_error(run(natosim_bin, "run", study, "-o", out, "--trajectories", "--resume"),
                   "damaged checkpoint")
    assert not out.exists()


def test_no_checkpoint_cannot_be_combined_with_resume(natosim_bin, study, tmp_path):
    result = run(natosim_bin, "run", study, "-o", tmp_path / "o.h5", "--resume", "--no-checkpoint")
    assert result.returncode == 2
    assert "excludes" in result.stderr
