"""The command line every plotting script shares:

    scripts/plot_<name>.py RESULTS.h5 [-o DIR] [--scenario NAME ...] [--format png|pdf ...]

Every script runs its work through `run`, the one place that turns errors into one line
`error: ...` on stderr, without a traceback:

    exit 3  the input file is refused: missing, not HDF5, not a natosim file of the right kind,
            or a dataset of the wrong shape or type (FileRefused; where `natosim info` refuses
            the file, the message is natosim's), or reading or writing a file failed (OSError,
            and h5py's KeyError / ValueError while reading);
    exit 2  a valid file lacks what a figure needs (NotApplicable), or the command line asks for
            something it does not hold (UsageError), as natosim's exit status for bad input.

Figures written during a run that fails are removed (style.save stages them under temporary
names and renames them into place only when the whole run succeeds).
"""

from __future__ import annotations

import argparse
import sys
import textwrap
import traceback
from pathlib import Path

from . import style
from .errors import EXIT_FILE, EXIT_USAGE, NotApplicable, ResultsError, UsageError
from .results import Results


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


def error(message: str, status: int = EXIT_USAGE) -> int:
    print(f"error: {message}", file=sys.stderr)
    return status


def run(body, path) -> int:
    """Calls body() (which returns the exit status) with the figures it saves staged, and turns
    the errors a user can fix into one line on stderr and an exit status (see above). `path` is
    the input file, named in messages about reading it that do not name a file themselves."""
    try:
        with style.staged():
            return body()
    except ResultsError as e:
        return error(str(e), EXIT_FILE)
    except (NotApplicable, UsageError) as e:
        return error(str(e), EXIT_USAGE)
    except OSError as e:
        where = e.filename if e.filename else path
        return error(f"{where}: {e.strerror or e}", EXIT_FILE)
    except (KeyError, ValueError, TypeError, RuntimeError) as e:
        # h5py's errors reading a damaged file after the checks (data read later); the same
        # errors raised elsewhere are bugs, and keep their traceback.
        if not _raised_in_h5py(e):
            raise
        return error(f"{path}: cannot read it ({str(e).strip(chr(39)) or type(e).__name__})",
                     EXIT_FILE)


def _raised_in_h5py(e: BaseException) -> bool:
    frames = traceback.extract_tb(e.__traceback__)
    return bool(frames) and "h5py" in frames[-1].filename


def main(build_parser, plot, argv=None) -> int:
    """Parses the command line, opens the file, calls plot(results, args) and prints the paths
    of the files written. Returns the exit status."""
    args = build_parser().parse_args(argv)

    def body():
        with Results(args.results) as results:
            plotted = plot(results, args)
        for path in plotted.files:
            print(path)
        return 0

    return run(body, args.results)


def main_for(doc: str, plot, argv=None) -> int:
    """`main` of a figure script whose only options are the common ones: RESULTS, -o,
    --scenario and --format."""
    return main(lambda: parser(doc), lambda results, args: plot(
        results, output_dir(args), args.scenario, formats(args)), argv)
