#!/usr/bin/python3
"""Paired differences to the reference scenario in one year (default: the final year), with 95%
confidence intervals: a forest plot, one panel per variable.

    plot_differences.py RESULTS.h5 [-o DIR] [--scenario NAME ...] [--variable NAME ...]
                        [--year YEAR] [--format png|pdf ...]
        writes differences.png (alliance-level variables and the mean compliance probability over
        allies) and differences_<variable>.png for each member-level variable asked for with
        --variable (one row per ally)

Default variables: allies_compliant, europe_canada_spending, us_share_of_spending, the mean over
allies of compliant (--variable mean_compliance_over_allies), and deterrence_failure,
us_stood_aside, attacks when the file has them.
"""

from __future__ import annotations

import math
import sys
import textwrap
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

from natosim_plot import cli, style  # noqa: E402
from natosim_plot.scenarios import Scenarios, variant_of  # noqa: E402
from natosim_plot.results import (REFERENCE_HINT, NotApplicable, UsageError,  # noqa: E402
                                  difference_units)  # noqa: E402

# Pseudo-variable: the mean over allies of compliant (the mean compliance probability).
MEAN_COMPLIANCE = "mean_compliance_over_allies"
DEFAULT_VARIABLES = ("allies_compliant", "europe_canada_spending", "us_share_of_spending",
                     MEAN_COMPLIANCE, "deterrence_failure", "us_stood_aside", "attacks")
OPTIONAL = {MEAN_COMPLIANCE, "deterrence_failure", "us_stood_aside", "attacks"}
# Whole-period outcomes replace their per-year counterparts when the file has them (their last
# year is the whole period).
WHOLE_PERIOD = {"deterrence_failure": "any_attack_on_ally", "attacks": "attacks_to_date",
                "europe_canada_spending": "europe_canada_spending_real"}
EXTRA_WHOLE_PERIOD = ("peacekeepers_attacked_ever",)
Z95 = 1.959963984540054


def _reference(results):
    if results.reference_scenario is None:
        raise NotApplicable(f"{results.display} has no reference scenario ({REFERENCE_HINT}: "
                            f"paired differences are only recorded against a reference)")
    return results.scenarios.index(results.reference_scenario)


def alliance_difference(results, variable, scenarios, y):
    """Paired difference of an alliance-level variable: (mean, ci_low, ci_high) per scenario."""
    axes = ("scenario", "year")
    return tuple(results.stat(variable, stat, axes=axes)[scenarios, y]
                 for stat in ("diff_mean", "diff_ci_low", "diff_ci_high"))


def mean_compliance_difference(results, scenarios, y):
    """Difference of the mean over allies of the compliance probability. Its MCSE is at most the
    mean of the allies' MCSEs (the allies are correlated), which gives a conservative 95%
    interval. Allies with no value (exempt) are left out."""
    axes = ("scenario", "year", "member")
    mean = results.stat("compliant", "diff_mean", axes=axes)[scenarios, y]
    mcse = results.stat("compliant", "diff_mcse", axes=axes)[scenarios, y]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        centre = np.nanmean(mean, axis=-1)
        half = Z95 * np.nanmean(mcse, axis=-1)
    return centre, centre - half, centre + half


MARKERS = {False: dict(fmt="s"), True: dict(fmt="o", markerfacecolor="white")}


def _forest(ax, rows, mean, low, high, colours, markers, title, xlabel):
    for r, m, lo, hi, c, mk in zip(rows, mean, low, high, colours, markers):
        ax.errorbar([m], [r], xerr=[[max(m - lo, 0.0)], [max(hi - m, 0.0)]], color=c,
                    capsize=2.5, markersize=4.5, linewidth=1.3, **mk)
    ax.axvline(0.0, color="#555555", linewidth=0.9, linestyle=":")
    ax.set_title(title, fontsize=9)
    ax.set_xlabel(xlabel, fontsize=8)
    ax.spines["left"].set_visible(False)
    ax.tick_params(axis="y", length=0)


def _rows(order, compared):
    """y positions (top to bottom) with a gap between groups; group label positions."""
    y, rows, groups, previous = 0.0, [], [], None
    for s in compared:
        group = order.group(s)
        if previous is not None and group != previous:
            y += 0.6
        if group != previous:
            groups.append((group, y))
        rows.append(y)
        previous = group
        y += 1.0
    top = y
    return np.array(rows), groups, top


def _unit_suffix(results, variable):
    if results.is_binary(variable):
        return " (probability)"
    units = difference_units(results.units(variable))
    return f" ({units})" if units else ""


def _legend(ax, spare=False):
    from matplotlib.lines import Line2D
    handles = [Line2D([], [], marker="s", linestyle="none", color="#444444",
                      label="mean paired difference"),
               Line2D([], [], marker="o", linestyle="none", color="#444444",
                      markerfacecolor="white", label="... low-enforcement variant"),
               Line2D([], [], color="#444444", label="95% confidence interval"),
               Line2D([], [], color="#555555", linestyle=":", label="no difference")]
    ax.legend(handles=handles, frameon=False, loc="center" if spare else "best", fontsize=8)


def plot(results, outdir, scenarios=None, variables=None, year=None,
         formats=("png",)) -> style.Plotted:
    ref = _reference(results)
    y = results.year_index(year)
    year_value = int(results.years[y])
    chosen = list(variables) if variables else [
        v for v in DEFAULT_VARIABLES if v not in OPTIONAL or results.has(
            ("compliant" if v == MEAN_COMPLIANCE else v) + "_diff_mean")]
    if not variables:
        chosen = [WHOLE_PERIOD[v] if v in WHOLE_PERIOD and results.has(
            WHOLE_PERIOD[v] + "_diff_mean") else v for v in chosen]
        chosen += [v for v in EXTRA_WHOLE_PERIOD if results.has(v + "_diff_mean")]
    for v in chosen:
        results.require(("compliant" if v == MEAN_COMPLIANCE else v) + "_diff_mean")
    selected = results.select_scenarios(scenarios)
    compared = [s for s in selected if s != ref]
    if not compared:
        raise UsageError(f"{results.display}: no scenario to compare with the reference "
                         f"'{results.scenarios[ref]}'")
    order = Scenarios(results, compared)
    compared = order.indices
    labels = [order.label(s) for s in compared]
    colours = [order.colour(s) for s in compared]
    # A low-enforcement variant is an open circle, everything else a filled square, so a pair
    # that shares a colour is told apart by shape too.
    markers = [MARKERS[variant_of(results.scenarios[s])[1] == "low"] for s in compared]
    reference_name = order.label(ref)
    data = {"scenario_index": np.array(compared), "year": np.array([year_value]),
            "marker": np.array([m["fmt"] for m in markers])}
    notes = [f"reference: {reference_name}", f"year: {year_value}",
             "points: mean paired difference over replicates; bars: 95% confidence interval",
             "variables 'so far' are cumulative: their final year is the whole period"]
    files = []

    alliance = [v for v in chosen
                if v == MEAN_COMPLIANCE or results.level(v) == "global"]
    member = [v for v in chosen if v not in alliance]
    if alliance:
        ncols = min(3, len(alliance))
        nrows = math.ceil(len(alliance) / ncols)
        rows, groups, top = _rows(order, compared)
        fig, axes = style.new_figure(2.6 + 3.1 * ncols, 0.9 + (0.24 * top + 1.0) * nrows,
                                     nrows, ncols, squeeze=False, sharey=True)
        for ax, v in zip(axes.ravel(), alliance):
            if v == MEAN_COMPLIANCE:
                mean, low, high = mean_compliance_difference(results, compared, y)
                title = "Mean compliance probability over allies"
                xlabel = "Difference (probability)"
                notes.append("mean compliance probability: conservative interval "
                             "(mean of the allies' MCSEs)")
            else:
                mean, low, high = alliance_difference(results, v, compared, y)
                title = results.short_name(v)
                xlabel = "Difference" + _unit_suffix(results, v)
            data[f"{v}/diff_mean"], data[f"{v}/diff_ci_low"], data[f"{v}/diff_ci_high"] = (
                mean, low, high)
            _forest(ax, rows, mean, low, high, colours, markers, textwrap.fill(title, 38),
                    xlabel)
        for ax in axes[:, 0]:
            ax.set_yticks(rows)
            ax.set_yticklabels(labels, fontsize=7.5)
            ax.set_ylim(top - 0.4, -0.6)
            if len(groups) > 1:  # group names in bold above their first scenario
                for group, position in groups:
                    ax.annotate(group or "(no group)", xy=(0, position - 0.55),
                                xycoords=("axes fraction", "data"), xytext=(-4, 0),
                                textcoords="offset points", ha="right", va="center",
                                fontsize=7.5, fontweight="bold", annotation_clip=False)
        for ax, _ in zip(axes.ravel(), alliance):
            for _, position in groups[1:]:
                ax.axhline(position - 0.8, color="#dddddd", linewidth=0.8)
        for ax in axes.ravel()[len(alliance):]:
            ax.axis("off")
        spare = len(alliance) < axes.size
        _legend(axes.ravel()[-1] if spare else axes.ravel()[0], spare)
        data["rows"] = rows
        style.finish(fig, f"Difference to the reference scenario '{reference_name}', "
                          f"{year_value}", style.caption(results, compared + [ref], *notes))
        files += style.save(fig, outdir, "differences", formats)

    for v in member:
        axes_order = ("scenario", "year", "member")
        stats = [results.stat(v, s, axes=axes_order)[compared, y]
                 for s in ("diff_mean", "diff_ci_low", "diff_ci_high")]
        data[f"{v}/diff_mean"], data[f"{v}/diff_ci_low"], data[f"{v}/diff_ci_high"] = stats
        n = len(results.members)
        fig, ax = style.new_figure(7.5, 1.5 + 0.26 * n * max(1, len(compared)) ** 0.5)
        rows = np.arange(n)[::-1]
        step = 0.7 / max(1, len(compared))
        for k, s in enumerate(compared):
            offset = (k - (len(compared) - 1) / 2) * step
            mean, low, high = (a[k] for a in stats)
            ax.errorbar(mean, rows - offset,
                        xerr=np.vstack([np.maximum(np.nan_to_num(mean - low), 0),
                                        np.maximum(np.nan_to_num(high - mean), 0)]),
                        color=colours[k], markersize=3.5, capsize=2, linewidth=1.0,
                        label=order.label(s), **markers[k])
        ax.axvline(0.0, color="#555555", linewidth=0.9, linestyle=":")
        ax.set_yticks(rows)
        ax.set_yticklabels([results.member_label(m) for m in range(n)], fontsize=7)
        ax.set_ylim(-0.8, n - 0.2)
        ax.set_ylabel("Ally")
        ax.set_xlabel("Difference" + _unit_suffix(results, v))
        ax.legend(title="scenario", frameon=False, loc="best")
        style.finish(fig, f"{results.short_name(v)}: difference to '{reference_name}', "
                          f"{year_value}", style.caption(results, compared + [ref], *notes))
        files += style.save(fig, outdir, f"differences_{style.safe_stem(v)}", formats)
    return style.Plotted(files, data, notes)


def build_parser():
    p = cli.parser(__doc__)
    p.add_argument("--variable", action="append", default=[], metavar="NAME",
                   help="variable to show (repeatable; default: the headline variables)")
    p.add_argument("--year", type=int, help="calendar year (default: the final year)")
    return p


def main(argv=None) -> int:
    return cli.main(build_parser, lambda results, args: plot(
        results, cli.output_dir(args), args.scenario, args.variable, args.year,
        cli.formats(args)), argv)


if __name__ == "__main__":
    sys.exit(main())
