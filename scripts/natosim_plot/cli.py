"""The command line every plotting script shares:

    scripts/plot_<name>.py RESULTS.h5 [-o DIR] [--scenario NAME ...] [--format png|pdf ...]

Errors a user can fix (a missing variable, an unknown scenario, a file that is not a results
file) print one line `error: ...` on stderr and exit with status 2, without a traceback.
"""

from __future__ import annotations

import argparse
import textwrap
import sys
from pathlib import Path

from .results import NotApplicable, Results, ResultsError, UsageError

EXIT_USAGE = 2


def parser(doc: str, member: bool = False) -> argparse.ArgumentParser:
    """The shared options; `doc` is the script's docstring (first paragraph: the description,
    the rest: shown after the options)."""
    description, _, epilog = doc.strip().partition("\n\n")
    p = argparse.ArgumentParser(description=textwrap.fill(" ".join(description.split()), 78),
                                epilog=epilog or None,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("results", metavar="RESULTS.h5", help="results file written by natosim run")
    p.add_argument("-o", "--output", metavar="DIR", type=Path,
                   help="folder for the figures (default: the results file's folder + /figures)")
    p.add_argument("--scenario", action="append", metavar="NAME", default=[],
                   help="plot this scenario (repeatable; default: all)")
    p.add_argument("--format", action="append", choices=("png", "pdf"), default=[],
                   dest="formats",
                   help="file format (repeatable, e.g. --format png --format pdf; default: png)")
    if member:
        p.add_argument("--member", metavar="CODE",
                       help="one ally by ISO code (e.g. PL) instead of small multiples of all")
    return p


def output_dir(args) -> Path:
    if args.output is not None:
        return Path(args.output)
    return Path(args.results).parent / "figures"


def formats(args) -> tuple:
    return tuple(dict.fromkeys(args.formats)) if args.formats else ("png",)


def error(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_USAGE


def main(build_parser, plot, argv=None) -> int:
    """Parses the command line, opens the file, calls plot(results, args) and prints the paths
    of the files written. Returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        with Results(args.results) as results:
            plotted = plot(results, args)
    except (NotApplicable, ResultsError, UsageError) as e:
        return error(str(e))
    except OSError as e:
        where = e.filename if e.filename else args.results
        return error(f"{where}: {e.strerror or e}")
    for path in plotted.files:
        print(path)
    return 0


def main_for(doc: str, plot, argv=None) -> int:
    """`main` of a figure script whose only options are the common ones: RESULTS, -o,
    --scenario and --format."""
    return main(lambda: parser(doc), lambda results, args: plot(
        results, output_dir(args), args.scenario, formats(args)), argv)
