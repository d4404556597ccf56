#!/usr/bin/python3
"""Scenario discovery with PRIM (Friedman and Fisher 1999) over a results file's stored
parameter draws: which ranges of the uncertain parameters make an outcome likely?

    discover.py RESULTS.h5 --outcome "any_attack_on_ally==1" [--scenario S] [--year Y]
                [--alpha 0.05] [--min-support 0.05] [--box I] [-o DIR] [--format png|pdf]
                [--json]

The file needs the inputs and the per-replicate outcomes: run it with
`natosim run CONFIG --store-draws --trajectories` (draws: `draw_<key>` over replicate;
trajectories: the variable over scenario x replicate x year [x member]; docs/OUTPUT.md).
OUTCOME is VARIABLE or VARIABLE[MEMBER] compared with a number by ==, !=, >=, <=, > or <,
evaluated at --year (default: the last year). Writes DIR/prim_tradeoff.png (coverage against
density along the peeling trajectory, the chosen box marked) and DIR/prim_box.png (the chosen
box's restricted parameters within their ranges, with quasi-p-values), and prints the box.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import h5py  # noqa: E402
import numpy as np  # noqa: E402

from natosim_plot import cli, style  # noqa: E402
from natosim_plot.prim import prim  # noqa: E402
from natosim_plot.results import Results, UsageError, decode  # noqa: E402

OUTCOME = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\[\s*([A-Za-z0-9_-]+)\s*\])?\s*"
                     r"(==|!=|>=|<=|>|<)\s*([-+]?[0-9.]+(?:[eE][-+]?[0-9]+)?)\s*$")
OPERATORS = {"==": np.equal, "!=": np.not_equal, ">=": np.greater_equal,
             "<=": np.less_equal, ">": np.greater, "<": np.less}


class DiscoverError(UsageError):
    """A problem the user can fix: one line, exit status 2."""


def load(path, outcome: str, scenario: str | None = None, year: int | None = None):
    """Reads the draws and the outcome: (parameter keys, x (replicates, parameters), y (0/1),
    description). Raises DiscoverError with a one-line message."""
    Results(path).close()  # refuses a bad file (exit status 3) as every script does
    path = Path(path)
    match = OUTCOME.match(outcome)
    if not match:
        raise DiscoverError(f"--outcome \"{outcome}\": not an outcome (expected VARIABLE or "
                            "VARIABLE[MEMBER], an operator ==, !=, >=, <=, > or <, and a number, "
                            "e.g. any_attack_on_ally==1)")
    name, member, op, value = match.groups()
    f = h5py.File(path, "r")
    with f:
        if decode(f.attrs.get("file_type", "")) != "natosim_results":
            raise DiscoverError(f"{path}: not a natosim results file (no root attribute "
                                "file_type = \"natosim_results\")")
        variables = decode(f.attrs.get("variables", np.array([], dtype=object)))
        variables = [variables] if isinstance(variables, str) else list(variables)
        if name not in variables:
            raise DiscoverError(f"{path}: --outcome \"{outcome}\": unknown variable '{name}' "
                                f"(expected one of: {', '.join(variables)})")
        if name not in f:
            raise DiscoverError(f"{path}: no per-replicate values of '{name}' (run natosim run "
                                "with --trajectories)")
        keys = decode(f.attrs.get("drawn_parameters", np.array([], dtype=object)))
        keys = [keys] if isinstance(keys, str) else list(keys)
        if not keys:
            raise DiscoverError(f"{path}: no stored parameter draws (run natosim run with "
                                "--store-draws)")
        dimension = decode(f.attrs.get("scenario_dimension", "scenario"))
        scenarios = decode(f[dimension][()])
        if scenario is None:
            s = 0
        elif scenario in scenarios:
            s = scenarios.index(scenario)
        else:
            raise DiscoverError(f"{path}: --scenario '{scenario}': unknown scenario (expected "
                                f"one of: {', '.join(scenarios)})")
        years = [int(v) for v in f["year"][()]]
        if year is None:
            y_index = len(years) - 1
        elif year in years:
            y_index = years.index(year)
        else:
            raise DiscoverError(f"{path}: --year {year}: outside the study (expected "
                                f"{years[0]} to {years[-1]})")
        data = f[name]
        if data.ndim == 4:
            members = decode(f["member"][()])
            if member is None or member not in members:
                raise DiscoverError(f"{path}: --outcome \"{outcome}\": '{name}' is per member; "
                                    f"name one as {name}[CODE] (expected one of: "
                                    f"{', '.join(members)})")
            values = data[s, :, y_index, members.index(member)]
        else:
            if member is not None:
                raise DiscoverError(f"{path}: --outcome \"{outcome}\": '{name}' is global; "
                                    "drop the [member]")
            values = data[s, :, y_index]
        columns = []
        for key in keys:
            draws = f["draw_" + key.replace(".", "_")][()]
            columns.append(draws[s] if draws.ndim == 2 else draws)
    valid = ~np.isnan(values)
    x = np.column_stack(columns)[valid]
    y = OPERATORS[op](values[valid], float(value)).astype(float)
    keep = ~np.isnan(x).any(axis=1)
    text = (f"{outcome.strip()} in {years[y_index]}, scenario {scenarios[s]}, "
            f"{int(keep.sum())} replicates")
    return keys, x[keep], y[keep], text


def plot_tradeoff(result, description, outdir, formats=("png",)) -> style.Plotted:
    coverage = np.array([b.coverage for b in result.trajectory])
    density = np.array([b.density for b in result.trajectory])
    fig, ax = style.new_figure(5.5, 4.4)
    points = ax.scatter(coverage, density, c=np.arange(len(coverage)), cmap=style.SEQUENTIAL_CMAP,
                        s=18)
    fig.colorbar(points, ax=ax, label="peeling step")
    ax.plot(result.box.coverage, result.box.density, "*", color=style.THRESHOLD_COLOUR,
            markersize=14, label=f"chosen box (step {result.chosen_index}, pasted)")
    ax.set_xlabel("coverage (share of cases of interest inside the box)")
    ax.set_ylabel("density (share of the box's cases that are of interest)")
    ax.legend(loc="lower left")
    style.finish(fig, "PRIM: coverage against density", description)
    files = style.save(fig, outdir, "prim_tradeoff", formats)
    return style.Plotted(files, {"coverage": coverage, "density": density,
                                 "chosen_coverage": result.box.coverage,
                                 "chosen_density": result.box.density})


def plot_box(result, keys, x, description, outdir, formats=("png",)) -> style.Plotted:
    restricted = result.box.restricted(x)
    fig, ax = style.new_figure(6.5, 1.2 + 0.45 * max(1, len(restricted)))
    data = {"parameters": np.array([keys[j] for j in restricted]), "lower": [], "upper": [],
            "quasi_p": []}
    for row, j in enumerate(restricted):
        low, high = x[:, j].min(), x[:, j].max()
        span = high - low if high > low else 1.0
        a = (result.box.lower[j] - low) / span
        b = (result.box.upper[j] - low) / span
        ax.barh(row, 1.0, left=0.0, color=style.MISSING_COLOUR, height=0.5)
        ax.barh(row, b - a, left=a, color=style.colour(0), height=0.5)
        ax.text(1.02, row, f"[{result.box.lower[j]:.3g}, {result.box.upper[j]:.3g}]  "
                f"p = {result.quasi_p[j]:.2g}", va="center", fontsize=8)
        data["lower"].append(result.box.lower[j])
        data["upper"].append(result.box.upper[j])
        data["quasi_p"].append(result.quasi_p[j])
    ax.set_yticks(range(len(restricted)), [keys[j] for j in restricted])
    ax.invert_yaxis()
    ax.set_xlim(0, 1.6)
    ax.set_xticks([0, 0.5, 1], ["min", "mid", "max"])
    ax.set_xlabel("box limits within each parameter's drawn range")
    style.finish(fig, f"PRIM box: coverage {result.box.coverage:.0%}, density "
                 f"{result.box.density:.0%}", description)
    files = style.save(fig, outdir, "prim_box", formats)
    return style.Plotted(files, {k: np.array(v) for k, v in data.items()})


def build_parser():
    description, _, epilog = __doc__.strip().partition("\n\n")
    p = argparse.ArgumentParser(description=" ".join(description.split()), epilog=epilog,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("results", metavar="RESULTS.h5",
                   help="results file written by natosim run --store-draws --trajectories")
    p.add_argument("--outcome", required=True, help="e.g. \"any_attack_on_ally==1\"")
    p.add_argument("--scenario", help="scenario (default: the first)")
    p.add_argument("--year", type=int, help="year of the outcome (default: the last)")
    p.add_argument("--alpha", type=float, default=0.05,
                   help="share of the box's points peeled or pasted per step (default 0.05)")
    p.add_argument("--min-support", type=float, default=0.05,
                   help="stop peeling below this share of all points in the box (default 0.05)")
    p.add_argument("--box", type=int, help="take this peeling step's box instead of the default "
                   "(the first reaching 95%% of the highest density)")
    p.add_argument("-o", "--output", metavar="DIR", type=Path,
                   help="folder for the figures (default: the file's folder + /figures)")
    p.add_argument("--format", action="append", choices=("png", "pdf"), default=[],
                   dest="formats", help="figure format (repeatable; default: png)")
    p.add_argument("--json", action="store_true", help="print the box as JSON")
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return cli.run(lambda: discover(args), args.results)


def discover(args) -> int:
    keys, x, y, description = load(args.results, args.outcome, args.scenario, args.year)
    if not 0 < args.alpha < 0.5:
        raise DiscoverError(f"--alpha {args.alpha}: out of range (expected 0 < alpha < 0.5)")
    try:
        result = prim(x, y, alpha=args.alpha, min_support=args.min_support, choose=args.box)
    except ValueError as e:
        raise DiscoverError(f"{args.results}: {description}: {e}") from None
    outdir = args.output if args.output else Path(args.results).parent / "figures"
    formats = tuple(dict.fromkeys(args.formats)) if args.formats else ("png",)
    files = plot_tradeoff(result, description, outdir, formats).files
    files += plot_box(result, keys, x, description, outdir, formats).files
    box = {"outcome": description, "base_rate": float(y.mean()),
           "coverage": result.box.coverage, "density": result.box.density,
           "support": result.box.support, "peeling_step": result.chosen_index,
           "restrictions": [{"parameter": keys[j], "lower": float(result.box.lower[j]),
                             "upper": float(result.box.upper[j]),
                             "quasi_p": result.quasi_p[j]} for j in result.box.restricted(x)],
           "figures": [str(f) for f in files]}
    if args.json:
        print(json.dumps(box, indent=2))
        return 0
    print(f"{description}: base rate {box['base_rate']:.1%}")
    print(f"box (peeling step {result.chosen_index}, pasted): coverage {result.box.coverage:.1%},"
          f" density {result.box.density:.1%}, support {result.box.support:.1%}")
    for r in box["restrictions"]:
        print(f"  {r['parameter']:<40} [{r['lower']:.4g}, {r['upper']:.4g}]  quasi-p "
              f"{r['quasi_p']:.2g}")
    for path in files:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
