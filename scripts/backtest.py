#!/usr/bin/python3
"""Backtest a results file against observed defence spending: per year present in both, the mean
absolute error of the simulated median (pp of GDP), the count of allies at or above the threshold
and the count just above it, for the model and two naive predictors (persistence of the start
year; the straight line per ally to its last observed figure), a per-ally table for the last
common year, and a figure (per-ally fan with the observed points).

    backtest.py OBSERVED.csv RESULTS.h5 [--scenario NAME] [-o DIR] [--format png|pdf ...] [--json]
        prints the tables (or, with --json, the same numbers as JSON) and writes
        DIR/backtest_fan.png; DIR defaults to the results file's folder + /figures.

OBSERVED.csv has columns iso2, year, pct_gdp (an empty pct_gdp means no figure), as in
configs/data/defence_share.csv; other columns are ignored, except `joined` (the year an ally
joined: counts run over the allies that had joined) and `name`. The U.S. (an input) and exempt
members are left out. Bad input: one line on stderr, exit status 2, nothing written.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from natosim_plot import backtest, cli  # noqa: E402


def build_parser():
    description, _, epilog = __doc__.strip().partition("\n\n")
    p = argparse.ArgumentParser(description=textwrap.fill(" ".join(description.split()), 78),
                                epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("observed", metavar="OBSERVED.csv",
                   help="observed shares: columns iso2, year, pct_gdp (%% of GDP)")
    p.add_argument("results", metavar="RESULTS.h5", help="results file written by natosim run")
    p.add_argument("--scenario", metavar="NAME",
                   help="scenario to judge (default: the file's reference scenario)")
    p.add_argument("-o", "--output", metavar="DIR", type=Path,
                   help="folder for the figure (default: the results file's folder + /figures)")
    p.add_argument("--format", action="append", choices=("png", "pdf"), default=[],
                   dest="formats",
                   help="figure format (repeatable, e.g. --format png --format pdf; default: png)")
    p.add_argument("--json", action="store_true",
                   help="print the numbers as JSON instead of the tables")
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return cli.run(lambda: backtest_and_print(args), args.results)


def backtest_and_print(args) -> int:
    data = backtest.compute(args.observed, args.results, args.scenario)
    files = backtest.plot(data, cli.output_dir(args), cli.formats(args))
    if args.json:
        out = backtest.json_ready(data)
        out["figures"] = [str(f) for f in files]
        print(json.dumps(out, indent=1))
    else:
        sys.stdout.write(backtest.text_tables(data))
        print()
        for path in files:
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
