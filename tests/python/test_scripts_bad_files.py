"""Every script refuses a file natosim would refuse (issue 12): one line `error: FILE: problem` on
stderr, exit status 3, no traceback, and no output written or changed.

Where `natosim info` refuses the same file, the script's line is natosim's, byte for byte (both
are run on the same corrupted copy). `natosim info` reads only a file's metadata, so a summary
dataset of the wrong shape or type, a missing summary, NaN in a coordinate or a calibration
file's short per-generation arrays pass `natosim info`; the scripts refuse those too, in
natosim's message format (the cases marked INFO_ACCEPTS), and the tests check that info still
accepts them so a change in natosim shows here.

natosim reads no sensitivity file (`natosim info` calls one "not a natosim results file"), so
for those the scripts' own messages, in natosim's format, are checked (INFO_OTHER).

The valid inputs are written by natosim itself: configs/baseline.toml with 8 replicates (from
its priors, --set model.posterior=false, so results/calibration_2014.h5 is not needed), a
two-generation calibration, and the toy model's sensitivity file (as test_sensitivity_plots).
"""

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
sys.path.insert(0, str(SCRIPTS))

from test_sensitivity_cli import STUDY, toy  # noqa: E402

from natosim_plot import cli, style  # noqa: E402

PYTHON = "/usr/bin/python3"
INFO_REFUSES, INFO_ACCEPTS, INFO_OTHER = "info refuses", "info accepts", "not natosim's kind"


# --- the valid files ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def valid(natosim_bin, source_dir, tmp_path_factory):
    """{'results': natosim run's file, 'calibration': natosim calibrate's file}."""
    folder = tmp_path_factory.mktemp("valid")
    results = folder / "baseline.h5"
    done = subprocess.run([str(natosim_bin), "run", str(source_dir / "configs" / "baseline.toml"),
                           "--replicates", "8", "--set", "model.posterior=false", "-o",
                           str(results), "--quiet"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    calibration = folder / "calibration.h5"
    done = subprocess.run([str(natosim_bin), "calibrate",
                           str(source_dir / "configs" / "calibration_2014.toml"), "-o",
                           str(calibration), "--set", "calibration.population=30", "--set",
                           "calibration.max_generations=2", "--quiet"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return {"results": results, "calibration": calibration}


@pytest.fixture(scope="module")
def sensitivity_file(tmp_path_factory):
    """The toy model's sensitivity file (natosim_toy_cli, as in test_sensitivity_plots)."""
    folder = tmp_path_factory.mktemp("sensitivity")
    study = folder / "gs.toml"
    study.write_text(STUDY)
    out = folder / "sensitivity.h5"
    done = toy("sensitivity", study, "-o", out, "--quiet")
    assert done.returncode == 0, done.stderr
    return out


# --- corruptions (each edits a copy in place) --------------------------------------------------


def flip_signature(path):
    data = bytearray(path.read_bytes())
    data[1] ^= 0xFF  # "\x89HDF..." -> not HDF5
    path.write_bytes(bytes(data))


def flip_superblock(path):
    data = bytearray(path.read_bytes())
    for i in range(8, 24):  # after the signature: versions, sizes, flags
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))


def truncate_half(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def empty(path):
    path.write_bytes(b"")


def make_directory(path):
    path.unlink()
    path.mkdir()


def remove(path):
    path.unlink()


def _replace(path, name, data, dtype=None):
    """Replaces a dataset by `data`, keeping its attributes (not its dimension scales)."""
    with h5py.File(path, "a") as f:
        attrs = {k: v for k, v in f[name].attrs.items() if k not in ("DIMENSION_LIST", "CLASS",
                                                                     "NAME", "REFERENCE_LIST")}
        del f[name]
        ds = f.create_dataset(name, data=data, dtype=dtype)
        for key, value in attrs.items():
            ds.attrs[key] = value


def three_element_mean(path):
    _replace(path, "defence_share_mean", np.array([1.0, 2.0, 3.0]))


def strings_for(name):
    def corrupt(path):
        with h5py.File(path, "r") as f:
            shape = f[name].shape
        _replace(path, name, np.full(shape, "2.0", dtype=object), dtype=h5py.string_dtype())
    return corrupt


def delete(name):
    def corrupt(path):
        with h5py.File(path, "a") as f:
            del f[name]
    return corrupt


def set_attribute(name, value, dataset=None):
    def corrupt(path):
        with h5py.File(path, "a") as f:
            (f if dataset is None else f[dataset]).attrs[name] = value
    return corrupt


def nan_year(path):
    with h5py.File(path, "r") as f:
        years = f["year"][()].astype(np.float64)
    years[3] = np.nan
    _replace(path, "year", years)


def inf_quantile(path):
    with h5py.File(path, "r") as f:
        levels = f["quantile"][()]
    levels[-1] = np.inf
    _replace(path, "quantile", levels)


def two_descriptions(path):
    _replace(path, "scenario_description", np.array(["a", "b"], dtype=object),
             dtype=h5py.string_dtype())


def resize(name, length):
    def corrupt(path):
        _replace(path, name, np.zeros(length))
    return corrupt


# --- the cases ---------------------------------------------------------------------------------

OBSERVED = ("configs", "data", "defence_share.csv")

# (id, script, input, corruption, expected line after "{p}", natosim info's verdict)
CASES = [
    ("signature", "plot_fan.py", "results", flip_signature,
     ": not a natosim results file (not an HDF5 file)", INFO_REFUSES),
    ("signature", "report.py", "results", flip_signature,
     ": not a natosim results file (not an HDF5 file)", INFO_REFUSES),
    ("superblock", "report.py", "results", flip_superblock,
     ": cannot open the file (HDF5: ", INFO_REFUSES),
    ("superblock", "plot_calibration.py", "calibration", flip_superblock,
     ": cannot open the file (HDF5: ", INFO_REFUSES),
    ("truncated", "plot_spending.py", "results", truncate_half,
     ": cannot open the file (HDF5: truncated file: ", INFO_REFUSES),
    ("truncated", "report.py", "calibration", truncate_half,
     ": cannot open the file (HDF5: truncated file: ", INFO_REFUSES),
    ("wrong-shape", "plot_fan.py", "results", three_element_mean,
     ":/defence_share_mean: shape (3) does not match the axes (5, 20, 32)", INFO_ACCEPTS),
    ("wrong-shape", "report.py", "results", three_element_mean,
     ":/defence_share_mean: shape (3) does not match the axes (5, 20, 32)", INFO_ACCEPTS),
    ("strings-summary", "plot_compliance_heatmap.py", "results", strings_for("compliant_mean"),
     ":/compliant_mean: holds strings, expected float64", INFO_ACCEPTS),
    ("strings-year", "report.py", "results", strings_for("year"),
     ":/year: holds strings, expected int32", INFO_REFUSES),
    ("missing-mean", "plot_allies_compliant.py", "results", delete("allies_compliant_mean"),
     ":/allies_compliant_mean: missing dataset", INFO_REFUSES),
    ("missing-quantiles", "plot_fan.py", "results", delete("defence_share_quantiles"),
     ":/defence_share_quantiles: missing dataset", INFO_ACCEPTS),
    ("missing-member-name", "plot_differences.py", "results", delete("member_name"),
     ":/member_name: missing dataset", INFO_REFUSES),
    ("file-type", "backtest.py", "results", set_attribute("file_type", "natosim_other"),
     ": not a natosim results file (no root attribute file_type = \"natosim_results\")",
     INFO_REFUSES),
    ("schema-version", "discover.py", "results", set_attribute("schema_version", "2.0"),
     ": schema version 2.0 is not supported (this natosim reads 1.x); use a natosim release "
     "that writes schema 2.0", INFO_REFUSES),
    ("seed-string", "report.py", "results", set_attribute("seed", "twelve"),
     ": attribute 'seed': is a string, expected a number", INFO_REFUSES),
    ("level", "plot_spending.py", "results",
     set_attribute("level", "national", dataset="defence_spending_mean"),
     ":/defence_spending_mean: attribute 'level' is 'national', expected member or global",
     INFO_REFUSES),
    ("reference", "plot_differences.py", "results", set_attribute("reference_scenario", "nope"),
     ": reference_scenario 'nope' is not one of the scenarios", INFO_REFUSES),
    ("descriptions", "plot_allies_compliant.py", "results", two_descriptions,
     ":/scenario_description: shape (2) does not match the axes (5)", INFO_REFUSES),
    ("calibration-to-fan", "plot_fan.py", "calibration", None,
     ": not a natosim results file (no root attribute file_type = \"natosim_results\")",
     INFO_ACCEPTS),
    ("results-to-calibration", "plot_calibration.py", "results", None,
     ": not a natosim calibration file (no root attribute file_type = "
     "\"natosim_calibration\")", INFO_ACCEPTS),
    ("empty", "report.py", "results", empty,
     ": not a natosim results file (not an HDF5 file)", INFO_REFUSES),
    ("empty", "plot_fan.py", "results", empty,
     ": not a natosim results file (not an HDF5 file)", INFO_REFUSES),
    ("directory", "plot_fan.py", "results", make_directory,
     ": not a natosim results file (not an HDF5 file)", INFO_REFUSES),
    ("directory", "report.py", "results", make_directory,
     ": not a natosim results file (not an HDF5 file)", INFO_REFUSES),
    ("missing-path", "report.py", "results", remove, ": no such file", INFO_REFUSES),
    ("missing-path", "plot_calibration.py", "calibration", remove, ": no such file",
     INFO_REFUSES),
    ("nan-year", "plot_fan.py", "results", nan_year,
     ":/year: holds nan, expected finite values", INFO_ACCEPTS),
    ("inf-quantile", "report.py", "results", inf_quantile,
     ":/quantile: holds inf, expected finite values", INFO_ACCEPTS),
    ("calibration-shapes", "plot_calibration.py", "calibration", resize("tolerance", 5),
     ": malformed calibration file (dataset shapes disagree)", INFO_REFUSES),
    ("calibration-missing", "report.py", "calibration", delete("particles"),
     ":/particles: missing dataset", INFO_REFUSES),
    ("calibration-schema", "plot_calibration.py", "calibration",
     set_attribute("schema_version", "7.1"),
     ": calibration schema version 7.1 is not supported (this natosim reads 1.x)",
     INFO_REFUSES),
    ("calibration-short-ess", "plot_calibration.py", "calibration", resize("ess", 1),
     ": malformed calibration file (dataset shapes disagree)", INFO_REFUSES),
    ("sensitivity-shape", "plot_sensitivity.py", "sensitivity", resize("ST", 3),
     ":/ST: shape (3) does not match the axes (", INFO_OTHER),
    ("sensitivity-strings", "report.py", "sensitivity", strings_for("noise_share"),
     ":/noise_share: holds strings, expected float64", INFO_OTHER),
    ("results-to-sensitivity", "plot_sensitivity.py", "results", None,
     ": not a natosim sensitivity file (no root attribute file_type = "
     "\"natosim_sensitivity\")", INFO_ACCEPTS),
    ("truncated", "plot_sensitivity.py", "sensitivity", truncate_half,
     ": cannot open the file (HDF5: truncated file: ", INFO_REFUSES),
]


def command(script, path, out, source_dir):
    """The script's command line on `path`, writing into `out`."""
    if script == "backtest.py":
        return [str(source_dir.joinpath(*OBSERVED)), str(path), "-o", str(out)]
    if script == "discover.py":
        return [str(path), "--outcome", "allies_compliant>=20", "-o", str(out)]
    return [str(path), "-o", str(out)]


def snapshot(folder: Path) -> dict:
    """Every file under folder with a hash of its contents (a directory maps to 'dir')."""
    found = {}
    for item in sorted(folder.rglob("*")):
        found[str(item.relative_to(folder))] = (
            "dir" if item.is_dir() else hashlib.sha256(item.read_bytes()).hexdigest())
    return found


@pytest.mark.parametrize("case, script, kind, corrupt, problem, info_verdict", CASES,
                         ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_script_refuses_the_file(case, script, kind, corrupt, problem, info_verdict, valid,
                                 natosim_bin, source_dir, tmp_path, request):
    path = tmp_path / f"{case}.h5"
    shutil.copyfile(request.getfixturevalue("sensitivity_file") if kind == "sensitivity"
                    else valid[kind], path)
    if corrupt is not None:
        corrupt(path)
    # An output folder that already holds figures and a report: none may change.
    out = tmp_path / "out"
    (out / "figures").mkdir(parents=True)
    (out / "index.html").write_text("an earlier report\n")
    (out / "fan_status_quo.png").write_bytes(b"an earlier figure")
    (out / "figures" / "calibration_marginals.png").write_bytes(b"an earlier figure")
    before = snapshot(tmp_path)

    done = subprocess.run([PYTHON, str(SCRIPTS / script), *command(script, path, out,
                                                                    source_dir)],
                          capture_output=True, text=True, timeout=300)

    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    expected = f"error: {path}{problem}"
    if problem.endswith(("(HDF5: ", "truncated file: ", "the axes (")):
        assert lines[0].startswith(expected) and lines[0].endswith(")"), lines[0]
    else:
        assert lines[0] == expected
    assert done.stdout == ""
    assert snapshot(tmp_path) == before, "the script wrote or changed a file"

    info = subprocess.run([str(natosim_bin), "info", str(path)], capture_output=True, text=True,
                          timeout=120)
    if info_verdict == INFO_REFUSES:
        assert info.returncode == 3, info.stdout
        assert info.stderr.splitlines() == lines  # the same line, byte for byte
    elif info_verdict == INFO_OTHER:
        assert info.returncode == 3
        assert info.stderr.splitlines() == [f"error: {path}: not a natosim results file (no "
                                            "root attribute file_type = \"natosim_results\")"]
    else:
        # natosim info reads only the metadata (or takes any natosim file): it accepts the file.
        # If natosim learns to refuse it, its message must be the scripts' (then move the case
        # to INFO_REFUSES).
        assert info.returncode in (0, 3), info.stderr
        if info.returncode == 3:
            assert info.stderr.splitlines() == lines


def test_cases_cover_the_required_scripts_and_kinds():
    scripts = {c[1] for c in CASES}
    assert {"report.py", "plot_fan.py"} <= scripts and len(scripts - {"report.py",
                                                                       "plot_fan.py"}) >= 3
    assert len({c[0] for c in CASES}) >= 12


def test_a_valid_file_still_draws(valid, source_dir, tmp_path):
    """The checks do not refuse natosim's own files."""
    for kind, script in (("results", "plot_fan.py"), ("calibration", "plot_calibration.py")):
        done = subprocess.run([PYTHON, str(SCRIPTS / script), str(valid[kind]), "-o",
                               str(tmp_path / kind)], capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, done.stderr
        assert done.stdout.split() and all(Path(p).is_file() for p in done.stdout.split())
        assert not list((tmp_path / kind).glob(".*partial"))


FLIP_READER = """
import sys
sys.path.insert(0, sys.argv[1])
from natosim_plot import cli
from natosim_plot.results import Results

def body():
    with Results(sys.argv[2]) as results:
        for name in ("defence_share", "allies_compliant", "compliant"):
            results.stat(name, "mean")
            results.stat(name, "quantiles")
    return 0

sys.exit(cli.run(body, sys.argv[2]))
"""


def test_random_byte_flips_never_give_a_traceback(valid, tmp_path):
    """60 copies of natosim's file, each with 64 bytes flipped somewhere: opening and reading
    every dataset either works or is one line and exit status 3, never a traceback. Each copy is
    read in its own process: HDF5 itself (libhdf5, under h5py and natosim alike) can crash on
    metadata corrupted in some ways, which no caller can catch; such a death by signal is
    counted and must stay rare, and must be inside the C library (no Python traceback)."""
    rng = np.random.default_rng(12)
    source = valid["results"].read_bytes()
    crashes = 0
    for copy in range(60):
        data = bytearray(source)
        start = int(rng.integers(0, len(data) - 64)) if copy % 2 else int(rng.integers(0, 4096))
        for i in range(start, start + 64):
            data[i] ^= int(rng.integers(1, 256))
        path = tmp_path / f"flip{copy}.h5"
        path.write_bytes(bytes(data))
        done = subprocess.run([PYTHON, "-c", FLIP_READER, str(SCRIPTS), str(path)],
                              capture_output=True, text=True, timeout=120)
        err = done.stderr
        assert "Traceback" not in err, err
        if done.returncode < 0:
            crashes += 1
            continue
        assert done.returncode in (0, 3), err
        assert (done.returncode == 0) == (err == ""), err
        if done.returncode == 3:
            assert len(err.splitlines()) == 1 and err.startswith(f"error: {path}"), err
    assert crashes <= 3, f"{crashes} of 60 corrupted copies crashed libhdf5"


def test_a_failed_run_removes_the_figures_it_staged(tmp_path):
    """style.save inside cli.run renames its files into place only when the run succeeds."""
    def body():
        fig, _ = style.new_figure(2, 2)
        style.save(fig, tmp_path, "first")
        raise OSError(2, "No such file or directory", str(tmp_path / "input.h5"))

    assert cli.run(body, "input.h5") == 3
    assert sorted(os.listdir(tmp_path)) == []

    def good():
        fig, _ = style.new_figure(2, 2)
        style.save(fig, tmp_path, "first")
        return 0

    assert cli.run(good, "input.h5") == 0
    assert sorted(os.listdir(tmp_path)) == ["first.png"]
