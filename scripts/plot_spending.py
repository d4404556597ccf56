#!/usr/bin/python3
"""Defence spending of European allies and Canada, and the U.S. share of alliance defence
spending, over time: means with the 90% band of replicates, scenarios overlaid.

    plot_spending.py RESULTS.h5 [-o DIR] [--scenario NAME ...] [--format png|pdf ...]
        writes spending.png
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from natosim_plot import cli, style  # noqa: E402
from plot_allies_compliant import band_note, draw_series, series  # noqa: E402

VARIABLES = ("europe_canada_spending", "us_share_of_spending")
TITLES = {"europe_canada_spending": "Europe and Canada: defence spending",
          "us_share_of_spending": "U.S. share of alliance defence spending"}


def plot(results, outdir, scenarios=None, formats=("png",)) -> style.Plotted:
    for variable in VARIABLES:
        results.require(f"{variable}_mean", f"{variable}_mcse")
    selected = results.select_scenarios(scenarios)
    fig, axes = style.new_figure(11.0, 4.6, 1, 2)
    data = {}
    for ax, variable in zip(axes, VARIABLES):
        part = series(results, variable, selected)
        draw_series(ax, results, part, selected)
        ax.set_ylabel(results.label(variable))
        ax.set_title(TITLES[variable])
        if variable == "us_share_of_spending":
            ax.set_ylim(0, 100)
        else:
            ax.set_ylim(bottom=0)
        data.update({f"{variable}/{key}": value for key, value in part.items()})
    # Beside the last panel: inside, a legend of many scenarios would cover the lines.
    axes[-1].legend(title="scenario", frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    style.finish(fig, "Who pays: European and Canadian spending and the U.S. share",
                 style.caption(results, selected, band_note(part)))
    return style.Plotted(style.save(fig, outdir, "spending", formats), data)


def main(argv=None) -> int:
    return cli.main_for(__doc__, plot, argv)


if __name__ == "__main__":
    sys.exit(main())
