#!/usr/bin/python3
"""Deterrence outcomes by scenario in one year (default: the final year): the probability of an
attack (deterrence failure), territory lost and the probability that the U.S. stood aside, with
95% intervals; and who is attacked: the probability of an attack on each ally.

    plot_deterrence.py RESULTS.h5 [-o DIR] [--scenario NAME ...] [--year YEAR]
                       [--format png|pdf ...]
        writes deterrence.png and attacked_by_ally.png
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

from natosim_plot import cli, style  # noqa: E402
from natosim_plot.results import ATTACK_HINT  # noqa: E402

# In the order they are checked: the first missing one is named in the error.
REQUIRED = ("attacked_mean", "deterrence_failure_mean", "territory_lost_mean",
            "us_stood_aside_mean")
Z95 = 1.959963984540054


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


def _points(ax, results, selected, mean, low, high):
    x = np.arange(len(selected))
    for k, s in enumerate(selected):
        ax.errorbar([x[k]], [mean[k]], yerr=_errors(mean[k:k + 1], low[k:k + 1], high[k:k + 1]),
                    fmt="o",
                    color=style.colour(k), capsize=4, markersize=6, linewidth=1.5,
                    label=results.scenarios[s])
    ax.set_xticks(x)
    ax.set_xticklabels([results.scenarios[s] for s in selected],
                       rotation=30 if len(selected) > 3 else 0, ha="right" if len(selected) > 3
                       else "center")
    ax.set_xlim(-0.6, len(selected) - 0.4)
    ax.set_xlabel("Scenario")


def plot(results, outdir, scenarios=None, year=None, formats=("png",)) -> style.Plotted:
    results.require(*REQUIRED, hint=ATTACK_HINT)
    selected = results.select_scenarios(scenarios)
    y = results.year_index(year)
    year_value = int(results.years[y])
    data = {"scenario_index": np.array(selected), "year": np.array([year_value])}

    panels = (("deterrence_failure", "attack_probability", "Attack (deterrence failure)"),
              ("territory_lost", "territory_lost", "Territory lost"),
              ("us_stood_aside", "us_stood_aside", "U.S. stood aside"))
    fig, axes = style.new_figure(12.0, 4.6, 1, 3)
    methods = []
    for ax, (variable, key, title) in zip(axes, panels):
        mean, low, high, method = interval(results, variable, selected, y)
        data[key], data[f"{key}_low"], data[f"{key}_high"] = mean, low, high
        _points(ax, results, selected, mean, low, high)
        ax.set_title(title)
        label = results.label(variable)
        if results.level(variable) == "member":
            label = f"Total over allies: {label[:1].lower()}{label[1:]}"
        ax.set_ylabel(label)
        if results.is_binary(variable):
            ax.set_ylim(0, min(1.0, max(0.05, float(np.nanmax(high)) * 1.15)))
        else:
            ax.set_ylim(bottom=0)
        methods.append(f"{title}: {method}")
    # Beside the last panel: inside, a legend of many scenarios would cover the points.
    axes[-1].legend(title="scenario", frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    files = []
    style.finish(fig, f"Deterrence outcomes by scenario, {year_value}",
                 style.caption(results, selected, f"year: {year_value}", *methods))
    files += style.save(fig, outdir, "deterrence", formats)

    # Who is attacked: grouped bars per ally.
    member_axes = ("scenario", "year", "member")
    p = results.stat("attacked", "mean", axes=member_axes)[selected, y]
    if results.has("attacked_wilson_low") and results.has("attacked_wilson_high"):
        low = results.stat("attacked", "wilson_low", axes=member_axes)[selected, y]
        high = results.stat("attacked", "wilson_high", axes=member_axes)[selected, y]
        method = "error bars: Wilson 95% interval"
    else:
        mcse = results.stat("attacked", "mcse", axes=member_axes)[selected, y]
        low, high = p - Z95 * mcse, p + Z95 * mcse
        method = "error bars: mean +- 1.96 MCSE"
    data["attacked"], data["attacked_low"], data["attacked_high"] = p, low, high
    n_members = len(results.members)
    fig, ax = style.new_figure(max(8.0, 0.42 * n_members + 2), 4.8)
    width = 0.8 / len(selected)
    x = np.arange(n_members)
    for k, s in enumerate(selected):
        offset = (k - (len(selected) - 1) / 2) * width
        ax.bar(x + offset, p[k], width=width, color=style.colour(k),
               label=results.scenarios[s], yerr=_errors(p[k], low[k], high[k]),
               error_kw={"elinewidth": 0.7, "capsize": 1.5, "ecolor": "#444444"})
    ax.set_xticks(x)
    ax.set_xticklabels(results.members, fontsize=7)
    ax.set_xlim(-0.6, n_members - 0.4)
    ax.set_xlabel("Ally (ISO code)")
    ax.set_ylabel(f"{results.label('attacked')}")
    ax.set_ylim(bottom=0)
    # Beside the axes: with many scenarios a legend inside would cover the lines.
    ax.legend(title="scenario", frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    style.finish(fig, f"Who is attacked: probability of an attack on each ally, {year_value}",
                 style.caption(results, selected, f"year: {year_value}", method))
    files += style.save(fig, outdir, "attacked_by_ally", formats)
    return style.Plotted(files, data)


def build_parser():
    p = cli.parser(__doc__)
    p.add_argument("--year", type=int, help="calendar year (default: the final year)")
    return p


def main(argv=None) -> int:
    return cli.main(build_parser, lambda results, args: plot(
        results, cli.output_dir(args), args.scenario, args.year, cli.formats(args)), argv)


if __name__ == "__main__":
    sys.exit(main())
