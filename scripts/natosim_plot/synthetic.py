"""A synthetic results file that follows the schema (docs/OUTPUT.md), for tests and development.

Not a model: the numbers are random draws shaped like the alliance model's output, summarised the
way natosim summarises replicates. Used to exercise figures whose variables natosim does not
write yet (the attack model, parameter sweeps, the spending threshold).

    /usr/bin/python3 -m natosim_plot.synthetic OUT.h5 [--attack] [--sweep] [--threshold]
"""

from __future__ import annotations

import argparse
import warnings

import h5py
import numpy as np

ALLIES = [
    ("AL", "Albania"), ("BE", "Belgium"), ("BG", "Bulgaria"), ("CA", "Canada"),
    ("CZ", "Czechia"), ("DE", "Germany"), ("DK", "Denmark"), ("EE", "Estonia"),
    ("ES", "Spain"), ("FI", "Finland"), ("FR", "France"), ("GB", "United Kingdom"),
    ("GR", "Greece"), ("HR", "Croatia"), ("HU", "Hungary"), ("IS", "Iceland"),
    ("IT", "Italy"), ("LT", "Lithuania"), ("LU", "Luxembourg"), ("LV", "Latvia"),
    ("ME", "Montenegro"), ("MK", "North Macedonia"), ("NL", "Netherlands"), ("NO", "Norway"),
    ("PL", "Poland"), ("PT", "Portugal"), ("RO", "Romania"), ("SE", "Sweden"),
    ("SI", "Slovenia"), ("SK", "Slovakia"), ("TR", "Türkiye"), ("US", "United States"),
]
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
EASTERN_FLANK = {"EE", "LV", "LT", "PL", "FI", "RO"}

# name, units, long_name, level, binary, may_be_missing
ALLIANCE_VARIABLES = [
    ("defence_share", "% of GDP", "defence spending as a share of GDP", "member", False, False),
    ("defence_spending", "US$ bn", "defence spending", "member", False, False),
    ("gdp", "US$ bn", "gross domestic product", "member", False, False),
    ("capability", "1", "military capability index", "member", False, False),
    ("compliant", "1", "meets the spending threshold", "member", True, True),
    ("us_reliability", "1", "perceived reliability of the United States", "member", False, False),
    ("us_troops", "thousands", "U.S. troops stationed", "member", False, False),
    ("threat", "1", "perceived threat", "member", False, False),
    ("allies_compliant", "allies", "allies meeting the spending threshold", "global", False,
     False),
    ("europe_canada_spending", "US$ bn", "defence spending of European allies and Canada",
     "global", False, False),
    ("us_share_of_spending", "%", "U.S. share of alliance defence spending", "global", False,
     False),
]
ATTACK_VARIABLES = [
    ("attacked", "1", "ally attacked", "member", True, False),
    ("territory_lost", "km2", "territory lost", "member", False, False),
    ("us_responded", "1", "United States responded to the attack", "member", True, True),
    ("attacks", "attacks", "attacks on allies", "global", False, False),
    ("article5_invocations", "invocations", "Article 5 invocations", "global", False, False),
    ("us_stood_aside", "1", "United States stood aside", "global", True, False),
    ("peacekeepers_attacked", "1", "peacekeepers attacked", "global", True, False),
    ("deterrence_failure", "1", "deterrence failed (any ally attacked)", "global", True, False),
]
THRESHOLD_VARIABLE = ("threshold", "% of GDP", "spending threshold", "global", False, False)
# Whole-period outcomes: per-year cumulative values whose last year is the whole period's.
WHOLE_PERIOD_VARIABLES = [
    ("first_compliant_year", "year", "first year at or above the threshold", "member", False,
     True),
    ("gave_up", "1", "gave up on the threshold", "member", True, True),
    ("years_compliant", "years", "years at or above the threshold so far", "member", False,
     True),
    ("europe_canada_spending_real", "US$ bn (constant 2015)",
     "defence spending of European allies and Canada in constant 2015 prices", "global", False,
     False),
]
WHOLE_PERIOD_ATTACK_VARIABLES = [
    ("any_attack_on_ally", "1", "at least one attack on an ally so far", "global", True, False),
    ("attacks_to_date", "attacks", "attacks on allies so far", "global", False, False),
    ("peacekeepers_attacked_ever", "1", "peacekeepers attacked at least once so far", "global",
     True, False),
]


def _wilson(successes, n, z=1.959963984540054):
    with np.errstate(invalid="ignore", divide="ignore"):
        p = successes / n
        denominator = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denominator
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return centre - half, centre + half


def summarise(values, binary):
    """Summary statistics over the replicate axis (axis 1) of `values` (scenario, replicate, ...)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            count = np.sum(~np.isnan(values), axis=1)
            out = {
                "mean": np.nanmean(values, axis=1),
                "sd": np.nanstd(values, axis=1, ddof=1),
                "min": np.nanmin(values, axis=1),
                "max": np.nanmax(values, axis=1),
                "quantiles": np.moveaxis(np.nanquantile(values, QUANTILES, axis=1), 0, -1),
                "count": count.astype(np.int64),
            }
            out["mcse"] = out["sd"] / np.sqrt(count)
            if binary:
                out["wilson_low"], out["wilson_high"] = _wilson(np.nansum(values, axis=1), count)
    return out


def differences(values, reference):
    with np.errstate(invalid="ignore", divide="ignore"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            d = values - values[reference : reference + 1]
            mean = np.nanmean(d, axis=1)
            n = np.sum(~np.isnan(d), axis=1)
            mcse = np.nanstd(d, axis=1, ddof=1) / np.sqrt(n)
    mean[reference] = 0.0
    mcse[reference] = 0.0
    return {"diff_mean": mean, "diff_mcse": mcse, "diff_ci_low": mean - 1.96 * mcse,
            "diff_ci_high": mean + 1.96 * mcse}


def _simulate(rng, scenarios, years, replicates, attack, threshold_by_scenario, scale=1.0):
    """Replicate values (scenario, replicate, year[, member]) of every variable."""
    S, R, Y, M = len(scenarios), replicates, len(years), len(ALLIES)
    codes = [c for c, _ in ALLIES]
    base_share = rng.uniform(1.1, 3.2, size=M)
    base_share[codes.index("PL")] = 4.1
    base_share[codes.index("US")] = 3.4
    base_share[codes.index("IS")] = 0.1
    gdp0 = rng.lognormal(mean=5.5, sigma=1.2, size=M)
    gdp0[codes.index("US")] = 28000.0
    trend = np.array([0.02 + 0.12 * s for s in range(S)]) * scale
    shocks = rng.normal(0, 0.12, size=(S, R, Y, M)).cumsum(axis=2)
    t = np.arange(Y)
    share = base_share[None, None, None, :] + trend[:, None, None, None] * t[None, None, :, None] \
        * (base_share < 3.5)[None, None, None, :] + shocks
    share = np.clip(share, 0.05, None)
    share[..., codes.index("IS")] = 0.1
    gdp = gdp0[None, None, None, :] * (1.015 ** t)[None, None, :, None] * \
        np.exp(rng.normal(0, 0.01, size=(S, R, Y, M)))
    spending = share / 100.0 * gdp
    threshold = np.array([[threshold_by_scenario(s, y) for y in years] for s in range(S)])
    compliant = (share >= threshold[:, None, :, None]).astype(float)
    compliant[..., codes.index("IS")] = np.nan
    us = codes.index("US")
    others = [i for i in range(M) if i != us]
    v = {
        "defence_share": share,
        "defence_spending": spending,
        "gdp": gdp,
        "capability": np.cumsum(spending, axis=2) / 100.0,
        "compliant": compliant,
        "us_reliability": np.clip(rng.beta(8, 3, size=(S, R, Y, M)), 0, 1),
        "us_troops": np.abs(rng.normal(3, 2, size=(S, R, Y, M))),
        "threat": rng.uniform(0, 1, size=(S, R, Y, M)),
        "allies_compliant": np.nansum(compliant, axis=3),
        "europe_canada_spending": spending[..., others].sum(axis=3),
        "us_share_of_spending": 100 * spending[..., us] / spending.sum(axis=3),
        "threshold": np.broadcast_to(threshold[:, None, :], (S, R, Y)).copy(),
    }
    met = np.nan_to_num(compliant) > 0
    ever = np.cumsum(met, axis=2) > 0
    first_year = np.where(ever, (np.argmax(met, axis=2) + int(years[0]))[:, :, None, :], np.nan)
    first_year[..., codes.index("IS")] = np.nan
    gave_up = np.maximum.accumulate((share < 1.0).astype(float), axis=2)
    gave_up[..., codes.index("IS")] = np.nan
    years_compliant = np.cumsum(np.nan_to_num(compliant), axis=2)
    years_compliant[..., codes.index("IS")] = np.nan
    deflator = (1.025 ** (np.asarray(years) - 2021))[None, None, :]
    v.update({
        "first_compliant_year": first_year,
        "gave_up": gave_up,
        "years_compliant": years_compliant,
        "europe_canada_spending_real": v["europe_canada_spending"] / deflator,
    })
    if attack:
        p = np.array([0.04 if c in EASTERN_FLANK else 0.004 for c in codes])
        p = p[None, None, None, :] * np.exp(-0.6 * trend[:, None, None, None] * 5)
        attacked = (rng.uniform(size=(S, R, Y, M)) < p).astype(float)
        territory = attacked * rng.exponential(800.0, size=(S, R, Y, M))
        responded = np.where(attacked == 1, (rng.uniform(size=(S, R, Y, M)) < 0.8).astype(float),
                             np.nan)
        v.update({
            "attacked": attacked,
            "territory_lost": territory,
            "us_responded": responded,
            "attacks": attacked.sum(axis=3),
            "article5_invocations": attacked.sum(axis=3),
            "us_stood_aside": (np.nansum(responded == 0, axis=3) > 0).astype(float),
            "peacekeepers_attacked": (rng.uniform(size=(S, R, Y)) < 0.01).astype(float),
            "deterrence_failure": (attacked.sum(axis=3) > 0).astype(float),
        })
        v.update({
            "any_attack_on_ally": np.maximum.accumulate(v["deterrence_failure"], axis=2),
            "attacks_to_date": np.cumsum(v["attacks"], axis=2),
            "peacekeepers_attacked_ever": np.maximum.accumulate(v["peacekeepers_attacked"],
                                                                axis=2),
        })
    return v


def _string_dataset(f, name, values):
    return f.create_dataset(name, data=np.array(values, dtype=object),
                            dtype=h5py.string_dtype("utf-8"))


def write(path, scenarios=("current_plans", "two_percent", "hague_5pct"), first_year=2025,
          years=11, replicates=200, seed=20250101, reference="current_plans", attack=False,
          threshold=False, sweep=False, omit=(), alliance=True, whole_period=False,
          labels=None, groups=None, thresholds=None):
    """Writes a synthetic results file and returns its path.

    attack: also the attack model's variables; threshold: also the alliance-level variable
    `threshold`; sweep: a parameter sweep (a design_point axis between scenario and year, with
    swept parameters threat_growth and us_reliability_shift on a 4 x 3 grid; sweep="lhs": a
    Latin hypercube of 40 points over the same two parameters); omit: variable names to leave
    out (to test the missing-variable path); whole_period: also the whole-period outcomes
    (any_attack_on_ally... with attack, first_compliant_year, gave_up, years_compliant,
    europe_canada_spending_real); labels, groups: the scenario_label and scenario_group
    datasets; thresholds: a constant threshold (% of GDP) per scenario instead of the default
    (2% for the first two scenarios, else 2% rising to 3.5% in the fourth year)."""
    rng = np.random.default_rng(seed)
    year_values = np.arange(first_year, first_year + years, dtype=np.int32)

    def threshold_by_scenario(s, y):
        if thresholds is not None:
            return float(thresholds[s])
        return 2.0 if s < 2 or y < first_year + 3 else 3.5

    specs = (list(ALLIANCE_VARIABLES) if alliance else []) + (ATTACK_VARIABLES if attack else [])
    if threshold:
        specs.append(THRESHOLD_VARIABLE)
    if whole_period and alliance:
        specs += WHOLE_PERIOD_VARIABLES
    if whole_period and attack:
        specs += WHOLE_PERIOD_ATTACK_VARIABLES
    specs = [s for s in specs if s[0] not in omit]

    design = None
    if sweep:
        if sweep == "lhs":  # one value of each parameter per stratum, strata shuffled
            n = 40
            a = (rng.permutation(n) + rng.uniform(size=n)) / n * 0.15
            b = (rng.permutation(n) + rng.uniform(size=n)) / n * 0.4 - 0.2
            grid = list(zip(a.tolist(), b.tolist()))
        else:
            grid = [(a, b) for a in (0.0, 0.05, 0.1, 0.15) for b in (-0.2, 0.0, 0.2)]
        design = {"threat_growth": np.array([g[0] for g in grid]),
                  "us_reliability_shift": np.array([g[1] for g in grid])}
        draws = [_simulate(rng, scenarios, year_values, replicates, attack, threshold_by_scenario,
                           scale=1.0 + 4 * a + b) for a, b in grid]
        values = {name: np.stack([d[name] for d in draws], axis=2) for name in draws[0]}
        # -> (scenario, replicate, design_point, year[, member])
    else:
        values = _simulate(rng, scenarios, year_values, replicates, attack,
                           threshold_by_scenario)
    ref = list(scenarios).index(reference) if reference else -1

    with h5py.File(path, "w") as f:
        attrs = {
            "file_type": "natosim_results", "schema_version": "1.0",
            "natosim_version": "0.1.0", "git_commit": "synthetic000",
            "build_type": "Release", "compiler": "none (synthetic file)",
            "library_versions": "numpy " + np.__version__,
            "created_utc": "2025-01-01T00:00:00Z",
            "command_line": "natosim_plot.synthetic", "config_file": "synthetic.toml",
            "config_text": "[study]\nname = \"synthetic\"\n# <not a real study> & \"quoted\"\n",
            "config_sha256": "0" * 64, "study_name": "synthetic",
            "study_description": "Synthetic file for testing the figures (not model output)",
            "model": "alliance", "threads": "1",
            "reference_scenario": reference or "",
        }
        for key, value in attrs.items():
            f.attrs[key] = value
        f.attrs["seed"] = np.uint64(seed)
        f.attrs["replicates"] = np.int64(replicates)
        f.attrs["variables"] = np.array([s[0] for s in specs], dtype=h5py.string_dtype())

        scales = {}
        scales["scenario"] = _string_dataset(f, "scenario", list(scenarios))
        scales["year"] = f.create_dataset("year", data=year_values)
        scales["member"] = _string_dataset(f, "member", [c for c, _ in ALLIES])
        scales["quantile"] = f.create_dataset("quantile", data=np.array(QUANTILES))
        if design is not None:
            scales["design_point"] = f.create_dataset(
                "design_point", data=np.arange(len(design["threat_growth"]), dtype=np.int64))
        for name, ds in scales.items():
            ds.make_scale(name)
        d = _string_dataset(f, "scenario_description",
                            [f"Synthetic scenario {s}" for s in scenarios])
        d.dims[0].attach_scale(scales["scenario"])
        for name, column in (("scenario_label", labels), ("scenario_group", groups)):
            if column is not None:
                _string_dataset(f, name, list(column)).dims[0].attach_scale(scales["scenario"])
        d = _string_dataset(f, "member_name", [n for _, n in ALLIES])
        d.dims[0].attach_scale(scales["member"])
        if design is not None:
            f.attrs["swept_parameters"] = np.array(list(design), dtype=h5py.string_dtype())
            for name, column in design.items():
                ds = f.create_dataset(name, data=column)
                ds.dims[0].attach_scale(scales["design_point"])
                ds.attrs["units"] = "1"
                ds.attrs["long_name"] = name.replace("_", " ")

        for name, units, long_name, level, binary, may_be_missing in specs:
            x = values[name]
            axes = ["scenario"] + (["design_point"] if design is not None else []) + ["year"]
            if level == "member":
                axes.append("member")
            stats = summarise(x, binary)
            if ref >= 0:
                stats.update(differences(x, ref))
            for stat, data in stats.items():
                if stat == "count" and not may_be_missing:
                    continue
                ds = f.create_dataset(f"{name}_{stat}", data=data)
                for i, axis in enumerate(axes + (["quantile"] if stat == "quantiles" else [])):
                    ds.dims[i].attach_scale(scales[axis])
                ds.attrs["units"] = "1" if stat == "count" else units
                ds.attrs["long_name"] = f"{long_name} ({stat})"
                if stat == "mean":
                    ds.attrs["variable_long_name"] = long_name
                    ds.attrs["level"] = level
                    ds.attrs["binary"] = np.int32(binary)
                    ds.attrs["may_be_missing"] = np.int32(may_be_missing)
                if stat.startswith("diff_"):
                    ds.attrs["reference_scenario"] = reference
    return path


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out")
    p.add_argument("--attack", action="store_true")
    p.add_argument("--sweep", action="store_true")
    p.add_argument("--threshold", action="store_true")
    p.add_argument("--whole-period", action="store_true")
    p.add_argument("--lhs", action="store_true", help="a Latin hypercube sweep")
    p.add_argument("--replicates", type=int, default=200)
    p.add_argument("--no-reference", action="store_true")
    args = p.parse_args(argv)
    write(args.out, attack=args.attack, sweep="lhs" if args.lhs else args.sweep,
          threshold=args.threshold, whole_period=args.whole_period,
          replicates=args.replicates, reference=None if args.no_reference else "current_plans")
    print(args.out)


if __name__ == "__main__":  # pragma: no cover
    main()
