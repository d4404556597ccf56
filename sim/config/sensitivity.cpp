#include "sim/config/sensitivity.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include <fmt/format.h>

#include "sim/design/saltelli.h"

namespace sim {

namespace {

config::Table sensitivity_table(const StudySpec& study, toml::table& root,
                                std::shared_ptr<const config::Origin> origin) {
  config::Table top(root, "", std::move(origin));
  if (!top.has("sensitivity")) {
    throw ConfigError(SourcePosition{study.file, 0, 0}, "sensitivity", "missing table", "nothing",
                      "a [sensitivity] table with method, samples, [[sensitivity.parameter]] and "
                      "[[sensitivity.output]] blocks");
  }
  return top.table("sensitivity");
}

std::vector<std::string> scenario_names(const StudySpec& study) {
  std::vector<std::string> names;
  for (const ScenarioSpec& scenario : study.scenarios) names.push_back(scenario.name);
  return names;
}

bool valid_output_name(const std::string& name) {
  return !name.empty() && std::isalpha(static_cast<unsigned char>(name.front())) != 0 &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
         });
}

}  // namespace

std::size_t sensitivity_scenario(const StudySpec& study) {
  toml::table root = parse_study_root(study);
  auto origin = std::make_shared<const config::Origin>(config::Origin{study.file, study.folder});
  config::Table table = sensitivity_table(study, root, origin);
  const std::vector<std::string> names = scenario_names(study);
  const std::string name = table.choice_or("scenario", names, names.front());
  return static_cast<std::size_t>(std::find(names.begin(), names.end(), name) - names.begin());
}

SensitivitySpec read_sensitivity(const StudySpec& study, const ModelSchema& schema,
                                 const config::ParameterLog& log) {
  toml::table root = parse_study_root(study);
  auto origin = std::make_shared<const config::Origin>(config::Origin{study.file, study.folder});
  config::Table table = sensitivity_table(study, root, origin);
  SensitivitySpec spec;
  spec.method = table.choice("method", {"sobol", "morris"}) == "sobol"
                    ? SensitivitySpec::Method::sobol
                    : SensitivitySpec::Method::morris;
  const bool sobol = spec.method == SensitivitySpec::Method::sobol;
  const std::vector<std::string> names = scenario_names(study);
  spec.scenario = table.choice_or("scenario", names, names.front());
  spec.scenario_index = static_cast<std::size_t>(
      std::find(names.begin(), names.end(), spec.scenario) - names.begin());
  spec.samples = table.integer("samples", 2, std::int64_t{1} << 24);
  if (sobol && !design::is_power_of_two(static_cast<std::uint64_t>(spec.samples))) {
    std::uint64_t next = 2;
    while (next < static_cast<std::uint64_t>(spec.samples)) next *= 2;
    table.fail("samples", "not a power of two", std::to_string(spec.samples),
               fmt::format("a power of two such as {} for Saltelli sampling", next));
  }
  spec.replicates = table.integer_or("replicates", 16, 1, 1'000'000);
  spec.second_order = sobol ? table.boolean_or("second_order", false) : false;
  spec.bootstrap = table.integer_or("bootstrap", 1000, 10, 100'000);
  spec.confidence = table.number_or("confidence", 0.95, config::Range{0.0, 1.0, true, true});
  spec.seed = static_cast<std::uint64_t>(
      table.integer_or("seed", static_cast<std::int64_t>(study.seed), 0, INT64_MAX));
  if (!sobol) {
    spec.levels = static_cast<int>(table.integer_or("levels", 4, 2, 100));
    if (spec.levels % 2 != 0) {
      table.fail("levels", "odd number of levels", std::to_string(spec.levels),
                 "an even number >= 2 (Morris trajectories move by p / (2 (p - 1)))");
    }
    spec.candidates = table.integer_or("candidates", 0, 0, 10'000);
  }

  const bool has_blocks = table.has("parameter") || !table.has("all_uncertain");
  for (config::Table& block :
       has_blocks ? table.tables("parameter") : std::vector<config::Table>{}) {
    SensitivityParameter parameter;
    parameter.key = PointKey{block.string("key"), block.position("key")};
    const std::string& key = parameter.key.key;
    for (const SensitivityParameter& other : spec.parameters) {
      if (other.key.key == key) {
        block.fail("key", "parameter listed twice", "\"" + key + "\"", "each key once");
      }
    }
    const std::string dotted = "model." + key;
    const auto read =
        std::find_if(log.entries.begin(), log.entries.end(),
                     [&](const config::LoggedParameter& e) { return e.key == dotted; });
    if (read == log.entries.end()) {
      block.fail("key", "unknown parameter", "\"" + key + "\"",
                 fmt::format("a [model] key the '{}' model reads in scenario '{}' (see natosim "
                             "params)",
                             study.model, spec.scenario));
    }
    const bool has_range = block.has("low") || block.has("high");
    if (has_range) {
      const double low = block.number("low");
      const double high = block.number("high");
      if (!(high > low)) {
        block.fail("high", "empty range", fmt::format("{}", high),
                   fmt::format("a number > low = {}", low));
      }
      parameter.marginal.kind = Uncertain::Kind::uniform;
      parameter.marginal.a = low;
      parameter.marginal.b = high;
      parameter.source = "range";
      block.node("distribution");
    } else if (block.has("distribution")) {
      parameter.marginal = config::uncertain(block, "distribution", config::Range::any());
      if (parameter.marginal.is_fixed()) {
        block.fail("distribution", "not a distribution", "a number",
                   "a table such as {dist = \"uniform\", low = 0, high = 1}");
      }
      parameter.source = "distribution";
    } else {
      block.node("distribution");
      if (!read->uncertain) {
        block.fail(
            "key", "no range and no prior",
            fmt::format("\"{}\" fixed at {} in scenario '{}'", key, read->value, spec.scenario),
            "low and high, a distribution, or a distribution for the key in [model]");
      }
      parameter.marginal = *read->uncertain;
      parameter.source = "prior";
    }
    block.finish();
    spec.parameters.push_back(std::move(parameter));
  }
  // Every distribution the scenario's model reads, after the listed ones, over its prior.
  if (table.boolean_or("all_uncertain", false)) {
    for (const config::LoggedParameter* entry : log.uncertain()) {
      const std::string key = entry->key.substr(std::string("model.").size());
      const bool listed =
          std::any_of(spec.parameters.begin(), spec.parameters.end(),
                      [&](const SensitivityParameter& p) { return p.key.key == key; });
      if (listed) continue;
      spec.parameters.push_back(SensitivityParameter{PointKey{key, table.position("all_uncertain")},
                                                     *entry->uncertain, "prior"});
    }
  }
  if (spec.parameters.empty()) {
    table.fail("parameter", "no parameters", "none",
               "at least one [[sensitivity.parameter]], or all_uncertain = true with a model "
               "that has distributions");
  }
  if (sobol && spec.parameters.size() > 64) {
    table.fail("parameter", "too many parameters", std::to_string(spec.parameters.size()),
               "at most 64 for Saltelli sampling");
  }

  for (config::Table& block : table.tables("output")) {
    const std::string name = block.string("name");
    if (!valid_output_name(name)) {
      block.fail("name", "invalid output name", "\"" + name + "\"",
                 "letters, digits and '_', starting with a letter");
    }
    if (std::find(spec.output_names.begin(), spec.output_names.end(), name) !=
        spec.output_names.end()) {
      block.fail("name", "duplicate output name", "\"" + name + "\"", "each name once");
    }
    spec.outputs.push_back(analysis::read_output(block, schema, study.settings()));
    spec.output_names.push_back(name);
    block.finish();
  }
  if (spec.outputs.empty()) {
    table.fail("output", "no outputs", "none", "at least one [[sensitivity.output]]");
  }
  table.finish();
  return spec;
}

double parameter_value(const SensitivityParameter& parameter, double u) {
  const double value = parameter.marginal.quantile(u);
  if (std::isfinite(value)) return value;
  return parameter.marginal.quantile(std::clamp(u, 0.001, 0.999));
}

}  // namespace sim
