"""Shared helpers of natosim's plotting scripts and study report.

Read a results file only through :mod:`natosim_plot.results` (the documented schema,
docs/OUTPUT.md); draw with the helpers of :mod:`natosim_plot.style`; give every script the same
command line with :mod:`natosim_plot.cli`. Needs h5py, numpy and matplotlib (Debian's
python3-h5py, python3-numpy, python3-matplotlib, under /usr/bin/python3).
"""

import matplotlib

matplotlib.use("Agg")  # no display: every figure is written to a file
