#!/usr/bin/python3
"""Figures of a natosim calibration file: prior vs posterior marginals, a pairs plot of the
posterior, tolerance / acceptance rate / ESS by generation, and the posterior predictive
against the targets.

    plot_calibration.py CALIBRATION.h5 [-o DIR] [--format png|pdf ...]
        writes calibration_marginals, calibration_pairs (two or more parameters),
        calibration_generations and calibration_predictive
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from natosim_plot import cli  # noqa: E402
from natosim_plot.calibration import plot_all  # noqa: E402


def build_parser():
    description, _, epilog = __doc__.strip().partition("\n\n")
    p = argparse.ArgumentParser(description=textwrap.fill(" ".join(description.split()), 78),
                                epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("calibration", metavar="CALIBRATION.h5",
                   help="calibration file written by natosim calibrate")
    p.add_argument("-o", "--output", metavar="DIR", type=Path,
                   help="folder for the figures (default: the file's folder + /figures)")
    p.add_argument("--format", action="append", choices=("png", "pdf"), default=[],
                   dest="formats", help="file format (repeatable; default: png)")
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    outdir = args.output or Path(args.calibration).parent / "figures"

    def body():
        plotted = plot_all(args.calibration, outdir, cli.formats(args))
        for path in plotted.files:
            print(path)
        return 0

    return cli.run(body, args.calibration)


if __name__ == "__main__":
    sys.exit(main())
