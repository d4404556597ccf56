"""Results written as the run goes (issue 13, part 1): --compression, and a full disk or a file
size limit mid-run gives exit 3, one line, and nothing under the final name (no partial file, no
lock, and an older file of that name untouched)."""
import os
import resource
import signal
import subprocess
from pathlib import Path

import h5py
import numpy as np
import pytest


def run(natosim_bin, *args, env=None, preexec_fn=None):
    return subprocess.run([str(natosim_bin), *map(str, args)], capture_output=True, text=True,
                          timeout=300, env=env, preexec_fn=preexec_fn)


@pytest.fixture
def study(tmp_path, source_dir):
    """A small study extending the shipped baseline (on its priors: no calibration needed)."""
    path = tmp_path / "study.toml"
    path.write_text(f'[study]\nmodel = "alliance"\nextends = "{source_dir}/configs/baseline.toml"\n'
                    'replicates = 150\nyears = 6\n\n[model]\nposterior = false\n\n'
                    '[[scenario]]\nname = "status_quo"\n\n[[scenario]]\nname = "conditional"\n'
                    '[scenario.set]\npolicy.conditional_article5 = true\n')
    return path


def leftovers(folder, name):
    return sorted(p.name for p in Path(folder).iterdir() if p.name.startswith(name))


def datasets(path):
    with h5py.File(path, "r") as f:
        names = []
        f.visit(names.append)
        return {n: (f[n][()], f[n].compression, f[n].compression_opts, f[n].shuffle)
                for n in names if isinstance(f[n], h5py.Dataset)}


def same_bits(a, b):
    if a.dtype.kind == "f":
        return a.dtype == b.dtype and np.array_equal(a.view(np.uint64), b.view(np.uint64))
    return np.array_equal(a, b)


def test_compression_levels_store_the_same_values(natosim_bin, study, tmp_path):
    files = {}
    for level in (None, 0, 9):
        out = tmp_path / f"c{level}.h5"
        extra = [] if level is None else ["--compression", level]
        result = run(natosim_bin, "run", study, "-o", out, "-q", "--trajectories", "--threads", 2,
                     *extra)
        assert result.returncode == 0, result.stderr
        files[level] = datasets(out)
    default, none, best = files[None], files[0], files[9]
    assert default.keys() == none.keys() == best.keys()
    for name in default:
        assert same_bits(default[name][0], none[name][0]), name
        assert same_bits(default[name][0], best[name][0]), name
    trajectory = "allies_compliant"
    assert default[trajectory][1:] == ("gzip", 1, True)
    assert none[trajectory][1:] == (None, None, False)
    assert best[trajectory][1:] == ("gzip", 9, True)
    assert default["event_year"][1:] == ("gzip", 1, True)
    # Summaries stay uncompressed and contiguous.
    assert default["allies_compliant_mean"][1] is None


@pytest.mark.parametrize("value", ["10", "-1", "fast", "1.5"])
def test_a_compression_level_outside_0_to_9_is_refused_in_one_line(natosim_bin, study, tmp_path,
                                                                   value):
    out = tmp_path / "o.h5"
    result = run(natosim_bin, "run", study, "-o", out, "-q", f"--compression={value}")
    assert result.returncode == 2
    assert "--compression" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert leftovers(tmp_path, "o.h5") == []


def test_a_full_disk_mid_run_gives_exit_3_and_nothing_under_the_name(natosim_bin, study,
                                                                     tmp_path):
    out = tmp_path / "o.h5"
    first = run(natosim_bin, "run", study, "-o", out, "-q", "--replicates", 10)
    assert first.returncode == 0, first.stderr
    old = out.read_bytes()
    # A disk with 300 kB free: the header fits, the trajectories do not.
    env = dict(os.environ, NATOSIM_TEST_DISK_BYTES="300000")
    result = run(natosim_bin, "run", study, "-o", out, "-q", "--force", "--trajectories", env=env)
    assert result.returncode == 3, result.stderr
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert "No space left on device" in result.stderr
    assert out.read_bytes() == old
    assert leftovers(tmp_path, "o.h5") == ["o.h5"]
    # Every amount of free space gives a whole file or exit 3, never a crash.
    for free in (0, 2000, 60000, 1500000):
        fresh = tmp_path / f"f{free}.h5"
        env = dict(os.environ, NATOSIM_TEST_DISK_BYTES=str(free))
        result = run(natosim_bin, "run", study, "-o", fresh, "-q", "--trajectories", env=env)
        assert result.returncode in (0, 3), result.stderr
        if result.returncode == 3:
            assert result.stderr.count("\n") == 1 and leftovers(tmp_path, fresh.name) == []
        else:
            assert leftovers(tmp_path, fresh.name) == [fresh.name]


def test_a_file_size_limit_mid_run_gives_exit_3_and_nothing_under_the_name(natosim_bin, study,
                                                                           tmp_path):
    def limit_file_size():
        # The kernel refuses writes past 400 kB with EFBIG (SIGXFSZ ignored, as a shell's
        # `ulimit -f` with a trap would): a real write error, not natosim's test hook.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (400_000, 400_000))

    out = tmp_path / "o.h5"
    result = run(natosim_bin, "run", study, "-o", out, "-q", "--trajectories",
                 preexec_fn=limit_file_size)
    assert result.returncode == 3, result.stderr
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert "File too large" in result.stderr
    assert leftovers(tmp_path, "o.h5") == []
