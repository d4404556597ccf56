"""Bad input, refused cleanly: configs, data files, sweep designs and command-line numbers.

Each case copies configs/ (studies and data) into a tmp folder, spoils one thing, runs natosim with
an output path inside the tmp folder and checks the exit code (2 for bad input, docs/ERRORS.md),
the exact one-line message and that no output file was written. A few cases check that a legal
but unusual input (a UTF-8 BOM, a U-shaped beta prior, a base's own `extends`) works.
"""
import shutil
from pathlib import Path

import pytest

BAD_INPUT = 2
INT64_MAX = 9223372036854775807


@pytest.fixture
def folder(tmp_path, source_dir):
    """A copy of configs/ (studies and data) to spoil."""
    target = tmp_path / "in"
    shutil.copytree(source_dir / "configs", target)
    # The priors (same line count): the copy has no ../results/calibration_2014.h5 beside it.
    base = target / "baseline.toml"
    text = base.read_text()
    posterior = 'posterior = "../results/calibration_2014.h5"'
    assert posterior in text
    base.write_text(text.replace(posterior, "posterior = false"))
    return target


@pytest.fixture
def refuse(run_natosim, tmp_path):
    """Runs natosim in an empty working folder; asserts exit 2, one stderr line equal to the
    expected message, an empty stdout and no output file. Returns the message."""

    def check(*args, message, command="run"):
        work = tmp_path / "work"
        work.mkdir(exist_ok=True)
        out = tmp_path / "out" / "results.h5"
        extra = ["-o", out, "--quiet"] if command in ("run", "sweep") else []
        result = run_natosim(command, *args, *extra, cwd=work)
        assert result.returncode == BAD_INPUT, result.stderr
        assert result.stderr.splitlines() == [message.format(tmp=tmp_path)]
        assert result.stdout == ""
        assert not (tmp_path / "out").exists()
        assert list(work.iterdir()) == []
        return result.stderr

    return check


def edit(path: Path, old: str, new: str, count: int = 1):
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count))


# ---- command-line numbers: refused, never clamped -----------------------------------------------

SEED = "expected an integer in [0, 9223372036854775807]"


@pytest.mark.parametrize("option, value, message", [
    ("--seed", "18446744073709551616", f"out of range, got 18446744073709551616 ({SEED})"),
    ("--seed", "18446744073709551615", f"out of range, got 18446744073709551615 ({SEED})"),
    ("--seed", "9223372036854775808", f"out of range, got 9223372036854775808 ({SEED})"),
    ("--seed", "-1", f"out of range, got -1 ({SEED})"),
    ("--seed", "0x10", f'not an integer, got "0x10" ({SEED})'),
    ("--seed", "+5", f'not an integer, got "+5" ({SEED})'),
    ("--seed", "1e3", f'not an integer, got "1e3" ({SEED})'),
    ("--seed", "", f'not an integer, got "" ({SEED})'),
    ("--replicates", "0", "out of range, got 0 (expected an integer in [1, 100000000])"),
    ("--replicates", "100000001",
     "out of range, got 100000001 (expected an integer in [1, 100000000])"),
    ("--replicates", "99999999999999999999",
     "out of range, got 99999999999999999999 (expected an integer in [1, 100000000])"),
    ("--replicates", "2.5", 'not an integer, got "2.5" (expected an integer in [1, 100000000])'),
    ("--threads", "0", "out of range, got 0 (expected an integer in [1, 1024])"),
    ("--threads", "4294967297", "out of range, got 4294967297 (expected an integer in [1, 1024])"),
    ("--threads", " 4", 'not an integer, got " 4" (expected an integer in [1, 1024])'),
    ("--max-output-mib", "0",
     "out of range, got 0 (expected an integer in [1, 9223372036854775807])"),
])
def test_command_line_numbers_out_of_their_type_are_refused(folder, refuse, option, value,
                                                            message):
    refuse(folder / "baseline.toml", option, value, message=f"command line: {option}: {message}")


def test_sweep_refuses_a_seed_beyond_64_bits(folder, refuse):
    refuse(folder / "threshold_sweep.toml", "--seed", "18446744073709551616", command="sweep",
           message=f"command line: --seed: out of range, got 18446744073709551616 ({SEED})")


def test_the_largest_seed_is_recorded_exactly(folder, run_natosim, tmp_path):
    h5py = pytest.importorskip("h5py")
    out = tmp_path / "seed.h5"
    result = run_natosim("run", folder / "baseline.toml", "--seed", str(INT64_MAX),
                         "--replicates", "2", "--set", "study.years=1", "--scenario",
                         "status_quo", "-o", out, "--quiet")
    assert result.returncode == 0, result.stderr
    with h5py.File(out, "r") as file:
        assert int(file.attrs["seed"]) == INT64_MAX


# ---- integer config keys ------------------------------------------------------------------------

@pytest.mark.parametrize("old, new, message", [
    ("seed = 20250624", "seed = 18446744073709551616",
     "{tmp}/in/baseline.toml:13:28: TOML syntax: Error while parsing decimal integer: "
     "'18446744073709551616' is not representable in 64 bits"),
    ("seed = 20250624", "seed = -1",
     "{tmp}/in/baseline.toml:13:8: study.seed: out of range, got -1 (expected an integer in "
     "[0, 9223372036854775807])"),
    ("replicates = 1000", "replicates = 0",
     "{tmp}/in/baseline.toml:14:14: study.replicates: out of range, got 0 (expected an integer "
     "in [1, 100000000])"),
    ("years = 20", "years = 2.5",
     "{tmp}/in/baseline.toml:16:9: study.years: wrong type, got 2.5 (expected an integer in "
     "[1, 500])"),
])
def test_integer_config_keys_out_of_range_are_refused(folder, refuse, old, new, message):
    edit(folder / "baseline.toml", old, new)
    refuse(folder / "baseline.toml", message=message)


def test_a_seed_override_beyond_64_bits_is_refused(folder, refuse):
    refuse(folder / "baseline.toml", "--set", "study.seed=9223372036854775808",
           message='--set study.seed=9223372036854775808: study.seed: wrong type, got '
                   f'"9223372036854775808" ({SEED})')


# ---- TOML files ---------------------------------------------------------------------------------

def test_a_toml_syntax_error_has_file_line_column_and_kind(folder, refuse):
    edit(folder / "baseline.toml", "[model.economy]\n", "[model.economy\n")
    refuse(folder / "baseline.toml",
           message="{tmp}/in/baseline.toml:37:15: TOML syntax: Error while parsing table header: "
                   "expected ']', saw '\\n'")


def test_dev_zero_as_a_config_is_refused_without_running_out_of_memory(refuse):
    refuse("/dev/zero", message="/dev/zero: config file too large, got more than 64 MiB "
                                "(expected at most 64 MiB, the input size limit)")


def test_a_folder_as_a_config_is_refused(folder, refuse):
    refuse(folder / "data", command="validate",
           message="{tmp}/in/data: cannot read config file, got a folder (expected a readable "
                   "config file)")


def test_a_scenario_name_with_a_newline_stays_on_one_line(folder, refuse):
    edit(folder / "baseline.toml", 'name = "status_quo"', 'name = "status\\nquo"')
    edit(folder / "baseline.toml", 'reference = "status_quo"', 'reference = ""')
    message = refuse(folder / "baseline.toml",
                     message="{tmp}/in/baseline.toml:219:8: scenario[0].name: invalid scenario "
                             'name, got "status\\nquo" (expected letters, digits, \'_\', \'-\' or '
                             "'.', starting with a letter or digit)")
    assert message.count("\n") == 1


def test_sweep_on_a_study_without_a_sweep_names_the_file(folder, refuse):
    refuse(folder / "baseline.toml", command="sweep",
           message="{tmp}/in/baseline.toml: sweep: missing [sweep] table (expected a [sweep] "
                   "table with design and [[sweep.parameter]] blocks)")


# ---- extends ------------------------------------------------------------------------------------

def test_a_study_extending_itself_is_refused(folder, refuse):
    edit(folder / "policies.toml", 'extends = "baseline.toml"', 'extends = "policies.toml"')
    refuse(folder / "policies.toml",
           message='{tmp}/in/policies.toml:25:11: study.extends: a study cannot extend itself, '
                   'got "{tmp}/in/policies.toml" (expected another study file)')


def test_an_extends_cycle_is_refused(folder, refuse):
    (folder / "a.toml").write_text('[study]\nextends = "b.toml"\n[model]\n')
    (folder / "b.toml").write_text('[study]\nextends = "a.toml"\n[model]\n')
    refuse(folder / "a.toml",
           message="{tmp}/in/b.toml:2:11: study.extends: extends cycle, got {tmp}/in/a.toml -> "
                   "{tmp}/in/b.toml -> {tmp}/in/a.toml (expected a chain of files that ends)")


def test_an_extends_chain_longer_than_the_limit_is_refused(folder, refuse):
    for i in range(10):
        (folder / f"c{i}.toml").write_text(f'[study]\nextends = "c{i + 1}.toml"\n[model]\n')
    (folder / "c10.toml").write_text('[study]\nextends = "baseline.toml"\n')
    refuse(folder / "c0.toml",
           message="{tmp}/in/c8.toml:2:11: study.extends: too many levels of extends, got more "
                   "than 8 files (expected at most 8 files in a chain)")


def test_a_base_files_own_extends_is_honoured(folder, run_natosim):
    (folder / "middle.toml").write_text(
        '[study]\nextends = "baseline.toml"\n[model.policy]\nreliability = 0.7\n')
    (folder / "top.toml").write_text('[study]\nname = "top"\nextends = "middle.toml"\n')
    result = run_natosim("validate", folder / "top.toml")
    assert result.returncode == 0, result.stderr
    assert "valid study 'top'" in result.stdout
    edit(folder / "middle.toml", "reliability = 0.7", "reliability = 7")
    result = run_natosim("validate", folder / "top.toml")
    assert result.returncode == BAD_INPUT
    assert result.stderr.splitlines() == [
        f"{folder}/middle.toml:4:15: model.policy.reliability: out of range, got 7 (expected a "
        "number in [0, 1])"]


def test_extending_a_folder_is_refused(folder, refuse):
    edit(folder / "policies.toml", 'extends = "baseline.toml"', 'extends = "data"')
    refuse(folder / "policies.toml",
           message='{tmp}/in/policies.toml:25:11: study.extends: not a file, got "data" (a folder) '
                   "(expected a readable file (relative paths start at the config's folder "
                   "{tmp}/in))")


def test_extending_dev_zero_is_refused(folder, refuse):
    edit(folder / "policies.toml", 'extends = "baseline.toml"', 'extends = "/dev/zero"')
    refuse(folder / "policies.toml",
           message="/dev/zero: config file too large, got more than 64 MiB (expected at most "
                   "64 MiB, the input size limit)")


def test_extending_a_file_without_a_model_is_refused(folder, refuse):
    (folder / "empty.toml").write_text('[study]\nname = "empty"\n')
    edit(folder / "policies.toml", 'extends = "baseline.toml"', 'extends = "empty.toml"')
    refuse(folder / "policies.toml",
           message='{tmp}/in/policies.toml:25:11: study.extends: the file has no [model] table, '
                   'got "{tmp}/in/empty.toml" (expected a study file with a [model] table)')


# ---- data files (CSV) ---------------------------------------------------------------------------

def test_an_unterminated_quote_in_contiguity_is_refused(folder, refuse):
    # Before: the open quote swallowed the remaining border rows and the run went on.
    path = folder / "data" / "contiguity.csv"
    lines = path.read_text().splitlines()
    assert lines[3].endswith('"')
    lines[3] = lines[3][:-1]  # the closing quote dropped
    path.write_text("\n".join(lines) + "\n")
    refuse(folder / "baseline.toml",
           message="{tmp}/in/data/contiguity.csv:4: source: unterminated quoted field, got "
                   "\"land border between (expected a closing '\"' on the same line)")


def test_text_after_a_closing_quote_is_refused(folder, refuse):
    path = folder / "data" / "contiguity.csv"
    lines = path.read_text().splitlines()
    lines[2] = lines[2] + "x"
    path.write_text("\n".join(lines) + "\n")
    refuse(folder / "baseline.toml",
           message="{tmp}/in/data/contiguity.csv:3: source: text after a closing quote, got "
                   "\"x (expected a ',' or the end of the line after a quoted field)")


def test_a_row_with_the_wrong_number_of_fields_is_refused(folder, refuse):
    path = folder / "data" / "gdp_usd.csv"
    lines = path.read_text().splitlines(keepends=True)
    lines[5] = "AL,2015\n"
    path.write_text("".join(lines))
    refuse(folder / "baseline.toml",
           message="{tmp}/in/data/gdp_usd.csv:6: row: wrong number of fields, got 2 (expected 4 "
                   "fields as in the header)")


def test_an_empty_data_file_is_refused(folder, refuse):
    (folder / "data" / "gdp_usd.csv").write_text("")
    refuse(folder / "baseline.toml",
           message="{tmp}/in/data/gdp_usd.csv:1: header: empty file, got no header line "
                   "(expected a header line and data rows)")


def test_a_header_only_data_file_is_refused(folder, refuse):
    (folder / "data" / "gdp_usd.csv").write_text("iso2,year,gdp_usd_current,source\n")
    refuse(folder / "baseline.toml",
           message="{tmp}/in/data/gdp_usd.csv:1: header: no data rows, got a header line only "
                   "(expected one or more data rows under the header)")


def test_a_gdp_of_zero_is_refused_at_its_line(folder, refuse):
    path = folder / "data" / "gdp_usd.csv"
    lines = path.read_text().splitlines(keepends=True)
    fields = lines[1].split(",", 3)
    lines[1] = ",".join([fields[0], fields[1], "0", fields[3]])
    path.write_text("".join(lines))
    refuse(folder / "baseline.toml",
           message="{tmp}/in/data/gdp_usd.csv:2: gdp_usd_current: not positive, got 0 (expected "
                   "a number > 0)")


def drop_row(path, prefix):
    """Deletes the data file's first row that starts with `prefix`; returns its line index
    (0-based: the 1-based number of the row after it)."""
    lines = path.read_text().splitlines(keepends=True)
    gone = next(i for i, line in enumerate(lines) if line.startswith(prefix))
    del lines[gone]
    path.write_text("".join(lines))
    return gone


def test_constant_price_gdp_with_a_gap_is_refused_at_the_next_row(folder, refuse):
    gone = drop_row(folder / "data" / "gdp_real.csv", "PL,2020,")
    refuse(folder / "baseline.toml",
           message=f"{{tmp}}/in/data/gdp_real.csv:{gone + 1}: year: missing year 2020 for PL, got "
                   "no row (expected one row for every year 2010-2023)")


def test_a_missing_constant_price_gdp_file_is_refused(folder, refuse):
    edit(folder / "baseline.toml", 'gdp_real = "data/gdp_real.csv"', 'gdp_real = "data/real.csv"')
    refuse(folder / "baseline.toml",
           message='{tmp}/in/baseline.toml:31:12: model.data.gdp_real: cannot open file, got '
                   '"data/real.csv" (expected a readable file (relative paths start at the '
                   "config's folder {tmp}/in))")


def test_government_debt_with_a_gap_is_refused_at_the_next_row(folder, refuse):
    gone = drop_row(folder / "data" / "gov_debt.csv", "IT,Italy,2018,")
    refuse(folder / "baseline.toml",
           message=f"{{tmp}}/in/data/gov_debt.csv:{gone + 1}: year: missing year 2018 for IT, got "
                   "no row (expected one row for every year 2013-2024)")


def test_a_negative_government_debt_is_refused(folder, refuse):
    path = folder / "data" / "gov_debt.csv"
    lines = path.read_text().splitlines(keepends=True)
    row = next(i for i, line in enumerate(lines) if line.startswith("ES,Spain,2014,"))
    fields = lines[row].split(",")
    fields[3] = "-100.5"
    lines[row] = ",".join(fields)
    path.write_text("".join(lines))
    refuse(folder / "baseline.toml",
           message=f"{{tmp}}/in/data/gov_debt.csv:{row + 1}: debt_pct_gdp: not positive, got "
                   "-100.5 (expected a number > 0)")


def test_a_missing_government_debt_file_is_refused(folder, refuse):
    edit(folder / "baseline.toml", 'gov_debt = "data/gov_debt.csv"', 'gov_debt = "data/debt.csv"')
    refuse(folder / "baseline.toml",
           message='{tmp}/in/baseline.toml:32:12: model.data.gov_debt: cannot open file, got '
                   '"data/debt.csv" (expected a readable file (relative paths start at the '
                   "config's folder {tmp}/in))")


def test_a_negative_debt_drag_is_refused(folder, refuse):
    edit(folder / "baseline.toml", 'debt_drag = {dist = "uniform", low = 0.5, high = 2.0}',
         'debt_drag = -1.0')
    line = next(i for i, text in enumerate((folder / "baseline.toml").read_text().splitlines())
                if text.startswith("debt_drag")) + 1
    refuse(folder / "baseline.toml",
           message=f"{{tmp}}/in/baseline.toml:{line}:13: model.budget.debt_drag: out of range, "
                   "got -1 (expected a number in [0, 10])")


def test_a_us_pressure_scale_beyond_its_range_is_refused(folder, refuse):
    edit(folder / "baseline.toml",
         'pressure_scale = {dist = "uniform", low = 0.5, high = 10.0}',
         'pressure_scale = {dist = "uniform", low = 0.5, high = 12.0}')
    line = next(i for i, text in enumerate((folder / "baseline.toml").read_text().splitlines())
                if text.startswith("pressure_scale")) + 1
    refuse(folder / "baseline.toml",
           message=f"{{tmp}}/in/baseline.toml:{line}:55: model.policy.pressure_scale.high: out of "
                   "range, got 12 (expected a number in [0, 10])")


def test_a_missing_column_is_refused(folder, refuse):
    edit(folder / "data" / "gdp_usd.csv", "gdp_usd_current", "gdp")
    refuse(folder / "baseline.toml",
           message="{tmp}/in/data/gdp_usd.csv:1: gdp_usd_current: missing column, got columns "
                   "iso2, year, gdp, source (expected a column named gdp_usd_current)")


def test_a_duplicate_column_name_is_refused(folder, refuse):
    edit(folder / "data" / "gdp_usd.csv", "iso2,year,", "iso2,iso2,")
    refuse(folder / "baseline.toml",
           message='{tmp}/in/data/gdp_usd.csv:1: header: duplicate column name, got "iso2" '
                   "(expected each name once)")


def test_a_data_path_that_is_a_folder_is_refused(folder, refuse):
    edit(folder / "baseline.toml", 'gdp = "data/gdp_usd.csv"', 'gdp = "data"')
    refuse(folder / "baseline.toml",
           message='{tmp}/in/baseline.toml:30:7: model.data.gdp: not a file, got "data" (a '
                   "folder) (expected a readable file (relative paths start at the config's "
                   "folder {tmp}/in))")


def test_dev_zero_as_a_data_file_is_refused(folder, refuse):
    edit(folder / "baseline.toml", 'gdp = "data/gdp_usd.csv"', 'gdp = "/dev/zero"')
    refuse(folder / "baseline.toml",
           message="/dev/zero: CSV file too large, got more than 64 MiB (expected at most 64 MiB, "
                   "the input size limit)")


def test_a_data_file_with_a_bom_and_crlf_line_ends_is_read(folder, run_natosim):
    path = folder / "data" / "gdp_usd.csv"
    lf = path.read_bytes().replace(b"\r\n", b"\n")
    path.write_bytes(b"\xef\xbb\xbf" + lf.replace(b"\n", b"\r\n"))
    result = run_natosim("validate", folder / "baseline.toml")
    assert result.returncode == 0, result.stderr


# ---- sweep designs ------------------------------------------------------------------------------

def grid(values_per_parameter: int, parameters: int) -> str:
    keys = ["policy.threshold", "policy.enforcement_probability", "policy.reliability",
            "capability.depreciation", "economy.trend_shrinkage"]
    values = ", ".join(f"0.{i:06d}" for i in range(1, values_per_parameter + 1))
    return "".join(f'\n[[sweep.parameter]]\nkey = "{key}"\nvalues = [{values}]\n'
                   for key in keys[:parameters])


def sweep_study(folder: Path, sweep: str) -> Path:
    text = (folder / "threshold_sweep.toml").read_text()
    path = folder / "sweep.toml"
    path.write_text(text[:text.index("[sweep]")] + sweep)
    return path


@pytest.mark.parametrize("size, parameters, total, factors", [
    (100, 5, "10000000000", "100 x 100 x 100 x 100 x 100"),
    (1000, 2, "1000000", "1000 x 1000"),
])
def test_a_grid_above_the_design_limit_is_refused_before_it_is_built(folder, refuse, size,
                                                                      parameters, total, factors):
    path = sweep_study(folder, '[sweep]\ndesign = "grid"\nbase_scenario = "conditional"\n'
                       + grid(size, parameters))
    refuse(path, "--dry-run", command="sweep",
           message="{tmp}/in/sweep.toml:37:1: sweep.parameter: grid too large, got "
                   f"{total} design points ({factors} values) (expected at most 100000 design "
                   "points, the design size limit)")


def test_a_latin_hypercube_above_the_limit_is_refused(folder, refuse):
    path = sweep_study(folder, '[sweep]\ndesign = "latin_hypercube"\npoints = 1000000\n'
                       '[[sweep.parameter]]\nkey = "policy.threshold"\nlow = 1.0\nhigh = 5.0\n')
    refuse(path, "--dry-run", command="sweep",
           message="{tmp}/in/sweep.toml:35:10: sweep.points: out of range, got 1000000 (expected "
                   "an integer in [2, 100000])")


def points_study(folder: Path, content: bytes) -> Path:
    (folder / "points.csv").write_bytes(content)
    return sweep_study(folder, '[sweep]\ndesign = "points"\nbase_scenario = "conditional"\n'
                       'file = "points.csv"\n')


def test_a_points_file_above_the_limit_is_refused(folder, refuse):
    path = points_study(folder, b"policy.threshold\n" + b"2.5\n" * 1_000_000)
    refuse(path, "--dry-run", command="sweep",
           message="{tmp}/in/points.csv:100002: row: too many rows, got more than 100000 "
                   "(expected at most 100000 data rows)")


@pytest.mark.parametrize("content, message", [
    (b"", "{tmp}/in/points.csv:1: header: empty file, got no header line (expected a header line "
          "and data rows)"),
    (b"# only a comment\npolicy.threshold\n",
     "{tmp}/in/points.csv:2: header: no data rows, got a header line only (expected one or more "
     "data rows under the header)"),
    (b'policy.threshold,policy.reliability\n2.0,"0.5\n3.0,0.6\n',
     "{tmp}/in/points.csv:2: policy.reliability: unterminated quoted field, got \"0.5 "
     "(expected a closing '\"' on the same line)"),
    (b"policy.threshold\n2.0\nabc\n",
     "{tmp}/in/points.csv:3: policy.threshold: not a number, got \"abc\" (expected a finite "
     "number)"),
    (b"policy.threshold,policy.reliability\n2.0,0.5\n3.0\n",
     "{tmp}/in/points.csv:3: row: wrong number of fields, got 1 (expected 2 fields as in the "
     "header)"),
    (b"policy.threshold,,policy.reliability\n2.0,1,0.5\n",
     "{tmp}/in/points.csv:1: header: empty column name, got column 2 (expected a name for every "
     "column)"),
])
def test_a_bad_points_file_is_refused(folder, refuse, content, message):
    refuse(points_study(folder, content), "--dry-run", command="sweep", message=message)


def test_a_points_file_with_a_bom_names_its_keys_cleanly(folder, run_natosim):
    path = points_study(folder, b"\xef\xbb\xbfpolicy.threshold\r\n2.0\r\n3.0\r\n")
    result = run_natosim("validate", path)
    assert result.returncode == 0, result.stderr
    assert "sweep: 2 design points of scenario 'conditional' over policy.threshold\n" in \
        result.stdout


# ---- uncertain parameters -----------------------------------------------------------------------

DEPRECIATION = 'depreciation = {dist = "uniform", low = 0.07, high = 0.13}'


@pytest.mark.parametrize("value, message", [
    ('{dist = "uniform", low = 0, high = 0}',
     "{tmp}/in/baseline.toml:88:41: model.capability.depreciation.low: out of range, got 0 "
     "(expected a number in [0.001, 1))"),
    ('{dist = "uniform", low = 0.1, high = 0.1}',
     "{tmp}/in/baseline.toml:88:53: model.capability.depreciation.high: empty interval, got 0.1 "
     "(expected a number > low = 0.1 (a fixed value is written as a number))"),
    ('{dist = "uniform", low = 0.5, high = 1}',
     "{tmp}/in/baseline.toml:88:53: model.capability.depreciation.high: out of range, got 1 "
     "(expected a number in [0.001, 1))"),
    ('{dist = "triangular", low = 0, mode = 0.1, high = 0.2}',
     "{tmp}/in/baseline.toml:88:44: model.capability.depreciation.low: out of range, got 0 "
     "(expected a number in [0.001, 1))"),
    ('{dist = "normal", mean = 0.1, sd = 0.02, lower = 0, upper = 0.5}',
     "{tmp}/in/baseline.toml:88:65: model.capability.depreciation.lower: distribution can fall "
     "below the parameter's range, got 0 (expected lower >= 0.001 (add a truncation bound))"),
    ('{dist = "normal", mean = 0.1, sd = 0.02, lower = 0.01, upper = 1}',
     "{tmp}/in/baseline.toml:88:79: model.capability.depreciation.upper: distribution can rise "
     "above the parameter's range, got 1 (expected upper < 1 (add a truncation bound))"),
    ('{dist = "lognormal", mu = -2.3, sigma = 0.01, lower = 0.5, upper = 0.9}',
     "{tmp}/in/baseline.toml:88:70: model.capability.depreciation.lower: truncation interval lies "
     "more than 8 sigma from mu (in log space), got [0.5, 0.9] (expected an interval near "
     "exp(mu) = 0.10025884372280375)"),
    # (The lognormal's underflow check is tested in tests/sim/config/test_uncertain.cpp: with
    # depreciation's lower end at 0.001 an untruncated lognormal is refused first.)
    ('{dist = "lognormal", mu = -800, sigma = 1, upper = 0.9}',
     "{tmp}/in/baseline.toml:88:16: model.capability.depreciation.lower: distribution can fall "
     "below the parameter's range, got 0 (expected lower >= 0.001 (add a truncation bound))"),
    ('{dist = "beta", alpha = 1e-3, beta = 1e-3}',
     "{tmp}/in/baseline.toml:88:16: model.capability.depreciation.lower: support outside the "
     "parameter's range, got 0 (expected a number in [0.001, 1])"),
    ('{dist = "beta", alpha = 1e-300, beta = 1e-300}',
     "{tmp}/in/baseline.toml:88:40: model.capability.depreciation.alpha: numerically "
     "degenerate: nearly every draw would round onto an end of the support, got 1e-300 "
     "(expected a shape >= 0.001)"),
    ('{dist = "beta", alpha = 2, beta = 1e12}',
     "{tmp}/in/baseline.toml:88:50: model.capability.depreciation.beta: numerically degenerate: "
     "too narrow for the sampler, got 1000000000000 (expected a shape <= 1e9 (a fixed value is "
     "written as a number))"),
])
def test_a_distribution_outside_its_parameters_range_or_degenerate_is_refused(folder, refuse,
                                                                               value, message):
    edit(folder / "baseline.toml", DEPRECIATION, "depreciation = " + value)
    refuse(folder / "baseline.toml", message=message)


@pytest.mark.parametrize("value, message", [
    ("0", "{tmp}/in/baseline.toml:115:17: model.budget.threat_uptake: out of range, got 0 "
          "(expected a number in (0, 1])"),
    ('{dist = "uniform", low = 0.4, high = 1.2}',
     "{tmp}/in/baseline.toml:115:54: model.budget.threat_uptake.high: out of range, got 1.2 "
     "(expected a number in (0, 1])"),
])
def test_a_threat_uptake_outside_0_1_is_refused(folder, refuse, value, message):
    # A plan that takes up none of a change in threat would never respond to it; more than all
    # of it would overshoot.
    edit(folder / "baseline.toml",
         'threat_uptake = {dist = "uniform", low = 0.4, high = 0.8}',
         "threat_uptake = " + value)
    refuse(folder / "baseline.toml", message=message)


def test_a_u_shaped_beta_prior_runs(folder, run_natosim, tmp_path):
    edit(folder / "baseline.toml",
         'enforcement_probability = {dist = "beta", alpha = 8, beta = 2}',
         'enforcement_probability = {dist = "beta", alpha = 1e-3, beta = 1e-3}')
    out = tmp_path / "u.h5"
    result = run_natosim("run", folder / "baseline.toml", "--replicates", "20", "--set",
                         "study.years=3", "-o", out, "--quiet")
    assert result.returncode == 0, result.stderr
    assert out.exists()


# ---- calibration target files (the same CSV reader) ---------------------------------------------

def test_a_data_and_target_file_with_a_bom_is_read_by_both_readers(folder, run_natosim):
    path = folder / "data" / "defence_share.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    result = run_natosim("validate", folder / "calibration_2014.toml")
    assert result.returncode == 0, result.stderr
    assert "calibration:" in result.stdout


def test_a_short_row_in_a_data_and_target_file_is_refused(folder, refuse):
    path = folder / "data" / "defence_share.csv"
    lines = path.read_text().splitlines()
    lines[4] = ",".join(lines[4].split(",")[:3])
    path.write_text("\n".join(lines) + "\n")
    refuse(folder / "calibration_2014.toml", command="validate",
           message="{tmp}/in/data/defence_share.csv:5: row: wrong number of fields, got 3 "
                   "(expected 7 fields as in the header)")
