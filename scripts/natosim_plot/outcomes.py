"""Whole-period outcomes of a study, with 95% intervals, and the fallbacks when a file lacks them.

The alliance model records whole-period outcomes as per-year CUMULATIVE variables whose value
in the last year is the outcome over the whole period: `any_attack_on_ally` (1 once any ally
was attacked), `attacks_to_date`, `peacekeepers_attacked_ever`, member-level
`first_compliant_year`, `gave_up`, `years_compliant`, and `europe_canada_spending_real`
(constant prices). A file written before them has only per-year variables: an expected count
over the period is then the sum of the per-year means (exact), with a conservative interval
(the sum of the per-year Monte Carlo standard errors); a probability of at least one event
cannot be derived from per-year summaries (it needs replicate values) and is not shown.

Each function returns an Outcome (mean, low, high arrays over the scenarios asked for, a note
on how the interval was made, and whether the value is the whole-period variable itself or a
fallback), or None when neither is in the file.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

Z95 = 1.959963984540054
AXES = ("scenario", "year")


@dataclass
class Outcome:
    mean: np.ndarray
    low: np.ndarray
    high: np.ndarray
    note: str
    variable: str
    fallback: str = ""  # why the whole-period variable was not used ("" when it was)
    extra: dict = field(default_factory=dict)


def _final(results, variable, selected, y=-1):
    """Mean and 95% interval of an alliance-level variable in year index y."""
    mean = results.stat(variable, "mean", axes=AXES)[selected, y]
    if results.is_binary(variable) and results.has(f"{variable}_wilson_low"):
        low = results.stat(variable, "wilson_low", axes=AXES)[selected, y]
        high = results.stat(variable, "wilson_high", axes=AXES)[selected, y]
        return mean, low, high, "Wilson 95% interval"
    mcse = results.stat(variable, "mcse", axes=AXES)[selected, y]
    return mean, mean - Z95 * mcse, mean + Z95 * mcse, "mean +- 1.96 Monte Carlo SE"


def _summed(results, variable, selected):
    """Sum over the years of the per-year mean, with the conservative interval."""
    mean = results.stat(variable, "mean", axes=AXES)[selected].sum(axis=1)
    half = Z95 * results.stat(variable, "mcse", axes=AXES)[selected].sum(axis=1)
    return mean, mean - half, mean + half


def probability(results, whole, selected) -> Outcome | None:
    """P(at least one event over the period) from a cumulative binary variable."""
    if not results.has(f"{whole}_mean"):
        return None
    mean, low, high, note = _final(results, whole, selected)
    return Outcome(mean, low, high, note, whole)


def _probability_or_reason(results, whole, per_year, selected):
    """The whole-period probability, or (when only the per-year variable is in the file) an
    Outcome of NaNs whose fallback says why none is shown."""
    out = probability(results, whole, selected)
    if out is None and results.has(f"{per_year}_mean"):
        nan = np.full(len(selected), np.nan)
        return Outcome(nan, nan, nan, "", whole,
                       fallback=f"this file has no {whole}: a whole-period probability cannot "
                                f"be built from per-year probabilities")
    return out


def attack_on_ally(results, selected):
    return _probability_or_reason(results, "any_attack_on_ally", "deterrence_failure", selected)


def peacekeepers_attacked(results, selected):
    return _probability_or_reason(results, "peacekeepers_attacked_ever",
                                  "peacekeepers_attacked", selected)


def expected_attacks(results, selected) -> Outcome | None:
    """Expected number of attacks on allies over the whole period."""
    if results.has("attacks_to_date_mean"):
        mean, low, high, note = _final(results, "attacks_to_date", selected)
        return Outcome(mean, low, high, note, "attacks_to_date")
    if results.has("deterrence_failure_mean"):
        # At most one attack a year, so the attacks on allies in a year are 1 when any ally
        # was attacked (deterrence_failure); `attacks` would also count the peacekeepers.
        mean, low, high = _summed(results, "deterrence_failure", selected)
        return Outcome(mean, low, high, "sum of the per-year probabilities of an attack on an "
                       "ally (at most one attack a year); conservative interval (sum of "
                       "per-year Monte Carlo SEs)", "deterrence_failure",
                       fallback="this file has no attacks_to_date: summed the per-year "
                                "probabilities of an attack on an ally")
    return None


def expected_peacekeeper_attacks(results, selected) -> Outcome | None:
    """Expected number of attacks on the peacekeepers over the period (at most one a year, so
    the sum over the years of the per-year probability)."""
    if not results.has("peacekeepers_attacked_mean"):
        return None
    mean, low, high = _summed(results, "peacekeepers_attacked", selected)
    return Outcome(mean, low, high, "sum of per-year probabilities; conservative interval",
                   "peacekeepers_attacked")


def spending_total(results, selected) -> Outcome | None:
    """Europe and Canada's defence spending summed over the period, in constant prices when the
    file has them."""
    for variable, fallback in (("europe_canada_spending_real", ""),
                               ("europe_canada_spending",
                                "this file has no europe_canada_spending_real: current prices")):
        if results.has(f"{variable}_mean"):
            mean, low, high = _summed(results, variable, selected)
            return Outcome(mean, low, high, "sum of yearly means; conservative interval (sum of "
                           "yearly Monte Carlo SEs)", variable, fallback=fallback)
    return None


def compliant_in(results, selected, y, variable="allies_compliant") -> Outcome | None:
    """Allies at or above their scenario's threshold in year index y (or, with
    variable="allies_at_common_threshold", at or above the threshold common to all scenarios)."""
    if not results.has(f"{variable}_mean"):
        return None
    lo, hi = results.quantile_index(0.05), results.quantile_index(0.95)
    mean = results.stat(variable, "mean", axes=AXES)[selected, y]
    if lo is not None and hi is not None and results.has(f"{variable}_quantiles"):
        q = results.stat(variable, "quantiles", axes=AXES + ("quantile",))[selected, y]
        return Outcome(mean, q[:, lo], q[:, hi], "mean [5%, 95% of replicates]", variable)
    mcse = results.stat(variable, "mcse", axes=AXES)[selected, y]
    return Outcome(mean, mean - Z95 * mcse, mean + Z95 * mcse, "mean +- 1.96 Monte Carlo SE",
                   variable)


def common_threshold_text(results) -> str:
    """The common threshold as the file describes it ("3.5%"), or "" when it says none."""
    import re
    match = re.search(r"at or above ([0-9.]+)% of GDP", results.long_name(
        "allies_at_common_threshold")) if results.has("allies_at_common_threshold_mean") else None
    return f"{match.group(1)}%" if match else ""


def threshold_paths(results):
    """Threshold (% of GDP) per scenario and year, or None."""
    return results.threshold()


def target_year_index(path) -> int:
    """The first year index at which a threshold path reaches its final value."""
    path = np.asarray(path, dtype=float)
    if not np.isfinite(path).any():
        return len(path) - 1
    final = path[np.isfinite(path)][-1]
    hits = np.nonzero(np.isclose(path, final))[0]
    # The first year of the last run of the final value.
    k = len(path) - 1
    while k > 0 and k - 1 in hits:
        k -= 1
    return int(k)


def describe_threshold(path, years) -> str:
    """'2%' for a constant threshold; '2% to 3.5% (2035)' for a path."""
    path = np.asarray(path, dtype=float)
    finite = path[np.isfinite(path)]
    if finite.size == 0:
        return "n/a"
    if np.allclose(finite, finite[0]):
        return f"{finite[0]:g}%"
    k = target_year_index(path)
    return f"{finite[0]:g}% to {finite[-1]:g}% ({int(years[k])})"


def paired_difference(results, variable, compared, summed=False):
    """(mean, low, high) of the paired difference to the reference over the scenarios
    `compared`: in the last year, or summed over the years (conservative interval)."""
    if summed:
        mean = results.stat(variable, "diff_mean", axes=AXES)[compared].sum(axis=1)
        half = Z95 * results.stat(variable, "diff_mcse", axes=AXES)[compared].sum(axis=1)
        return mean, mean - half, mean + half
    return tuple(results.stat(variable, s, axes=AXES)[compared, -1]
                 for s in ("diff_mean", "diff_ci_low", "diff_ci_high"))


def identical_to_reference(results, variables, s) -> bool:
    """True when scenario s's paired differences to the reference are exactly 0 in every year
    for every variable listed that the file has (the scenario changes nothing they measure)."""
    seen = False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for variable in variables:
            if not results.has(f"{variable}_diff_mean"):
                continue
            seen = True
            axes = results.axes(f"{variable}_diff_mean")
            d = np.asarray(results.read(f"{variable}_diff_mean", axes=axes))
            d = np.take(d, s, axis=axes.index("scenario"))
            if np.nanmax(np.abs(d), initial=0.0) != 0.0:
                return False
    return seen
