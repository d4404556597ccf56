"""For the tests that promise a file identical to one process's run (resume, shards, MPI, the
Slurm script): a small study and a bit-for-bit comparison of two HDF5 files' datasets. Attributes
are not compared: the provenance (created_utc, command_line, threads, ...) differs by design."""
import h5py
import numpy as np


def datasets(path):
    """Every dataset of the file, by its path inside the file, as numpy values."""
    with h5py.File(path, "r") as f:
        names = []
        f.visit(names.append)
        return {name: f[name][()] for name in names if isinstance(f[name], h5py.Dataset)}


def assert_same_datasets(a, b):
    """The same dataset names, dtypes, shapes and values; floats compared as bytes (NaN == NaN,
    -0.0 != 0.0)."""
    first, second = datasets(a), datasets(b)
    assert sorted(first) == sorted(second)
    for name, x in first.items():
        y = second[name]
        assert x.dtype == y.dtype and np.shape(x) == np.shape(y), name
        if x.dtype.kind == "f":
            assert np.asarray(x).tobytes() == np.asarray(y).tobytes(), name
        else:
            assert np.array_equal(x, y), name


def write_paired_study(path, source_dir, replicates):
    """The shipped baseline on its priors (no calibration file needed) with two scenarios, the
    status quo the reference of the paired differences."""
    path.write_text(f'[study]\nmodel = "alliance"\nextends = "{source_dir}/configs/baseline.toml"\n'
                    f'replicates = {replicates}\nreference = "status_quo"\n\n'
                    '[model]\nposterior = false\n\n'
                    '[[scenario]]\nname = "status_quo"\n\n[[scenario]]\nname = "conditional"\n'
                    '[scenario.set]\npolicy.conditional_article5 = true\n')
    return path
