#!/usr/bin/python3
"""Sensitivity indices of a `natosim sensitivity` file: one panel per output, parameters sorted
by their total index (Sobol ST) or mu* (Morris), bootstrap intervals as error bars, and the
output's noise share (the part of its variance that is Monte Carlo noise) in the panel title.

    plot_sensitivity.py SENSITIVITY.h5 [-o DIR] [--format png|pdf ...]
        writes DIR/sensitivity.png (default DIR: the file's folder + /figures)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from natosim_plot import cli  # noqa: E402
from natosim_plot.sensitivity import plot  # noqa: E402


def build_parser() -> argparse.ArgumentParser:
    description, _, epilog = __doc__.strip().partition("\n\n")
    p = argparse.ArgumentParser(description=" ".join(description.split()), epilog=epilog,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("sensitivity", metavar="SENSITIVITY.h5",
                   help="file written by natosim sensitivity")
    p.add_argument("-o", "--output", metavar="DIR", type=Path,
                   help="folder for the figure (default: the file's folder + /figures)")
    p.add_argument("--format", action="append", choices=("png", "pdf"), default=[],
                   dest="formats", help="file format (repeatable; default: png)")
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    outdir = args.output if args.output else Path(args.sensitivity).parent / "figures"
    formats = tuple(dict.fromkeys(args.formats)) if args.formats else ("png",)

    def body():
        plotted = plot(args.sensitivity, outdir, formats)
        for path in plotted.files:
            print(path)
        return 0

    return cli.run(body, args.sensitivity)


if __name__ == "__main__":
    sys.exit(main())
