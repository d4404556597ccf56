"""Reading a natosim results file (HDF5) through its documented schema (docs/OUTPUT.md).

    with Results("results/baseline.h5") as r:
        share = r.stat("defence_share", "mean")        # (scenario, year, member)
        q = r.stat("defence_share", "quantiles")       # (scenario, year, member, quantile)

Every summary array comes back with its axes in schema order (or the order asked for), whatever
order the file stores them in: a dataset's axes are the dimension scales attached to it. A missing
dataset raises MissingVariable, whose message is the one line a script prints.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import h5py
import numpy as np

from .errors import NotApplicable, ResultsError, UsageError  # noqa: F401 (re-exported)
from .h5check import Checked

FILE_TYPE = "natosim_results"
SUPPORTED_SCHEMA_MAJOR = "1"

# Coordinate datasets; each is the dimension scale of the axis of the same name.
AXES = ("scenario", "design_point", "year", "member", "quantile", "replicate", "event")

ALLIANCE_HINT = "this figure needs the alliance model's output"
ATTACK_HINT = "this figure needs the attack model's output"
SWEEP_HINT = "this figure needs a parameter sweep's output"
REFERENCE_HINT = "this figure needs a study with a reference scenario"

# What produces a variable, for the message when it is missing.
_ATTACK_VARIABLES = {"attacked", "territory_lost", "us_responded", "attacks",
                     "article5_invocations", "us_stood_aside", "peacekeepers_attacked",
                     "deterrence_failure", "any_attack_on_ally", "attacks_to_date",
                     "peacekeepers_attacked_ever"}

_STATISTICS = ("quantiles", "wilson_low", "wilson_high", "diff_mean", "diff_mcse", "diff_ci_low",
               "diff_ci_high", "mean", "sd", "mcse", "min", "max", "count")


# Short names for axis labels and table headings (the files' long names are sentences).
SHORT_NAMES = {
    "defence_share": "Defence spending",
    "defence_spending": "Defence spending",
    "gdp": "GDP",
    "capability": "Military capability",
    "compliant": "Meets the threshold",
    "us_reliability": "Belief in U.S. reliability",
    "us_troops": "U.S. troops",
    "threat": "Perceived threat",
    "allies_compliant": "Allies at or above the threshold",
    "europe_canada_spending": "Europe and Canada defence spending",
    "us_share_of_spending": "U.S. share of alliance defence spending",
    "threshold": "Spending threshold",
    "attacked": "Ally attacked",
    "territory_lost": "Territory lost",
    "us_responded": "U.S. responded",
    "attacks": "Attacks",
    "article5_invocations": "Article 5 invocations",
    "us_stood_aside": "U.S. stood aside",
    "peacekeepers_attacked": "Peacekeepers attacked",
    "deterrence_failure": "Deterrence failure (attack)",
    "any_attack_on_ally": "At least one attack on an ally so far",
    "attacks_to_date": "Attacks on allies so far",
    "peacekeepers_attacked_ever": "Peacekeepers attacked at least once so far",
    "first_compliant_year": "First year at or above the threshold",
    "gave_up": "Gave up on the threshold",
    "years_compliant": "Years at or above the threshold",
    "europe_canada_spending_real": "Europe and Canada defence spending (constant prices)",
}


def unit_text(units: str) -> str:
    """Units for an axis label, without nested parentheses: 'US$ bn (current)' ->
    'US$ bn, current'; '' and '1' -> ''."""
    units = (units or "").strip()
    if units in ("", "1"):
        return ""
    return units.replace(" (", ", ").replace("(", "").replace(")", "")


def difference_units(units: str) -> str:
    """Units of a difference: percentages become percentage points."""
    text = unit_text(units)
    for percent in ("percent", "%"):
        if text == percent or text.startswith(percent + " "):
            return "percentage points" + text[len(percent):]
    return text


class MissingVariable(NotApplicable):
    """A dataset the figure needs is not in the file."""

    def __init__(self, file: str, dataset: str, hint: str | None = None):
        self.file = file
        self.dataset = dataset
        self.hint = hint if hint is not None else hint_for(dataset)
        super().__init__(f"{file} has no variable '{dataset}' ({self.hint})")


def variable_of(dataset: str) -> str:
    """'defence_share_quantiles' -> 'defence_share' (a dataset name without its statistic)."""
    for statistic in _STATISTICS:
        if dataset.endswith("_" + statistic):
            return dataset[: -len(statistic) - 1]
    return dataset


def hint_for(dataset: str) -> str:
    """Which part of natosim writes a dataset, for the message when it is missing."""
    variable = variable_of(dataset)
    if variable in _ATTACK_VARIABLES or dataset.startswith("event_"):
        return ATTACK_HINT
    if variable == "design_point":
        return SWEEP_HINT
    return ALLIANCE_HINT


def decode(value):
    """A string attribute or dataset as str (h5py gives bytes or str depending on its version);
    a string array as a list of str; a numpy scalar as a Python scalar; anything else unchanged."""
    if isinstance(value, (bytes, np.bytes_)):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "SOU":
            return [decode(v) for v in value.reshape(-1)]
        if value.ndim == 0:
            return value.item()
        return value
    if isinstance(value, np.generic):
        return value.item()
    return value


def _major(version: str) -> str:
    return str(version).split(".", 1)[0]


class Results:
    """An open results file. Use as a context manager, or call close()."""

    def __init__(self, path):
        self.path = Path(path)
        self.display = str(path)  # how messages name the file: as the user gave it
        checked = Checked(path, "results")
        self._file = checked.file
        try:
            validate(checked)
            self._load_metadata()
        except Exception:
            self._file.close()
            raise

    # --- opening ---------------------------------------------------------------------------

    def _load_metadata(self):
        f = self._file
        self.attrs = {key: decode(f.attrs[key]) for key in f.attrs.keys()}
        # A sweep's file has a design_point axis where a study's has scenarios (docs/OUTPUT.md):
        # it then counts as one scenario, the swept one.
        scenario_axis = str(self.attrs.get("scenario_dimension", "scenario") or "scenario")
        for axis in (scenario_axis, "year", "member", "quantile"):
            if axis not in f:
                raise ResultsError(f"{self.display}: malformed results file: no coordinate "
                                   f"dataset '{axis}'")
        if scenario_axis == "scenario":
            self.scenarios = [str(s) for s in decode(f["scenario"][()])]
        else:
            self.scenarios = [str(self.attrs.get("sweep_base_scenario") or "sweep")]
        self.years = np.asarray(f["year"][()]).astype(np.int64)
        self.members = [str(m) for m in decode(f["member"][()])]
        self.quantile_levels = np.asarray(f["quantile"][()], dtype=np.float64)
        self.scenario_descriptions = (
            [str(s) for s in decode(f["scenario_description"][()])]
            if scenario_axis == "scenario" and "scenario_description" in f
            else [""] * len(self.scenarios))
        self.scenario_labels = self._optional_strings(scenario_axis, "scenario_label",
                                                      self.scenarios)
        self.scenario_groups = self._optional_strings(scenario_axis, "scenario_group",
                                                      [""] * len(self.scenarios))
        self.member_names = ([str(s) for s in decode(f["member_name"][()])]
                             if "member_name" in f else list(self.members))
        self.replicates = int(self.attrs.get("replicates", 0))
        self.seed = self.attrs.get("seed")
        reference = self.attrs.get("reference_scenario", "")
        self.reference_scenario = str(reference) if reference else None
        self._axis_lengths = {"scenario": len(self.scenarios), "year": len(self.years),
                              "member": len(self.members),
                              "quantile": len(self.quantile_levels)}
        for axis in ("design_point", "replicate", "event"):
            if axis in f:
                self._axis_lengths[axis] = int(f[axis].shape[0]) if f[axis].shape else 1

    def _optional_strings(self, scenario_axis, name, default):
        """A string dataset along the scenario axis, or `default` when the file has none."""
        if scenario_axis != "scenario" or name not in self._file:
            return list(default)
        values = [str(v) for v in decode(self._file[name][()])]
        return values if len(values) == len(default) else list(default)

    def close(self):
        self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # --- datasets --------------------------------------------------------------------------

    def has(self, dataset: str) -> bool:
        return dataset in self._file and isinstance(self._file[dataset], h5py.Dataset)

    def has_variable(self, variable: str) -> bool:
        return self.has(variable + "_mean")

    def require(self, *datasets: str, hint: str | None = None):
        """Raises MissingVariable for the first dataset the file lacks."""
        for dataset in datasets:
            if not self.has(dataset):
                raise MissingVariable(self.display, dataset, hint)

    def dataset_attrs(self, dataset: str) -> dict:
        self.require(dataset)
        return {key: decode(value) for key, value in self._file[dataset].attrs.items()}

    def axes(self, dataset: str) -> tuple:
        """The axis names of a dataset: its attached dimension scales, else the schema order."""
        self.require(dataset)
        ds = self._file[dataset]
        names = []
        for dim in ds.dims:
            name = None
            try:
                if len(dim) > 0:
                    name = dim[0].name.rsplit("/", 1)[-1]
            except (RuntimeError, KeyError, ValueError):
                name = None
            if not name and dim.label:
                name = dim.label
            names.append(name or None)
        if all(names):
            return tuple(names)
        # No scales attached: the schema's order (scenario, year[, member][, quantile]).
        order = ["scenario", "year", "member"]
        if "design_point" in self._axis_lengths:
            order.insert(1, "design_point")
        if dataset.endswith("_quantiles"):
            expected = order[: ds.ndim - 1] + ["quantile"]
        else:
            expected = order[: ds.ndim]
        if len(expected) != ds.ndim or any(
                self._axis_lengths.get(a) != n for a, n in zip(expected, ds.shape)):
            raise ResultsError(f"{self.display}: cannot tell the dimensions of '{dataset}' "
                               f"(shape {ds.shape}, no dimension scales attached)")
        return tuple(expected)

    def read(self, dataset: str, axes=None, hint: str | None = None) -> np.ndarray:
        """A dataset as a numpy array (float64 unless it holds integers), its axes transposed
        to `axes` (a permutation of the dataset's axes) when given."""
        if not self.has(dataset):
            raise MissingVariable(self.display, dataset, hint)
        ds = self._file[dataset]
        have = self.axes(dataset)
        for axis, length in zip(have, ds.shape):
            expected = self._axis_lengths.get(axis)
            if expected is not None and expected != length:
                raise ResultsError(f"{self.display}: '{dataset}' has {length} values along "
                                   f"'{axis}', but the file has {expected} {axis} values")
        data = np.asarray(ds[()])
        if data.dtype.kind == "f":
            data = data.astype(np.float64, copy=False)
        if axes is None:
            return data
        axes = tuple(axes)
        if "design_point" in have and "design_point" not in axes:
            raise NotApplicable(f"{self.display} is a parameter sweep: '{dataset}' has a "
                                f"design_point dimension this figure does not plot (use "
                                f"plot_sweep.py)")
        if sorted(axes) != sorted(have):
            raise ResultsError(f"{self.display}: '{dataset}' has dimensions {have}, expected "
                               f"{axes}")
        return np.transpose(data, [have.index(a) for a in axes])

    def stat(self, variable: str, statistic: str = "mean", axes=None,
             hint: str | None = None) -> np.ndarray:
        """A summary of a variable: statistic is mean, sd, mcse, min, max, quantiles, count,
        wilson_low, wilson_high, diff_mean, diff_mcse, diff_ci_low or diff_ci_high."""
        return self.read(f"{variable}_{statistic}", axes=axes, hint=hint)

    def level(self, variable: str) -> str:
        """'member' or 'global' (alliance-level)."""
        attrs = self.dataset_attrs(variable + "_mean")
        level = attrs.get("level")
        if level in ("member", "global"):
            return level
        return "member" if "member" in self.axes(variable + "_mean") else "global"

    def is_binary(self, variable: str) -> bool:
        attrs = self.dataset_attrs(variable + "_mean")
        if "binary" in attrs:
            return bool(attrs["binary"])
        return self.has(variable + "_wilson_low")

    def units(self, variable: str) -> str:
        return str(self.dataset_attrs(variable + "_mean").get("units", ""))

    def short_name(self, variable: str) -> str:
        """A name short enough for an axis label ('Defence spending')."""
        if variable in SHORT_NAMES:
            return SHORT_NAMES[variable]
        name = self.long_name(variable)
        for stop in ("; ", ": ", " (", ", "):
            name = name.split(stop, 1)[0]
        return name if len(name) <= 60 else name[:57] + "..."

    def long_name(self, variable: str) -> str:
        attrs = self.dataset_attrs(variable + "_mean")
        name = attrs.get("variable_long_name") or ""
        if not name:
            name = str(attrs.get("long_name", "")).replace(" (mean over replicates)", "")
        name = name or variable.replace("_", " ")
        return name[:1].upper() + name[1:]

    def label(self, variable: str) -> str:
        """An axis label with units: 'Defence spending (% of GDP)'."""
        units = unit_text(self.units(variable))
        name = self.short_name(variable)
        if self.is_binary(variable):
            return f"{name} (probability)"
        return f"{name} ({units})" if units else name

    # --- coordinates -----------------------------------------------------------------------

    def quantile_index(self, level: float):
        """Index of a quantile level in the file, or None when it was not recorded."""
        for i, q in enumerate(self.quantile_levels):
            if math.isclose(float(q), level, abs_tol=1e-9):
                return i
        return None

    def select_scenarios(self, names=None) -> list:
        """Indices of the named scenarios (all when names is empty), in the order given."""
        if not names:
            return list(range(len(self.scenarios)))
        indices = []
        for name in names:
            if name not in self.scenarios:
                raise UsageError(f"{self.display} has no scenario '{name}' (it has: "
                                 f"{', '.join(self.scenarios)})")
            if self.scenarios.index(name) not in indices:
                indices.append(self.scenarios.index(name))
        return indices

    def member_index(self, code: str) -> int:
        """Index of a member by ISO code (case-insensitive) or by name."""
        for i, (m, name) in enumerate(zip(self.members, self.member_names)):
            if code.upper() == m.upper() or code.lower() == name.lower():
                return i
        raise UsageError(f"{self.display} has no member '{code}' (it has: "
                         f"{', '.join(self.members)})")

    def member_label(self, index: int) -> str:
        code, name = self.members[index], self.member_names[index]
        return f"{code} {name}" if name and name != code else code

    def year_index(self, year=None) -> int:
        """Index of a calendar year (the final year when None)."""
        if year is None:
            return len(self.years) - 1
        matches = np.nonzero(self.years == int(year))[0]
        if len(matches) == 0:
            raise UsageError(f"{self.display} has no year {year} (it covers "
                             f"{self.years[0]}-{self.years[-1]})")
        return int(matches[0])

    def threshold(self, axes=("scenario", "year")):
        """The spending threshold (% of GDP) per scenario and year, or None when the file does
        not record it (dataset threshold_mean)."""
        if not self.has("threshold_mean"):
            return None
        have = self.axes("threshold_mean")
        if "member" in have and "member" not in axes:
            data = self.read("threshold_mean", axes=tuple(axes) + ("member",))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                return np.nanmedian(data, axis=-1)
        return self.read("threshold_mean", axes=axes)

    def design_parameters(self) -> list:
        """Names of the coordinate datasets of a sweep's swept parameters (empty if no sweep):
        the root attribute 'swept_parameters' when present, else every 1-D dataset along the
        design_point axis."""
        if "design_point" not in self._file:
            return []
        for key in ("swept_parameters", "sweep_parameters"):
            if key in self.attrs:
                value = self.attrs[key]
                names = [value] if isinstance(value, str) else list(value)
                names = [n for n in names if n]
                if names:
                    self.require(*names, hint=SWEEP_HINT)
                    return names
        names = []
        for name, ds in self._file.items():
            if name == "design_point" or not isinstance(ds, h5py.Dataset) or ds.ndim != 1:
                continue
            if ds.dtype.kind not in "fiu":
                continue
            try:
                if self.axes(name) == ("design_point",):
                    names.append(name)
            except ResultsError:
                continue
        return sorted(names)


# --- validation at load time ---------------------------------------------------------------

_MOMENTS = ("_mean", "_sd", "_mcse", "_min", "_max")
_DIFFERENCES = ("_diff_mean", "_diff_mcse", "_diff_ci_low", "_diff_ci_high")


def _scale_names(ds) -> list:
    """The names of the dimension scales attached to a dataset's axes (None where none is)."""
    names = []
    for dim in ds.dims:
        try:
            names.append(dim[0].name.rsplit("/", 1)[-1] if len(dim) > 0 else None)
        except (RuntimeError, KeyError, ValueError, OSError):
            names.append(None)
    return names


def _expect_axes(c: Checked, name: str, axes: list, lengths: dict) -> None:
    """The dataset's shape is the axes' lengths, in this order (natosim's read_dataset), or in
    another order that its attached dimension scales name."""
    expected = [lengths[a] for a in axes]
    dims = c.dims(name)
    if list(dims) == expected:
        return
    names = _scale_names(c.dataset(name))
    if (len(names) == len(axes) and sorted(n or "" for n in names) == sorted(axes)
            and all(lengths[n] == d for n, d in zip(names, dims))):
        return
    c.expect_shape(name, expected)  # raises with natosim's message


def validate(c: Checked) -> None:
    """Refuses a results file natosim would refuse, with natosim's message (the order of the
    checks is read_contents' in sim/io/results_file.cpp), then checks every summary dataset's
    shape and type as natosim's full reader does, and that the coordinates are finite."""
    display = c.display
    c.require_file_type(FILE_TYPE, "results")
    version = c.string_attribute("schema_version")
    if _major(version) != SUPPORTED_SCHEMA_MAJOR:
        raise ResultsError(f"{display}: schema version {version} is not supported (this natosim "
                           f"reads {SUPPORTED_SCHEMA_MAJOR}.x); use a natosim release that writes "
                           f"schema {version}")
    c.number_attribute("seed")
    replicates = c.number_attribute("replicates")
    dimension = (c.string_attribute("scenario_dimension")
                 if c.has_attribute("scenario_dimension") else "scenario")
    scenarios = c.strings(dimension)
    n = len(scenarios)
    c.strings(dimension + "_description", (n,))
    if c.has_dataset(dimension + "_label") and c.has_dataset(dimension + "_group"):
        c.strings(dimension + "_label", (n,))
        c.strings(dimension + "_group", (n,))
    if c.has_attribute("swept_parameters"):
        # natosim's sweeps have design points for scenarios; docs/OUTPUT.md's layout (and
        # synthetic.py's) has a design_point axis beside the scenarios.
        points = (int(np.prod(c.dims("design_point")))
                  if dimension != "design_point" and c.has_dataset("design_point") else n)
        for key in c.string_array_attribute("swept_parameters"):
            c.finite_coordinate(key, c.numbers(key, "float64", (points,)))
    years = c.numbers("year", "int32")
    members = c.strings("member")
    c.strings("member_name", (len(members),))
    quantiles = c.numbers("quantile", "float64")
    reference = c.string_attribute("reference_scenario")
    if reference and reference not in scenarios:
        raise ResultsError(f"{display}: reference_scenario '{reference}' is not one of the "
                           f"scenarios")
    variables = (c.string_array_attribute("variables") if c.has_attribute("variables") else [])
    trajectories = c.has_dataset("replicate") and (not variables or c.has_dataset(variables[0]))
    drawn = (c.string_array_attribute("drawn_parameters")
             if c.has_attribute("drawn_parameters") else [])
    for key in drawn:
        name = "draw_" + key.replace(".", "_")
        c.dataset(name)
        c.string_attribute("distribution", name)
        c.expect_numeric(name)
    levels = {}
    for name in variables:
        mean = name + "_mean"
        c.dataset(mean)
        c.string_attribute("units", mean)
        c.string_attribute("variable_long_name", mean)
        level = c.string_attribute("level", mean)
        if level not in ("member", "global"):
            raise ResultsError(f"{c.where(mean)}: attribute 'level' is '{level}', expected "
                               f"member or global")
        flags = {}
        for flag in ("binary", "may_be_missing"):
            value = c.number_attribute(flag, mean)
            if value not in (0, 1):
                raise ResultsError(f"{c.where(mean)}: attribute '{flag}' is {value}, expected 0 "
                                   f"or 1")
            flags[flag] = value == 1
        levels[name] = (level, flags)
    columns = (c.string_array_attribute("event_columns")
               if c.has_attribute("event_columns") else [])
    events = int(np.prod(c.dims("event"))) if columns else 0
    for name in columns:
        c.dataset("event_" + name)
        c.string_attribute("units", "event_" + name)
        c.string_attribute("long_name", "event_" + name)
        if c.has_attribute("categories", "event_" + name):
            c.string_attribute("categories", "event_" + name)
    # What `natosim info` checks ends here; natosim's full reader (read_results) and these
    # scripts also read the data, so its shapes and types must be right.
    c.finite_coordinate("year", years, integral=True)
    c.finite_coordinate("quantile", quantiles)
    lengths = {dimension: n, "scenario": n, "year": len(years), "member": len(members),
               "quantile": len(quantiles), "replicate": int(replicates)}
    base = [dimension]
    if dimension != "design_point" and c.has_dataset("design_point"):
        # A sweep laid out as docs/OUTPUT.md's (scenario, design_point, year, ...).
        lengths["design_point"] = int(np.prod(c.dims("design_point")))
        base.append("design_point")
    differences = bool(reference) and bool(variables) and c.has_dataset(variables[0] +
                                                                         "_diff_mean")
    for name, (level, flags) in levels.items():
        cells = base + ["year"] + (["member"] if level == "member" else [])
        datasets = [name + s for s in _MOMENTS]
        if flags["binary"]:
            datasets += [name + "_wilson_low", name + "_wilson_high"]
        if differences:
            datasets += [name + s for s in _DIFFERENCES]
        for dataset in datasets:
            _expect_axes(c, dataset, cells, lengths)
            c.expect_numeric(dataset, "float64")
        _expect_axes(c, name + "_quantiles", cells + ["quantile"], lengths)
        c.expect_numeric(name + "_quantiles", "float64")
        if flags["may_be_missing"]:
            _expect_axes(c, name + "_count", cells, lengths)
            c.expect_numeric(name + "_count", "int64")
        if trajectories:
            run_cells = [base[0], "replicate"] + base[1:] + cells[len(base):]
            _expect_axes(c, name, run_cells, lengths)
            c.expect_numeric(name, "float64")
    for name in columns:
        c.expect_shape("event_" + name, (events,))
        c.expect_numeric("event_" + name, "float64")
    # Summaries of variables the 'variables' attribute does not list (files written by other
    # tools): global or member-level, numeric.
    suffixes = _MOMENTS + _DIFFERENCES + ("_quantiles", "_count", "_wilson_low",
                                          "_wilson_high")
    for name in sorted(c.file.keys()):
        suffix = next((x for x in suffixes if name.endswith(x)), None)
        if suffix is None or name[: -len(suffix)] in levels or not c.has_dataset(name):
            continue
        extra = ["quantile"] if suffix == "_quantiles" else []
        member = base + ["year", "member"] + extra
        try:
            _expect_axes(c, name, base + ["year"] + extra, lengths)
        except ResultsError:
            _expect_axes(c, name, member, lengths)
        c.expect_numeric(name, "float64")
