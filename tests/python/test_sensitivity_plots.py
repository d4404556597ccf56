"""scripts/plot_sensitivity.py and natosim_plot.sensitivity on a file natosim_toy_cli writes:
the figure plots the numbers in the file (sorted by ST), the report section lists them."""
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from test_sensitivity_cli import STUDY, toy

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
sys.path.insert(0, str(SCRIPTS))

from natosim_plot import sensitivity  # noqa: E402

PYTHON = "/usr/bin/python3"


@pytest.fixture(scope="module")
def sensitivity_file(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sens")
    study = folder / "gs.toml"
    study.write_text(STUDY)
    out = folder / "s.h5"
    result = toy("sensitivity", study, "-o", out, "--quiet")
    assert result.returncode == 0, result.stderr
    return out


def test_figure_plots_the_indices_in_the_file_sorted_by_total_index(sensitivity_file, tmp_path):
    plotted = sensitivity.plot(sensitivity_file, tmp_path)
    assert [p.name for p in plotted.files] == ["sensitivity.png"]
    assert plotted.files[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with h5py.File(sensitivity_file, "r") as f:
        parameters = [p.decode() if isinstance(p, bytes) else p for p in f["parameter"][()]]
        for o, output in enumerate(["x_last", "trend_bb"]):
            st = f["ST"][:, o]
            order = np.argsort(-st, kind="stable")
            assert list(plotted.data[f"{output}.parameters"]) == [parameters[i] for i in order]
            for name in ("ST", "ST_ci_low", "ST_ci_high", "S1", "S1_ci_low", "S1_ci_high"):
                assert np.array_equal(plotted.data[f"{output}.{name}"], f[name][:, o][order])
            assert plotted.data[f"{output}.noise_share"] == f["noise_share"][o]
    # The driver of each output comes first.
    assert plotted.data["x_last.parameters"][0] == "mean"
    assert plotted.data["trend_bb.parameters"][0] == "slope"


def test_report_section_is_an_html_fragment_with_the_ranked_table(sensitivity_file, tmp_path):
    fragment = sensitivity.sensitivity_section(sensitivity_file, tmp_path)
    assert fragment.startswith("<section") and fragment.endswith("</section>")
    assert '<img src="sensitivity.png"' in fragment
    assert (tmp_path / "sensitivity.png").exists()
    with h5py.File(sensitivity_file, "r") as f:
        st = f["ST"][0, 0]
        noise = f["noise_share"][0]
    assert f"<td>mean</td><td>{st:.3f} [" in fragment
    assert f"noise share {noise:.0%}" in fragment


def test_script_writes_the_figure_and_rejects_a_results_file(sensitivity_file, tmp_path):
    script = str(SCRIPTS / "plot_sensitivity.py")
    done = subprocess.run([PYTHON, script, str(sensitivity_file), "-o", str(tmp_path)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(tmp_path / "sensitivity.png")
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f.attrs["file_type"] = "natosim_results"
    done = subprocess.run([PYTHON, script, str(other)], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 3
    assert done.stderr.strip() == (f"error: {other}: not a natosim sensitivity file (no root "
                                   "attribute file_type = \"natosim_sensitivity\")")
