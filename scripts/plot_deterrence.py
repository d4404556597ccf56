#!/usr/bin/python3
"""Deterrence outcomes by scenario over the whole period: the probability of at least one attack
on an ally, the expected number of attacks on allies, the probability that the peacekeepers are
attacked, territory lost and the probability that the U.S. stood aside (these two in one year,
default the final), with 95% intervals; and where the attacks go: the share of the period's
expected attacks that hit the most attacked allies, the other allies and the peacekeepers.

    plot_deterrence.py RESULTS.h5 [-o DIR] [--scenario NAME ...] [--year YEAR]
                       [--format png|pdf ...]
        writes deterrence.png and attack_targets.png

Whole-period values come from the cumulative variables any_attack_on_ally, attacks_to_date and
peacekeepers_attacked_ever when the file has them; otherwise the expected attacks are the sum of
the per-year means, and the probabilities are shown for one year and labelled so.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

from natosim_plot import cli, outcomes, style  # noqa: E402
from natosim_plot.results import ATTACK_HINT  # noqa: E402
from natosim_plot.scenarios import Scenarios  # noqa: E402
from plot_differences import _rows  # noqa: E402

# In the order they are checked: the first missing one is named in the error.
REQUIRED = ("attacked_mean", "deterrence_failure_mean", "territory_lost_mean",
            "us_stood_aside_mean")
Z95 = 1.959963984540054
TOP_TARGETS = 5


def interval(results, variable, selected, year_index):
    """Mean and 95% interval of a variable in one year for each selected scenario (member-level
    variables are summed over allies). Binary variables use the Wilson interval; others the mean
    +- 1.96 MCSE. For a sum over allies the MCSE of the sum is bounded by the sum of the MCSEs
    (the allies' values are correlated), which gives a conservative interval."""
    member = results.level(variable) == "member"
    axes = ("scenario", "year", "member") if member else ("scenario", "year")
    mean = results.stat(variable, "mean", axes=axes)[selected, year_index]
    if results.is_binary(variable) and not member:
        low = results.stat(variable, "wilson_low", axes=axes)[selected, year_index]
        high = results.stat(variable, "wilson_high", axes=axes)[selected, year_index]
        return mean, low, high, "Wilson 95% interval"
    mcse = results.stat(variable, "mcse", axes=axes)[selected, year_index]
    if member:
        mean = np.nansum(mean, axis=-1)
        mcse = np.nansum(mcse, axis=-1)
        return (mean, mean - Z95 * mcse, mean + Z95 * mcse,
                "sum over allies, conservative 95% interval (sum of MCSEs)")
    return mean, mean - Z95 * mcse, mean + Z95 * mcse, "mean +- 1.96 MCSE"


def _errors(mean, low, high):
    """Error bar lengths below and above (never negative: a Wilson bound can sit a rounding
    error on the wrong side of a mean of 0 or 1)."""
    return np.vstack([np.maximum(np.nan_to_num(mean - low), 0.0),
                      np.maximum(np.nan_to_num(high - mean), 0.0)])


def _dots(axes, order, panels):
    """One row per scenario (grouped, as in the differences figure), one panel per outcome:
    panels is [(title, xlabel, mean, low, high)]."""
    rows, groups, top = _rows(order, order.indices)
    for ax, (title, xlabel, mean, low, high) in zip(axes, panels):
        for r, s, m, lo, hi in zip(rows, order.indices, mean, low, high):
            ax.errorbar([m], [r], xerr=_errors(np.array([m]), np.array([lo]), np.array([hi])),
                        fmt="o", color=order.colour(s), capsize=2.5, markersize=4.5,
                        linewidth=1.3)
        ax.set_title(textwrap.fill(title, 34), fontsize=9)
        ax.set_xlabel(xlabel, fontsize=8)
        with np.errstate(all="ignore"):
            right = float(np.nanmax(np.concatenate([np.asarray(high), np.asarray(mean)]),
                                    initial=0.0))
        right = right if right > 0 else 1.0
        ax.set_xlim(-0.03 * right, right * 1.05)  # a point at 0 stays whole
        ax.spines["left"].set_visible(False)
        ax.tick_params(axis="y", length=0)
        for _, position in groups[1:]:
            ax.axhline(position - 0.8, color="#dddddd", linewidth=0.8)
    first = axes[0]
    first.set_yticks(rows)
    first.set_yticklabels([order.label(s) for s in order.indices], fontsize=7.5)
    first.set_ylim(top - 0.4, -0.6)
    if len(groups) > 1:
        for group, position in groups:
            first.annotate(group or "(no group)", xy=(0, position - 0.55),
                           xycoords=("axes fraction", "data"), xytext=(-4, 0),
                           textcoords="offset points", ha="right", va="center", fontsize=7.5,
                           fontweight="bold", annotation_clip=False)
    return top


def plot(results, outdir, scenarios=None, year=None, formats=("png",)) -> style.Plotted:
    results.require(*REQUIRED, hint=ATTACK_HINT)
    order = Scenarios(results, results.select_scenarios(scenarios))
    selected = order.indices
    y = results.year_index(year)
    year_value = int(results.years[y])
    period = f"{results.years[0]}-{results.years[-1]}"
    data = {"scenario_index": np.array(selected), "year": np.array([year_value])}
    panels, methods = [], []

    def add(key, title, xlabel, mean, low, high, method):
        """A panel, its numbers under key, key_low, key_high, and how they were made."""
        data[key], data[f"{key}_low"], data[f"{key}_high"] = mean, low, high
        panels.append((title, xlabel, mean, low, high))
        methods.append(f"{title}: {method}")

    whole = outcomes.probability(results, "any_attack_on_ally", selected)
    if whole is not None:
        add("any_attack", f"At least one attack on an ally, {period}", "Probability",
            whole.mean, whole.low, whole.high, whole.note)
    else:
        add("attack_probability", f"Attack on an ally in {year_value} (this file has no "
            f"whole-period any_attack_on_ally)", "Probability",
            *interval(results, "deterrence_failure", selected, y))
    expected = outcomes.expected_attacks(results, selected)
    if expected is not None:
        add("expected_attacks", f"Expected attacks on allies, {period}", "Attacks",
            expected.mean, expected.low, expected.high, expected.note)
    force = outcomes.probability(results, "peacekeepers_attacked_ever", selected)
    if force is not None:
        add("peacekeepers", f"Peacekeepers attacked at least once, {period}", "Probability",
            force.mean, force.low, force.high, force.note)
    elif results.has("peacekeepers_attacked_mean"):
        force = outcomes.expected_peacekeeper_attacks(results, selected)
        add("peacekeepers", f"Expected attacks on the peacekeepers, {period}", "Attacks",
            force.mean, force.low, force.high, force.note)
    for variable, key, title in (("territory_lost", "territory_lost",
                                  f"Territory lost, {year_value}"),
                                 ("us_stood_aside", "us_stood_aside",
                                  f"U.S. stood aside, {year_value}")):
        unit = results.label(variable)
        xlabel = ("Probability" if results.is_binary(variable) else
                  unit[unit.find("(") + 1:unit.rfind(")")] if "(" in unit else unit)
        add(key, title + (" (total over allies)" if results.level(variable) == "member" else
                          ""), xlabel, *interval(results, variable, selected, y))

    ncols = min(3, len(panels))
    nrows = -(-len(panels) // ncols)
    _, _, top = _rows(order, selected)
    fig, axes = style.new_figure(2.6 + 3.0 * ncols, 0.9 + (0.24 * top + 1.1) * nrows, nrows,
                                 ncols, squeeze=False, sharey=True)
    for r in range(nrows):
        _dots(list(axes[r][:len(panels) - r * ncols]), order, panels[r * ncols:(r + 1) * ncols])
    for ax in axes.ravel()[len(panels):]:
        ax.axis("off")
    style.finish(fig, "Deterrence outcomes by scenario",
                 style.caption(results, selected, *methods))
    files = style.save(fig, outdir, "deterrence", formats)
    return style.Plotted(files, data, methods)


def target_shares(results, selected):
    """Expected attacks over the period on each ally and on the peacekeepers, and their shares
    of all expected attacks: dict of arrays (scenario, target) with the target names."""
    member_axes = ("scenario", "year", "member")
    on_ally = results.stat("attacked", "mean", axes=member_axes)[selected]
    ally_mcse = results.stat("attacked", "mcse", axes=member_axes)[selected]
    expected = np.nansum(on_ally, axis=1)             # (scenario, member)
    half = Z95 * np.nansum(ally_mcse, axis=1)
    total = expected.sum(axis=1)
    force = force_half = np.zeros(len(selected))
    if results.has("peacekeepers_attacked_mean"):
        force = results.stat("peacekeepers_attacked", "mean", axes=("scenario", "year"))[
            selected].sum(axis=1)
        force_half = Z95 * results.stat("peacekeepers_attacked", "mcse",
                                        axes=("scenario", "year"))[selected].sum(axis=1)
    total = total + force
    top = list(np.argsort(-expected.sum(axis=0), kind="stable")[:TOP_TARGETS])
    others = [m for m in range(expected.shape[1]) if m not in top]
    names = [results.member_label(m) for m in top] + ["Other allies", "Peacekeepers"]
    counts = np.column_stack([expected[:, top], expected[:, others].sum(axis=1), force])
    halves = np.column_stack([half[:, top], half[:, others].sum(axis=1), force_half])
    with np.errstate(invalid="ignore", divide="ignore"):
        share = counts / total[:, None]
        low = np.clip(counts - halves, 0, None) / total[:, None]
        high = np.clip(counts + halves, 0, None) / total[:, None]
    return {"targets": names, "expected": counts, "share": share, "share_low": low,
            "share_high": np.minimum(high, 1.0), "total": total, "top_members": np.array(top)}


def plot_targets(results, outdir, scenarios=None, formats=("png",)) -> style.Plotted:
    """Share of the period's expected attacks by target, one panel per target."""
    results.require("attacked_mean", "attacked_mcse", hint=ATTACK_HINT)
    order = Scenarios(results, results.select_scenarios(scenarios))
    selected = order.indices
    data = target_shares(results, selected)
    data["scenario_index"] = np.array(selected)
    period = f"{results.years[0]}-{results.years[-1]}"
    panels = [(name, "Share of expected attacks", data["share"][:, t], data["share_low"][:, t],
               data["share_high"][:, t]) for t, name in enumerate(data["targets"])]
    ncols = min(4, len(panels))
    nrows = -(-len(panels) // ncols)
    _, _, top = _rows(order, selected)
    fig, axes = style.new_figure(2.6 + 2.6 * ncols, 0.9 + (0.24 * top + 1.1) * nrows, nrows,
                                 ncols, squeeze=False, sharey=True, sharex=True)
    for r in range(nrows):
        _dots(list(axes[r][:len(panels) - r * ncols]), order, panels[r * ncols:(r + 1) * ncols])
    for ax in axes.ravel()[:len(panels)]:
        ax.set_xlim(-0.03, 1.03)
    for ax in axes.ravel()[len(panels):]:
        ax.axis("off")
    notes = [f"share of the expected attacks of {period} that hit each target "
             f"(the {TOP_TARGETS} allies attacked most in these scenarios, the others, the "
             f"peacekeepers)",
             "bars: 95% interval of the numerator (conservative: sum of per-year Monte Carlo "
             "SEs), total held fixed",
             "the model's adversary makes at most one attack a year: a higher share on one "
             "target is a lower share on the others"]
    style.finish(fig, f"Where the attacks go, {period}",
                 style.caption(results, selected, *notes))
    files = style.save(fig, outdir, "attack_targets", formats)
    return style.Plotted(files, data, notes)


def build_parser():
    p = cli.parser(__doc__)
    p.add_argument("--year", type=int, help="calendar year (default: the final year)")
    return p


def main(argv=None) -> int:
    def both(results, args):
        plotted = plot(results, cli.output_dir(args), args.scenario, args.year,
                       cli.formats(args))
        return plotted.extend(plot_targets(results, cli.output_dir(args), args.scenario,
                                           cli.formats(args)), prefix="targets/")
    return cli.main(build_parser, both, argv)


if __name__ == "__main__":
    sys.exit(main())
