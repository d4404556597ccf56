"""The HDF5 results file opens as one self-describing dataset in xarray and h5py.

Uses the sample file written by tests/sim/io/write_sample_results (2 scenarios, 3 years, 3
members, 4 replicates; see tests/sim/io/sample_results.cpp for the values).
"""

import json

import h5py
import numpy as np
import pytest
import xarray as xr

DIMS = {"scenario", "year", "member", "quantile", "replicate", "event"}
MEMBER_VARIABLE = "defence_spending_share"
BINARY_VARIABLE = "meets_target"
GLOBAL_VARIABLE = "alliance_spending_usd_bn"


@pytest.fixture
def sample(write_sample):
    path, _ = write_sample()
    return path


def open_xarray(path, engine="netcdf4"):
    return xr.open_dataset(path, engine=engine)


def assert_no_phony_dims(ds):
    for name, variable in ds.variables.items():
        assert not any(d.startswith("phony_dim") for d in variable.dims), (name, variable.dims)


@pytest.mark.parametrize("engine", ["netcdf4", None])
def test_xarray_opens_one_dataset_with_named_dimensions(sample, engine):
    with open_xarray(sample, engine) as ds:
        assert set(ds.sizes) == DIMS
        assert dict(ds.sizes) == {"scenario": 2, "year": 3, "member": 3, "quantile": 3,
                                  "replicate": 4, "event": 5}
        assert_no_phony_dims(ds)
        assert ds[f"{MEMBER_VARIABLE}_mean"].dims == ("scenario", "year", "member")
        assert ds[f"{GLOBAL_VARIABLE}_mean"].dims == ("scenario", "year")
        assert ds[f"{MEMBER_VARIABLE}_quantiles"].dims == ("scenario", "year", "member",
                                                           "quantile")
        assert ds[MEMBER_VARIABLE].dims == ("scenario", "replicate", "year", "member")
        assert ds[GLOBAL_VARIABLE].dims == ("scenario", "replicate", "year")
        assert ds["event_kind"].dims == ("event",)


def test_coordinates_hold_the_axis_labels(sample):
    with open_xarray(sample) as ds:
        assert list(ds["scenario"].values) == ["baseline", "surge"]
        assert list(ds["year"].values) == [2025, 2026, 2027]
        assert list(ds["member"].values) == ["DE", "FR", "PL"]
        np.testing.assert_array_equal(ds["quantile"].values, [0.05, 0.5, 0.95])
        assert list(ds["replicate"].values) == [0, 1, 2, 3]
        assert list(ds["event"].values) == [0, 1, 2, 3, 4]
        assert list(ds["scenario_description"].values) == [
            "Current spending plans", "All members reach 3% of GDP by 2027"]
        assert list(ds["member_name"].values) == ["Germany", "France", "Poland"]


def test_xarray_values_equal_what_h5py_reads(sample):
    with open_xarray(sample) as ds, h5py.File(sample, "r") as f:
        for name in [f"{MEMBER_VARIABLE}_mean", f"{MEMBER_VARIABLE}_quantiles",
                     f"{BINARY_VARIABLE}_wilson_low", f"{GLOBAL_VARIABLE}_diff_mean",
                     MEMBER_VARIABLE]:
            np.testing.assert_array_equal(ds[name].values, f[name][()], err_msg=name)
        mean = ds[f"{MEMBER_VARIABLE}_mean"]
        # Cell (s=0, y=1, m=1) is missing in every replicate: NaN mean, count 0.
        assert np.isnan(mean.sel(scenario="baseline", year=2026, member="FR").item())
        assert ds[f"{MEMBER_VARIABLE}_count"].sel(scenario="baseline", year=2026,
                                                  member="FR").item() == 0
        assert mean.sel(scenario="surge", year=2027, member="PL").item() == pytest.approx(
            0.02 * (1 + 0.1 * 17), rel=0, abs=0)


def test_optional_statistics_exist_only_where_they_apply(sample):
    with open_xarray(sample) as ds:
        assert f"{MEMBER_VARIABLE}_count" in ds
        assert f"{BINARY_VARIABLE}_count" not in ds
        assert f"{BINARY_VARIABLE}_wilson_low" in ds and f"{BINARY_VARIABLE}_wilson_high" in ds
        assert f"{MEMBER_VARIABLE}_wilson_low" not in ds
        for suffix in ["mean", "sd", "mcse", "min", "max", "quantiles", "diff_mean", "diff_mcse",
                       "diff_ci_low", "diff_ci_high"]:
            assert f"{GLOBAL_VARIABLE}_{suffix}" in ds
        assert ds[f"{MEMBER_VARIABLE}_count"].dtype == np.int64


def test_attributes_describe_the_file_and_each_variable(sample):
    with open_xarray(sample) as ds:
        assert ds.attrs["file_type"] == "natosim_results"
        assert ds.attrs["schema_version"] == "1.0"
        assert int(ds.attrs["seed"]) == 18446744073709551557
        assert int(ds.attrs["replicates"]) == 4
        assert ds.attrs["reference_scenario"] == "baseline"
        assert ds.attrs["study_name"] == "sample_study"
        assert ds.attrs["config_text"].startswith("[study]\n")
        mean = ds[f"{GLOBAL_VARIABLE}_mean"]
        assert mean.attrs["units"] == "USD bn"
        assert mean.attrs["long_name"] == "Total alliance defence spending (mean over replicates)"
        assert mean.attrs["level"] == "global"
        assert ds[f"{MEMBER_VARIABLE}_sd"].attrs["units"] == "1"
        assert ds[f"{MEMBER_VARIABLE}_diff_mean"].attrs["reference_scenario"] == "baseline"
        assert ds[GLOBAL_VARIABLE].attrs["long_name"] == "Total alliance defence spending"
        assert "_FillValue" not in mean.attrs and "_FillValue" not in mean.encoding


def test_event_columns_are_one_dataset_each_on_the_event_dimension(sample):
    with open_xarray(sample) as ds:
        kind = ds["event_kind"]
        assert kind.dtype == np.int32
        assert list(kind.values) == [0, 1, 2, 1, 1]
        assert list(kind.attrs["flag_values"]) == [0, 1, 2]
        assert kind.attrs["flag_meanings"] == "budget_cut spending_surge free_riding"
        assert kind.attrs["categories"] == "budget_cut,spending_surge,free_riding"
        labels = np.array(kind.attrs["flag_meanings"].split())[kind.values]
        assert list(labels) == ["budget_cut", "spending_surge", "free_riding", "spending_surge",
                                "spending_surge"]
        assert list(ds["event_year"].values) == [2025, 2026, 2027, 2025, 2026]
        assert ds["event_year"].dtype == np.int32
        assert ds["event_scenario"].dtype == np.int32
        assert ds["event_size_usd_bn"].dtype == np.float64
        np.testing.assert_array_equal(ds["event_size_usd_bn"].values,
                                      [-1.5, 12.25, 0.0, 30.5, 7.75])
        assert ds["event_size_usd_bn"].attrs["units"] == "USD bn"


def test_zero_events_still_open_with_an_empty_event_dimension(write_sample):
    path, _ = write_sample("--no-events")
    with open_xarray(path) as ds:
        assert ds.sizes["event"] == 0
        assert ds["event_kind"].shape == (0,)
        assert ds["event_scenario"].dims == ("event",)
        assert_no_phony_dims(ds)
    with h5py.File(path, "r") as f:
        assert f["event_kind"].shape == (0,)


def test_a_bare_study_with_empty_quantile_axis_opens(write_sample):
    path, _ = write_sample("--bare")
    with open_xarray(path) as ds:
        assert ds.sizes["quantile"] == 0
        assert "event" not in ds.sizes and "replicate" not in ds.sizes
        assert ds.attrs["reference_scenario"] == ""
        assert ds[f"{MEMBER_VARIABLE}_quantiles"].shape == (2, 3, 3, 0)
        assert_no_phony_dims(ds)


def test_h5py_reads_strings_as_str_and_sees_dimension_scales(sample):
    with h5py.File(sample, "r") as f:
        assert f.attrs["file_type"] == "natosim_results"
        assert isinstance(f.attrs["study_name"], str)
        assert f.attrs["seed"] == 18446744073709551557
        assert f.attrs["seed"].dtype == np.uint64
        assert list(f["scenario"].asstr()[()]) == ["baseline", "surge"]
        assert list(f["member"].asstr()[()]) == ["DE", "FR", "PL"]
        mean = f[f"{MEMBER_VARIABLE}_mean"]
        assert mean.shape == (2, 3, 3)
        assert [dim[0].name for dim in mean.dims] == ["/scenario", "/year", "/member"]
        for scale in ["scenario", "year", "member", "quantile", "replicate", "event"]:
            assert h5py.h5ds.is_scale(f[scale].id), scale
        trajectory = f[MEMBER_VARIABLE]
        assert trajectory.compression == "gzip" and trajectory.compression_opts == 1
        assert trajectory.shuffle
        assert trajectory.chunks[0] == 1 and trajectory.chunks[2:] == (3, 3)


def test_describe_json_is_valid_and_complete(write_sample):
    _, stdout = write_sample("--describe-json")
    info = json.loads(stdout)
    assert info["file_type"] == "natosim_results"
    assert info["schema_version"] == "1.0"
    assert info["study_name"] == "sample_study"
    assert info["seed"] == 18446744073709551557
    assert info["replicates"] == 4
    assert info["scenarios"][1] == {"name": "surge",
                                    "description": "All members reach 3% of GDP by 2027"}
    assert info["reference_scenario"] == "baseline"
    assert (info["first_year"], info["last_year"]) == (2025, 2027)
    assert info["members"] == ["DE", "FR", "PL"] and info["member_count"] == 3
    assert [v["name"] for v in info["variables"]] == [MEMBER_VARIABLE, BINARY_VARIABLE,
                                                      GLOBAL_VARIABLE]
    assert info["variables"][1]["binary"] is True
    assert info["variables"][2]["level"] == "global"
    assert info["has_trajectories"] is True
    assert info["event_count"] == 5
    assert info["attributes"]["config_text"] == '[study]\nname = "sample \\"quoted\\""\n\tseed = 7\n'


def test_h5netcdf_engine_opens_the_file_too(sample):
    pytest.importorskip("h5netcdf")
    with open_xarray(sample, engine="h5netcdf") as ds:
        assert set(ds.sizes) == DIMS
        assert_no_phony_dims(ds)


def test_a_sweep_has_a_design_point_axis_with_swept_parameters_as_coordinates(write_sample):
    path, stdout = write_sample("--sweep", "--describe-json")
    with open_xarray(path) as ds:
        assert "scenario" not in ds.sizes
        assert ds.sizes["design_point"] == 2
        assert_no_phony_dims(ds)
        assert list(ds["design_point"].values) == ["point_0", "point_1"]
        assert ds[f"{MEMBER_VARIABLE}_mean"].dims == ("design_point", "year", "member")
        assert ds[MEMBER_VARIABLE].dims == ("design_point", "replicate", "year", "member")
        assert "model.drift" in ds.coords and "threat_growth" in ds.coords
        assert ds["model.drift"].dims == ("design_point",)
        np.testing.assert_array_equal(ds["model.drift"].values, [0.1, 0.3])
        assert "design_point_description" in ds
        # The swept value can replace the point name as the axis to plot against.
        by_drift = ds[f"{GLOBAL_VARIABLE}_mean"].swap_dims(design_point="model.drift")
        assert by_drift.dims == ("model.drift", "year")
    with h5py.File(path, "r") as f:
        assert list(f.attrs["swept_parameters"]) == ["model.drift", "threat_growth"]
        assert f.attrs["scenario_dimension"] == "design_point"
    info = json.loads(stdout)
    assert info["scenario_dimension"] == "design_point"
    assert info["swept_parameters"][1] == {"key": "threat_growth", "values": [0.0, 0.05]}
