#!/usr/bin/python3
"""Response surfaces of a parameter sweep in one year (default: the final year) of compliance
(allies at or above the threshold) and deterrence failure (probability of an attack).

    plot_sweep.py RESULTS.h5 [-o DIR] [--scenario NAME ...] [--x PARAM] [--y PARAM]
                  [--year YEAR] [--format png|pdf ...]
    A full grid design:
        writes sweep_heatmap_<scenario>.png (needs two swept parameters) and
        sweep_lines_<scenario>.png (x = --x, one line per value of --y)
    A Latin hypercube or CSV design (values that do not form a grid):
        writes sweep_scatter_<scenario>.png (each design point against each swept parameter,
        with binned means and their 95% intervals) and sweep_binned_<scenario>.png (two
        parameters cut into bins; each cell the mean over the design points in it)

Needs a sweep's results: a design_point axis and one coordinate dataset per swept parameter.
On a grid, where several design points share an (x, y) cell (a third parameter varies), the
cell shows their mean and the interval uses the mean of their MCSEs (conservative).
"""

from __future__ import annotations

import copy
import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import matplotlib  # noqa: E402
import numpy as np  # noqa: E402

from natosim_plot import cli, style  # noqa: E402
from natosim_plot.results import SWEEP_HINT, NotApplicable, UsageError  # noqa: E402

# (key, variable, title); the first one the file has is required.
RESPONSES = (("compliance", "allies_compliant", "Allies at or above the threshold"),
             ("deterrence_failure", "deterrence_failure", "Deterrence failure"))
MAX_LINES = 8
Z95 = 1.959963984540054


def _parameter(results, name):
    values = np.asarray(results.read(name), dtype=np.float64)
    attrs = results.dataset_attrs(name)
    label = str(attrs.get("long_name") or name.replace("_", " "))
    units = str(attrs.get("units", ""))
    label = label[:1].upper() + label[1:]
    return values, label if units in ("", "1") else f"{label} ({units})"


def _response(results, variable, y):
    """Mean, low and high of a variable per (scenario, design point) in year index y."""
    have = results.axes(f"{variable}_mean")
    if "member" in have:
        raise UsageError(f"{results.display}: '{variable}' is member-level; the sweep figure "
                         f"plots alliance-level variables")
    axes = ("scenario", "design_point", "year") if "scenario" in have else ("design_point",
                                                                            "year")

    def get(stat):
        data = results.stat(variable, stat, axes=axes)
        return data[..., y] if "scenario" in have else data[None, :, y]

    mean, mcse = get("mean"), get("mcse")
    return mean, mcse


def _grid(values, xs, ys, ux, uy):
    """Mean of `values` (..., design point) over the design points of each (y, x) cell."""
    out = np.full(values.shape[:-1] + (len(uy), len(ux)), np.nan)
    for j, yv in enumerate(uy):
        for i, xv in enumerate(ux):
            points = np.nonzero((xs == xv) & (ys == yv))[0]
            if len(points):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    out[..., j, i] = np.nanmean(values[..., points], axis=-1)
    return out


def plot(results, outdir, scenarios=None, x=None, y=None, year=None,
         formats=("png",)) -> style.Plotted:
    results.require("design_point", hint=SWEEP_HINT)
    parameters = results.design_parameters()
    if not parameters:
        raise NotApplicable(f"{results.display} has a design_point axis but no swept parameter "
                            f"coordinates ({SWEEP_HINT})")
    for name in (x, y):
        if name is not None and name not in parameters:
            raise UsageError(f"{results.display} has no swept parameter '{name}' (it has: "
                             f"{', '.join(parameters)})")
    x = x or parameters[0]
    y = y or next((p for p in parameters if p != x), None)
    responses = [r for r in RESPONSES if results.has(f"{r[1]}_mean")]
    if not responses:
        results.require(f"{RESPONSES[0][1]}_mean")
    yi = results.year_index(year)
    year_value = int(results.years[yi])
    has_scenario = "scenario" in results.axes(f"{responses[0][1]}_mean")
    selected = results.select_scenarios(scenarios) if has_scenario else [0]
    scenario_names = [results.scenarios[s] for s in selected]

    if not is_grid(results, parameters):
        return plot_scattered(results, outdir, parameters, responses, selected, has_scenario,
                              x, y, yi, formats)
    xs, xlabel = _parameter(results, x)
    ux = np.unique(xs)
    if y is not None:
        ys, ylabel = _parameter(results, y)
        uy = np.unique(ys)
    else:
        ys, ylabel, uy = np.zeros_like(xs), "", np.zeros(1)
    data = {"scenario_index": np.array(selected), "year": np.array([year_value]),
            "x_values": ux, "y_values": uy}
    notes = [f"year: {year_value}", f"swept: {', '.join(parameters)}"]
    others = [p for p in parameters if p not in (x, y)]
    if others:
        notes.append(f"averaged over {', '.join(others)}")

    grids = {}
    for key, variable, _ in responses:
        mean, mcse = _response(results, variable, yi)
        if has_scenario:
            mean, mcse = mean[selected], mcse[selected]
        grid = _grid(mean, xs, ys, ux, uy)
        half = Z95 * _grid(mcse, xs, ys, ux, uy)
        grids[key] = (grid, grid - half, grid + half)
        data[f"{key}/design_point_mean"] = mean
        data[f"{key}/grid"] = grid
        data[f"{key}/low"], data[f"{key}/high"] = grid - half, grid + half
    if len(responses) < len(RESPONSES):
        missing = [v for _, v, _ in RESPONSES if not results.has(f"{v}_mean")]
        notes.append(f"not in this file: {', '.join(missing)}")

    files = []
    cmap = copy.copy(matplotlib.colormaps[style.SEQUENTIAL_CMAP])
    cmap.set_bad(style.MISSING_COLOUR)
    for k, name in enumerate(scenario_names):
        caption = style.caption(results, selected, *notes)
        stem = style.safe_stem(name)
        if y is not None:
            fig, axes = style.new_figure(5.2 * len(responses), 4.8, 1, len(responses),
                                         squeeze=False)
            for ax, (key, variable, title) in zip(axes[0], responses):
                grid = grids[key][0][k]
                binary = results.is_binary(variable)
                image = ax.imshow(np.ma.masked_invalid(grid), origin="lower", aspect="auto",
                                  cmap=cmap, vmin=0.0 if binary else None,
                                  vmax=1.0 if binary else None, interpolation="nearest")
                finite = grid[np.isfinite(grid)]
                middle = (np.nanmin(finite) + np.nanmax(finite)) / 2 if finite.size else 0
                for j in range(grid.shape[0]):
                    for i in range(grid.shape[1]):
                        if np.isfinite(grid[j, i]):
                            ax.text(i, j, f"{grid[j, i]:.2f}" if binary else f"{grid[j, i]:.3g}",
                                    ha="center", va="center", fontsize=7,
                                    color="black" if (binary and grid[j, i] > 0.55) or (
                                        not binary and grid[j, i] > middle) else "white")
                ax.set_xticks(np.arange(len(ux)))
                ax.set_xticklabels([f"{v:g}" for v in ux])
                ax.set_yticks(np.arange(len(uy)))
                ax.set_yticklabels([f"{v:g}" for v in uy])
                ax.set_xlabel(xlabel)
                ax.set_ylabel(ylabel)
                ax.set_title(title)
                bar = fig.colorbar(image, ax=ax, fraction=0.06, pad=0.03)
                bar.set_label(results.label(variable))
            from matplotlib.lines import Line2D
            from matplotlib.patches import Patch
            handles = [Line2D([], [], linestyle="none", label="number: mean over replicates")]
            if any(np.isnan(grids[key][0][k]).any() for key, _, _ in responses):
                handles.append(Patch(color=style.MISSING_COLOUR, label="no design point"))
            axes[0][0].legend(handles=handles, loc="upper left", bbox_to_anchor=(0, -0.14),
                              frameon=False, handlelength=0 if len(handles) == 1 else None)
            style.finish(fig, f"Sweep response surfaces, scenario '{name}', {year_value}",
                         caption)
            files += style.save(fig, outdir, f"sweep_heatmap_{stem}", formats)

        fig, axes = style.new_figure(5.4 * len(responses), 4.6, 1, len(responses),
                                     squeeze=False)
        lines = list(range(len(uy))) if len(uy) <= MAX_LINES else None
        for ax, (key, variable, title) in zip(axes[0], responses):
            grid, low, high = (g[k] for g in grids[key])
            if lines is None:  # too many values of y: one line, averaged over y
                with np.errstate(all="ignore"):
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore", RuntimeWarning)
                        grid, low, high = (np.nanmean(a, axis=0, keepdims=True)
                                           for a in (grid, low, high))
            for j in range(grid.shape[0]):
                label = (f"{ylabel} = {uy[j]:g}" if y is not None and lines is not None
                         else "mean")
                ax.fill_between(ux, low[j], high[j], color=style.colour(j), alpha=0.18,
                                linewidth=0)
                ax.plot(ux, grid[j], color=style.colour(j), linestyle=style.linestyle(j),
                        marker="o", markersize=4, label=label)
            ax.set_xlabel(xlabel)
            ax.set_ylabel(results.label(variable))
            ax.set_title(title)
            if results.is_binary(variable):
                ax.set_ylim(0, 1)
            else:
                ax.set_ylim(bottom=0)
        axes[0][0].legend(frameon=False, loc="best")
        style.finish(fig, f"Sweep response along {xlabel}, scenario '{name}', {year_value}",
                     caption + " | lines: mean over replicates; shaded: 95% Monte Carlo "
                               "interval")
        files += style.save(fig, outdir, f"sweep_lines_{stem}", formats)
    return style.Plotted(files, data, notes)


def is_grid(results, parameters) -> bool:
    """True when the design points are a full grid: every combination of the parameters'
    distinct values once."""
    columns = [np.asarray(results.read(p), dtype=np.float64) for p in parameters]
    points = {tuple(row) for row in zip(*columns)}
    size = 1
    for column in columns:
        size *= len(np.unique(column))
    return len(points) == len(columns[0]) == size


def bins(values, count):
    """Edges of `count` bins holding about the same number of values (quantiles)."""
    edges = np.quantile(values, np.linspace(0, 1, count + 1))
    edges[-1] = np.nextafter(edges[-1], np.inf)
    return edges


def binned(xs, values, edges):
    """Per bin: centre (mean x), mean of the values, and the 95% interval of that mean from the
    spread of the design points in the bin (t ~ normal; n >= 2)."""
    index = np.clip(np.digitize(xs, edges) - 1, 0, len(edges) - 2)
    centre, mean, low, high, count = [], [], [], [], []
    for b in range(len(edges) - 1):
        inside = index == b
        n = int(inside.sum())
        count.append(n)
        if n == 0:
            centre.append(np.nan), mean.append(np.nan), low.append(np.nan), high.append(np.nan)
            continue
        v = values[inside]
        m = float(np.mean(v))
        half = Z95 * float(np.std(v, ddof=1)) / np.sqrt(n) if n > 1 else np.nan
        centre.append(float(np.mean(xs[inside])))
        mean.append(m), low.append(m - half), high.append(m + half)
    return tuple(np.array(a) for a in (centre, mean, low, high, count))


def plot_scattered(results, outdir, parameters, responses, selected, has_scenario, x, y, yi,
                   formats):
    """A design whose points are not a grid (Latin hypercube, CSV points)."""
    year_value = int(results.years[yi])
    n_points = len(np.asarray(results.read(parameters[0])))
    n_bins = max(2, min(8, n_points // 5))
    coords = {p: _parameter(results, p) for p in parameters}
    data = {"scenario_index": np.array(selected), "year": np.array([year_value]),
            "bins": np.array([n_bins])}
    means = {}
    for key, variable, _ in responses:
        mean, mcse = _response(results, variable, yi)
        if has_scenario:
            mean, mcse = mean[selected], mcse[selected]
        means[key] = (mean, mcse)
        data[f"{key}/design_point_mean"] = mean
    files = []
    for k, s in enumerate(selected):
        name = results.scenarios[s]
        stem = style.safe_stem(name)
        notes = [f"year: {year_value}", f"design: {n_points} points that do not form a grid "
                 f"(Latin hypercube or CSV points)", f"swept: {', '.join(parameters)}",
                 f"dots: each design point's mean over replicates; line: mean of the design "
                 f"points in each of {n_bins} bins of equal count, with its 95% interval "
                 f"(spread of the points in the bin; the other parameters vary there too)"]
        fig, axes = style.new_figure(0.6 + 3.6 * len(parameters), 0.9 + 3.2 * len(responses),
                                     len(responses), len(parameters), squeeze=False)
        for r, (key, variable, title) in enumerate(responses):
            mean, mcse = means[key][0][k], means[key][1][k]
            for c, p in enumerate(parameters):
                values, label = coords[p]
                ax = axes[r][c]
                ax.errorbar(values, mean, yerr=Z95 * mcse, fmt="o", markersize=3,
                            color=style.colour(0), alpha=0.45, elinewidth=0.6, linewidth=0)
                centre, bmean, blow, bhigh, count = binned(values, mean, bins(values, n_bins))
                ax.fill_between(centre, blow, bhigh, color=style.colour(1), alpha=0.25,
                                linewidth=0)
                ax.plot(centre, bmean, color=style.colour(1), marker="s", markersize=4,
                        linewidth=1.8, label="binned mean, 95% interval")
                data[f"{key}/{p}/bin_centre"], data[f"{key}/{p}/bin_mean"] = centre, bmean
                data[f"{key}/{p}/bin_low"], data[f"{key}/{p}/bin_high"] = blow, bhigh
                data[f"{key}/{p}/bin_count"] = count
                ax.set_xlabel(label)
                ax.set_ylabel(results.label(variable) if c == 0 else "")
                ax.set_title(title if len(parameters) == 1 else f"{title}", fontsize=9)
                if results.is_binary(variable):
                    ax.set_ylim(0, 1)
        axes[0][0].legend(frameon=False, loc="best", fontsize=7)
        style.finish(fig, f"Sweep responses against each swept parameter, scenario '{name}', "
                          f"{year_value}", style.caption(results, [s], *notes))
        files += style.save(fig, outdir, f"sweep_scatter_{stem}", formats)

        if y is None:
            continue
        xv, xlabel = coords[x]
        yv, ylabel = coords[y]
        side = max(2, min(5, int(np.sqrt(n_points / 3))))
        ex, ey = bins(xv, side), bins(yv, side)
        ix = np.clip(np.digitize(xv, ex) - 1, 0, side - 1)
        iy = np.clip(np.digitize(yv, ey) - 1, 0, side - 1)
        fig, axes = style.new_figure(5.2 * len(responses), 4.8, 1, len(responses),
                                     squeeze=False)
        counts = np.zeros((side, side), dtype=int)
        for j in range(side):
            for i in range(side):
                counts[j, i] = int(((ix == i) & (iy == j)).sum())
        data["binned/x_edges"], data["binned/y_edges"], data["binned/count"] = ex, ey, counts
        cmap = copy.copy(matplotlib.colormaps[style.SEQUENTIAL_CMAP])
        cmap.set_bad(style.MISSING_COLOUR)
        for ax, (key, variable, title) in zip(axes[0], responses):
            mean = means[key][0][k]
            cell = np.full((side, side), np.nan)
            for j in range(side):
                for i in range(side):
                    inside = (ix == i) & (iy == j)
                    if inside.any():
                        cell[j, i] = float(np.mean(mean[inside]))
            data[f"binned/{key}"] = cell
            binary = results.is_binary(variable)
            image = ax.imshow(np.ma.masked_invalid(cell), origin="lower", aspect="auto",
                              cmap=cmap, vmin=0.0 if binary else None,
                              vmax=1.0 if binary else None, interpolation="nearest")
            for j in range(side):
                for i in range(side):
                    if np.isfinite(cell[j, i]):
                        ax.text(i, j, f"{cell[j, i]:.3g}\n(n={counts[j, i]})", ha="center",
                                va="center", fontsize=7, color="white")
            ax.set_xticks(np.arange(side + 1) - 0.5)
            ax.set_xticklabels([f"{e:.3g}" for e in ex], fontsize=7)
            ax.set_yticks(np.arange(side + 1) - 0.5)
            ax.set_yticklabels([f"{e:.3g}" for e in ey], fontsize=7)
            ax.set_xlabel(f"{xlabel} (bin edges)")
            ax.set_ylabel(f"{ylabel} (bin edges)")
            ax.set_title(title)
            bar = fig.colorbar(image, ax=ax, fraction=0.06, pad=0.03)
            bar.set_label(results.label(variable))
        others = [p for p in parameters if p not in (x, y)]
        binned_notes = [f"year: {year_value}",
                        f"each cell: mean over the design points whose {x} and {y} fall in "
                        f"it (n points), bins of about equal count",
                        f"within a cell {x} and {y} vary over the bin" +
                        (f", and so do {', '.join(others)}" if others else "")]
        style.finish(fig, f"Sweep responses over {x} and {y} (binned), scenario '{name}', "
                          f"{year_value}", style.caption(results, [s], *binned_notes))
        files += style.save(fig, outdir, f"sweep_binned_{stem}", formats)
    return style.Plotted(files, data, [])


def build_parser():
    p = cli.parser(__doc__)
    p.add_argument("--x", metavar="PARAM", help="swept parameter on the x axis "
                                                 "(default: the first)")
    p.add_argument("--y", metavar="PARAM", help="second swept parameter (default: the second)")
    p.add_argument("--year", type=int, help="calendar year (default: the final year)")
    return p


def main(argv=None) -> int:
    return cli.main(build_parser, lambda results, args: plot(
        results, cli.output_dir(args), args.scenario, args.x, args.y, args.year,
        cli.formats(args)), argv)


if __name__ == "__main__":
    sys.exit(main())
