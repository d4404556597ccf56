#!/usr/bin/python3
"""A study report a policy analyst can read: every figure that applies to a results file, and an
index.html with the study's provenance, a table of headline numbers per scenario and the figures.

    report.py RESULTS.h5 [-o DIR] [--scenario NAME ...] [--member CODE ...] [--year YEAR]
              [--format png|pdf ...]

Writes DIR/index.html (self-contained, relative links only) and DIR/figures/*.png (and *.pdf
with --format pdf); prints the path of index.html. DIR defaults to the results file's folder +
/report. Figures the file has no variables for are listed as not applicable. Exit status: 0 when
the report was written, 1 when a figure failed unexpectedly (the report lists it), 2 when the
file cannot be read.
"""

from __future__ import annotations

import argparse
import textwrap
import datetime
import html
import os
import sys
import traceback
import urllib.parse
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

import plot_allies_compliant  # noqa: E402
import plot_compliance_heatmap  # noqa: E402
import plot_deterrence  # noqa: E402
import plot_differences  # noqa: E402
import plot_fan  # noqa: E402
import plot_spending  # noqa: E402
import plot_sweep  # noqa: E402
from natosim_plot import cli  # noqa: E402
from natosim_plot.results import (MissingVariable, NotApplicable, Results,  # noqa: E402
                                  ResultsError, UsageError, difference_units, unit_text)

FIGURE_FOLDER = "figures"
Z95 = 1.959963984540054


class Section:
    """One figure of the report: how to draw it and what to say about it."""

    def __init__(self, key, title, text, draw):
        self.key, self.title, self.text, self.draw = key, title, text, draw


def sections(args):
    s, fmt, year = args.scenario, formats(args), args.year
    out = [
        Section("allies_compliant", "Allies at or above the spending threshold",
                "How many allies meet the threshold each year: the mean over replicates and the "
                "range of the middle 90% of replicates.",
                lambda r, d: plot_allies_compliant.plot(r, d, s, fmt)),
        Section("compliance", "Probability of meeting the threshold, by ally and year",
                "Each cell is the share of replicates in which the ally spends at least the "
                "threshold.",
                lambda r, d: plot_compliance_heatmap.plot(r, d, s, fmt)),
        Section("fan", "Defence spending as a share of GDP, by ally",
                "Median over replicates with the bands holding 50% and 90% of replicates.",
                lambda r, d: plot_fan.plot(r, d, s, None, fmt)),
    ]
    for member in args.member:
        out.append(Section(f"fan_{member}", f"Defence spending as a share of GDP: {member}",
                           "One ally, scenarios overlaid.",
                           lambda r, d, m=member: plot_fan.plot(r, d, s, m, fmt)))
    out += [
        Section("spending", "Who pays: European and Canadian spending and the U.S. share",
                "Means over replicates with the range of the middle 90% of replicates.",
                lambda r, d: plot_spending.plot(r, d, s, fmt)),
        Section("differences", "Differences to the reference scenario",
                "Paired differences (same random numbers in every scenario) with 95% "
                "confidence intervals; an interval that excludes 0 is a difference the "
                "simulation resolves.",
                lambda r, d: plot_differences.plot(r, d, s, None, year, fmt)),
        Section("deterrence", "Deterrence outcomes",
                "Probability of an attack, territory lost and the probability that the U.S. "
                "stood aside, with 95% intervals; and which allies are attacked.",
                lambda r, d: plot_deterrence.plot(r, d, s, year, fmt)),
        Section("sweep", "Parameter sweep",
                "Response surfaces of compliance and deterrence failure over the swept "
                "parameters.",
                lambda r, d: plot_sweep.plot(r, d, s, None, None, year, fmt)),
    ]
    return out


def formats(args):
    return ("png",) + (("pdf",) if "pdf" in args.formats else ())


# --- numbers ---------------------------------------------------------------------------------


def number(x, kind="plain") -> str:
    if x is None or not np.isfinite(x):
        return "n/a"
    if kind == "probability":
        return f"{x:.3f}"
    if kind == "percent":
        return f"{x:.1f}"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def with_interval(mean, low, high, kind="plain") -> str:
    return f"{number(mean, kind)} [{number(low, kind)}, {number(high, kind)}]"


def _kind(results, variable):
    if results.is_binary(variable):
        return "probability"
    return "percent" if unit_text(results.units(variable)) in ("%", "percent") else "plain"


class Column:
    def __init__(self, title, cells, note):
        self.title, self.cells, self.note = title, cells, note


def headline_columns(results, selected, y):
    """Columns of the headline table (one cell per selected scenario) and notes on what is
    missing."""
    columns, missing = [], []
    axes = ("scenario", "year")
    lo, hi = results.quantile_index(0.05), results.quantile_index(0.95)

    def ranged(variable, title):
        if not results.has(f"{variable}_mean"):
            missing.append(variable)
            return
        mean = results.stat(variable, "mean", axes=axes)[selected, y]
        kind = _kind(results, variable)
        if results.is_binary(variable) and results.has(f"{variable}_wilson_low"):
            low = results.stat(variable, "wilson_low", axes=axes)[selected, y]
            high = results.stat(variable, "wilson_high", axes=axes)[selected, y]
            note = "mean [Wilson 95% interval]"
        elif lo is not None and hi is not None and results.has(f"{variable}_quantiles"):
            q = results.stat(variable, "quantiles", axes=axes + ("quantile",))[selected, y]
            low, high = q[:, lo], q[:, hi]
            note = "mean [5%, 95% of replicates]"
        else:
            mcse = results.stat(variable, "mcse", axes=axes)[selected, y]
            low, high = mean - Z95 * mcse, mean + Z95 * mcse
            note = "mean [95% Monte Carlo interval]"
        units = unit_text(results.units(variable))
        unit = f" ({units})" if units and units.lower() not in title.lower() else ""
        columns.append(Column(f"{title}{unit}", [with_interval(m, a, b, kind)
                                                  for m, a, b in zip(mean, low, high)], note))

    ranged("allies_compliant", "Allies at or above the threshold")
    ranged("europe_canada_spending", "Europe and Canada defence spending")
    ranged("us_share_of_spending", "U.S. share of alliance spending")
    if results.has("compliant_mean"):
        maxes = ("scenario", "year", "member")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            values = results.stat("compliant", "mean", axes=maxes)[selected, y]
            mean = np.nanmean(values, axis=-1)
            counted = int(np.isfinite(values).any(axis=0).sum())
            who = f"mean over the {counted} members with a value (exempt members have none)"
            if results.has("compliant_wilson_low") and results.has("compliant_wilson_high"):
                low = np.nanmean(results.stat("compliant", "wilson_low", axes=maxes)[selected, y],
                                 axis=-1)
                high = np.nanmean(
                    results.stat("compliant", "wilson_high", axes=maxes)[selected, y], axis=-1)
                note = (f"{who} [mean of their Wilson 95% bounds: a conservative "
                        "interval]")
            else:
                half = Z95 * np.nanmean(results.stat("compliant", "mcse", axes=maxes)
                                        [selected, y], axis=-1)
                low, high = mean - half, mean + half
                note = f"{who} [conservative 95% Monte Carlo interval]"
        columns.append(Column("Mean compliance probability over allies",
                              [with_interval(m, a, b, "probability")
                               for m, a, b in zip(mean, low, high)], note))
    else:
        missing.append("compliant")
    if results.has("deterrence_failure_mean"):
        ranged("deterrence_failure", "Attack probability (deterrence failure)")
        ranged("us_stood_aside", "U.S. stood aside")
        ranged("attacks", "Attacks")
    return columns, missing


def difference_columns(results, compared, y):
    columns = []
    axes = ("scenario", "year")
    for variable, title in (("allies_compliant", "Allies at or above the threshold"),
                            ("europe_canada_spending", "Europe and Canada defence spending"),
                            ("us_share_of_spending", "U.S. share of alliance spending"),
                            ("deterrence_failure", "Attack probability"),
                            ("us_stood_aside", "U.S. stood aside")):
        if not results.has(f"{variable}_diff_mean"):
            continue
        stats = [results.stat(variable, s, axes=axes)[compared, y]
                 for s in ("diff_mean", "diff_ci_low", "diff_ci_high")]
        units = difference_units(results.units(variable))
        unit = f" ({units})" if units else ""
        kind = _kind(results, variable)
        columns.append(Column(f"{title}{unit}", [with_interval(m, a, b, kind)
                                                  for m, a, b in zip(*stats)],
                              "mean paired difference [95% confidence interval]"))
    return columns


# --- HTML ------------------------------------------------------------------------------------

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2em auto;
       max-width: 1200px; padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; border-bottom: 1px solid #ccc; padding-bottom: 0.2em; margin-top: 2em; }
h3 { font-size: 1.05em; margin-bottom: 0.3em; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.92em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
pre { background: #f7f7f7; border: 1px solid #ddd; padding: 0.8em; overflow-x: auto;
      font-size: 0.85em; }
figure { margin: 1em 0 2em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 0.9em; color: #444; }
.note { color: #555; font-size: 0.9em; }
.warn { color: #a33; }
"""

PROVENANCE_KEYS = (
    ("study_name", "Study"), ("study_description", "Description"), ("model", "Model"),
    ("natosim_version", "natosim version"), ("git_commit", "Git commit"),
    ("build_type", "Build type"), ("compiler", "Compiler"),
    ("library_versions", "Libraries"), ("created_utc", "Created (UTC)"),
    ("command_line", "Command line"), ("config_file", "Configuration file"),
    ("config_sha256", "Configuration SHA-256"), ("seed", "Seed"),
    ("replicates", "Replicates"), ("threads", "Threads"),
    ("reference_scenario", "Reference scenario"), ("schema_version", "Results schema"),
)
NOT_SHOWN = {"file_type", "config_text", "variables", "event_columns"}


def esc(value) -> str:
    return html.escape(str(value), quote=True)


def href(path: Path, base: Path) -> str:
    return urllib.parse.quote(path.relative_to(base).as_posix())


def table(headers, rows, numeric_from=None) -> str:
    out = ["<table>", "<tr>" + "".join(f"<th>{esc(h)}</th>" for h in headers) + "</tr>"]
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            cls = ' class="num"' if numeric_from is not None and i >= numeric_from else ""
            cells.append(f"<td{cls}>{esc(cell)}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def render(results, outdir, selected, y, done, not_applicable, failed) -> str:
    attrs = results.attrs
    study = attrs.get("study_name") or Path(results.display).stem
    year_value = int(results.years[y])
    parts = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>natosim report: {esc(study)}</title>", f"<style>{CSS}</style>", "</head>",
        "<body>", f"<h1>natosim study report: {esc(study)}</h1>",
    ]
    if attrs.get("study_description"):
        parts.append(f"<p>{esc(attrs['study_description'])}</p>")
    parts.append(
        f'<p class="note">Results file: <code>{esc(results.path.resolve())}</code>. '
        f"{results.replicates} replicates per scenario; {len(results.scenarios)} scenarios; "
        f"years {results.years[0]}&ndash;{results.years[-1]}. Report written "
        f"{esc(datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC'))}."
        f"</p>")

    # Headline numbers.
    parts.append(f"<h2>Headline numbers, {year_value}</h2>")
    try:
        columns, missing = headline_columns(results, selected, y)
    except NotApplicable as error:  # a sweep: the numbers vary by design point
        columns, missing = [], []
        parts.append(f'<p class="note">No headline table: {esc(error)}.</p>')
    if columns:
        rows = [[results.scenarios[s]] + [c.cells[k] for c in columns]
                for k, s in enumerate(selected)]
        parts.append(table(["Scenario"] + [c.title for c in columns], rows, numeric_from=1))
        parts.append('<p class="note">Intervals: ' + esc("; ".join(
            f"{c.title}: {c.note}" for c in columns)) + ".</p>")
    elif not parts[-1].startswith('<p class="note">No headline table'):
        parts.append('<p class="note">This file has none of the headline variables.</p>')
    if missing:
        parts.append('<p class="note">Not in this file: ' + esc(", ".join(missing)) + ".</p>")
    if results.reference_scenario is not None:
        ref = results.scenarios.index(results.reference_scenario)
        compared = [s for s in selected if s != ref]
        try:
            diff = difference_columns(results, compared, y) if compared else []
        except NotApplicable:
            diff = []
        if diff:
            parts.append(f"<h3>Differences to the reference scenario "
                         f"&lsquo;{esc(results.reference_scenario)}&rsquo;, {year_value}</h3>")
            rows = [[results.scenarios[s]] + [c.cells[k] for c in diff]
                    for k, s in enumerate(compared)]
            parts.append(table(["Scenario"] + [c.title for c in diff], rows, numeric_from=1))
            parts.append('<p class="note">Mean paired difference over replicates [95% '
                         "confidence interval].</p>")

    # Scenarios.
    parts.append("<h2>Scenarios</h2>")
    parts.append(table(["Scenario", "Description"],
                       [[results.scenarios[s] + (" (reference)" if results.scenarios[s] ==
                                                 results.reference_scenario else ""),
                         results.scenario_descriptions[s]] for s in selected]))

    # Figures.
    parts.append("<h2>Figures</h2>")
    for section, files in done:
        parts.append(f"<h3>{esc(section.title)}</h3>")
        parts.append(f'<p class="note">{esc(section.text)}</p>')
        for png in [f for f in files if f.suffix == ".png"]:
            pdf = png.with_suffix(".pdf")
            link = (f' (<a href="{href(pdf, outdir)}">PDF</a>)' if pdf in files else "")
            parts.append(f'<figure><a href="{href(png, outdir)}"><img src="{href(png, outdir)}" '
                         f'alt="{esc(section.title)}: {esc(png.stem)}"></a>'
                         f"<figcaption>{esc(png.name)}{link}</figcaption></figure>")
    if not_applicable:
        parts.append("<h3>Figures not drawn</h3><ul>")
        for section, reason in not_applicable:
            parts.append(f"<li>{esc(section.title)}: not applicable to this file: "
                         f"{esc(reason)}</li>")
        parts.append("</ul>")
    if failed:
        parts.append('<h3 class="warn">Figures that failed</h3><ul>')
        for section, reason in failed:
            parts.append(f'<li class="warn">{esc(section.title)}: {esc(reason)}</li>')
        parts.append("</ul>")

    # Provenance.
    parts.append("<h2>Provenance</h2>")
    rows = [[label, attrs[key]] for key, label in PROVENANCE_KEYS
            if key in attrs and attrs[key] not in ("", None)]
    shown = {key for key, _ in PROVENANCE_KEYS}
    rows += [[key, value] for key, value in sorted(attrs.items())
             if key not in shown and key not in NOT_SHOWN]
    parts.append(table(["Item", "Value"], rows))
    parts.append("<h3>Configuration</h3>")
    config = attrs.get("config_text")
    parts.append(f"<pre>{esc(config)}</pre>" if config
                 else '<p class="note">The file does not record the configuration text.</p>')
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


def write_atomically(path: Path, text: str):
    partial = path.with_name(f".{path.name}.partial")
    try:
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, path)
    finally:
        if partial.exists():
            partial.unlink()


def reason_of(error: NotApplicable) -> str:
    if isinstance(error, MissingVariable):
        return f"missing {error.dataset} ({error.hint})"
    message = str(error)
    return message


def build(results, outdir: Path, args):
    """Draws the figures and writes index.html; returns (path, failed sections)."""
    outdir.mkdir(parents=True, exist_ok=True)
    figures = outdir / FIGURE_FOLDER
    selected = results.select_scenarios(args.scenario)
    y = results.year_index(args.year)
    done, not_applicable, failed = [], [], []
    for section in sections(args):
        try:
            plotted = section.draw(results, figures)
        except NotApplicable as error:
            not_applicable.append((section, reason_of(error)))
            continue
        except UsageError:
            raise
        except Exception as error:  # a bug: report it, keep the other figures
            traceback.print_exc(file=sys.stderr)
            failed.append((section, f"{type(error).__name__}: {error}"))
            continue
        done.append((section, [Path(f) for f in plotted.files]))
    index = outdir / "index.html"
    write_atomically(index, render(results, outdir, selected, y, done, not_applicable, failed))
    return index, failed


def build_parser():
    description, _, epilog = __doc__.strip().partition("\n\n")
    p = argparse.ArgumentParser(description=textwrap.fill(" ".join(description.split()), 78), epilog=epilog,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("results", metavar="RESULTS.h5", help="results file written by natosim run")
    p.add_argument("-o", "--output", metavar="DIR", type=Path,
                   help="folder for the report (default: the results file's folder + /report)")
    p.add_argument("--scenario", action="append", default=[], metavar="NAME",
                   help="report on this scenario (repeatable; default: all)")
    p.add_argument("--member", action="append", default=[], metavar="CODE",
                   help="add a single-ally fan chart (repeatable)")
    p.add_argument("--year", type=int, help="year of the headline numbers (default: the final)")
    p.add_argument("--format", action="append", choices=("png", "pdf"), default=[],
                   dest="formats", help="also write PDF figures with --format pdf")
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    outdir = args.output if args.output is not None else Path(args.results).parent / "report"
    try:
        with Results(args.results) as results:
            index, failed = build(results, Path(outdir), args)
    except (NotApplicable, ResultsError, UsageError) as error:
        return cli.error(str(error))
    except OSError as error:
        return cli.error(f"{error.filename or args.results}: {error.strerror or error}")
    print(f"report: {index.resolve()}")
    if failed:
        for section, reason in failed:
            print(f"error: figure '{section.title}' failed: {reason}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
