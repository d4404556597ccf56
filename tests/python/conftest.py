"""Shared fixtures for natosim's Python tests.

ctest runs these with NATOSIM_BIN (the natosim executable), NATOSIM_SOURCE_DIR (the repository)
and NATOSIM_BUILD_DIR (the CMake build folder) set; see tests/CMakeLists.txt. Run by hand with
/usr/bin/python3 (the python3 on PATH cannot import h5py/xarray), e.g.

    NATOSIM_BIN=build/dev/natosim NATOSIM_SOURCE_DIR=$PWD NATOSIM_BUILD_DIR=build/dev \
        /usr/bin/python3 -m pytest -q tests/python

A missing variable fails the tests that need it (it does not skip them), so a misconfigured run
cannot pass silently.
"""

import os
import pathlib
import subprocess

import pytest


def _path_from_env(name: str, what: str) -> pathlib.Path:
    value = os.environ.get(name)
    if not value:
        pytest.fail(
            f"environment variable {name} is not set; it must name {what}. Run the Python tests "
            f"through ctest (ctest -R python_tests) or set {name} by hand.",
            pytrace=False,
        )
    path = pathlib.Path(value)
    if not path.exists():
        pytest.fail(f"{name}={value} does not exist; it must name {what} (build it first).",
                    pytrace=False)
    return path


@pytest.fixture(scope="session")
def natosim_bin() -> pathlib.Path:
    """The natosim executable (NATOSIM_BIN)."""
    return _path_from_env("NATOSIM_BIN", "the natosim executable")


@pytest.fixture(scope="session")
def source_dir() -> pathlib.Path:
    """The repository root (NATOSIM_SOURCE_DIR)."""
    return _path_from_env("NATOSIM_SOURCE_DIR", "the natosim source folder")


@pytest.fixture(scope="session")
def build_dir() -> pathlib.Path:
    """The CMake build folder (NATOSIM_BUILD_DIR)."""
    return _path_from_env("NATOSIM_BUILD_DIR", "the CMake build folder")


@pytest.fixture
def run_natosim(natosim_bin):
    """Runs natosim with the given arguments; returns the CompletedProcess (text output)."""

    def run(*args, cwd=None, timeout=600):
        return subprocess.run([str(natosim_bin), *map(str, args)], cwd=cwd, capture_output=True,
                              text=True, timeout=timeout, check=False)

    return run


@pytest.fixture(scope="session")
def sample_writer(build_dir) -> pathlib.Path:
    """The write_sample_results test program (tests/sim/io/write_sample_results.cpp)."""
    path = build_dir / "tests" / "sim" / "io" / "write_sample_results"
    if not path.exists():
        pytest.fail(f"{path} does not exist; build the target write_sample_results first.",
                    pytrace=False)
    return path


@pytest.fixture
def write_sample(sample_writer, tmp_path):
    """Writes the sample results file into the test's tmp dir; returns (path, stdout).

    Flags are passed through: --no-events, --no-trajectories, --bare, --describe-json.
    """

    def write(*flags, name="sample.h5"):
        out = tmp_path / name
        done = subprocess.run([str(sample_writer), str(out), *flags], capture_output=True,
                              text=True, timeout=120, check=False)
        assert done.returncode == 0, f"write_sample_results failed: {done.stderr}"
        assert out.exists()
        return out, done.stdout

    return write
