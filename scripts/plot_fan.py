#!/usr/bin/python3
"""Fan chart of defence spending as a share of GDP: the median over replicates with the 50% and
90% bands, and the spending threshold when the file records it.

    plot_fan.py RESULTS.h5 [-o DIR] [--scenario NAME ...] [--format png|pdf ...]
        small multiples of every ally, one figure per scenario: fan_<scenario>.png
    plot_fan.py RESULTS.h5 --member PL [...]
        one ally, scenarios overlaid: fan_PL.png
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

from natosim_plot import cli, style  # noqa: E402
from natosim_plot.results import NotApplicable  # noqa: E402

VARIABLE = "defence_share"
AXES = ("scenario", "year", "member", "quantile")
# (lower, upper, label, opacity), widest first.
BANDS = ((0.05, 0.95, "90% of replicates", 0.18), (0.25, 0.75, "50% of replicates", 0.38))


def _quantiles(results):
    """The median and the bands the file has: (median index, [(lo, hi, label, alpha), ...])."""
    median = results.quantile_index(0.5)
    if median is None:
        raise NotApplicable(f"{results.display} has no median (quantile level 0.5) of "
                            f"'{VARIABLE}'")
    bands = []
    for lo, hi, label, alpha in BANDS:
        i, j = results.quantile_index(lo), results.quantile_index(hi)
        if i is not None and j is not None:
            bands.append((i, j, label, alpha, lo, hi))
    return median, bands


def _notes(bands, threshold):
    text = "bands: " + (", ".join(f"{lbl} ({lo:.0%}-{hi:.0%} quantiles)"
                                   for _, _, lbl, _, lo, hi in bands) or "none recorded")
    if threshold is None:
        return [text, "no threshold recorded in this file (no threshold_mean): no threshold line"]
    return [text, "dashed: spending threshold"]


def _collect(results, scenarios, members, median, bands, threshold):
    """The plotted numbers, for tests: arrays indexed (scenario, year, member)."""
    q = results.stat(VARIABLE, "quantiles", axes=AXES)
    q = q[np.ix_(scenarios, np.arange(len(results.years)), members,
                 np.arange(q.shape[3]))]
    data = {"scenario_index": np.array(scenarios), "member_index": np.array(members),
            "year": results.years.copy(), "median": q[..., median]}
    for i, j, _, _, lo, hi in bands:
        data[f"q{round(lo * 100):02d}"] = q[..., i]
        data[f"q{round(hi * 100):02d}"] = q[..., j]
    if threshold is not None:
        data["threshold"] = threshold[scenarios]
    return data


def _draw_fan(ax, years, data, s, m, colour, bands, label_prefix=""):
    for i, j, label, alpha, lo, hi in bands:
        ax.fill_between(years, data[f"q{round(lo * 100):02d}"][s, :, m],
                        data[f"q{round(hi * 100):02d}"][s, :, m], color=colour, alpha=alpha,
                        linewidth=0, label=f"{label_prefix}{label}")
    ax.plot(years, data["median"][s, :, m], color=colour, linewidth=1.6,
            label=f"{label_prefix}median")


def plot(results, outdir, scenarios=None, member=None, formats=("png",)) -> style.Plotted:
    results.require(f"{VARIABLE}_quantiles")
    selected = results.select_scenarios(scenarios)
    median, bands = _quantiles(results)
    threshold = results.threshold()
    label = results.label(VARIABLE)
    notes = _notes(bands, threshold)
    years = results.years

    if member is not None:
        m = results.member_index(member)
        data = _collect(results, selected, [m], median, bands, threshold)
        fig, ax = style.new_figure(7.5, 4.8)
        for k, s in enumerate(selected):
            prefix = f"{results.scenarios[s]}: " if len(selected) > 1 else ""
            _draw_fan(ax, years, data, k, 0, style.colour(k), bands, prefix)
            if threshold is not None:
                same = all(np.allclose(threshold[s], threshold[t], equal_nan=True)
                           for t in selected)
                if k == 0 or not same:
                    ax.plot(years, threshold[s], color=style.THRESHOLD_COLOUR if same
                            else style.colour(k), linestyle="--", linewidth=1.2,
                            label="threshold" if same else f"{results.scenarios[s]}: threshold")
        ax.set_xlabel("Year")
        ax.set_ylabel(label)
        style.integer_years(ax)
        ax.set_ylim(bottom=0)
        ax.legend(loc="best", ncol=2 if len(selected) > 1 else 1, frameon=False)
        style.finish(fig, f"Defence spending, {results.member_label(m)}: median and bands",
                     style.caption(results, selected, *notes))
        files = style.save(fig, outdir, f"fan_{style.safe_stem(results.members[m])}", formats)
        return style.Plotted(files, data, notes)

    members = list(range(len(results.members)))
    data = _collect(results, selected, members, median, bands, threshold)
    ncols = min(6, max(1, math.ceil(math.sqrt(len(members)))))
    nrows = math.ceil(len(members) / ncols)
    spare = nrows * ncols - len(members)
    if spare == 0:
        nrows += 1
    files = []
    for k, s in enumerate(selected):
        fig, axes = style.new_figure(2.1 * ncols, 1.75 * nrows + 0.6, nrows, ncols, sharex=True,
                                     sharey=True, squeeze=False)
        flat = axes.ravel()
        for m in members:
            ax = flat[m]
            _draw_fan(ax, years, data, k, m, style.colour(0), bands)
            if threshold is not None:
                ax.plot(years, threshold[s], color=style.THRESHOLD_COLOUR, linestyle="--",
                        linewidth=1.0, label="threshold")
            ax.set_title(results.member_label(m), fontsize=8, pad=2)
            style.integer_years(ax)
            ax.tick_params(labelsize=7)
        flat[0].set_ylim(bottom=0)
        handles, labels = flat[0].get_legend_handles_labels()
        for ax in flat[len(members):]:
            ax.axis("off")
        for column in range(ncols):
            # The lowest ally of each column carries the year ticks and the axis label.
            lowest = max(m for m in members if m % ncols == column)
            flat[lowest].xaxis.set_tick_params(labelbottom=True)
            flat[lowest].set_xlabel("Year", fontsize=8)
        flat[len(members)].legend(handles, labels, loc="center", frameon=False, fontsize=8)
        fig.supylabel(label, fontsize=9)
        style.finish(fig, f"Defence spending by ally, scenario '{results.scenarios[s]}': "
                          f"median and bands", style.caption(results, [s], *notes))
        files += style.save(fig, outdir, f"fan_{style.safe_stem(results.scenarios[s])}", formats)
    return style.Plotted(files, data, notes)


def build_parser():
    return cli.parser(__doc__, member=True)


def main(argv=None) -> int:
    return cli.main(build_parser, lambda results, args: plot(
        results, cli.output_dir(args), args.scenario, args.member, cli.formats(args)), argv)


if __name__ == "__main__":
    sys.exit(main())
