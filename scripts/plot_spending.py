#!/usr/bin/python3
"""Defence spending of European allies and Canada, and the U.S. share of alliance defence
spending, over time: means with the 90% band of replicates. Spending is in constant prices
when the file has them (europe_canada_spending_real), in current prices otherwise or with
--current-prices. Up to 8 scenarios are overlaid; more are drawn one row per group with the
reference scenario in black.

    plot_spending.py RESULTS.h5 [-o DIR] [--scenario NAME ...] [--current-prices]
                     [--format png|pdf ...]
        writes spending.png
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from natosim_plot import cli, lines, style  # noqa: E402
from natosim_plot.results import unit_text  # noqa: E402
from natosim_plot.scenarios import Scenarios  # noqa: E402

REAL = "europe_canada_spending_real"
VARIABLES = ("europe_canada_spending", "us_share_of_spending")
TITLES = {"europe_canada_spending": "Europe and Canada: defence spending",
          REAL: "Europe and Canada: defence spending, constant prices",
          "us_share_of_spending": "U.S. share of alliance defence spending"}
# Under a group's name in small multiples (the axis label gives the prices: "constant 2015").
SHORT = {"europe_canada_spending": "Europe and Canada spending",
         REAL: "Europe and Canada spending",
         "us_share_of_spending": "U.S. share of spending"}


def plot(results, outdir, scenarios=None, formats=("png",), current_prices=False
         ) -> style.Plotted:
    for variable in VARIABLES:
        results.require(f"{variable}_mean", f"{variable}_mcse")
    real = not current_prices and results.has(f"{REAL}_mean") and results.has(f"{REAL}_mcse")
    variables = ((REAL,) if real else ("europe_canada_spending",)) + VARIABLES[1:]
    order = Scenarios(results, results.select_scenarios(scenarios))
    single = len(order.panels()) == 1
    fig, panels, main, _ = lines.grid(order, len(variables), width=5.2,
                                      row_height=3.4 if single else 2.4)
    data = {}
    for variable in variables:
        part = lines.series(results, variable, order.indices)
        data.update({f"{variable}/{key}": value for key, value in part.items()})
    for (title, members), row in zip(panels, main):
        for ax, variable in zip(row, variables):
            part = {key.split("/", 1)[1]: value for key, value in data.items()
                    if key.startswith(variable + "/")}
            lines.draw(ax, order, part, members)
            units = unit_text(results.units(variable))
            ax.set_ylabel(results.label(variable) if single else units)
            ax.set_title(TITLES[variable] if single else f"{title}: {SHORT[variable]}",
                         fontsize=9)
            ax.set_xlabel("Year")
            if variable == "us_share_of_spending" and single:
                ax.set_ylim(0, 100)
            else:
                ax.set_ylim(bottom=0)
        lines.legend(row[-1], order, members, beside=True)
    notes = [lines.band_note(part),
             "spending in constant prices" if real else
             ("spending in current prices (as asked)" if current_prices else
              "spending in current prices (this file has no constant-price series)")]
    if not single:
        notes.append("one row per group; black: the reference scenario")
    style.finish(fig, "Who pays: European and Canadian spending and the U.S. share",
                 style.caption(results, order.indices, *notes))
    return style.Plotted(style.save(fig, outdir, "spending", formats), data, notes)


def build_parser():
    p = cli.parser(__doc__)
    p.add_argument("--current-prices", action="store_true",
                   help="spending in current prices even when constant prices are recorded")
    return p


def main(argv=None) -> int:
    return cli.main(build_parser, lambda results, args: plot(
        results, cli.output_dir(args), args.scenario, cli.formats(args), args.current_prices),
        argv)


if __name__ == "__main__":
    sys.exit(main())
