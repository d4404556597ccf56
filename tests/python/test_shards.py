"""Shards and merge, for job arrays (issue 13, part 4): `run --shard I/N` runs a fixed slice of
the replicate blocks and writes a part; `natosim merge` checks that the parts are one run's and
complete, and writes the file one process would have written, bit for bit."""
import subprocess
from pathlib import Path

import h5py
import pytest

from same_datasets import assert_same_datasets, write_paired_study

REPLICATES = 1000  # 16 blocks of 64, the last one short


def run(natosim_bin, *args):
    return subprocess.run([str(natosim_bin), *map(str, args)], capture_output=True, text=True,
                          timeout=300)


@pytest.fixture(scope="module")
def study(tmp_path_factory, source_dir):
    """The shipped baseline with a reference scenario added (paired differences), on its priors."""
    return write_paired_study(tmp_path_factory.mktemp("study") / "study.toml", source_dir,
                              REPLICATES)


@pytest.fixture(scope="module")
def whole(natosim_bin, study, tmp_path_factory):
    out = tmp_path_factory.mktemp("whole") / "whole.h5"
    result = run(natosim_bin, "run", study, "-o", out, "-q", "--trajectories", "--threads", 2)
    assert result.returncode == 0, result.stderr
    return out


def shard(natosim_bin, study, out, spec, *extra):
    result = run(natosim_bin, "run", study, "--shard", spec, "-o", out, "-q", "--trajectories",
                 *extra)
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="module")
def parts(natosim_bin, study, tmp_path_factory):
    folder = tmp_path_factory.mktemp("parts")
    return [shard(natosim_bin, study, folder / f"part_{i}.h5", f"{i}/3", "--threads", i + 1)
            for i in range(3)]


def one_line(result, code, *words):
    assert result.returncode == code, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], lines[0]


def test_three_shards_merged_give_the_one_process_file(natosim_bin, parts, whole, tmp_path):
    out = tmp_path / "merged.h5"
    # In any order on the command line.
    result = run(natosim_bin, "merge", parts[2], parts[0], parts[1], "-o", out, "-q")
    assert result.returncode == 0, result.stderr
    assert_same_datasets(whole, out)
    with h5py.File(out, "r") as f:
        assert f.attrs["merged_from_shards"] == "3"
        assert f.attrs["file_type"] == "natosim_results"
        assert "allies_compliant_diff_mean" in f  # the paired differences came through


def test_one_shard_is_the_whole_run(natosim_bin, study, whole, tmp_path):
    part = shard(natosim_bin, study, tmp_path / "all.part", "0/1")
    out = tmp_path / "merged.h5"
    assert run(natosim_bin, "merge", part, "-o", out, "-q").returncode == 0
    assert_same_datasets(whole, out)


def test_info_describes_a_part(natosim_bin, parts):
    result = run(natosim_bin, "info", parts[1])
    assert result.returncode == 0, result.stderr
    assert "shard part 1 of 3" in result.stdout and "natosim merge" in result.stdout


@pytest.mark.parametrize("spec, problem", [
    ("3/2", "I must be below N"),
    ("0/0", "N must be at least 1"),
    ("one/two", "not of the form I/N"),
    ("2", "not of the form I/N"),
    ("-1/2", "not of the form I/N"),
    ("0/17", "more shards than blocks"),
])
def test_a_bad_shard_is_refused_in_one_line(natosim_bin, study, tmp_path, spec, problem):
    out = tmp_path / "part.h5"
    one_line(run(natosim_bin, "run", study, "--shard", spec, "-o", out), 2, "--shard", problem)
    assert list(tmp_path.iterdir()) == []


def test_merge_refuses_missing_duplicated_or_foreign_parts(natosim_bin, study, parts, tmp_path):
    out = tmp_path / "merged.h5"
    one_line(run(natosim_bin, "merge", parts[0], parts[2], "-o", out), 3, "shard 1 of 3 missing")
    one_line(run(natosim_bin, "merge", parts[0], parts[1], parts[1], parts[2], "-o", out), 3,
             "shard 1 of 3 given twice")
    other_seed = shard(natosim_bin, study, tmp_path / "seed.h5", "1/3", "--seed", 99)
    one_line(run(natosim_bin, "merge", parts[0], other_seed, parts[2], "-o", out), 3,
             "from another run", "another seed")
    edited = tmp_path / "edited.toml"
    edited.write_text(study.read_text() + "# edited\n")
    other_config = shard(natosim_bin, edited, tmp_path / "config.h5", "1/3")
    one_line(run(natosim_bin, "merge", parts[0], other_config, parts[2], "-o", out), 3,
             "another config")
    two = shard(natosim_bin, study, tmp_path / "of_two.h5", "1/2")
    one_line(run(natosim_bin, "merge", parts[0], two, parts[2], "-o", out), 3, "shard 1 of 2")
    one_line(run(natosim_bin, "merge", study, "-o", out), 3, "not a natosim shard part")
    assert not out.exists()


def test_merge_refuses_a_truncated_or_damaged_part_and_writes_nothing(natosim_bin, parts,
                                                                      tmp_path):
    out = tmp_path / "merged.h5"
    data = Path(parts[1]).read_bytes()
    truncated = tmp_path / "truncated.h5"
    truncated.write_bytes(data[: len(data) // 2])
    one_line(run(natosim_bin, "merge", parts[0], truncated, parts[2], "-o", out), 3,
             "truncated.h5: truncated")
    damaged = tmp_path / "damaged.h5"
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0xFF
    damaged.write_bytes(bytes(flipped))
    one_line(run(natosim_bin, "merge", parts[0], damaged, parts[2], "-o", out, "-q"), 3,
             "damaged.h5: damaged item")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["damaged.h5", "truncated.h5"]


def test_merge_never_overwrites_without_force(natosim_bin, parts, tmp_path):
    out = tmp_path / "merged.h5"
    out.write_text("precious")
    one_line(run(natosim_bin, "merge", *parts, "-o", out), 3, "exists")
    assert out.read_text() == "precious"


def test_a_part_is_never_overwritten_by_a_part_without_force(natosim_bin, study, parts):
    before = Path(parts[0]).read_bytes()
    result = run(natosim_bin, "run", study, "--shard", "0/3", "-o", parts[0], "--trajectories")
    one_line(result, 3, "exists")
    assert Path(parts[0]).read_bytes() == before
