#include "sim/io/results_schema.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <set>
#include <stdexcept>
#include <string_view>
#include <vector>

namespace sim::io {

std::string draw_dataset_name(const std::string& key) {
  std::string name = "draw_" + key;
  std::replace(name.begin(), name.end(), '.', '_');
  return name;
}

bool is_reserved_attribute(std::string_view key) {
  return std::find(kReservedAttributes.begin(), kReservedAttributes.end(), key) !=
         kReservedAttributes.end();
}

const char* level_name(Level level) { return level == Level::member ? "member" : "global"; }

bool is_integer_column(const EventColumnSpec& column, const std::string& time_axis) {
  return !column.categories.empty() || column.name == "scenario" || column.name == "replicate" ||
         column.name == time_axis;
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string joined;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) joined += separator;
    joined += parts[i];
  }
  return joined;
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  if (text.empty()) return parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return parts;
}

std::string snake_to_words(std::string text) {
  std::replace(text.begin(), text.end(), '_', ' ');
  return text;
}

std::string major_version(const std::string& version) {
  return version.substr(0, version.find('.'));
}

std::string statistic_long_name(const VariableSpec& variable, const char* description) {
  return (variable.long_name.empty() ? variable.name : variable.long_name) + " (" + description +
         ")";
}

bool has_differences(const Results& results) {
  return results.reference_scenario >= 0 && !results.differences.empty();
}

namespace {

[[noreturn]] void invalid(const std::string& problem) {
  throw std::invalid_argument("results: " + problem);
}

void expect_size(std::size_t actual, std::size_t expected, const std::string& what,
                 const std::string& shape) {
  if (actual != expected) {
    invalid(fmt::format("{} has {} values, expected {} ({})", what, actual, expected, shape));
  }
}

void expect_unique(const std::vector<std::string>& names, const std::string& what) {
  std::set<std::string> seen;
  for (const std::string& name : names) {
    if (!seen.insert(name).second) invalid(fmt::format("{} '{}' appears twice", what, name));
  }
}

void expect_dataset_name(const std::string& name, const std::string& what) {
  if (name.empty() || name.find('/') != std::string::npos || name == ".") {
    invalid(fmt::format("{} name '{}' is empty or contains '/'", what, name));
  }
}

}  // namespace

void check_event_value(const EventColumnSpec& column, const std::string& time_axis, double value) {
  if (!is_integer_column(column, time_axis)) return;
  const double limit = column.categories.empty()
                           ? static_cast<double>(std::numeric_limits<std::int32_t>::max())
                           : static_cast<double>(column.categories.size()) - 1.0;
  const double lowest = column.categories.empty()
                            ? static_cast<double>(std::numeric_limits<std::int32_t>::min())
                            : 0.0;
  if (!(value >= lowest && value <= limit) || std::floor(value) != value) {
    invalid(fmt::format("event column '{}' holds {}, expected an integer in [{}, {}]", column.name,
                        value, lowest, limit));
  }
}

namespace {

// `values`: also check the sizes of the summaries, differences, trajectories and event values
// (false: the layout only, as a streaming writer sees it before the run).
void validate(const Results& r, bool values) {
  const std::size_t scenarios = r.scenarios.size();
  const std::size_t members = r.members.size();
  const std::size_t quantiles = r.quantile_levels.size();
  expect_unique(r.scenarios, "scenario");
  expect_unique(r.members, "member");
  expect_size(r.scenario_descriptions.size(), scenarios, "scenario_descriptions", "scenarios");
  expect_size(r.member_names.size(), members, "member_names", "members");
  if (!r.scenario_labels.empty() || !r.scenario_groups.empty()) {
    expect_size(r.scenario_labels.size(), scenarios, "scenario_labels", "scenarios");
    expect_size(r.scenario_groups.size(), scenarios, "scenario_groups", "scenarios");
  }
  if (r.replicates < 0) invalid(fmt::format("replicates is negative ({})", r.replicates));
  if (r.reference_scenario < -1 || r.reference_scenario >= static_cast<int>(scenarios)) {
    invalid(fmt::format("reference_scenario {} is not -1 or a scenario index below {}",
                        r.reference_scenario, scenarios));
  }
  for (const auto& [key, value] : r.attributes) {
    if (key.empty() || is_reserved_attribute(key)) {
      invalid(fmt::format("attribute key '{}' is empty or reserved for the writer", key));
    }
  }

  const std::string& dimension = r.scenario_dimension;
  expect_dataset_name(dimension, "scenario dimension");
  expect_dataset_name(r.member_axis, "member axis");
  expect_dataset_name(r.time_axis, "time axis");
  std::vector<std::string> datasets = {dimension,     dimension + "_description", r.time_axis,
                                       r.member_axis, r.member_axis + "_name",    "quantile"};
  if (!r.scenario_labels.empty()) {
    datasets.push_back(dimension + "_label");
    datasets.push_back(dimension + "_group");
  }
  std::vector<std::string> keys;
  for (const Results::DesignParameter& parameter : r.design_parameters) {
    expect_dataset_name(parameter.key, "swept parameter");
    if (parameter.key.find_first_of(" \t\n\r") != std::string::npos) {
      invalid(fmt::format("swept parameter name '{}' contains a space", parameter.key));
    }
    expect_size(parameter.values.size(), scenarios, "swept parameter '" + parameter.key + "'",
                "one per " + dimension);
    keys.push_back(parameter.key);
    datasets.push_back(parameter.key);
  }
  expect_unique(keys, "swept parameter");
  if (r.has_trajectories || !r.draws.empty()) datasets.emplace_back("replicate");
  if (!r.event_columns.empty()) datasets.emplace_back("event");
  for (const Results::ParameterDraws& draws : r.draws) {
    const std::string name = draw_dataset_name(draws.key);
    expect_dataset_name(name, "stored draw");
    expect_size(draws.values.size(),
                (draws.per_scenario ? scenarios : 1) * static_cast<std::size_t>(r.replicates),
                "draws of '" + draws.key + "'", "one per replicate (and scenario)");
    datasets.push_back(name);
  }

  if (values) {
    expect_size(r.summaries.size(), r.variables.size(), "summaries", "one per variable");
  }
  if (r.reference_scenario < 0 && !r.differences.empty()) {
    invalid("differences given without a reference scenario");
  }
  // The layout alone cannot tell whether differences will come: a reference means they will.
  const bool differences = values ? has_differences(r) : r.reference_scenario >= 0;
  if (values && differences) {
    expect_size(r.differences.size(), r.variables.size(), "differences", "one per variable");
  }
  if (r.has_trajectories) {
    if (values) {
      expect_size(r.trajectories.size(), r.variables.size(), "trajectories", "one per variable");
    }
  } else if (!r.trajectories.empty()) {
    invalid("trajectories given but has_trajectories is false");
  }
  std::vector<std::string> variable_names;
  for (std::size_t v = 0; v < r.variables.size(); ++v) {
    const VariableSpec& variable = r.variables[v];
    const std::string& name = variable.name;
    expect_dataset_name(name, "variable");
    variable_names.push_back(name);
    const bool member_level = variable.level == Level::member;
    const std::size_t cells = r.cells(variable);
    const std::string shape = member_level ? "scenarios x years x members" : "scenarios x years";
    for (const Statistic& statistic : kMoments) datasets.push_back(name + statistic.suffix);
    datasets.push_back(name + "_quantiles");
    if (variable.may_be_missing) datasets.push_back(name + "_count");
    if (variable.binary) {
      datasets.push_back(name + "_wilson_low");
      datasets.push_back(name + "_wilson_high");
    }
    if (differences) {
      for (const DifferenceStatistic& statistic : kDifferences) {
        datasets.push_back(name + statistic.suffix);
      }
    }
    if (r.has_trajectories) datasets.push_back(name);
    if (!values) continue;
    const VariableSummary& summary = r.summaries[v];
    for (const Statistic& statistic : kMoments) {
      expect_size((summary.*statistic.values).size(), cells, name + statistic.suffix, shape);
    }
    expect_size(summary.quantiles.size(), cells * quantiles, name + "_quantiles",
                shape + " x quantile levels");
    if (variable.may_be_missing || !summary.count.empty()) {
      expect_size(summary.count.size(), cells, name + "_count", shape);
    }
    if (variable.binary) {
      expect_size(summary.wilson_low.size(), cells, name + "_wilson_low", shape);
      expect_size(summary.wilson_high.size(), cells, name + "_wilson_high", shape);
    } else if (!summary.wilson_low.empty() || !summary.wilson_high.empty()) {
      invalid(fmt::format("variable '{}' is not binary but has a Wilson interval", name));
    }
    if (differences) {
      for (const DifferenceStatistic& statistic : kDifferences) {
        expect_size((r.differences[v].*statistic.values).size(), cells, name + statistic.suffix,
                    shape);
      }
    }
    if (r.has_trajectories) {
      const std::size_t per_replicate = cells / std::max<std::size_t>(scenarios, 1);
      expect_size(r.trajectories[v].size(),
                  scenarios * static_cast<std::size_t>(r.replicates) * per_replicate,
                  "trajectory of " + name,
                  member_level ? "scenarios x replicates x years x members"
                               : "scenarios x replicates x years");
    }
  }
  expect_unique(variable_names, "variable");

  if (values) {
    expect_size(r.event_values.size(), r.event_columns.size(), "event_values", "one per column");
  }
  std::vector<std::string> column_names;
  const std::size_t events = r.event_values.empty() ? 0 : r.event_values.front().size();
  for (std::size_t c = 0; c < r.event_columns.size(); ++c) {
    const EventColumnSpec& column = r.event_columns[c];
    expect_dataset_name(column.name, "event column");
    column_names.push_back(column.name);
    datasets.push_back("event_" + column.name);
    for (const std::string& label : column.categories) {
      if (label.empty() || label.find_first_of(" \t\n\r,") != std::string::npos) {
        invalid(
            fmt::format("event column '{}': category label '{}' is empty or contains a space "
                        "or comma",
                        column.name, label));
      }
    }
    if (!values) continue;
    expect_size(r.event_values[c].size(), events, "event column '" + column.name + "'",
                "one per event, like the first column");
    for (const double value : r.event_values[c]) check_event_value(column, r.time_axis, value);
  }
  expect_unique(column_names, "event column");
  std::set<std::string> seen;
  for (const std::string& name : datasets) {
    if (!seen.insert(name).second) {
      invalid(fmt::format("two datasets would be named '{}'; rename the variable or event column",
                          name));
    }
  }
}

}  // namespace

void validate_results(const Results& results) { validate(results, true); }

void validate_layout(const Results& layout) { validate(layout, false); }

}  // namespace sim::io
