#!/usr/bin/python3
"""Allies at or above their spending threshold over time: the mean over replicates with the 90%
band of replicates (5%-95% quantiles), and under it the threshold each scenario holds the allies
to. Up to 8 scenarios are overlaid; more are drawn as small multiples, one panel per group with
the reference scenario in black.

    plot_allies_compliant.py RESULTS.h5 [-o DIR] [--scenario NAME ...] [--format png|pdf ...]
        writes allies_compliant.png
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

from natosim_plot import cli, lines, style  # noqa: E402
from natosim_plot.scenarios import Scenarios  # noqa: E402

VARIABLE = "allies_compliant"
# Kept for other scripts that import them from here.
series, band_note = lines.series, lines.band_note


def plot(results, outdir, scenarios=None, formats=("png",)) -> style.Plotted:
    results.require(f"{VARIABLE}_mean", f"{VARIABLE}_mcse")
    order = Scenarios(results, results.select_scenarios(scenarios))
    data = lines.series(results, VARIABLE, order.indices)
    threshold = results.threshold()
    if threshold is not None:
        data["threshold"] = threshold[order.indices]
    fig, panels, main, lower = lines.grid(order, 1, extra_rows=0.35 if threshold is not None
                                          else None)
    eligible = re.search(r"\bof (\d+)\b", results.units(VARIABLE))
    single = len(panels) == 1
    for (title, members), (ax,), low in zip(panels, main, lower):
        lines.draw(ax, order, data, members)
        ax.set_ylabel(results.label(VARIABLE) if single else "Allies at or above")
        ax.set_ylim(bottom=0)
        if title:
            ax.set_title(title)
        if eligible:  # units such as "count (of 30)": draw the most there can be
            ax.axhline(int(eligible.group(1)), color="#555555", linestyle=":", linewidth=1.0,
                       label=f"all {eligible.group(1)} eligible allies" if single else None)
            ax.set_ylim(0, int(eligible.group(1)) * 1.05)
        bottom = ax
        if low:
            tax = low[0]
            position = {int(s): k for k, s in enumerate(data["scenario_index"])}
            for s in members:
                tax.plot(data["year"], data["threshold"][position[s]], linewidth=1.3,
                         **order.style(s))
            tax.set_ylabel("Threshold\n(% of GDP)", fontsize=8)
            finite = data["threshold"][np.isfinite(data["threshold"])]
            top = float(finite.max()) if finite.size else 1.0
            tax.set_ylim(0, top * 1.25)
            if single:
                tax.set_xlabel("Year")
            ax.tick_params(labelbottom=False)
            style.integer_years(tax)
            bottom = tax
        else:
            ax.set_xlabel("Year")
        lines.legend(ax if single else bottom, order, members, beside=single, source=ax)
    notes = [lines.band_note(data)]
    notes.append("lower panel: the threshold each scenario counts compliance against"
                 if threshold is not None else
                 "no threshold recorded in this file (no threshold_mean)")
    if not single:
        notes.append("one panel per group; black: the reference scenario")
    style.finish(fig, "Allies at or above their spending threshold",
                 style.caption(results, order.indices, *notes))
    return style.Plotted(style.save(fig, outdir, "allies_compliant", formats), data, notes)


def main(argv=None) -> int:
    return cli.main_for(__doc__, plot, argv)


if __name__ == "__main__":
    sys.exit(main())
