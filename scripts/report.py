#!/usr/bin/python3
"""A study report a policy analyst can read: the headline numbers over the whole period with
their intervals, the differences to the reference scenario, and the figures that apply to the
results file, in an index.html with the study's provenance.

    report.py RESULTS.h5 [-o DIR] [--scenario NAME ...] [--member CODE ...] [--year YEAR]
              [--format png|pdf ...] [--all-figures] [--jobs N] [--quiet]

Writes DIR/index.html (self-contained, relative links only) and DIR/figures/*.png (and *.pdf
with --format pdf); prints one line per figure with its time on stderr, then the path of
index.html. DIR defaults to the results file's folder + /report. Figures are drawn in two
processes. Scenarios are shown by their label, ordered by group with a low/high pair side by
side. Per-scenario heat maps and fan charts come with --all-figures. Figures the file has no
variables for are listed as not applicable. Exit status: 0 when the report was written, 1 when a
figure failed unexpectedly (the report lists it), 2 when the file cannot be read.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import textwrap
import time
import html
import os
import sys
import traceback
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import h5py  # noqa: E402
import numpy as np  # noqa: E402

import plot_allies_compliant  # noqa: E402
import plot_compliance_heatmap  # noqa: E402
import plot_deterrence  # noqa: E402
import plot_differences  # noqa: E402
import plot_fan  # noqa: E402
import plot_spending  # noqa: E402
import plot_sweep  # noqa: E402
from natosim_plot import backtest, calibration, cli, outcomes, sensitivity  # noqa: E402
from natosim_plot.scenarios import Scenarios  # noqa: E402
from natosim_plot.results import (MissingVariable, NotApplicable, Results,  # noqa: E402
                                  UsageError, difference_units, unit_text)

FIGURE_FOLDER = "figures"
# Processes drawing figures: the machines this runs on have two cores.
MAX_JOBS = 2
Z95 = 1.959963984540054


class Section:
    """One figure of the report: how to draw it and what to say about it."""

    def __init__(self, key, title, text, draw):
        self.key, self.title, self.text, self.draw = key, title, text, draw


def sections(args):
    s, fmt, year = args.scenario, formats(args), args.year
    out = [
        Section("allies_compliant", "Allies at or above their spending threshold",
                "How many allies meet their scenario's threshold each year (mean over replicates "
                "and the middle 90% of replicates), with the threshold each is held to.",
                lambda r, d: plot_allies_compliant.plot(r, d, s, fmt)),
        Section("compliance_difference",
                "Change in the probability of meeting the threshold, by ally and year",
                "Each cell: the scenario's probability that the ally meets its threshold minus "
                "the reference's, in percentage points (paired replicates).",
                lambda r, d: plot_compliance_heatmap.plot_difference(r, d, s, fmt)),
    ]
    if args.all_figures:
        out += [
            Section("compliance", "Probability of meeting the threshold, by ally and year",
                    "Each cell is the share of replicates in which the ally spends at least "
                    "the threshold; one map per scenario.",
                    lambda r, d: plot_compliance_heatmap.plot(r, d, s, fmt)),
            Section("fan", "Defence spending as a share of GDP, by ally",
                    "Median over replicates with the bands holding 50% and 90% of replicates; "
                    "one figure per scenario.",
                    lambda r, d: plot_fan.plot(r, d, s, None, fmt)),
        ]
    for member in args.member:
        out.append(Section(f"fan_{member}", f"Defence spending as a share of GDP: {member}",
                           "One ally, scenarios overlaid.",
                           lambda r, d, m=member: plot_fan.plot(r, d, s, m, fmt)))
    out += [
        Section("spending", "Who pays: European and Canadian spending and the U.S. share",
                "Means over replicates with the range of the middle 90% of replicates; "
                "spending in constant prices when the file has them.",
                lambda r, d: plot_spending.plot(r, d, s, fmt)),
        Section("differences", "Differences to the reference scenario",
                "Paired differences (same random numbers in every scenario) with 95% "
                "confidence intervals, scenarios grouped by lever with low and high "
                "enforcement side by side; an interval that excludes 0 is a difference the "
                "simulation resolves.",
                lambda r, d: plot_differences.plot(r, d, s, None, year, fmt)),
        Section("deterrence", "Deterrence outcomes over the whole period",
                "Probability of at least one attack on an ally, expected attacks, the "
                "peacekeepers and the U.S. standing aside, with 95% intervals.",
                lambda r, d: plot_deterrence.plot(r, d, s, year, fmt)),
        Section("attack_targets", "Where the attacks go",
                "Share of the expected attacks over the period that hit each target: the "
                "allies most often attacked, the other allies and the peacekeepers, with 95% "
                "intervals.",
                lambda r, d: plot_deterrence.plot_targets(r, d, s, fmt)),
        Section("sweep", "Parameter sweep",
                "Compliance and deterrence failure over the swept parameters.",
                lambda r, d: plot_sweep.plot(r, d, s, None, None, year, fmt)),
    ]
    return out


def formats(args):
    return ("png",) + (("pdf",) if "pdf" in args.formats else ())


# --- numbers ---------------------------------------------------------------------------------


def number(x, kind="plain") -> str:
    """A table cell's number: probabilities as percentages with at least two significant digits
    (a rare event such as 0.3% keeps its digits), counts and money with sensible precision."""
    if x is None or not np.isfinite(x):
        return "n/a"
    if abs(x) < 1e-12:  # rounding noise of a sum of differences
        x = 0.0
    if kind in ("probability", "pp"):
        v, unit = 100.0 * x, ("%" if kind == "probability" else " pp")
        if v == 0:
            return "0" + unit
        if abs(v) >= 10:
            return f"{v:.1f}{unit}"
        if abs(v) >= 1:
            return f"{v:.2f}{unit}"
        return f"{v:#.2g}{unit}" if abs(v) >= 0.001 else f"{v:.1e}{unit}"
    if kind == "percent":
        return f"{x:.1f}"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    if abs(x) >= 0.1 or x == 0:
        return f"{x:.2f}"
    return f"{x:.2g}"


class Cell:
    """A number and its interval, shown on two lines."""

    def __init__(self, mean, low=None, high=None, kind="plain"):
        self.text = number(mean, kind)
        self.interval = (f"[{number(low, kind)}, {number(high, kind)}]"
                         if low is not None and np.isfinite(mean) else "")

    def __str__(self):
        return f"{self.text} {self.interval}".strip()

    def html(self):
        return esc(self.text) + (f'<br><span class="ci">{esc(self.interval)}</span>'
                                 if self.interval else "")


def with_interval(mean, low, high, kind="plain") -> str:
    return str(Cell(mean, low, high, kind))


def _kind(results, variable):
    if results.is_binary(variable):
        return "probability"
    return "percent" if unit_text(results.units(variable)) in ("%", "percent") else "plain"


class Column:
    def __init__(self, title, cells, note):
        self.title, self.cells, self.note = title, cells, note


def _cells(outcome, kind):
    return [Cell(m, a, b, kind) for m, a, b in zip(outcome.mean, outcome.low, outcome.high)]


def period_text(results):
    return f"{results.years[0]}\u2013{results.years[-1]}"


def headline_columns(results, selected):
    """Columns of the whole-period headline table (one cell per selected scenario), notes on
    what is missing or derived, and the numbers behind the automatic notes."""
    columns, notes = [], []
    period = period_text(results)
    threshold = outcomes.threshold_paths(results)
    if threshold is not None:
        columns.append(Column("Threshold in force (% of GDP)",
                              [outcomes.describe_threshold(threshold[s], results.years)
                               for s in selected],
                              "the threshold each scenario counts compliance against; "
                              "a path gives its start, end and the year it is reached"))
    for title, outcome, kind in (
            (f"At least one attack on an ally, {period}",
             outcomes.attack_on_ally(results, selected), "probability"),
            (f"Expected attacks on allies, {period}",
             outcomes.expected_attacks(results, selected), "plain"),
            (f"Peacekeepers attacked at least once, {period}",
             outcomes.peacekeepers_attacked(results, selected), "probability"),
            (f"Expected attacks on the peacekeepers, {period}",
             None if results.has("peacekeepers_attacked_ever_mean") else
             outcomes.expected_peacekeeper_attacks(results, selected), "plain")):
        if outcome is None:
            continue
        if outcome.fallback:
            notes.append(f"{title}: {outcome.fallback}.")
        if np.isfinite(outcome.mean).any():
            columns.append(Column(title, _cells(outcome, kind), outcome.note))
    compliant_end = outcomes.compliant_in(results, selected, len(results.years) - 1)
    if compliant_end is not None:
        units = results.units("allies_compliant")
        of = units[units.find("(") + 1:units.find(")")] if "(" in units else ""
        if threshold is not None:
            targets = [outcomes.target_year_index(threshold[s]) for s in selected]
            means = results.stat("allies_compliant", "mean", axes=outcomes.AXES)
            lo, hi = results.quantile_index(0.05), results.quantile_index(0.95)
            q = (results.stat("allies_compliant", "quantiles",
                              axes=outcomes.AXES + ("quantile",))
                 if lo is not None and hi is not None and results.has(
                     "allies_compliant_quantiles") else None)
            cells = []
            for s, k in zip(selected, targets):
                if k == 0:  # a constant threshold: no target year, only the end counts
                    cells.append("constant threshold")
                    continue
                cell = Cell(means[s, k], q[s, k, lo] if q is not None else None,
                            q[s, k, hi] if q is not None else None)
                cell.text += f" ({results.years[k]})"
                cells.append(cell)
            columns.append(Column(f"Allies at or above their threshold in its target year"
                                  f"{' (' + of + ')' if of else ''}", cells,
                                  "mean [5%, 95% of replicates] in the first year the threshold "
                                  "reaches its final value"))
        columns.append(Column(f"Allies at or above their threshold, {results.years[-1]}"
                              f"{' (' + of + ')' if of else ''}",
                              _cells(compliant_end, "plain"), compliant_end.note))
        common = outcomes.compliant_in(results, selected, len(results.years) - 1,
                                       "allies_at_common_threshold")
        texts = {outcomes.describe_threshold(threshold[s], results.years)
                 for s in selected} if threshold is not None else set()
        if common is not None and len(texts) > 1:
            at = outcomes.common_threshold_text(results) or "a common threshold"
            columns.append(Column(f"Allies at or above {at} (every scenario), {results.years[-1]}"
                                  f"{' (' + of + ')' if of else ''}",
                                  _cells(common, "plain"),
                                  common.note + "; the same threshold in every scenario "
                                  "(outcomes.common_threshold_pct), so counts compare"))
    if results.has("gave_up_mean"):
        # Member-level whole-period outcomes: summed over allies (missing for the U.S., Iceland
        # and members before they join). No interval: allies are not independent.
        gave_up = results.stat("gave_up", "mean", axes=("scenario", "year", "member"))
        columns.append(Column(
            f"Allies that gave up, {results.years[-1]}",
            [Cell(np.nansum(gave_up[s, -1])) for s in selected],
            "expected number of allies that met their threshold in an earlier year and now aim "
            "below it (sum over allies of each one's probability; no interval)"))
    if results.has("years_compliant_mean"):
        years = results.stat("years_compliant", "mean", axes=("scenario", "year", "member"))
        columns.append(Column(
            f"Years compliant per ally, {period}",
            [Cell(np.nanmean(years[s, -1])) for s in selected],
            "mean over allies of the expected number of years each met its threshold"))
    spending = outcomes.spending_total(results, selected)
    if spending is not None:
        units = unit_text(results.units(spending.variable))
        title = (f"Europe and Canada defence spending, total {period}"
                 f"{' (' + units + ')' if units else ''}")
        if spending.fallback:
            notes.append(f"Spending: {spending.fallback}.")
        columns.append(Column(title, _cells(spending, "plain"), spending.note))
    if not columns:
        notes.append("This file has none of the headline variables.")
    return columns, notes


def automatic_notes(results, selected):
    """Sentences the numbers need: a scenario identical to the reference; attacks moved from the
    allies to the peacekeepers; thresholds that differ between scenarios."""
    notes = []
    labels = results.scenario_labels
    ref = (results.scenarios.index(results.reference_scenario)
           if results.reference_scenario in results.scenarios else None)
    if ref is not None:
        watched = [v for v in HEADLINE_VARIABLES if results.has(f"{v}_diff_mean")]
        same = [s for s in selected if s != ref and
                outcomes.identical_to_reference(results, watched, s)]
        if same:
            notes.append(
                f"{', '.join(labels[s] for s in same)}: identical to the reference "
                f"'{labels[ref]}' in every column and every year (paired differences exactly "
                f"0): this scenario's changes do not reach these outcomes.")
        allies = outcomes.expected_attacks(results, selected + [ref])
        force = outcomes.expected_peacekeeper_attacks(results, selected + [ref])
        if allies is not None and force is not None:
            for k, s in enumerate(selected):
                if s == ref:
                    continue
                fewer = allies.mean[-1] - allies.mean[k]
                more = force.mean[k] - force.mean[-1]
                if fewer > 0 and more > 0:
                    notes.append(
                        f"{labels[s]}: {number(fewer)} fewer expected attacks on allies than "
                        f"the reference, and {number(more)} more on the peacekeepers: the model's "
                        f"adversary makes at most one attack a year, so an attack on the force "
                        f"is one not made on an ally; the risk moved, it did not vanish.")
    threshold = results.threshold()
    if threshold is not None:
        texts = {outcomes.describe_threshold(threshold[s], results.years) for s in selected}
        if len(texts) > 1:
            notes.append(
                "Scenarios hold the allies to different thresholds (" + ", ".join(sorted(texts))
                + "): 'allies at or above their threshold' counts each scenario against its own "
                "threshold, so a higher count under a lower threshold is not more spending. "
                + ("The column 'allies at or above " + outcomes.common_threshold_text(results)
                   + " (every scenario)' counts every scenario against the same threshold."
                   if outcomes.common_threshold_text(results) else
                   "Compare spending, or the defence-share figures, across thresholds: this "
                   "file has no count against a common threshold."))
    return notes


HEADLINE_VARIABLES = ("allies_compliant", "europe_canada_spending", "europe_canada_spending_real",
                      "us_share_of_spending", "attacks", "deterrence_failure",
                      "any_attack_on_ally", "attacks_to_date", "peacekeepers_attacked",
                      "peacekeepers_attacked_ever", "compliant")


def difference_columns(results, compared):
    """Whole-period paired differences to the reference: (columns, notes)."""
    columns, notes = [], []
    period = period_text(results)
    specs = []
    if results.has("any_attack_on_ally_diff_mean"):
        specs.append(("any_attack_on_ally", False, "pp",
                      f"At least one attack on an ally, {period}"))
    if results.has("attacks_to_date_diff_mean"):
        specs.append(("attacks_to_date", False, "plain", f"Expected attacks on allies, {period}"))
    elif results.has("deterrence_failure_diff_mean"):  # at most one attack a year
        specs.append(("deterrence_failure", True, "plain",
                      f"Expected attacks on allies, {period}"))
    if results.has("peacekeepers_attacked_ever_diff_mean"):
        specs.append(("peacekeepers_attacked_ever", False, "pp",
                      f"Peacekeepers attacked at least once, {period}"))
    if results.has("allies_compliant_diff_mean"):
        specs.append(("allies_compliant", False, "plain",
                      f"Allies at or above their threshold, {results.years[-1]}"))
    for variable in ("europe_canada_spending_real", "europe_canada_spending"):
        if results.has(f"{variable}_diff_mean"):
            units = difference_units(results.units(variable))
            specs.append((variable, True, "plain", f"Europe and Canada defence spending, total "
                          f"{period}{' (' + units + ')' if units else ''}"))
            break
    for variable, summed, kind, title in specs:
        mean, low, high = outcomes.paired_difference(results, variable, compared, summed)
        note = ("sum over the years of the mean paired difference [conservative 95% interval]"
                if summed else "mean paired difference [95% confidence interval]")
        columns.append(Column(title, [Cell(m, a, b, kind) for m, a, b in zip(mean, low, high)],
                              note))
    return columns, notes


# --- HTML ------------------------------------------------------------------------------------

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2em auto;
       max-width: 1200px; padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; border-bottom: 1px solid #ccc; padding-bottom: 0.2em; margin-top: 2em; }
h3 { font-size: 1.05em; margin-bottom: 0.3em; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.92em; max-width: 100%; }
table.headline { font-size: 0.84em; width: 100%; }
table.headline th { font-size: 0.95em; font-weight: 600; }
table.provenance td { overflow-wrap: anywhere; }
table.provenance td:first-child { white-space: nowrap; overflow-wrap: normal; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.5em; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.ci { color: #555; font-size: 0.9em; white-space: nowrap; }
pre { background: #f7f7f7; border: 1px solid #ddd; padding: 0.8em; white-space: pre-wrap;
      overflow-wrap: anywhere; font-size: 0.85em; }
code { overflow-wrap: anywhere; }
figure { margin: 1em 0 2em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 0.9em; color: #444; }
figcaption .file { color: #777; }
.note { color: #555; font-size: 0.9em; }
.auto { color: #333; background: #fff8e1; border-left: 3px solid #e6a700; padding: 0.3em 0.6em; }
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
NOT_SHOWN = {"file_type", "config_text", "base_config_text", "variables", "event_columns"}


def esc(value) -> str:
    return html.escape(str(value), quote=True)


def href(path: Path, base: Path) -> str:
    return urllib.parse.quote(path.relative_to(base).as_posix())


def table(headers, rows, numeric_from=None, cls="") -> str:
    out = [f'<table class="{cls}">' if cls else "<table>",
           "<tr>" + "".join(f"<th>{esc(h)}</th>" for h in headers) + "</tr>"]
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            klass = ' class="num"' if numeric_from is not None and i >= numeric_from else ""
            content = cell.html() if isinstance(cell, Cell) else esc(cell)
            cells.append(f"<td{klass}>{content}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def _scenario_cells(order, s):
    label = order.label(s)
    if s == order.reference:
        label += " (reference)"
    return label


def render(results, outdir, selected, done, not_applicable, failed, extra=()) -> str:
    attrs = results.attrs
    study = attrs.get("study_name") or Path(results.display).stem
    order = Scenarios(results, selected)
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

    # Headline numbers, over the whole period.
    parts.append(f"<h2>Headline numbers, {esc(period_text(results))}</h2>")
    try:
        columns, notes = headline_columns(results, order.indices)
        notes += automatic_notes(results, order.indices)
    except NotApplicable as error:  # a sweep: the numbers vary by design point
        columns, notes = [], [f"No headline table: {error}."]
    # A Group column only when the scenarios have groups.
    grouped = any(order.group(s) for s in order.indices)
    lead = (lambda s, name: [order.group(s), name]) if grouped else (lambda s, name: [name])
    heads = ["Group", "Scenario"] if grouped else ["Scenario"]
    if columns:
        rows = [lead(s, _scenario_cells(order, s)) + [c.cells[k] for c in columns]
                for k, s in enumerate(order.indices)]
        parts.append(table(heads + [c.title for c in columns], rows, numeric_from=len(heads),
                           cls="headline"))
        parts.append('<p class="note">How each column is made: ' + esc("; ".join(
            f"{c.title}: {c.note}" for c in columns)) + ".</p>")
    for note in notes:
        parts.append(f'<p class="note auto">{esc(note)}</p>')
    if results.reference_scenario is not None and columns:
        ref = results.scenarios.index(results.reference_scenario)
        compared = [s for s in order.indices if s != ref]
        try:
            diff, _ = difference_columns(results, compared) if compared else ([], [])
        except NotApplicable:
            diff = []
        if diff:
            parts.append(f"<h3>Differences to the reference scenario "
                         f"&lsquo;{esc(order.label(ref))}&rsquo;, "
                         f"{esc(period_text(results))}</h3>")
            rows = [lead(s, order.label(s)) + [c.cells[k] for c in diff]
                    for k, s in enumerate(compared)]
            parts.append(table(heads + [c.title for c in diff], rows, numeric_from=len(heads),
                               cls="headline"))
            parts.append('<p class="note">' + esc("; ".join(
                dict.fromkeys(c.note for c in diff))) + ". pp: percentage points.</p>")

    # Extra sections (the backtest against observed figures).
    parts.extend(extra)

    # Scenarios.
    parts.append("<h2>Scenarios</h2>")
    parts.append(table(heads + ["Name in the file", "Description"],
                       [lead(s, _scenario_cells(order, s)) + [
                           results.scenarios[s], results.scenario_descriptions[s]]
                        for s in order.indices]))

    # Figures.
    parts.append("<h2>Figures</h2>")
    for section, files in done:
        parts.append(f"<h3>{esc(section.title)}</h3>")
        for png in [f for f in files if f.suffix == ".png"]:
            pdf = png.with_suffix(".pdf")
            link = (f' (<a href="{href(pdf, outdir)}">PDF</a>)' if pdf in files else "")
            parts.append(f'<figure><a href="{href(png, outdir)}"><img src="{href(png, outdir)}" '
                         f'alt="{esc(section.title)}: {esc(figure_subject(png, section))}" '
                         f'loading="lazy"></a>'
                         f"<figcaption>{esc(section.text)} <span class=\"file\">"
                         f"({esc(png.name)}{')' if not link else ''}</span>{link}"
                         f"{')' if link else ''}</figcaption></figure>")
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
    parts.append(table(["Item", "Value"], rows, cls="provenance"))
    parts.append("<h3>Configuration</h3>")
    config = attrs.get("config_text")
    parts.append(f"<pre>{esc(config)}</pre>" if config
                 else '<p class="note">The file does not record the configuration text.</p>')
    if attrs.get("base_config_text"):
        parts.append(f"<h3>Base configuration ({esc(attrs.get('base_config_file', ''))}, "
                     f"which the study extends)</h3>")
        parts.append(f"<pre>{esc(attrs['base_config_text'])}</pre>")
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


def figure_subject(png: Path, section) -> str:
    """What one image of a section shows, for its alt text."""
    stem = png.stem
    if stem.startswith(section.key + "_") and stem != section.key:
        return stem[len(section.key) + 1:].replace("_", " ")
    return section.text.split(".")[0]


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


def _draw(results_path, figures, args, key):
    """Draws one section in a worker process: (key, status, files or reason, seconds)."""
    start = time.process_time(), time.perf_counter()
    section = next(sec for sec in sections(args) if sec.key == key)
    try:
        with Results(results_path) as results:
            plotted = section.draw(results, figures)
        outcome = ("done", [Path(f) for f in plotted.files])
    except NotApplicable as error:
        outcome = ("not applicable", reason_of(error))
    except UsageError as error:
        outcome = ("usage", str(error))
    except Exception as error:  # a bug: report it, keep the other figures
        traceback.print_exc(file=sys.stderr)
        outcome = ("failed", f"{type(error).__name__}: {error}")
    return key, outcome[0], outcome[1], time.perf_counter() - start[1]


def build(results, outdir: Path, args, extra=()):
    """Draws the figures (in up to --jobs processes) and writes index.html; returns (path,
    failed sections)."""
    outdir.mkdir(parents=True, exist_ok=True)
    figures = outdir / FIGURE_FOLDER
    selected = results.select_scenarios(args.scenario)
    results.year_index(args.year)  # an unknown year is a usage error before any drawing
    todo = sections(args)
    outcomes_by_key = {}

    def report_one(key, status, detail, seconds):
        outcomes_by_key[key] = (status, detail)
        what = (f"{len([f for f in detail if f.suffix == '.png'])} figure(s)"
                if status == "done" else f"{status}: {detail}")
        if not args.quiet:
            print(f"  {key:<24} {seconds:6.1f} s  {what}", file=sys.stderr, flush=True)

    jobs = max(1, min(args.jobs, MAX_JOBS, len(todo)))
    if jobs == 1:
        for section in todo:
            report_one(*_draw(str(results.path), figures, args, section.key))
    else:
        with concurrent.futures.ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = [pool.submit(_draw, str(results.path), figures, args, section.key)
                       for section in todo]
            for future in concurrent.futures.as_completed(futures):
                report_one(*future.result())
    done, not_applicable, failed = [], [], []
    for section in todo:
        status, detail = outcomes_by_key[section.key]
        if status == "done":
            done.append((section, detail))
        elif status == "not applicable":
            not_applicable.append((section, detail))
        elif status == "usage":
            raise UsageError(detail)
        else:
            failed.append((section, detail))
    index = outdir / "index.html"
    write_atomically(index, render(results, outdir, selected, done, not_applicable, failed, extra))
    return index, failed


def standalone(path: Path, outdir: Path, title: str, section: str) -> Path:
    """index.html around one section (a calibration or sensitivity file's report)."""
    outdir.mkdir(parents=True, exist_ok=True)
    parts = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>natosim report: {esc(title)}</title>", f"<style>{CSS}</style>", "</head>",
             "<body>", f"<h1>natosim report: {esc(title)}</h1>",
             f'<p class="note">File: <code>{esc(path.resolve())}</code>.</p>', section,
             "</body>", "</html>"]
    index = outdir / "index.html"
    write_atomically(index, "\n".join(parts))
    return index


def file_type(path) -> str:
    """The file_type attribute of a natosim HDF5 file ("" when absent or unreadable: the
    results reader then says what is wrong)."""
    try:
        with h5py.File(path, "r") as f:
            value = f.attrs.get("file_type", "")
    except (OSError, KeyError, ValueError, TypeError, RuntimeError):  # h5py's errors
        return ""
    return value.decode() if isinstance(value, bytes) else str(value)


def build_parser():
    description, _, epilog = __doc__.strip().partition("\n\n")
    p = argparse.ArgumentParser(description=textwrap.fill(" ".join(description.split()), 78), epilog=epilog,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("results", metavar="RESULTS.h5",
                   help="results file written by natosim run (or a calibration or sensitivity "
                        "file: its own report)")
    p.add_argument("--observed", metavar="OBSERVED.csv", type=Path,
                   help="add the backtest against these observed shares (iso2, year, pct_gdp; "
                        "e.g. configs/data/defence_share.csv with results/backtest_2014.h5)")
    p.add_argument("-o", "--output", metavar="DIR", type=Path,
                   help="folder for the report (default: the results file's folder + /report)")
    p.add_argument("--scenario", action="append", default=[], metavar="NAME",
                   help="report on this scenario (repeatable; default: all)")
    p.add_argument("--member", action="append", default=[], metavar="CODE",
                   help="add a single-ally fan chart (repeatable)")
    p.add_argument("--year", type=int,
                   help="year of the per-year figures (default: the final); the headline table "
                        "covers the whole period")
    p.add_argument("--all-figures", action="store_true",
                   help="also draw a compliance heat map and a fan chart per scenario")
    p.add_argument("--jobs", type=int, default=2, metavar="N",
                   help="draw figures in N processes (default and at most 2)")
    p.add_argument("--quiet", action="store_true", help="no line per figure on stderr")
    p.add_argument("--format", action="append", choices=("png", "pdf"), default=[],
                   dest="formats", help="also write PDF figures with --format pdf")
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    outdir = args.output if args.output is not None else Path(args.results).parent / "report"
    return cli.run(lambda: report(args, Path(outdir)), args.results)


def report(args, outdir: Path) -> int:
    kind = file_type(args.results)
    if kind == calibration.FILE_TYPE:
        section = calibration.calibration_section(args.results, outdir)
        index = standalone(Path(args.results), outdir, "calibration", section)
        print(f"report: {index.resolve()}")
        return 0
    if kind == sensitivity.FILE_TYPE:
        section = sensitivity.sensitivity_section(args.results, outdir)
        index = standalone(Path(args.results), outdir, "sensitivity", section)
        print(f"report: {index.resolve()}")
        return 0
    with Results(args.results) as results:  # refuses a bad file before anything is written
        extra = []
        if args.observed is not None:
            extra.append(backtest.backtest_section(args.observed, args.results, outdir))
        index, failed = build(results, outdir, args, extra)
    print(f"report: {index.resolve()}")
    if failed:
        for section, reason in failed:
            print(f"error: figure '{section.title}' failed: {reason}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
