#!/usr/bin/python3
"""Compliance heat map: allies x years, colour = probability that the ally meets the spending
threshold (the mean over replicates of 'compliant'); one figure per scenario.

    plot_compliance_heatmap.py RESULTS.h5 [-o DIR] [--scenario NAME ...] [--format png|pdf ...]
        writes compliance_<scenario>.png
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import matplotlib  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from natosim_plot import cli, style  # noqa: E402

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
        image = ax.imshow(np.ma.masked_invalid(grid), cmap=cmap, vmin=0.0, vmax=1.0,
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
        bar.set_label("Probability of meeting the threshold (0-1)")
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


def main(argv=None) -> int:
    return cli.main_for(__doc__, plot, argv)


if __name__ == "__main__":
    sys.exit(main())
