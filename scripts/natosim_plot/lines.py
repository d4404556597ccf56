"""Time-series figures that stay readable with many scenarios: every scenario overlaid in one
panel up to 8 scenarios, otherwise one row of panels per group, each with the reference drawn
in black for comparison. Each scenario keeps its colour and line style in every panel
(natosim_plot.scenarios)."""

from __future__ import annotations

import math

import numpy as np

from . import style

AXES = ("scenario", "year")
LOW, HIGH = 0.05, 0.95


def series(results, variable, indices):
    """Mean, 95% Monte Carlo interval of the mean and the 5%/95% quantiles of an
    alliance-level variable: arrays (scenario in `indices` order, year)."""
    mean = results.stat(variable, "mean", axes=AXES)[indices]
    mcse = results.stat(variable, "mcse", axes=AXES)[indices]
    data = {"scenario_index": np.array(indices), "year": results.years.copy(), "mean": mean,
            "mean_ci_low": mean - 1.96 * mcse, "mean_ci_high": mean + 1.96 * mcse}
    lo, hi = results.quantile_index(LOW), results.quantile_index(HIGH)
    if lo is not None and hi is not None and results.has(f"{variable}_quantiles"):
        q = results.stat(variable, "quantiles", axes=AXES + ("quantile",))[indices]
        data["q05"], data["q95"] = q[..., lo], q[..., hi]
    return data


def band_note(data):
    return ("lines: mean over replicates; shaded: 90% of replicates (5%-95% quantiles)"
            if "q05" in data else "lines: mean over replicates (no 5%/95% quantiles recorded)")


def draw(ax, order, data, members, bands=True):
    """Mean lines (and 90% bands when few scenarios share the panel) of the scenarios
    `members`, with data indexed like data['scenario_index']."""
    position = {int(s): k for k, s in enumerate(data["scenario_index"])}
    alpha = 0.15 if len(members) <= 4 else 0.07
    for s in members:
        k = position[s]
        kw = order.style(s)
        if bands and "q05" in data:
            ax.fill_between(data["year"], data["q05"][k], data["q95"][k], color=kw["color"],
                            alpha=alpha, linewidth=0)
        ax.plot(data["year"], data["mean"][k], linewidth=2.2 if s == order.reference else 1.6,
                label=order.label(s), **kw)
    style.integer_years(ax)


def grid(order, columns: int, width=7.5, row_height=3.6, extra_rows=None):
    """A figure for order.panels(): one panel per group, `columns` variables side by side.
    extra_rows: height ratio of a small axis under each panel (e.g. the threshold path), or None.
    Returns (fig, panels, [[axes per variable] per panel], [[lower axes] per panel])."""
    panels = order.panels()
    wrap = 1 if columns > 1 or len(panels) == 1 else min(3, len(panels))
    rows = math.ceil(len(panels) / wrap)
    per_panel = 2 if extra_rows else 1
    ratios = ([1.0, extra_rows] if extra_rows else [1.0]) * rows
    ncols = columns * wrap
    fig_width = width * columns if wrap == 1 else 3.7 * wrap
    if len(panels) > 1:
        fig_width += 0.0
    fig_height = 0.9 + rows * row_height * (1 + (extra_rows or 0)) * (0.8 if wrap > 1 else 1)
    fig, _ = style.new_figure(fig_width, fig_height, 1, 1)
    fig.clear()
    spec = fig.add_gridspec(rows * per_panel, ncols, height_ratios=ratios)
    main, lower = [], []
    for p in range(len(panels)):
        r, c = divmod(p, wrap)
        row_axes, low_axes = [], []
        for v in range(columns):
            ax = fig.add_subplot(spec[r * per_panel, c * columns + v])
            row_axes.append(ax)
            if extra_rows:
                low_axes.append(fig.add_subplot(spec[r * per_panel + 1, c * columns + v],
                                                sharex=ax))
        main.append(row_axes)
        lower.append(low_axes)
    return fig, panels, main, lower


def legend(ax, order, members, beside=True, source=None):
    """The panel's legend (entries from `source`, default ax): beside the axes for one panel,
    under it for small multiples."""
    handles, labels = (source or ax).get_legend_handles_labels()
    if beside:
        ax.legend(handles, labels, title="scenario", frameon=False, loc="upper left",
                  bbox_to_anchor=(1.01, 1.0))
    else:
        from matplotlib.transforms import offset_copy
        below = offset_copy(ax.transAxes, fig=ax.figure, y=-30 if ax.get_xlabel() else -16,
                            units="points")
        ax.legend(handles, labels, frameon=False, loc="upper left", fontsize=7.5, ncol=1,
                  bbox_to_anchor=(0.0, 0.0), bbox_transform=below)
