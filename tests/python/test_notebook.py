"""notebooks/peacekeepers.ipynb runs from top to bottom (jupyter nbconvert --execute, Debian's
jupyter-nbconvert and python3-ipykernel) on a small replicate count, and reaches its answer:
the whole-period probability of an attack on an ally with a paired difference, and one figure.
Skips with the reason when nbconvert or the python3 kernel is missing."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "peacekeepers.ipynb"


def test_peacekeepers_notebook_executes(natosim_bin, source_dir, tmp_path):
    jupyter = shutil.which("jupyter-nbconvert") or shutil.which("jupyter")
    if jupyter is None:
        pytest.skip("jupyter nbconvert is not installed (Debian's jupyter-nbconvert and "
                    "python3-ipykernel; scripts/install_deps.sh installs them)")
    command = [jupyter] + ([] if jupyter.endswith("nbconvert") else ["nbconvert"])
    probe = subprocess.run(command + ["--version"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"jupyter nbconvert does not run: {probe.stderr.strip()[:200]}")
    env = dict(os.environ, NATOSIM_BIN=str(natosim_bin), NATOSIM_SOURCE_DIR=str(source_dir),
               NATOSIM_NOTEBOOK_REPLICATES="100", PYDEVD_DISABLE_FILE_VALIDATION="1")
    done = subprocess.run(command + ["--to", "notebook", "--execute", str(NOTEBOOK),
                                     "--output-dir", str(tmp_path),
                                     "--ExecutePreprocessor.timeout=300"],
                          capture_output=True, text=True, timeout=600, env=env,
                          cwd=NOTEBOOK.parent)
    if "No such kernel" in done.stderr:
        pytest.skip("the python3 Jupyter kernel is missing (python3-ipykernel)")
    assert done.returncode == 0, done.stderr[-3000:]
    executed = json.loads((tmp_path / NOTEBOOK.name).read_text(encoding="utf-8"))
    text, images = [], 0
    for cell in executed["cells"]:
        for output in cell.get("outputs", []):
            assert output.get("output_type") != "error", output
            text.append("".join(output.get("text", "")))
            images += "image/png" in output.get("data", {})
    text = "\n".join(text)
    assert "100 replicates" in text
    assert "P(attack on an ally, 2025-2044)" in text
    assert "at least one attack on an ally" in text and "[" in text
    assert "the peacekeeping force" in text and "probability of at least one attack" in text
    assert images == 1, "the notebook draws one figure"
