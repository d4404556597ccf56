"""Bad historical inputs (pledges, threat events, outcomes, dated schedules and the schedule CSV)
are refused through the real natosim with one line naming file, position, key and expectation,
exit status 2, and nothing written (issue 9)."""
import subprocess

import pytest

STUDY = """[study]
name = "bad"
model = "alliance"
extends = "{base}"
seed = 1
replicates = 5
start_year = 2014
years = 12
[model]
{line}
[[scenario]]
name = "history"
"""

CASES = [
    ("pledges.wales.deadline = 2010",
     "{study}:10:26: model.pledges.wales.deadline: the deadline must come after the announcement, "
     "got 2010 (expected a year > 2014)"),
    ("pledges.extra = {announced = 2020, deadline = 2030}",
     "{study}:10:17: model.pledges.extra.target_pct: missing required key, got nothing "
     "(expected a value)"),
    ('threat.events.crimea.members = ["XX"]',
     '{study}:10:32: model.threat.events.crimea.members: unknown ISO code, got "XX" '
     "(expected a member's code)"),
    ("threat.events.full_scale_invasion.until = 2020",
     "{study}:10:43: model.threat.events.full_scale_invasion.until: out of range, got 2020 "
     "(expected an integer in [2022, 2200])"),
    ("threat.events.x = {year = 2022, size = -1.0}",
     "{study}:10:40: model.threat.events.x.size: out of range, got -1 (expected a number in "
     "[0, 100])"),
    ("outcomes.from_year = 2030",
     "{study}:10:22: model.outcomes.from_year: out of range, got 2030 (expected an integer in "
     "[2014, 2025])"),
    ("policy.pressure = [[2017, -1.0]]",
     "{study}:10:19: model.policy.pressure[0][1]: out of range, got -1 (expected a number in "
     "[0, 10])"),
    ('policy.us_troops_in_europe = "troops.csv"',
     "{folder}/troops.csv:3: year: years must increase, got 2018 (expected a year > 2020)"),
    ("attack.forward_brigades.EE = [[2017, 0.3], [2016, 0.1]]",
     "{study}:10:30: model.attack.forward_brigades.EE[1][0]: years not increasing, got 2016 "
     "(expected a year after 2017)"),
    ('budget.pledge_gap_pp = {dist = "uniform", low = -1, high = 1}',
     "{study}:10:49: model.budget.pledge_gap_pp.low: out of range, got -1 (expected a number in "
     "[0, 10])"),
]


@pytest.mark.parametrize("line,message", CASES, ids=[c[0].split(" ")[0] for c in CASES])
def test_bad_historical_input_is_one_line_exit_2_nothing_written(natosim_bin, source_dir, tmp_path,
                                                                 line, message):
    (tmp_path / "troops.csv").write_text("year,value,source\n2020,80,x\n2018,65,y\n")
    study = tmp_path / "study.toml"
    study.write_text(STUDY.format(base=source_dir / "configs" / "baseline.toml", line=line))
    before = sorted(p.name for p in tmp_path.iterdir())
    out = tmp_path / "out.h5"
    result = subprocess.run([str(natosim_bin), "run", str(study), "-o", str(out)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [message.format(study=study, folder=tmp_path)]
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_the_backtest_and_its_counterfactuals_run_as_shipped(natosim_bin, source_dir, tmp_path):
    """configs/backtest_2014.toml runs with `natosim run` as it is; the counterfactuals change
    what they should: without the Wales pledge, at most a third as many allies bunched at
    2.00-2.09 in 2025 (the U.S. pressure's 2% notch alone bunches a few); on the priors too."""
    import h5py
    import numpy as np
    out = tmp_path / "bt.h5"
    result = subprocess.run([str(natosim_bin), "run", str(source_dir / "configs" /
                                                          "backtest_2014.toml"),
                             "--replicates", "50", "-o", str(out), "--quiet"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    with h5py.File(out, "r") as f:
        scenarios = [s.decode() for s in f["scenario"][:]]
        years = list(f["year"][:])
        assert years[0] == 2014 and years[-1] == 2025
        median = f["defence_share_quantiles"][:, years.index(2025), :, 2]
        members = [m.decode() for m in f["member"][:]]
    allies = [i for i, m in enumerate(members) if m not in ("US", "IS")]
    band = {s: int(np.sum((median[k, allies] >= 2.0) & (median[k, allies] < 2.1)))
            for k, s in enumerate(scenarios)}
    assert band["history"] >= 5 and band["history_priors"] >= 5
    assert band["no_wales_pledge"] <= band["history"] // 3, band


def test_params_describes_named_tables_from_their_documented_template(natosim_bin, source_dir):
    """`natosim params` finds the description of `model.pledges.wales.announced` in the
    `[model.pledges.NAME]` rows of docs/MODEL.md (and of a threat event's size likewise)."""
    result = subprocess.run([str(natosim_bin), "params", str(source_dir / "configs" /
                                                             "baseline.toml"), "--json"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    import json
    entries = {p["key"]: p for p in json.loads(result.stdout)["parameters"]}
    assert "Wales 2014/2024" in entries["model.pledges.wales.announced"]["description"]
    assert "threat units" in entries["model.threat.events.crimea.size"]["description"]
    assert "pp of GDP" in entries["model.budget.pledge_gap_pp"]["description"]
