#include "sim/config/calibration.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "sim/config/csv.h"

namespace sim {

namespace {

std::string bound_text(double value) {
  return std::abs(value) > 1e299 ? (value < 0 ? "-inf" : "inf") : fmt::format("{}", value);
}

std::string prior_text(const Uncertain& prior) {
  switch (prior.kind) {
    case Uncertain::Kind::normal:
      return fmt::format("normal(mean={}, sd={}) on [{}, {}]", prior.a, prior.b,
                         bound_text(prior.lower), bound_text(prior.upper));
    case Uncertain::Kind::lognormal:
      return fmt::format("lognormal(mu={}, sigma={}) on [{}, {}]", prior.a, prior.b,
                         bound_text(prior.lower), bound_text(prior.upper));
    case Uncertain::Kind::uniform:
      return fmt::format("uniform(low={}, high={})", prior.a, prior.b);
    case Uncertain::Kind::triangular:
      return fmt::format("triangular(low={}, mode={}, high={})", prior.a, prior.b, prior.c);
    case Uncertain::Kind::beta:
      return fmt::format("beta(alpha={}, beta={}) on [{}, {}]", prior.a, prior.b, prior.lower,
                         prior.upper);
    case Uncertain::Kind::fixed:
    case Uncertain::Kind::posterior:
      break;
  }
  return prior.kind_name();
}

/// Reads the rows of an observed-values file as targets of `variable`.
void read_target_file(config::Table& block, const ModelSchema& schema,
                      const StudySettings& settings, std::vector<CalibrationTarget>& targets) {
  const std::filesystem::path path = block.existing_file("file");
  const std::string name = path.string();
  const std::string variable = block.string("variable");
  const auto found = std::find_if(schema.variables.begin(), schema.variables.end(),
                                  [&](const VariableSpec& v) { return v.name == variable; });
  if (found == schema.variables.end()) {
    std::string names;
    for (const VariableSpec& v : schema.variables) names += (names.empty() ? "" : ", ") + v.name;
    block.fail("variable", "unknown variable", "\"" + variable + "\"", "one of: " + names);
  }
  if (found->level != Level::member) {
    block.fail("variable", "a target file needs a variable with one value per member",
               "\"" + variable + "\" (alliance-level)",
               "a member-level variable, or an inline target {variable, year, value}");
  }
  std::vector<double> years;
  if (block.has("years")) years = block.numbers("years", config::Range::any(), 1);
  block.node("years");
  const double scale = block.number_or("scale", 1.0, config::Range::positive());
  const double weight = block.number_or("weight", 1.0, config::Range::positive());
  const std::string value_name = block.string_or("column", "value");
  std::vector<std::string> exclude;
  if (block.has("exclude")) exclude = block.strings("exclude");
  block.node("exclude");

  // The shared CSV reader ('#' comments, fields trimmed): quotes, row lengths, a BOM and the
  // size limit are handled as for every other CSV.
  const config::CsvFile csv(path, name, config::CsvOptions{.comments = true, .trim = true});
  int member_column = -1;
  int year_column = -1;
  int value_column = -1;
  for (std::size_t i = 0; i < csv.header().size(); ++i) {
    const std::string& cell = csv.header()[i];
    if (cell == "iso2" || cell == "member") member_column = static_cast<int>(i);
    if (cell == "year") year_column = static_cast<int>(i);
    if (cell == value_name) value_column = static_cast<int>(i);
  }
  if (member_column < 0 || year_column < 0 || value_column < 0) {
    std::string header;
    for (const std::string& cell : csv.header()) header += (header.empty() ? "" : ",") + cell;
    throw ConfigError(SourcePosition{name, csv.header_line(), 0}, "header", "missing columns",
                      "\"" + header + "\"", "columns iso2 (or member), year and " + value_name);
  }
  std::size_t rows = 0;
  for (const config::CsvRow& row : csv.rows()) {
    const auto cell_at = [&](int index) { return row.fields[static_cast<std::size_t>(index)]; };
    const auto where = [&](int /*index*/) { return SourcePosition{name, row.line, 0}; };
    const auto number_at = [&](int index, const std::string& key) {
      const std::string text = cell_at(index);
      std::size_t used = 0;
      double value = 0.0;
      try {
        value = std::stod(text, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (text.empty() || used != text.size() || !std::isfinite(value)) {
        throw ConfigError(where(index), key, "not a number", "\"" + text + "\"", "a finite number");
      }
      return value;
    };
    const double year_value = number_at(year_column, "year");
    const int year = static_cast<int>(year_value);
    if (static_cast<double>(year) != year_value) {
      throw ConfigError(where(year_column), "year", "not a whole year", cell_at(year_column),
                        "a year such as 2025");
    }
    if (!years.empty() && std::find(years.begin(), years.end(), year_value) == years.end()) {
      continue;
    }
    const std::string member = cell_at(member_column);
    // An excluded member's rows and an empty value (no figure that year) are skipped.
    if (std::find(exclude.begin(), exclude.end(), member) != exclude.end()) continue;
    if (cell_at(value_column).empty()) continue;
    const double value = number_at(value_column, value_name);
    // Member and year errors point at their own cells.
    if (std::find(schema.members.begin(), schema.members.end(), member) == schema.members.end()) {
      analysis::make_output(schema, settings, variable, member, settings.start_year,
                            settings.start_year, analysis::Aggregate::at, where(member_column),
                            "member");
    }
    CalibrationTarget target;
    target.output = analysis::make_output(schema, settings, variable, member, year, year,
                                          analysis::Aggregate::at, where(year_column), "year");
    target.target = analysis::AbcTarget{value, scale, weight};
    targets.push_back(std::move(target));
    ++rows;
  }
  if (rows == 0) {
    throw ConfigError(SourcePosition{name, 0, 0}, "",
                      years.empty() ? "no target rows" : "no target rows in the selected years", "",
                      "a header iso2,year,value and at least one row");
  }
}

}  // namespace

std::vector<PointKey> CalibrationSpec::keys() const {
  std::vector<PointKey> result;
  for (const CalibrationParameter& parameter : parameters) {
    result.push_back(PointKey{parameter.key, parameter.position});
  }
  return result;
}

CalibrationSpec read_calibration(const StudySpec& study, const ModelRegistry& registry) {
  toml::table root = parse_study_root(study);
  auto origin = std::make_shared<const config::Origin>(config::Origin{study.file, study.folder});
  config::Table top(root, "", origin);
  if (!top.has("calibration")) {
    throw ConfigError(SourcePosition{study.file, 0, 0}, "calibration", "missing [calibration]", "",
                      "a [calibration] table with parameters and targets");
  }
  config::Table table = top.table("calibration");
  CalibrationSpec spec;
  std::vector<std::string> names;
  for (const ScenarioSpec& scenario : study.scenarios) names.push_back(scenario.name);
  spec.scenario =
      table.choice_or("scenario", names, study.reference.empty() ? names.front() : study.reference);
  spec.scenario_index = static_cast<std::size_t>(
      std::find(names.begin(), names.end(), spec.scenario) - names.begin());
  const toml::table base = merged_model_table(study, spec.scenario_index);
  const std::unique_ptr<Model> model =
      build_model(study, base, registry, "(set by scenario '" + spec.scenario + "')");
  const ModelSchema& schema = model->schema();
  const StudySettings settings = study.settings();

  for (config::Table& block : table.tables("parameter")) {
    CalibrationParameter parameter;
    parameter.key = block.string("key");
    parameter.position = block.position("prior");
    parameter.prior = config::uncertain(block, "prior", config::Range::any());
    if (parameter.prior.is_fixed()) {
      block.fail("prior", "a calibrated parameter needs a prior distribution",
                 fmt::format("{}", parameter.prior.a),
                 "a table such as {dist = \"uniform\", low = 0, high = 1}");
    }
    for (const CalibrationParameter& other : spec.parameters) {
      if (other.key == parameter.key) {
        block.fail("key", "parameter calibrated twice", "\"" + parameter.key + "\"",
                   "each key once");
      }
    }
    parameter.prior_text = prior_text(parameter.prior);
    block.finish();
    spec.parameters.push_back(std::move(parameter));
  }
  if (spec.parameters.empty()) {
    table.fail("parameter", "no parameters", "none", "at least one [[calibration.parameter]]");
  }
  // The model's own checks judge the priors: build it at each support's ends and centre (a key
  // the model does not read is an unknown key; a prior reaching outside the key's valid range
  // fails the model's range check there).
  const std::vector<PointKey> keys = spec.keys();
  for (std::size_t p = 0; p < spec.parameters.size(); ++p) {
    const Uncertain& prior = spec.parameters[p].prior;
    const std::pair<double, const char*> probes[] = {
        {prior.central(), "(at the centre of the prior)"},
        {prior.support_low(), "(at the low end of the prior's support)"},
        {prior.support_high(), "(at the high end of the prior's support)"}};
    for (const auto& [value, note] : probes) {
      std::vector<double> values;
      for (const CalibrationParameter& parameter : spec.parameters) {
        values.push_back(parameter.prior.central());
      }
      values[p] = value;
      build_point_model(study, base, keys, values, registry, note);
    }
  }

  for (config::Table& block : table.tables("target")) {
    if (block.has("file")) {
      read_target_file(block, schema, settings, spec.targets);
    } else {
      block.node("file");
      CalibrationTarget target;
      target.output = analysis::read_output(block, schema, settings);
      target.target.observed = block.number("value");
      target.target.scale = block.number_or("scale", 1.0, config::Range::positive());
      target.target.weight = block.number_or("weight", 1.0, config::Range::positive());
      spec.targets.push_back(std::move(target));
    }
    block.finish();
  }
  if (spec.targets.empty()) {
    table.fail("target", "no targets", "none", "at least one [[calibration.target]]");
  }

  spec.distance = table.choice_or("distance", {"mae", "rmse"}, "mae") == "mae"
                      ? analysis::Distance::mae
                      : analysis::Distance::rmse;
  spec.replicates = table.integer_or("replicates", 16, 1, 1'000'000);
  spec.common_random_numbers = table.boolean_or("common_random_numbers", true);
  spec.abc.seed = study.seed;
  spec.abc.population =
      static_cast<std::size_t>(table.integer_or("population", 1000, 2, 10'000'000));
  spec.abc.quantile = table.number_or("quantile", 0.5, config::Range{0.0, 1.0, true, true});
  spec.abc.min_tolerance = table.number_or("min_tolerance", 0.0, config::Range::non_negative());
  spec.abc.min_acceptance =
      table.number_or("min_acceptance", 0.02, config::Range{0.0, 1.0, true, false});
  spec.abc.max_generations = static_cast<int>(table.integer_or("max_generations", 8, 1, 1000));
  spec.abc.max_simulations = table.integer_or("max_simulations", 0, 0, INT64_MAX);
  table.finish();
  return spec;
}

}  // namespace sim
