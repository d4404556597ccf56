#!/usr/bin/python3
"""Allies at or above the spending threshold over time: the mean over replicates with the 90%
band of replicates (5%-95% quantiles), scenarios overlaid.

    plot_allies_compliant.py RESULTS.h5 [-o DIR] [--scenario NAME ...] [--format png|pdf ...]
        writes allies_compliant.png
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

from natosim_plot import cli, style  # noqa: E402

VARIABLE = "allies_compliant"
AXES = ("scenario", "year")
LOW, HIGH = 0.05, 0.95


def series(results, variable, selected):
    """Mean, 95% Monte Carlo interval of the mean and the 5%/95% quantiles of an
    alliance-level variable: arrays (selected scenario, year)."""
    mean = results.stat(variable, "mean", axes=AXES)[selected]
    mcse = results.stat(variable, "mcse", axes=AXES)[selected]
    data = {"scenario_index": np.array(selected), "year": results.years.copy(), "mean": mean,
            "mean_ci_low": mean - 1.96 * mcse, "mean_ci_high": mean + 1.96 * mcse}
    lo, hi = results.quantile_index(LOW), results.quantile_index(HIGH)
    if lo is not None and hi is not None:
        q = results.stat(variable, "quantiles", axes=AXES + ("quantile",))[selected]
        data["q05"], data["q95"] = q[..., lo], q[..., hi]
    return data


def draw_series(ax, results, data, selected):
    """Mean lines with 90% bands, one colour and line style per scenario."""
    for k, s in enumerate(selected):
        colour = style.colour(k)
        name = results.scenarios[s]
        if "q05" in data:
            ax.fill_between(data["year"], data["q05"][k], data["q95"][k], color=colour,
                            alpha=0.15, linewidth=0)
        ax.plot(data["year"], data["mean"][k], color=colour, linestyle=style.linestyle(k),
                linewidth=1.8, marker="o", markersize=3, label=name)
    style.integer_years(ax)
    ax.set_xlabel("Year")


def band_note(data):
    return ("lines: mean over replicates; shaded: 90% of replicates (5%-95% quantiles)"
            if "q05" in data else "lines: mean over replicates (no 5%/95% quantiles recorded)")


def plot(results, outdir, scenarios=None, formats=("png",)) -> style.Plotted:
    results.require(f"{VARIABLE}_mean", f"{VARIABLE}_mcse")
    selected = results.select_scenarios(scenarios)
    data = series(results, VARIABLE, selected)
    fig, ax = style.new_figure(7.5, 4.8)
    draw_series(ax, results, data, selected)
    ax.set_ylabel(results.label(VARIABLE))
    ax.set_ylim(bottom=0)
    eligible = re.search(r"\bof (\d+)\b", results.units(VARIABLE))
    if eligible:  # units such as "count (of 30)": draw the most there can be
        ax.axhline(int(eligible.group(1)), color="#555555", linestyle=":", linewidth=1.0,
                   label=f"all {eligible.group(1)} eligible allies")
        ax.set_ylim(0, int(eligible.group(1)) * 1.05)
    # Beside the axes: with many scenarios a legend inside would cover the lines.
    ax.legend(title="scenario", frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    style.finish(fig, "Allies at or above the spending threshold",
                 style.caption(results, selected, band_note(data)))
    return style.Plotted(style.save(fig, outdir, "allies_compliant", formats), data)


def main(argv=None) -> int:
    return cli.main_for(__doc__, plot, argv)


if __name__ == "__main__":
    sys.exit(main())
