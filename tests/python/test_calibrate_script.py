"""scripts/calibrate.sh makes the default calibration once and reuses it while its inputs (the
calibration config, baseline.toml, configs/data and the model's source) are unchanged."""
import shutil
import subprocess
from pathlib import Path

FAKE_NATOSIM = """#!/usr/bin/env bash
# Stands in for natosim: records the call and writes the output file named after -o.
echo "$@" >> "$(dirname "$0")/calls.log"
while [ $# -gt 0 ]; do
  if [ "$1" = "-o" ]; then echo calibrated > "$2"; fi
  shift
done
"""


def make_tree(tmp_path, source_dir):
    (tmp_path / "scripts").mkdir()
    shutil.copy(Path(source_dir) / "scripts" / "calibrate.sh", tmp_path / "scripts")
    (tmp_path / "configs" / "data").mkdir(parents=True)
    (tmp_path / "configs" / "calibration_2014.toml").write_text("[study]\n")
    (tmp_path / "configs" / "baseline.toml").write_text("[model]\n")
    (tmp_path / "configs" / "data" / "gdp.csv").write_text("iso2,year,value\n")
    for folder, name in (("sim", "engine.cpp"), ("models", "budget.h"), ("models", "notes.txt")):
        (tmp_path / folder).mkdir(exist_ok=True)
        (tmp_path / folder / name).write_text("// v1\n")
    fake = tmp_path / "fake_natosim"
    fake.write_text(FAKE_NATOSIM)
    fake.chmod(0o755)
    return fake


def calls(tmp_path):
    log = tmp_path / "calls.log"
    return log.read_text().splitlines() if log.exists() else []


def run(tmp_path, fake):
    result = subprocess.run(["bash", str(tmp_path / "scripts" / "calibrate.sh"), str(fake)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_calibrates_once_then_reuses_until_an_input_changes(tmp_path, source_dir):
    fake = make_tree(tmp_path, source_dir)
    output = tmp_path / "results" / "calibration_2014.h5"
    run(tmp_path, fake)
    assert len(calls(tmp_path)) == 1
    assert calls(tmp_path)[0].startswith(f"calibrate {tmp_path}/configs/calibration_2014.toml -o "
                                         f"{output} --force")
    assert output.read_text() == "calibrated\n"
    assert "up to date" in run(tmp_path, fake)
    assert len(calls(tmp_path)) == 1
    # Not a source file: no new calibration.
    (tmp_path / "models" / "notes.txt").write_text("changed\n")
    run(tmp_path, fake)
    assert len(calls(tmp_path)) == 1
    for changed in ("models/budget.h", "sim/engine.cpp", "configs/data/gdp.csv",
                    "configs/baseline.toml", "configs/calibration_2014.toml"):
        before = len(calls(tmp_path))
        with open(tmp_path / changed, "a") as f:
            f.write("# changed\n")
        run(tmp_path, fake)
        assert len(calls(tmp_path)) == before + 1, changed
        run(tmp_path, fake)
        assert len(calls(tmp_path)) == before + 1, changed
    # A deleted fingerprint (or results file) calibrates again.
    (tmp_path / "results" / "calibration_2014.h5.inputs").unlink()
    run(tmp_path, fake)
    assert len(calls(tmp_path)) == 7


def test_a_failed_calibration_leaves_no_fingerprint(tmp_path, source_dir):
    fake = make_tree(tmp_path, source_dir)
    fake.write_text("#!/usr/bin/env bash\necho 'natosim: boom' >&2\nexit 3\n")
    result = subprocess.run(["bash", str(tmp_path / "scripts" / "calibrate.sh"), str(fake)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 3
    assert "natosim: boom" in result.stderr
    assert not (tmp_path / "results" / "calibration_2014.h5.inputs").exists()


def test_a_missing_binary_is_a_clear_error(tmp_path, source_dir):
    make_tree(tmp_path, source_dir)
    result = subprocess.run(["bash", str(tmp_path / "scripts" / "calibrate.sh"),
                             str(tmp_path / "nothing")], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2
    assert result.stderr == (f"calibrate.sh: no natosim binary at {tmp_path}/nothing (build it "
                             "with scripts/build.sh release)\n")
