"""The ready studies in configs/ validate, and the policy study's paired comparisons behave."""
import subprocess
from pathlib import Path

import numpy as np
import pytest


def configs(source_dir):
    return sorted(Path(source_dir, "configs").glob("*.toml"))


def test_every_ready_study_validates(natosim_bin, source_dir):
    found = configs(source_dir)
    assert {p.name for p in found} >= {"baseline.toml", "policies.toml"}
    for config in found:
        result = subprocess.run([natosim_bin, "validate", str(config)], capture_output=True,
                                text=True, timeout=120)
        assert result.returncode == 0, f"{config}: {result.stderr}"
        assert "valid study" in result.stdout


@pytest.fixture(scope="module")
def policies(natosim_bin, source_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("policies") / "policies.h5"
    result = subprocess.run([natosim_bin, "run", str(Path(source_dir, "configs", "policies.toml")),
                             "-o", str(out), "--replicates", "200", "--quiet"],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    return out


def test_policy_differences_are_paired_and_narrower_than_unpaired(policies):
    import xarray as xr
    with xr.open_dataset(policies) as ds:
        assert ds.attrs["reference_scenario"] == "status_quo"
        reference = ds.sel(scenario="status_quo")
        assert float(np.abs(reference["allies_compliant_diff_mean"]).max()) == 0.0
        scenario = ds.sel(scenario="hague_conditional_high")
        paired = scenario["europe_canada_spending_diff_mcse"].values[1:]
        unpaired = np.hypot(scenario["europe_canada_spending_mcse"].values[1:],
                            reference["europe_canada_spending_mcse"].values[1:])
        # Common random numbers: the paired standard error is below the unpaired one every year,
        # and about half of it on average.
        assert np.all(paired < unpaired)
        assert np.mean(paired / unpaired) < 0.6
        low = scenario["europe_canada_spending_diff_ci_low"].values
        high = scenario["europe_canada_spending_diff_ci_high"].values
        mean = scenario["europe_canada_spending_diff_mean"].values
        assert np.all(low <= mean) and np.all(mean <= high)
        # The difference of means equals the mean of the paired differences.
        np.testing.assert_allclose(
            mean, scenario["europe_canada_spending_mean"].values
            - reference["europe_canada_spending_mean"].values, rtol=1e-9, atol=1e-9)


def test_credible_enforcement_raises_compliance_in_the_policy_study(policies):
    import xarray as xr
    with xr.open_dataset(policies) as ds:
        def late(scenario, what):
            return float(ds[f"allies_compliant_{what}"].sel(scenario=scenario)
                         .sel(year=slice(2035, None)).mean())
        # Paired difference of high minus low enforcement, Hague path: well beyond 3 SE.
        high = late("hague_conditional_high", "diff_mean")
        low = late("hague_conditional_low", "diff_mean")
        assert high > low + 3 * late("hague_conditional_high", "diff_mcse")


def test_threshold_sweep_runs_and_plots_along_its_parameters(natosim_bin, source_dir, tmp_path):
    import xarray as xr
    out = tmp_path / "sweep.h5"
    result = subprocess.run([natosim_bin, "sweep",
                             str(Path(source_dir, "configs", "threshold_sweep.toml")),
                             "-o", str(out), "--replicates", "16", "--quiet"],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    with xr.open_dataset(out) as ds:
        assert ds.sizes["design_point"] == 8 * 11
        thresholds = ds["policy.threshold"].values
        enforcement = ds["policy.enforcement_probability"].values
        assert sorted(set(thresholds)) == [1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0]
        assert len(set(enforcement)) == 11
        # The threshold in force is what the design point set.
        np.testing.assert_array_equal(ds["threshold_mean"].isel(year=0).values, thresholds)
        compliant = ds["allies_compliant_mean"].sel(year=2035).values
        # At full enforcement, a 5% threshold is met by fewer allies than a 2% one.
        high = enforcement == 1.0
        assert (compliant[high & (thresholds == 5.0)] < compliant[high & (thresholds == 2.0)]).all()
    figures = tmp_path / "figures"
    result = subprocess.run(["/usr/bin/python3", str(Path(source_dir, "scripts", "plot_sweep.py")),
                             str(out), "-o", str(figures), "--x", "policy.threshold",
                             "--y", "policy.enforcement_probability"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    pngs = sorted(figures.glob("*.png"))
    assert pngs and all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)


def test_unenforced_exercise_and_troop_restrictions_change_nothing(natosim_bin, source_dir,
                                                                   tmp_path):
    """The U.S. withholds exercises and moves troops away from a non-complier with the
    enforcement probability: at 0 the restrictions are empty words (bit-identical results), at 1
    they bite."""
    import xarray as xr
    study = tmp_path / "restrictions.toml"
    study.write_text(f"""[study]
model = "alliance"
extends = "{Path(source_dir, 'configs', 'baseline.toml')}"
replicates = 64
reference = "open"
[model.policy]
enforcement_probability = 0.0
[[scenario]]
name = "open"
[[scenario]]
name = "restricted_unenforced"
[scenario.set]
policy.exercises_to_compliers_only = true
policy.troops.reallocate_to_compliers = true
[[scenario]]
name = "restricted_enforced"
[scenario.set]
policy.exercises_to_compliers_only = true
policy.troops.reallocate_to_compliers = true
policy.enforcement_probability = 1.0
""")
    out = tmp_path / "r.h5"
    result = subprocess.run([natosim_bin, "run", str(study), "-o", str(out), "--quiet"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    with xr.open_dataset(out) as ds:
        for variable in ("defence_share", "us_troops", "allies_compliant"):
            unenforced = ds[f"{variable}_diff_mean"].sel(scenario="restricted_unenforced")
            assert float(np.abs(unenforced).max()) == 0.0, variable
        enforced = ds["us_troops_diff_mean"].sel(scenario="restricted_enforced")
        assert float(np.abs(enforced).max()) > 0.1
