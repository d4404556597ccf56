"""The errors a script turns into one line on stderr (scripts/natosim_plot/cli.py, `run`):

    FileRefused (a ResultsError): the input file is not a readable natosim file of the kind
        asked for, or one of its datasets has the wrong shape or type: exit status 3, the same
        status (and, where `natosim info` refuses the file, the same message) as natosim's
        output errors.
    NotApplicable / MissingVariable: a valid file lacks what a figure needs: exit status 2.
    UsageError: the command line asks for something the file does not hold: exit status 2.

str(error) is the message without the leading "error: ".
"""

from __future__ import annotations

EXIT_USAGE = 2
EXIT_FILE = 3


class NotApplicable(Exception):
    """The figure cannot be drawn from this file (a variable or a reference is missing).

    str(error) is the one-line explanation, without the leading "error: ".
    """


class ResultsError(Exception):
    """The file is not a readable natosim file, or a dataset has an unexpected shape or type
    (exit status 3)."""


FileRefused = ResultsError


class UsageError(Exception):
    """The command line asks for something the file does not hold (an unknown scenario...)."""
