"""Backtest: a natosim results file against observed defence spending (% of GDP) by ally and year.

    data = compute("configs/data/defence_share.csv", "results/backtest_2014.h5")
    print(text_tables(data))
    html = backtest_section("configs/data/defence_share.csv", "results/backtest_2014.h5", "report")

For each year present in both files, over the allies with an observed figure that year other than
the patron (the U.S., whose share is an input) and the exempt members (no armed forces):
- the mean absolute error (pp of GDP) of the simulated median against the observed figure, and of
  two naive predictors: persistence of each ally's figure in the results' start year, and the
  straight line per ally from that figure to its last observed figure in the file (exact in that
  last year by construction: a benchmark that knows the end point, not a forecast);
- the count at or above the threshold (the file's `threshold` variable for the year): observed,
  simulated (quantiles of `allies_compliant` when the year has a figure for every ally it counts;
  otherwise the expected count sum_i P(compliant_i) over the allies present with a
  Poisson-binomial 90% interval assuming independence), and the naive predictors';
- the count in [threshold, threshold + 0.10): observed, allies whose simulated median lies there,
  and the naive predictors'.
Counts run over the allies that had joined by that year, as `allies_compliant` does: per the
observed file's `joined` column when it has one, else per the results (an ally whose compliance
the model records that year: it records none before accession); the errors run over every ally
with a figure.
"""

from __future__ import annotations

import csv
import html
import math
import tomllib
import urllib.parse
from pathlib import Path

import numpy as np

from . import style
from .results import NotApplicable, Results, UsageError

PATRON = "US"
REQUIRED_COLUMNS = ("iso2", "year", "pct_gdp")
BAND_WIDTH_PCT = 0.10
DEFAULT_THRESHOLD_PCT = 2.0
# Comparisons at the threshold and the band edges tolerate rounding (observed figures have two
# decimals; the straight line's values are arbitrary floats).
EPS = 1e-9
LOW, HIGH = 0.05, 0.95
PREDICTORS = ("model", "persistence", "line")
FIGURE_STEM = "backtest_fan"
FIGURE_FOLDER = "figures"
YEAR_RANGE = (1900, 2200)


class ObservedError(UsageError):
    """Bad input in the observed file: one line `FILE:LINE:COL: column: problem, got X
    (expected Y)`, as natosim's own data files report it."""

    def __init__(self, file, line, column, key, problem, got=None, expected=None):
        where = f"{file}:{line}:{column}" if line else str(file)
        text = f"{where}: " + (f"{key}: " if key else "") + problem
        if got is not None:
            text += f", got {got}"
        if expected is not None:
            text += f" (expected {expected})"
        super().__init__(text)


# --- the observed file -----------------------------------------------------------------------


class Observed:
    """Observed shares: figures[iso2][year] = % of GDP, the line of each row, join years."""

    def __init__(self, display):
        self.display = display
        self.figures = {}   # iso2 -> {year: pct_gdp}
        self.rows = {}      # iso2 -> first line it appears on (for messages)
        self.names = {}     # iso2 -> name (when the file has a name column)
        self.joined = None  # iso2 -> year joined, when the file has a joined column
        self.iso2_column = 1

    def years(self):
        return sorted({y for by_year in self.figures.values() for y in by_year})

    def last_year(self, iso2):
        by_year = self.figures.get(iso2, {})
        return max(by_year) if by_year else None


def _quoted(text):
    return f'"{text}"'


def read_observed(path) -> Observed:
    """Reads OBSERVED.csv (columns iso2, year, pct_gdp; others ignored but `joined` and `name`
    used when present). Raises ObservedError for a missing file or column, a non-numeric or
    negative value, a duplicate (iso2, year) or conflicting join years."""
    display = str(path)
    path = Path(path)
    if not path.exists():
        raise ObservedError(display, 0, 0, "", "no such file")
    if path.is_dir():
        raise ObservedError(display, 0, 0, "", "is a folder, not a CSV file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as e:
        raise ObservedError(display, 0, 0, "", "not UTF-8 text", f"byte {e.start}",
                            "a CSV file") from None
    reader = csv.reader(text.splitlines(keepends=True))
    try:
        records = [(reader.line_num, row) for row in reader]
    except csv.Error as e:
        raise ObservedError(display, reader.line_num, 1, "", "unreadable CSV", str(e),
                            "comma-separated fields") from None
    records = [(line, row) for line, row in records if any(cell.strip() for cell in row)]
    if not records:
        raise ObservedError(display, 1, 1, "", "empty file", "no header",
                            "a header line iso2,year,pct_gdp and data rows")
    header = [h.strip() for h in records[0][1]]
    for name in REQUIRED_COLUMNS:
        if name not in header:
            raise ObservedError(display, records[0][0], 1, name, "missing column",
                                "columns " + ", ".join(header),
                                "a column named " + name)
    col = {name: header.index(name) for name in header}
    observed = Observed(display)
    observed.iso2_column = col["iso2"] + 1
    if "joined" in col:
        observed.joined = {}
    seen = {}
    for line, row in records[1:]:
        if len(row) != len(header):
            raise ObservedError(display, line, 1, "", "wrong number of fields", len(row),
                                f"{len(header)} fields as in the header")

        def cell(name):
            return row[col[name]].strip()

        def fail(name, problem, got, expected):
            raise ObservedError(display, line, col[name] + 1, name, problem, got, expected)

        iso2 = cell("iso2").upper()
        if len(iso2) != 2 or not iso2.isalpha():
            fail("iso2", "not a two-letter country code", _quoted(cell("iso2")),
                 "an ISO 3166-1 alpha-2 code such as PL")
        year = _integer(cell("year"), lambda p, g, e: fail("year", p, g, e))
        value = cell("pct_gdp")
        if (iso2, year) in seen:
            fail("iso2", "duplicate row", f"{iso2} {year} again",
                 f"one row per ally and year (first on line {seen[(iso2, year)]})")
        seen[(iso2, year)] = line
        observed.rows.setdefault(iso2, line)
        if "name" in col and cell("name"):
            observed.names.setdefault(iso2, cell("name"))
        if observed.joined is not None and cell("joined"):
            joined = _integer(cell("joined"), lambda p, g, e: fail("joined", p, g, e))
            if observed.joined.setdefault(iso2, joined) != joined:
                fail("joined", "conflicting join year", joined,
                     f"{observed.joined[iso2]} as on the ally's earlier rows")
        if value == "":
            continue  # no figure (e.g. Iceland, no armed forces)
        try:
            share = float(value)
        except ValueError:
            share = math.nan
        if not math.isfinite(share):
            fail("pct_gdp", "not a number", _quoted(value),
                 "a share of GDP in percent such as 1.85, or an empty field")
        if share < 0 or share > 100:
            fail("pct_gdp", "out of range", value, "a share of GDP in [0, 100] percent")
        observed.figures.setdefault(iso2, {})[year] = share
    return observed


def _integer(text, fail):
    expected = f"an integer year in [{YEAR_RANGE[0]}, {YEAR_RANGE[1]}]"
    if text == "":
        fail("missing value", "an empty field", expected)
    try:
        value = int(text)
    except ValueError:
        fail("not an integer", _quoted(text), expected)
    if not YEAR_RANGE[0] <= value <= YEAR_RANGE[1]:
        fail("out of range", text, expected)
    return value


# --- the results file ------------------------------------------------------------------------


def _exempt_from_config(results):
    """The config's model.data.exempt (the run's config, else the config it extends), or None."""
    for key in ("config_text", "base_config_text"):
        text = results.attrs.get(key)
        if not text:
            continue
        try:
            config = tomllib.loads(str(text))
        except tomllib.TOMLDecodeError:
            continue
        exempt = config.get("model", {}).get("data", {}).get("exempt")
        if isinstance(exempt, list):
            return [str(code).upper() for code in exempt]
    return None


def exempt_members(results, compliant):
    """Codes of the exempt members: the config's list when the file records it, else the
    members with no compliance value in any year (Iceland: no armed forces)."""
    listed = _exempt_from_config(results)
    if listed is not None:
        return [m for m in results.members if m.upper() in listed]
    if compliant is None:
        return []
    return [m for k, m in enumerate(results.members) if np.all(np.isnan(compliant[:, k]))]


def _scenario_index(results, scenario):
    if scenario:
        return results.select_scenarios([scenario])[0]
    if results.reference_scenario in results.scenarios:
        return results.scenarios.index(results.reference_scenario)
    return 0


def poisson_binomial(probabilities) -> np.ndarray:
    """P(K = k), k = 0..n, of the number of successes of independent Bernoulli trials."""
    pmf = np.zeros(len(probabilities) + 1)
    pmf[0] = 1.0
    for n, p in enumerate(probabilities, start=1):
        pmf[1:n + 1] = pmf[1:n + 1] * (1 - p) + pmf[:n] * p
        pmf[0] *= 1 - p
    return pmf


def pmf_quantile(pmf, level) -> int:
    """The smallest k with P(K <= k) >= level."""
    cdf = np.cumsum(pmf)
    return int(np.searchsorted(cdf, level - 1e-12))


def _at_or_above(values, threshold):
    return int(sum(1 for v in values if v >= threshold - EPS))


def _in_band(values, threshold):
    return int(sum(1 for v in values if threshold - EPS <= v < threshold + BAND_WIDTH_PCT - EPS))


def _mae(errors):
    return float(np.mean(np.abs(errors))) if len(errors) else None


def compute(observed_csv, results_path, scenario=None) -> dict:
    """The backtest's numbers as plain dicts, lists and floats (JSON-ready). Raises ObservedError
    (bad observed file), UsageError (unknown scenario, no year in common), NotApplicable
    (a sweep, a missing variable) or ResultsError (not a results file)."""
    observed = read_observed(observed_csv)
    with Results(results_path) as results:
        return _compute(observed, results, scenario)


def _compute(observed, results, scenario):
    if results.attrs.get("scenario_dimension", "scenario") == "design_point":
        raise NotApplicable(f"{results.display} is a parameter sweep; the backtest needs a study")
    s = _scenario_index(results, scenario)
    members = list(results.members)
    for iso2 in sorted(observed.rows, key=observed.rows.get):
        if iso2 not in [m.upper() for m in members]:
            raise ObservedError(observed.display, observed.rows[iso2], observed.iso2_column,
                                "iso2",
                                "unknown ally", iso2,
                                f"a member of {results.display}: {', '.join(members)}")
    index = {m.upper(): k for k, m in enumerate(members)}
    quantiles = results.stat("defence_share", "quantiles",
                             axes=("scenario", "year", "member", "quantile"))[s]
    qi = {level: results.quantile_index(level) for level in (0.05, 0.25, 0.5, 0.75, 0.95)}
    if qi[0.5] is None or qi[LOW] is None or qi[HIGH] is None:
        raise NotApplicable(f"{results.display} lacks the 5%, 50% or 95% quantile of "
                            f"'defence_share'")
    compliant = (results.stat("compliant", "mean", axes=("scenario", "year", "member"))[s]
                 if results.has_variable("compliant") else None)
    exempt = exempt_members(results, compliant)
    thresholds = results.threshold()
    notes = []
    if thresholds is None:
        threshold_by_year = np.full(len(results.years), DEFAULT_THRESHOLD_PCT)
        threshold_source = f"assumed {DEFAULT_THRESHOLD_PCT:.2f}% (the file records no threshold)"
    else:
        threshold_by_year = np.asarray(thresholds[s], dtype=float)
        threshold_source = "the results file's 'threshold' variable"
    years = [int(y) for y in results.years]
    start = years[0]
    common = [y for y in observed.years() if y in years]
    if not common:
        raise UsageError(f"{observed.display} and {results.display} have no year in common "
                         f"(observed: {', '.join(map(str, observed.years())) or 'none'}; "
                         f"results: {years[0]}-{years[-1]})")
    if not any(start in by_year for by_year in observed.figures.values()):
        raise UsageError(f"{observed.display} has no figure for {start}, the results' start "
                         f"year, which the naive predictors need")
    subject = [m for m in members if m.upper() != PATRON and m not in exempt]
    no_start = [m for m in subject if observed.figures.get(m.upper()) and
                start not in observed.figures[m.upper()]]
    if no_start:
        notes.append(f"not compared (no {start} figure for the naive predictors): "
                     + ", ".join(no_start))

    def joined_by(m, year):
        if observed.joined is not None:
            return observed.joined.get(m.upper(), YEAR_RANGE[0]) <= year
        if compliant is None:
            return True
        return bool(np.isfinite(compliant[years.index(year), index[m.upper()]]))

    def persistence(m):
        return observed.figures[m.upper()][start]

    def line(m, year):
        figures = observed.figures[m.upper()]
        last = observed.last_year(m.upper())
        if last == start:
            return figures[start]
        return figures[start] + (figures[last] - figures[start]) * (year - start) / (last - start)

    rows = []
    for year in common:
        y = years.index(year)
        threshold = float(threshold_by_year[y])
        allies = [m for m in subject if year in observed.figures.get(m.upper(), {})
                  and m not in no_start and np.isfinite(quantiles[y, index[m.upper()], qi[0.5]])]
        obs = {m: observed.figures[m.upper()][year] for m in allies}
        pred = {
            "model": {m: float(quantiles[y, index[m.upper()], qi[0.5]]) for m in allies},
            "persistence": {m: persistence(m) for m in allies},
            "line": {m: line(m, year) for m in allies},
        }
        counted = [m for m in subject if joined_by(m, year)]
        full = all(m in obs for m in counted)
        in_count = [m for m in allies if joined_by(m, year)]
        row = {
            "year": year, "threshold": threshold, "allies": allies, "n": len(allies),
            "count_allies": in_count, "full": full,
            "missing": [m for m in counted if m not in obs],
            "mae": {k: _mae([pred[k][m] - obs[m] for m in allies]) for k in PREDICTORS},
            "count": {"observed": _at_or_above([obs[m] for m in in_count], threshold)},
            "band": {"observed": _in_band([obs[m] for m in in_count], threshold)},
        }
        for k in ("persistence", "line"):
            row["count"][k] = _at_or_above([pred[k][m] for m in in_count], threshold)
        for k in PREDICTORS:
            row["band"][k] = _in_band([pred[k][m] for m in in_count], threshold)
        row["count"]["model"] = _model_count(results, s, y, full, in_count, compliant, index,
                                             notes, year)
        rows.append(row)

    last = rows[-1]
    y = years.index(last["year"])
    per_ally = []
    for m in last["allies"]:
        k = index[m.upper()]
        median = float(quantiles[y, k, qi[0.5]])
        value = observed.figures[m.upper()][last["year"]]
        per_ally.append({
            "iso2": m, "name": results.member_names[k], "observed": value, "median": median,
            "q05": float(quantiles[y, k, qi[LOW]]), "q95": float(quantiles[y, k, qi[HIGH]]),
            "error": median - value, "persistence": persistence(m), "line": line(m, last["year"]),
        })

    series = {}
    for m in subject:
        k = index[m.upper()]
        series[m] = {
            "name": results.member_names[k],
            "quantiles": {f"{level:g}": quantiles[:, k, i].tolist()
                          for level, i in qi.items() if i is not None},
            "observed": {str(yr): v for yr, v in sorted(observed.figures.get(m.upper(), {})
                                                       .items()) if yr in years},
            "persistence": (persistence(m) if start in observed.figures.get(m.upper(), {})
                            else None),
        }
    return {
        "observed_file": observed.display, "results_file": results.display,
        "scenario": results.scenarios[s], "start_year": start, "years": years,
        "threshold_source": threshold_source, "thresholds": threshold_by_year.tolist(),
        "band_width": BAND_WIDTH_PCT, "patron": PATRON, "exempt": exempt,
        "joined_column": observed.joined is not None, "rows": rows,
        "last_year": {"year": last["year"], "allies": per_ally},
        "notes": notes, "series": series,
        "caption": style.caption(results, [s]),
    }


def _model_count(results, s, y, full, in_count, compliant, index, notes, year):
    """The simulated count at or above the threshold: quantiles of allies_compliant in a year
    the observed file covers fully, else the Poisson-binomial count over the allies present."""
    if full and results.has("allies_compliant_quantiles"):
        q = results.stat("allies_compliant", "quantiles", axes=("scenario", "year", "quantile"))
        lo, mid, hi = (results.quantile_index(level) for level in (LOW, 0.5, HIGH))
        if None not in (lo, mid, hi):
            return {"method": "allies_compliant", "median": float(q[s, y, mid]),
                    "low": float(q[s, y, lo]), "high": float(q[s, y, hi])}
    if compliant is None:
        raise NotApplicable(f"{results.display} has neither 'allies_compliant_quantiles' nor "
                            f"'compliant_mean', which the simulated count needs")
    p = [compliant[y, index[m.upper()]] for m in in_count]
    absent = [m for m, v in zip(in_count, p) if not np.isfinite(v)]
    if absent:
        notes.append(f"{year}: no compliance probability in the results for "
                     f"{', '.join(absent)} (not a member in the model): left out of the "
                     f"simulated count")
    p = [float(v) for v in p if np.isfinite(v)]
    pmf = poisson_binomial(p)
    return {"method": "poisson_binomial", "median": float(sum(p)),
            "low": float(pmf_quantile(pmf, LOW)), "high": float(pmf_quantile(pmf, HIGH))}


# --- text output -----------------------------------------------------------------------------


def _f(value, digits=3):
    return "-" if value is None else f"{value:.{digits}f}"


def _count_text(model):
    if model["method"] == "allies_compliant":
        return f"{model['median']:g} [{model['low']:g}-{model['high']:g}]"
    return f"{model['median']:.1f} [{model['low']:g}-{model['high']:g}]*"


def year_table(data) -> tuple:
    """(headers, rows, notes) of the per-year table."""
    headers = ["year", "allies cmp/cnt", "MAE model", "MAE persist.", "MAE line",
               "n>=thr obs.", "n>=thr model [90%]", "n>=thr persist.", "n>=thr line",
               "band obs.", "band model", "band persist.", "band line"]
    rows = []
    for r in data["rows"]:
        rows.append([str(r["year"]), f"{r['n']}/{len(r['count_allies'])}",
                     _f(r["mae"]["model"]), _f(r["mae"]["persistence"]), _f(r["mae"]["line"]),
                     str(r["count"]["observed"]), _count_text(r["count"]["model"]),
                     str(r["count"]["persistence"]), str(r["count"]["line"]),
                     str(r["band"]["observed"]), str(r["band"]["model"]),
                     str(r["band"]["persistence"]), str(r["band"]["line"])])
    start = data["start_year"]
    thresholds = sorted({r["threshold"] for r in data["rows"]})
    notes = [
        f"allies: compared (observed figure, not the U.S. whose share is an input, not exempt: "
        f"{', '.join(data['exempt']) or 'none'}) / counted (those that had joined by that year"
        f"{' per the joined column' if data['joined_column'] else ', per the results: compliance recorded'}).",
        "MAE: mean absolute error in pp of GDP over the compared allies; model = simulated "
        "median (q50).",
        f"persist.: each ally's {start} figure carried forward. line: straight line per ally "
        f"from its {start} figure to its last observed figure in the file, exact in that year by "
        f"construction (it knows the end point: a benchmark, not a forecast).",
        f"n>=thr: allies at or above the threshold, {'/'.join(f'{t:.2f}' for t in thresholds)}% "
        f"of GDP ({data['threshold_source']}), among the counted allies. model: median "
        f"[5%-95%] of allies_compliant over replicates when the year has a figure for every "
        f"ally allies_compliant counts.",
        "*: partial year (some counted allies have no figure): expected count sum_i "
        "P(compliant_i) over the allies present, 90% interval of the Poisson-binomial count "
        "assuming independence between allies.",
        f"band: allies in [threshold, threshold + {data['band_width']:.2f}); model = allies "
        f"whose simulated median is in the band.",
    ]
    for r in data["rows"]:
        if r["missing"]:
            notes.append(f"{r['year']}: no figure for {', '.join(r['missing'])}.")
    return headers, rows, notes + data["notes"]


def ally_table(data) -> tuple:
    """(headers, rows) of the per-ally table for the last common year."""
    headers = ["ally", "observed", "median", "90% interval", "error"]
    rows = [[f"{a['iso2']} {a['name']}", f"{a['observed']:.2f}", f"{a['median']:.2f}",
             f"{a['q05']:.2f}-{a['q95']:.2f}", f"{a['error']:+.2f}"]
            for a in data["last_year"]["allies"]]
    return headers, rows


def _format(headers, rows) -> list:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(headers)]
    out = ["  ".join(h.rjust(w) if i else h.ljust(w) for i, (h, w) in
                     enumerate(zip(headers, widths)))]
    out.append("  ".join("-" * w for w in widths))
    for r in rows:
        out.append("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in
                             enumerate(zip(r, widths))))
    return out


def text_tables(data) -> str:
    headers, rows, notes = year_table(data)
    out = [f"Backtest of scenario '{data['scenario']}' ({data['results_file']}) against "
           f"{data['observed_file']}, start year {data['start_year']}", ""]
    out += _format(headers, rows)
    out += [""] + ["  " + n for n in notes]
    year = data["last_year"]["year"]
    out += ["", f"By ally, {year} (% of GDP; error = simulated median - observed; 90% interval "
                f"= 5%-95% quantiles over replicates)", ""]
    out += _format(*ally_table(data))
    return "\n".join(out) + "\n"


def json_ready(data) -> dict:
    """The numbers of the tables, without the per-year series the figure draws."""
    return {k: v for k, v in data.items() if k not in ("series", "caption")}


# --- figure ----------------------------------------------------------------------------------


def plot(data, outdir, formats=("png",)) -> list:
    """Small multiples, one panel per compared ally: simulated 5-95% and 25-75% bands and median,
    observed points, the persistence predictor dashed. Writes outdir/backtest_fan.<format>."""
    years = np.array(data["years"])
    allies = list(data["series"])
    ncols = min(6, max(1, math.ceil(math.sqrt(len(allies)))))
    nrows = math.ceil((len(allies) + 1) / ncols)
    fig, axes = style.new_figure(2.1 * ncols, 1.75 * nrows + 0.7, nrows, ncols, sharex=True,
                                 sharey=True, squeeze=False)
    flat = axes.ravel()
    blue, dark = style.colour(0), style.OKABE_ITO["black"]
    for ax, m in zip(flat, allies):
        series = data["series"][m]
        q = {k: np.array(v) for k, v in series["quantiles"].items()}
        if "0.05" in q and "0.95" in q:
            ax.fill_between(years, q["0.05"], q["0.95"], color=blue, alpha=0.18, linewidth=0,
                            label="simulated 90% (5-95%)")
        if "0.25" in q and "0.75" in q:
            ax.fill_between(years, q["0.25"], q["0.75"], color=blue, alpha=0.38, linewidth=0,
                            label="simulated 50% (25-75%)")
        ax.plot(years, q["0.5"], color=blue, linewidth=1.5, label="simulated median")
        ax.plot(years, data["thresholds"], color=style.THRESHOLD_COLOUR, linestyle=":",
                linewidth=1.0, label="threshold")
        if series["persistence"] is not None:
            ax.plot(years, np.full(len(years), series["persistence"]), color=dark,
                    linestyle="--", linewidth=1.0, label=f"persistence ({data['start_year']})")
        if series["observed"]:
            ax.plot([int(y) for y in series["observed"]], list(series["observed"].values()),
                    linestyle="none", marker="o", markersize=3.5, color=style.colour(1),
                    markeredgecolor=dark, markeredgewidth=0.5, label="observed")
        ax.set_title(f"{m} {series['name']}", fontsize=8, pad=2)
        style.integer_years(ax)
        ax.tick_params(labelsize=7)
    flat[0].set_ylim(bottom=0)
    handles, labels = [], []
    for ax in flat[:len(allies)]:
        for h, label in zip(*ax.get_legend_handles_labels()):
            if label not in labels:
                handles.append(h)
                labels.append(label)
    for ax in flat[len(allies):]:
        ax.axis("off")
    for column in range(ncols):
        below = [k for k in range(len(allies)) if k % ncols == column]
        if below:
            flat[below[-1]].xaxis.set_tick_params(labelbottom=True)
            flat[below[-1]].set_xlabel("Year", fontsize=8)
    flat[len(allies)].legend(handles, labels, loc="center", frameon=False, fontsize=7)
    fig.supylabel("Defence spending (% of GDP)", fontsize=9)
    style.finish(fig, f"Backtest, scenario '{data['scenario']}': simulated defence spending "
                      f"against observed figures", " | ".join(
                          [data["caption"], f"observed: {data['observed_file']}",
                           f"dashed: {data['start_year']} figure carried forward",
                           "dotted: threshold"]))
    return style.save(fig, outdir, FIGURE_STEM, formats)


# --- report section --------------------------------------------------------------------------


def _esc(value) -> str:
    return html.escape(str(value), quote=True)


def _html_table(headers, rows) -> str:
    out = ["<table>", "<tr>" + "".join(f"<th>{_esc(h)}</th>" for h in headers) + "</tr>"]
    out += ["<tr>" + "".join((f'<td class="num">{_esc(c)}</td>' if i else f"<td>{_esc(c)}</td>")
                             for i, c in enumerate(r)) + "</tr>" for r in rows]
    return "\n".join(out + ["</table>"])


def backtest_section(observed_csv, results_path, out_dir) -> str:
    """An HTML fragment for the study report: the per-year and per-ally tables and the figure,
    which it writes as out_dir/figures/backtest_fan.png (linked relative to out_dir, the folder
    of index.html). Raises what compute raises."""
    data = compute(observed_csv, results_path)
    out_dir = Path(out_dir)
    png = plot(data, out_dir / FIGURE_FOLDER)[0]
    link = urllib.parse.quote(png.relative_to(out_dir).as_posix())
    headers, rows, notes = year_table(data)
    year = data["last_year"]["year"]
    alt = (f"Small multiples, one panel per ally: simulated defence spending in scenario "
           f"'{data['scenario']}' (median, 50% and 90% bands) from {data['start_year']} to "
           f"{data['years'][-1]}, with the observed figures as points and the "
           f"{data['start_year']} figure carried forward as a dashed line.")
    parts = [
        "<section>", "<h2>Backtest against observed figures</h2>",
        f'<p class="note">Scenario &lsquo;{_esc(data["scenario"])}&rsquo; against '
        f'<code>{_esc(data["observed_file"])}</code>, from {data["start_year"]}.</p>',
        _html_table(headers, rows),
        '<ul class="note">' + "".join(f"<li>{_esc(n)}</li>" for n in notes) + "</ul>",
        f"<h3>By ally, {year}</h3>",
        _html_table(*ally_table(data)),
        '<p class="note">% of GDP; error = simulated median &minus; observed; 90% interval = '
        "5%&ndash;95% quantiles over replicates.</p>",
        f'<figure><a href="{link}"><img src="{link}" alt="{_esc(alt)}"></a>'
        f"<figcaption>Backtest by ally, scenario &lsquo;{_esc(data['scenario'])}&rsquo;: "
        f"simulated median with 50% and 90% bands, observed figures (points), the "
        f"{data['start_year']} figure carried forward (dashed) and the threshold (dotted). "
        f"{_esc(png.name)}</figcaption></figure>",
        "</section>",
    ]
    return "\n".join(parts)
