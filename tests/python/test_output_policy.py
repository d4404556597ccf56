"""The output-path policy and signals (issue 12): --force never destroys an input, a device or a
FIFO; two runs never share an output; SIGINT in any phase leaves either the complete file or
nothing under the final name (exit 130), never a partial file."""
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import h5py
import pytest


def run(natosim_bin, *args, cwd=None):
    return subprocess.run([str(natosim_bin), *map(str, args)], capture_output=True, text=True,
                          timeout=300, cwd=cwd)


@pytest.fixture
def study(tmp_path, source_dir):
    """A small study extending the shipped baseline (on its priors: no calibration needed)."""
    path = tmp_path / "study.toml"
    path.write_text(f'[study]\nmodel = "alliance"\nextends = "{source_dir}/configs/baseline.toml"\n'
                    'replicates = 20\nyears = 5\n\n[model]\nposterior = false\n\n'
                    '[[scenario]]\nname = "status_quo"\n')
    return path


def leftovers(folder, name):
    return sorted(p.name for p in Path(folder).iterdir()
                  if p.name.startswith(name + ".") and p.name != name)


def test_force_never_replaces_the_config_a_data_file_or_a_device(natosim_bin, study, tmp_path):
    config_text = study.read_text()
    result = run(natosim_bin, "run", study, "-o", study, "--force", "-q")
    assert result.returncode == 3
    assert result.stderr == (f"error: {study} is not a natosim file; --force replaces only a "
                             "natosim results file (remove it yourself if you mean to replace "
                             "it)\n")
    assert study.read_text() == config_text
    data = tmp_path / "shares.csv"
    data.write_text("iso2,year,value\n")
    result = run(natosim_bin, "run", study, "-o", data, "--force", "-q")
    assert result.returncode == 3 and data.read_text() == "iso2,year,value\n"
    for force in ([], ["--force"]):
        result = run(natosim_bin, "run", study, "-o", "/dev/null", *force, "-q")
        assert result.returncode == 3
        assert result.stderr == ("error: /dev/null is not a regular file (a device, FIFO or "
                                 "socket); natosim never replaces one, --force or not\n")
    assert Path("/dev/null").is_char_device()
    fifo = tmp_path / "fifo.h5"
    os.mkfifo(fifo)
    result = run(natosim_bin, "run", study, "-o", fifo, "--force", "-q")
    assert result.returncode == 3 and fifo.is_fifo()
    assert leftovers(tmp_path, "fifo.h5") == []


def test_force_replaces_a_results_file_but_not_a_calibration_or_sensitivity_one(
        natosim_bin, study, tmp_path):
    out = tmp_path / "out.h5"
    assert run(natosim_bin, "run", study, "-o", out, "-q").returncode == 0
    assert run(natosim_bin, "run", study, "-o", out, "--force", "-q").returncode == 0
    with h5py.File(out, "w") as f:
        f.attrs["file_type"] = "natosim_calibration"
    result = run(natosim_bin, "run", study, "-o", out, "--force", "-q")
    assert result.returncode == 3
    assert result.stderr == (f"error: {out} is a natosim calibration file; --force replaces "
                             "only a natosim results file (remove it yourself if you mean to "
                             "replace it)\n")


def test_a_second_run_on_the_same_output_is_refused_while_the_first_runs(natosim_bin, study,
                                                                         tmp_path):
    out = tmp_path / "out.h5"
    slow = subprocess.Popen([str(natosim_bin), "run", str(study), "-o", str(out), "--replicates",
                             "20000", "-q"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        lock = Path(str(out) + ".lock")
        for _ in range(200):
            if lock.exists() and lock.read_text():
                break
            time.sleep(0.05)
        result = run(natosim_bin, "run", study, "-o", out, "--force", "-q")
        assert result.returncode == 3
        assert result.stderr == (f"error: {out}: another natosim run (pid {slow.pid}) is "
                                 "writing this file; wait for it to finish or choose another "
                                 "output\n")
    finally:
        slow.send_signal(signal.SIGINT)
        slow.communicate(timeout=120)
    assert slow.returncode == 130
    assert not out.exists()
    # Only the checkpoint of the blocks that finished (docs/OUTPUT.md, "Checkpoints and resume").
    assert leftovers(tmp_path, "out.h5") in ([], ["out.h5.checkpoint"])


def test_sigint_in_any_phase_leaves_the_whole_file_or_nothing(natosim_bin, study, tmp_path):
    """Twelve interrupts spread over a --trajectories run (simulating, summarising, building and
    writing the file): each ends with exit 130 and no file, or exit 0 and a complete file; never a
    partial or lock file, never a file under the final name after exit 130."""
    args = [str(natosim_bin), "run", str(study), "--replicates", "600", "--trajectories", "-q"]
    start = time.monotonic()
    reference = tmp_path / "reference.h5"
    assert subprocess.run(args + ["-o", str(reference)], capture_output=True,
                          timeout=300).returncode == 0
    duration = time.monotonic() - start
    with h5py.File(reference, "r") as f:
        expected = f["defence_share"][()]
    outcomes = []
    for k in range(12):
        out = tmp_path / f"interrupted_{k}.h5"
        process = subprocess.Popen(args + ["-o", str(out)], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        time.sleep(duration * (0.05 + 0.09 * k))
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=300)
        outcomes.append(process.returncode)
        checkpoint = Path(str(out) + ".checkpoint")
        if process.returncode == 130:
            assert not out.exists(), k
            assert "interrupted: no results were written" in stderr
            # What finished stays for --resume, and the message says so; nothing else is left.
            if checkpoint.exists():
                assert "--resume" in stderr
                shutil.rmtree(checkpoint)
        assert leftovers(tmp_path, out.name) == [], k
        if process.returncode == -signal.SIGINT:
            # Before natosim's handlers exist (the process is still loading) or after the
            # command has returned: the default action, with nothing or the whole file.
            if out.exists():
                with h5py.File(out, "r") as f:
                    assert (f["defence_share"][()] == expected).all()
        elif process.returncode != 130:
            assert process.returncode == 0, stderr
            with h5py.File(out, "r") as f:
                assert (f["defence_share"][()] == expected).all()
    assert 130 in outcomes
