"""scripts/discover.py and natosim_plot.prim: PRIM recovers a box planted in synthetic data, the
script reads draws and trajectories the way natosim writes them (docs/OUTPUT.md), and bad input
gives one line and exit status 2."""
import json
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
sys.path.insert(0, str(SCRIPTS))

import discover  # noqa: E402
from natosim_plot.prim import binomial_sf, prim  # noqa: E402

PYTHON = "/usr/bin/python3"
# The planted box: a in [0.2, 0.5] and b >= 0.6 (c is inert); 5% of outcomes flipped at random.
LOWER_A, UPPER_A, LOWER_B = 0.2, 0.5, 0.6
# With 4000 points, a 5% peel moves a limit by about 0.05 of the remaining range; recovered
# limits are checked to 0.03.
TOLERANCE = 0.03


def planted(n=4000, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.random((n, 3))
    y = ((x[:, 0] >= LOWER_A) & (x[:, 0] <= UPPER_A) & (x[:, 1] >= LOWER_B)).astype(float)
    flip = rng.random(n) < 0.05
    y[flip] = 1 - y[flip]
    return x, y


def check_box(lower, upper, restricted):
    assert restricted == [0, 1]
    assert lower[0] == pytest.approx(LOWER_A, abs=TOLERANCE)
    assert upper[0] == pytest.approx(UPPER_A, abs=TOLERANCE)
    assert lower[1] == pytest.approx(LOWER_B, abs=TOLERANCE)


def test_prim_recovers_the_planted_box():
    x, y = planted()
    result = prim(x, y)
    check_box(result.box.lower, result.box.upper, result.box.restricted(x))
    # 95% of the box's points are of interest at most (5% flipped); pasting kept it dense.
    assert result.box.density > 0.9
    assert result.quasi_p[0] < 1e-10 and result.quasi_p[1] < 1e-10
    # The peeling trajectory trades coverage for density: coverage never rises.
    coverage = [b.coverage for b in result.trajectory]
    assert all(a >= b for a, b in zip(coverage, coverage[1:]))
    assert result.trajectory[0].density == pytest.approx(y.mean())


def test_binomial_tail_matches_a_direct_sum():
    from math import comb
    direct = sum(comb(20, i) * 0.3 ** i * 0.7 ** (20 - i) for i in range(9, 21))
    assert binomial_sf(9, 20, 0.3) == pytest.approx(direct, rel=1e-12)
    assert binomial_sf(0, 20, 0.3) == 1.0


def write_results(path, per_member=False):
    """A results file as natosim run --store-draws --trajectories writes it (docs/OUTPUT.md)."""
    x, y = planted()
    with h5py.File(path, "w") as f:
        f.attrs["file_type"] = "natosim_results"
        f.attrs["scenario_dimension"] = "scenario"
        f.attrs["variables"] = np.array(["hit"], dtype=h5py.string_dtype())
        f.attrs["drawn_parameters"] = np.array(["group.a", "b", "c"], dtype=h5py.string_dtype())
        f["scenario"] = np.array(["base", "other"], dtype=h5py.string_dtype())
        f["year"] = np.array([2025, 2026], dtype=np.int32)
        f["member"] = np.array(["AA"], dtype=h5py.string_dtype())
        hit = np.zeros((2, len(y), 2) + ((1,) if per_member else ()))
        hit[0, :, 1] = y.reshape(hit[0, :, 1].shape)
        f["hit"] = hit
        f["draw_group_a"] = x[:, 0]
        f["draw_b"] = np.vstack([x[:, 1], x[:, 1]])  # per scenario
        f["draw_c"] = x[:, 2]
        complete_the_schema(f, len(y), per_member)


def complete_the_schema(f, replicates, per_member):
    """What else natosim writes (and every script now checks, as natosim info does): the
    provenance attributes, the coordinates and the summaries of the variable 'hit'."""
    f.attrs["schema_version"] = "1.0"
    f.attrs["seed"] = np.uint64(1)
    f.attrs["replicates"] = np.int64(replicates)
    f.attrs["reference_scenario"] = ""
    f["scenario_description"] = np.array(["", ""], dtype=h5py.string_dtype())
    f["member_name"] = np.array(["A"], dtype=h5py.string_dtype())
    f["quantile"] = np.array([0.5])
    f["replicate"] = np.arange(replicates, dtype=np.int64)
    for draw in ("draw_group_a", "draw_b", "draw_c"):
        f[draw].attrs["distribution"] = "uniform"
    cells = (2, 2) + ((1,) if per_member else ())
    for statistic in ("mean", "sd", "mcse", "min", "max", "wilson_low", "wilson_high"):
        f["hit_" + statistic] = np.zeros(cells)
    f["hit_quantiles"] = np.zeros(cells + (1,))
    mean = f["hit_mean"]
    mean.attrs["units"] = "1"
    mean.attrs["variable_long_name"] = "hit"
    mean.attrs["level"] = "member" if per_member else "global"
    mean.attrs["binary"] = np.int32(1)
    mean.attrs["may_be_missing"] = np.int32(0)


def test_script_finds_the_box_in_a_results_file(tmp_path):
    path = tmp_path / "r.h5"
    write_results(path)
    done = subprocess.run([PYTHON, str(SCRIPTS / "discover.py"), str(path), "--outcome",
                           "hit==1", "--year", "2026", "-o", str(tmp_path / "fig"), "--json"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    box = json.loads(done.stdout)
    restrictions = {r["parameter"]: r for r in box["restrictions"]}
    assert sorted(restrictions) == ["b", "group.a"]
    assert restrictions["group.a"]["lower"] == pytest.approx(LOWER_A, abs=TOLERANCE)
    assert restrictions["group.a"]["upper"] == pytest.approx(UPPER_A, abs=TOLERANCE)
    assert restrictions["b"]["lower"] == pytest.approx(LOWER_B, abs=TOLERANCE)
    for name in ("prim_tradeoff.png", "prim_box.png"):
        assert (tmp_path / "fig" / name).read_bytes()[:4] == b"\x89PNG"


def test_figures_plot_the_trajectory_and_the_box(tmp_path):
    path = tmp_path / "r.h5"
    write_results(path)
    keys, x, y, text = discover.load(path, "hit == 1", "base", 2026)
    assert keys == ["group.a", "b", "c"]
    result = prim(x, y)
    tradeoff = discover.plot_tradeoff(result, text, tmp_path)
    assert np.array_equal(tradeoff.data["coverage"], [b.coverage for b in result.trajectory])
    box = discover.plot_box(result, keys, x, text, tmp_path)
    assert list(box.data["parameters"]) == ["group.a", "b"]
    assert np.array_equal(box.data["lower"], result.box.lower[:2])


BAD = [
    (["--outcome", "hitt==1"],
     "error: {p}: --outcome \"hitt==1\": unknown variable 'hitt' (expected one of: hit)"),
    (["--outcome", "hit=1"],
     "error: --outcome \"hit=1\": not an outcome (expected VARIABLE or VARIABLE[MEMBER], an "
     "operator ==, !=, >=, <=, > or <, and a number, e.g. any_attack_on_ally==1)"),
    (["--outcome", "hit==1", "--year", "2030"],
     "error: {p}: --year 2030: outside the study (expected 2025 to 2026)"),
    (["--outcome", "hit==1", "--scenario", "nope"],
     "error: {p}: --scenario 'nope': unknown scenario (expected one of: base, other)"),
    (["--outcome", "hit==1", "--year", "2025"],
     "error: {p}: hit==1 in 2025, scenario base, 4000 replicates: no point has the outcome of "
     "interest"),
]


@pytest.mark.parametrize("args,message", BAD)
def test_bad_input_gives_one_line_and_exit_2(tmp_path, args, message):
    path = tmp_path / "r.h5"
    write_results(path)
    done = subprocess.run([PYTHON, str(SCRIPTS / "discover.py"), str(path), *args, "-o",
                           str(tmp_path / "fig")], capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [message.format(p=path)]
    assert not (tmp_path / "fig").exists()


def test_a_file_without_draws_or_trajectories_says_which_flag_is_missing(tmp_path):
    path = tmp_path / "r.h5"
    write_results(path)
    with h5py.File(path, "a") as f:
        del f.attrs["drawn_parameters"]
    with pytest.raises(discover.DiscoverError, match=r"no stored parameter draws \(run natosim "
                       r"run with --store-draws\)"):
        discover.load(path, "hit==1")
    with h5py.File(path, "a") as f:
        del f["hit"]
    with pytest.raises(discover.DiscoverError, match=r"no per-replicate values of 'hit' \(run "
                       r"natosim run with --trajectories\)"):
        discover.load(path, "hit==1")


def test_per_member_outcomes_need_a_member(tmp_path):
    path = tmp_path / "r.h5"
    write_results(path, per_member=True)
    keys, x, y, _ = discover.load(path, "hit[AA]==1", None, 2026)
    assert y.mean() > 0.1
    with pytest.raises(discover.DiscoverError, match="is per member"):
        discover.load(path, "hit==1")
