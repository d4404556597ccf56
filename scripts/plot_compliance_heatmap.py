#!/usr/bin/python3
"""Compliance heat maps, allies x years: with --difference (what the report shows), one panel per
scenario with the change against the reference scenario in the probability that the ally meets
its threshold (paired differences, percentage points); without it, one figure per scenario
with the probability itself (the mean over replicates of 'compliant').

    plot_compliance_heatmap.py RESULTS.h5 [-o DIR] [--scenario NAME ...] [--difference]
                               [--format png|pdf ...]
        writes compliance_<scenario>.png, or compliance_difference.png with --difference
"""

from __future__ import annotations

import copy
import sys
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import matplotlib  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from natosim_plot import cli, style  # noqa: E402
from natosim_plot.results import REFERENCE_HINT, NotApplicable, UsageError  # noqa: E402
from natosim_plot.scenarios import Scenarios  # noqa: E402

VARIABLE = "compliant"
AXES = ("scenario", "year", "member")


def _threshold_note(results, s):
    threshold = results.threshold()
    if threshold is None:
        return "threshold: not recorded in this file"
    values = threshold[s][~np.isnan(threshold[s])]
    if len(values) == 0:
        return "threshold: not recorded in this file"
    lo, hi = float(values.min()), float(values.max())
    return (f"threshold: {lo:g}% of GDP" if lo == hi
            else f"threshold: {lo:g}-{hi:g}% of GDP over the years")


def plot(results, outdir, scenarios=None, formats=("png",)) -> style.Plotted:
    results.require(f"{VARIABLE}_mean")
    selected = results.select_scenarios(scenarios)
    probability = results.stat(VARIABLE, "mean", axes=AXES)[selected]
    data = {"scenario_index": np.array(selected), "year": results.years.copy(),
            "probability": probability}
    if results.has(f"{VARIABLE}_count"):
        data["count"] = results.stat(VARIABLE, "count", axes=AXES)[selected]
    years = results.years
    n_members = len(results.members)
    cmap = copy.copy(matplotlib.colormaps[style.SEQUENTIAL_CMAP])
    cmap.set_bad(style.MISSING_COLOUR)
    not_applicable = np.all(np.isnan(probability), axis=(0, 1))
    labels = [results.member_label(m) + (" (n/a)" if not_applicable[m] else "")
              for m in range(n_members)]
    files = []
    for k, s in enumerate(selected):
        grid = probability[k].T  # (member, year)
        fig, ax = style.new_figure(max(6.0, 2.6 + 0.5 * len(years)), 2.0 + 0.24 * n_members)
        image = ax.imshow(np.ma.masked_invalid(grid * 100), cmap=cmap, vmin=0.0, vmax=100.0,
                          aspect="auto", interpolation="nearest")
        annotate = len(years) <= 25
        if annotate:
            for m in range(grid.shape[0]):
                for y in range(grid.shape[1]):
                    value = grid[m, y]
                    if np.isnan(value):
                        continue
                    ax.text(y, m, f"{value * 100:.0f}", ha="center", va="center", fontsize=6,
                            color="black" if value > 0.55 else "white")
        ax.set_xticks(np.arange(len(years)))
        ax.set_xticklabels([str(y) for y in years], rotation=90 if len(years) > 12 else 0)
        ax.set_yticks(np.arange(n_members))
        ax.set_yticklabels(labels, fontsize=7)
        ax.set_xlabel("Year")
        ax.set_ylabel("Ally")
        for spine in ax.spines.values():
            spine.set_visible(False)
        bar = fig.colorbar(image, ax=ax, fraction=0.05, pad=0.02)
        bar.set_label("Probability of meeting the threshold (%)")
        ax.legend(handles=[Patch(color=style.MISSING_COLOUR, label="not applicable (exempt)")],
                  loc="upper left", bbox_to_anchor=(0, -0.06 - 0.12 / (0.24 * n_members)),
                  frameon=False)
        notes = [("numbers: " if annotate else "colour: ") + "% of replicates in which the ally "
                 "meets the threshold",
                 _threshold_note(results, s)]
        style.finish(fig, f"Probability of meeting the spending threshold, scenario "
                          f"'{results.scenarios[s]}'", style.caption(results, [s], *notes))
        files += style.save(fig, outdir, f"compliance_{style.safe_stem(results.scenarios[s])}",
                            formats)
    return style.Plotted(files, data)


def plot_difference(results, outdir, scenarios=None, formats=("png",)) -> style.Plotted:
    """One panel per scenario: the paired difference to the reference of the probability that
    each ally meets its threshold, by year (percentage points, diverging colours)."""
    results.require(f"{VARIABLE}_diff_mean")
    if results.reference_scenario is None:
        raise NotApplicable(f"{results.display} has no reference scenario ({REFERENCE_HINT})")
    order = Scenarios(results, results.select_scenarios(scenarios))
    ref = order.reference
    compared = [s for s in order.indices if s != ref]
    if not compared:
        raise UsageError(f"{results.display}: no scenario to compare with the reference "
                         f"'{results.scenarios[ref]}'")
    diff = results.stat(VARIABLE, "diff_mean", axes=AXES)[compared]  # (scenario, year, member)
    data = {"scenario_index": np.array(compared), "year": results.years.copy(),
            "difference": diff}
    years = results.years
    n_members = len(results.members)
    ncols = min(4, len(compared))
    nrows = -(-len(compared) // ncols)
    with np.errstate(all="ignore"):
        finite = np.abs(diff[np.isfinite(diff)])
    limit = max(1.0, float(np.ceil(finite.max() * 100 / 10) * 10)) if finite.size else 100.0
    cmap = copy.copy(matplotlib.colormaps["PuOr"])
    cmap.set_bad(style.MISSING_COLOUR)
    fig, axes = style.new_figure(0.9 + 2.6 * ncols, 0.9 + (0.9 + 0.14 * n_members) * nrows,
                                 nrows, ncols, squeeze=False, sharex=True, sharey=True)
    step = max(1, len(years) // 4)
    for k, s in enumerate(compared):
        ax = axes.ravel()[k]
        image = ax.imshow(np.ma.masked_invalid(diff[k].T * 100), cmap=cmap, vmin=-limit,
                          vmax=limit, aspect="auto", interpolation="nearest")
        ax.set_title(textwrap.fill(order.label(s), 30), fontsize=9)
        ax.set_xticks(np.arange(0, len(years), step))
        ax.set_xticklabels([str(y) for y in years[::step]], fontsize=8)
        ax.set_yticks(np.arange(n_members))
        ax.set_yticklabels(results.members, fontsize=7.5)
        for spine in ax.spines.values():
            spine.set_visible(False)
    for ax in axes.ravel()[len(compared):]:
        ax.axis("off")
    bar = fig.colorbar(image, ax=axes, fraction=0.03, pad=0.01, shrink=0.6)
    bar.set_label(f"Change against '{order.label(ref)}' (percentage points)")
    notes = ["colour: mean paired difference over replicates, percentage points",
             "grey: not applicable (exempt)",
             "each scenario is counted against its own threshold"]
    style.finish(fig, f"Change in the probability of meeting the threshold, by ally and year, "
                      f"against '{order.label(ref)}'",
                 style.caption(results, compared + [ref], *notes))
    files = style.save(fig, outdir, "compliance_difference", formats)
    return style.Plotted(files, data, notes)


def build_parser():
    p = cli.parser(__doc__)
    p.add_argument("--difference", action="store_true",
                   help="one panel per scenario: the change against the reference scenario")
    return p


def main(argv=None) -> int:
    return cli.main(build_parser, lambda results, args: (plot_difference if args.difference
                                                          else plot)(
        results, cli.output_dir(args), args.scenario, cli.formats(args)), argv)


if __name__ == "__main__":
    sys.exit(main())
