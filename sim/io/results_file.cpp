#include "sim/io/results_file.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <set>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "sim/core/error.h"
#include "sim/io/h5_file.h"

namespace sim::io {
namespace {

namespace fs = std::filesystem;

// Root attributes the writer owns; provenance keys must not take these names.
constexpr std::array<std::string_view, 11> kReservedAttributes = {
    "file_type",     "schema_version",     "seed",
    "replicates",    "reference_scenario", "variables",
    "event_columns", "scenario_dimension", "swept_parameters",
    "coordinates",   "drawn_parameters"};

/// Dataset name of a parameter's stored draws: `draw_` + the dotted key with '.' as '_'.
std::string draw_dataset_name(const std::string& key) {
  std::string name = "draw_" + key;
  std::replace(name.begin(), name.end(), '.', '_');
  return name;
}

constexpr std::size_t kTrajectoryChunkBytes = std::size_t{1} << 20;
constexpr int kTrajectoryGzipLevel = 4;

bool is_reserved_attribute(std::string_view key) {
  return std::find(kReservedAttributes.begin(), kReservedAttributes.end(), key) !=
         kReservedAttributes.end();
}

const char* level_name(Level level) { return level == Level::member ? "member" : "global"; }

// Engine columns and categorical columns hold integers and are stored as int32.
bool is_integer_column(const EventColumnSpec& column) {
  return !column.categories.empty() || column.name == "scenario" || column.name == "replicate" ||
         column.name == "year";
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

// "design_point" -> "design point".
std::string snake_to_words(std::string text) {
  std::replace(text.begin(), text.end(), '_', ' ');
  return text;
}

std::string major_version(const std::string& version) {
  return version.substr(0, version.find('.'));
}

// The summary statistics of every variable, in the order they are written.
struct Statistic {
  const char* suffix;
  const char* description;
  std::vector<double> VariableSummary::*values;
};

constexpr std::array<Statistic, 5> kMoments = {{
    {"_mean", "mean over replicates", &VariableSummary::mean},
    {"_sd", "standard deviation over replicates", &VariableSummary::sd},
    {"_mcse", "Monte Carlo standard error of the mean", &VariableSummary::mcse},
    {"_min", "minimum over replicates", &VariableSummary::min},
    {"_max", "maximum over replicates", &VariableSummary::max},
}};

struct DifferenceStatistic {
  const char* suffix;
  const char* description;
  std::vector<double> VariableDifference::*values;
};

constexpr std::array<DifferenceStatistic, 4> kDifferences = {{
    {"_diff_mean", "mean paired difference to the reference scenario", &VariableDifference::mean},
    {"_diff_mcse", "Monte Carlo standard error of the paired difference",
     &VariableDifference::mcse},
    {"_diff_ci_low", "lower bound of the 95% confidence interval of the paired difference",
     &VariableDifference::ci_low},
    {"_diff_ci_high", "upper bound of the 95% confidence interval of the paired difference",
     &VariableDifference::ci_high},
}};

constexpr const char* kQuantilesDescription = "quantiles over replicates";
constexpr const char* kCountDescription = "number of non-missing replicates";
constexpr const char* kWilsonLowDescription = "lower bound of the Wilson 95% interval of the mean";
constexpr const char* kWilsonHighDescription = "upper bound of the Wilson 95% interval of the mean";

std::string statistic_long_name(const VariableSpec& variable, const char* description) {
  return (variable.long_name.empty() ? variable.name : variable.long_name) + " (" + description +
         ")";
}

bool has_differences(const Results& results) {
  return results.reference_scenario >= 0 && !results.differences.empty();
}

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

void validate_results(const Results& r) {
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
  std::vector<std::string> datasets = {
      dimension, dimension + "_description", "year", "member", "member_name", "quantile"};
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

  expect_size(r.summaries.size(), r.variables.size(), "summaries", "one per variable");
  if (r.reference_scenario < 0 && !r.differences.empty()) {
    invalid("differences given without a reference scenario");
  }
  if (has_differences(r)) {
    expect_size(r.differences.size(), r.variables.size(), "differences", "one per variable");
  }
  if (r.has_trajectories) {
    expect_size(r.trajectories.size(), r.variables.size(), "trajectories", "one per variable");
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
    const VariableSummary& summary = r.summaries[v];
    for (const Statistic& statistic : kMoments) {
      expect_size((summary.*statistic.values).size(), cells, name + statistic.suffix, shape);
      datasets.push_back(name + statistic.suffix);
    }
    expect_size(summary.quantiles.size(), cells * quantiles, name + "_quantiles",
                shape + " x quantile levels");
    datasets.push_back(name + "_quantiles");
    if (variable.may_be_missing) {
      expect_size(summary.count.size(), cells, name + "_count", shape);
      datasets.push_back(name + "_count");
    } else if (!summary.count.empty()) {
      expect_size(summary.count.size(), cells, name + "_count", shape);
    }
    if (variable.binary) {
      expect_size(summary.wilson_low.size(), cells, name + "_wilson_low", shape);
      expect_size(summary.wilson_high.size(), cells, name + "_wilson_high", shape);
      datasets.push_back(name + "_wilson_low");
      datasets.push_back(name + "_wilson_high");
    } else if (!summary.wilson_low.empty() || !summary.wilson_high.empty()) {
      invalid(fmt::format("variable '{}' is not binary but has a Wilson interval", name));
    }
    if (has_differences(r)) {
      for (const DifferenceStatistic& statistic : kDifferences) {
        expect_size((r.differences[v].*statistic.values).size(), cells, name + statistic.suffix,
                    shape);
        datasets.push_back(name + statistic.suffix);
      }
    }
    if (r.has_trajectories) {
      const std::size_t per_replicate = cells / std::max<std::size_t>(scenarios, 1);
      expect_size(r.trajectories[v].size(),
                  scenarios * static_cast<std::size_t>(r.replicates) * per_replicate,
                  "trajectory of " + name,
                  member_level ? "scenarios x replicates x years x members"
                               : "scenarios x replicates x years");
      datasets.push_back(name);
    }
  }
  expect_unique(variable_names, "variable");

  expect_size(r.event_values.size(), r.event_columns.size(), "event_values", "one per column");
  std::vector<std::string> column_names;
  const std::size_t events = r.event_values.empty() ? 0 : r.event_values.front().size();
  for (std::size_t c = 0; c < r.event_columns.size(); ++c) {
    const EventColumnSpec& column = r.event_columns[c];
    expect_dataset_name(column.name, "event column");
    column_names.push_back(column.name);
    datasets.push_back("event_" + column.name);
    expect_size(r.event_values[c].size(), events, "event column '" + column.name + "'",
                "one per event, like the first column");
    for (const std::string& label : column.categories) {
      if (label.empty() || label.find_first_of(" \t\n\r,") != std::string::npos) {
        invalid(
            fmt::format("event column '{}': category label '{}' is empty or contains a space "
                        "or comma",
                        column.name, label));
      }
    }
    if (!is_integer_column(column)) continue;
    const double limit = column.categories.empty()
                             ? static_cast<double>(std::numeric_limits<std::int32_t>::max())
                             : static_cast<double>(column.categories.size()) - 1.0;
    const double lowest = column.categories.empty()
                              ? static_cast<double>(std::numeric_limits<std::int32_t>::min())
                              : 0.0;
    for (const double value : r.event_values[c]) {
      if (!(value >= lowest && value <= limit) || std::floor(value) != value) {
        invalid(fmt::format("event column '{}' holds {}, expected an integer in [{}, {}]",
                            column.name, value, lowest, limit));
      }
    }
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

namespace {

// The open dimension scales, kept open while data variables are attached to them.
struct Axes {
  std::optional<H5Dataset> scenario, year, member, quantile, replicate, event;
};

struct Axis {
  const H5Dataset* scale;
  std::uint64_t length;
};

template <class T>
H5Dataset write_variable(H5File& file, const std::string& name, const std::vector<Axis>& axes,
                         const std::vector<T>& data, const DatasetLayout& layout = {}) {
  std::vector<std::uint64_t> dims;
  dims.reserve(axes.size());
  for (const Axis& axis : axes) dims.push_back(axis.length);
  H5Dataset dataset = file.create_dataset<T>(name, dims, data, layout);
  for (std::size_t i = 0; i < axes.size(); ++i) {
    dataset.attach_dimension_scale(*axes[i].scale, static_cast<unsigned>(i));
  }
  return dataset;
}

void describe_dataset(H5Dataset& dataset, const std::string& units, const std::string& long_name) {
  dataset.write_string_attribute("units", units);
  dataset.write_string_attribute("long_name", long_name);
}

void write_coordinates(H5File& file, const Results& r, Axes& axes) {
  const std::string& dimension = r.scenario_dimension;
  axes.scenario = file.create_string_dataset(dimension, r.scenarios);
  axes.scenario->make_dimension_scale(dimension);
  axes.scenario->write_string_attribute("long_name", snake_to_words(dimension));

  std::vector<std::int32_t> years(r.years.begin(), r.years.end());
  const std::uint64_t year_dims[1] = {years.size()};
  axes.year = file.create_dataset<std::int32_t>("year", year_dims, years);
  axes.year->make_dimension_scale("year");
  axes.year->write_string_attribute("long_name", "calendar year");

  axes.member = file.create_string_dataset("member", r.members);
  axes.member->make_dimension_scale("member");
  axes.member->write_string_attribute("long_name", "member code");

  const std::uint64_t quantile_dims[1] = {r.quantile_levels.size()};
  axes.quantile = file.create_dataset<double>("quantile", quantile_dims, r.quantile_levels);
  axes.quantile->make_dimension_scale("quantile");
  describe_dataset(*axes.quantile, "1", "quantile level");

  if (r.has_trajectories || !r.draws.empty()) {
    std::vector<std::int64_t> replicates(static_cast<std::size_t>(r.replicates));
    for (std::size_t i = 0; i < replicates.size(); ++i) {
      replicates[i] = static_cast<std::int64_t>(i);
    }
    const std::uint64_t dims[1] = {replicates.size()};
    axes.replicate = file.create_dataset<std::int64_t>("replicate", dims, replicates);
    axes.replicate->make_dimension_scale("replicate");
    axes.replicate->write_string_attribute("long_name", "replicate index");
  }
  if (!r.event_columns.empty()) {
    std::vector<std::int64_t> events(r.event_values.front().size());
    for (std::size_t i = 0; i < events.size(); ++i) events[i] = static_cast<std::int64_t>(i);
    const std::uint64_t dims[1] = {events.size()};
    axes.event = file.create_dataset<std::int64_t>("event", dims, events);
    axes.event->make_dimension_scale("event");
    axes.event->write_string_attribute("long_name", "event index");
  }

  H5Dataset descriptions =
      file.create_string_dataset(dimension + "_description", r.scenario_descriptions);
  descriptions.attach_dimension_scale(*axes.scenario, 0);
  descriptions.write_string_attribute("long_name", snake_to_words(dimension) + " description");
  descriptions.close();
  if (!r.scenario_labels.empty()) {
    // Optional: a human-readable label and a group per scenario, for figures and tables.
    const std::pair<const char*, const std::vector<std::string>*> columns[] = {
        {"_label", &r.scenario_labels}, {"_group", &r.scenario_groups}};
    for (const auto& [suffix, values] : columns) {
      H5Dataset column = file.create_string_dataset(dimension + suffix, *values);
      column.attach_dimension_scale(*axes.scenario, 0);
      column.write_string_attribute("long_name", snake_to_words(dimension) + " " + (suffix + 1));
      column.close();
    }
  }
  for (const Results::DesignParameter& parameter : r.design_parameters) {
    const std::uint64_t dims[1] = {parameter.values.size()};
    H5Dataset values = file.create_dataset<double>(parameter.key, dims, parameter.values);
    values.attach_dimension_scale(*axes.scenario, 0);
    values.write_string_attribute("long_name", "swept parameter " + parameter.key);
    values.close();
  }
  for (const Results::ParameterDraws& draws : r.draws) {
    std::vector<Axis> axes_of_draw = {{&*axes.replicate, static_cast<std::uint64_t>(r.replicates)}};
    if (draws.per_scenario)
      axes_of_draw.insert(axes_of_draw.begin(), {&*axes.scenario, r.scenarios.size()});
    H5Dataset values =
        write_variable(file, draw_dataset_name(draws.key), axes_of_draw, draws.values);
    values.write_string_attribute("long_name", "drawn value of model parameter " + draws.key);
    values.write_string_attribute("key", draws.key);
    values.write_string_attribute("distribution", draws.distribution);
    values.close();
  }
  H5Dataset names = file.create_string_dataset("member_name", r.member_names);
  names.attach_dimension_scale(*axes.member, 0);
  names.write_string_attribute("long_name", "member name");
  names.close();
}

void write_variable_group(H5File& file, const Results& r, const Axes& axes, std::size_t v) {
  const VariableSpec& variable = r.variables[v];
  const VariableSummary& summary = r.summaries[v];
  const std::string& name = variable.name;
  std::vector<Axis> cells = {{&*axes.scenario, r.scenarios.size()}, {&*axes.year, r.years.size()}};
  if (variable.level == Level::member) cells.push_back({&*axes.member, r.members.size()});

  for (const Statistic& statistic : kMoments) {
    H5Dataset dataset =
        write_variable(file, name + statistic.suffix, cells, summary.*statistic.values);
    describe_dataset(dataset, variable.units, statistic_long_name(variable, statistic.description));
    if (statistic.values == &VariableSummary::mean) {
      // What the reader needs to rebuild the VariableSpec.
      dataset.write_string_attribute("variable_long_name", variable.long_name);
      dataset.write_string_attribute("level", level_name(variable.level));
      dataset.write_attribute<std::int32_t>("binary", variable.binary ? 1 : 0);
      dataset.write_attribute<std::int32_t>("may_be_missing", variable.may_be_missing ? 1 : 0);
    }
    dataset.close();
  }

  std::vector<Axis> quantile_cells = cells;
  quantile_cells.push_back({&*axes.quantile, r.quantile_levels.size()});
  H5Dataset quantiles =
      write_variable(file, name + "_quantiles", quantile_cells, summary.quantiles);
  describe_dataset(quantiles, variable.units, statistic_long_name(variable, kQuantilesDescription));
  quantiles.close();

  if (variable.may_be_missing) {
    H5Dataset count = write_variable(file, name + "_count", cells, summary.count);
    describe_dataset(count, "1", statistic_long_name(variable, kCountDescription));
    count.close();
  }
  if (variable.binary) {
    H5Dataset low = write_variable(file, name + "_wilson_low", cells, summary.wilson_low);
    describe_dataset(low, variable.units, statistic_long_name(variable, kWilsonLowDescription));
    low.close();
    H5Dataset high = write_variable(file, name + "_wilson_high", cells, summary.wilson_high);
    describe_dataset(high, variable.units, statistic_long_name(variable, kWilsonHighDescription));
    high.close();
  }
  if (has_differences(r)) {
    const std::string& reference = r.scenarios[static_cast<std::size_t>(r.reference_scenario)];
    for (const DifferenceStatistic& statistic : kDifferences) {
      H5Dataset dataset =
          write_variable(file, name + statistic.suffix, cells, r.differences[v].*statistic.values);
      describe_dataset(dataset, variable.units,
                       statistic_long_name(variable, statistic.description));
      dataset.write_string_attribute("reference_scenario", reference);
      dataset.close();
    }
  }
  if (r.has_trajectories) {
    std::vector<Axis> axes_of_run = {{&*axes.scenario, r.scenarios.size()},
                                     {&*axes.replicate, static_cast<std::uint64_t>(r.replicates)},
                                     {&*axes.year, r.years.size()}};
    if (variable.level == Level::member) axes_of_run.push_back({&*axes.member, r.members.size()});
    // A chunk holds one scenario and a block of whole replicates of about 1 MiB, so reading one
    // scenario or a few replicates touches few chunks.
    std::size_t replicate_bytes = sizeof(double);
    for (std::size_t i = 2; i < axes_of_run.size(); ++i) {
      replicate_bytes *= std::max<std::size_t>(axes_of_run[i].length, 1);
    }
    DatasetLayout layout;
    layout.chunk = {1,
                    std::clamp<std::uint64_t>(kTrajectoryChunkBytes / replicate_bytes, 1,
                                              std::max<std::uint64_t>(axes_of_run[1].length, 1))};
    for (std::size_t i = 2; i < axes_of_run.size(); ++i) {
      layout.chunk.push_back(std::max<std::uint64_t>(axes_of_run[i].length, 1));
    }
    layout.gzip_level = kTrajectoryGzipLevel;
    layout.shuffle = true;
    H5Dataset dataset = write_variable(file, name, axes_of_run, r.trajectories[v], layout);
    describe_dataset(dataset, variable.units,
                     variable.long_name.empty() ? variable.name : variable.long_name);
    dataset.close();
  }
}

void write_events(H5File& file, const Results& r, const Axes& axes) {
  const std::uint64_t events = r.event_values.front().size();
  const std::vector<Axis> event_axis = {{&*axes.event, events}};
  for (std::size_t c = 0; c < r.event_columns.size(); ++c) {
    const EventColumnSpec& column = r.event_columns[c];
    const std::string name = "event_" + column.name;
    std::optional<H5Dataset> dataset;
    if (is_integer_column(column)) {
      std::vector<std::int32_t> values(r.event_values[c].size());
      for (std::size_t i = 0; i < values.size(); ++i) {
        values[i] = static_cast<std::int32_t>(r.event_values[c][i]);
      }
      dataset = write_variable(file, name, event_axis, values);
    } else {
      dataset = write_variable(file, name, event_axis, r.event_values[c]);
    }
    describe_dataset(*dataset, column.units, column.long_name);
    if (!column.categories.empty()) {
      std::vector<std::int32_t> flags(column.categories.size());
      for (std::size_t i = 0; i < flags.size(); ++i) flags[i] = static_cast<std::int32_t>(i);
      dataset->write_array_attribute<std::int32_t>("flag_values", flags);
      dataset->write_string_attribute("flag_meanings", join(column.categories, " "));
      dataset->write_string_attribute("categories", join(column.categories, ","));
    }
    dataset->close();
  }
}

void throw_if_stopped(const std::atomic<bool>* stop) {
  if (stop != nullptr && stop->load()) throw Interrupted();
}

void write_contents(H5File& file, const Results& r, const std::atomic<bool>* stop) {
  file.write_string_attribute("file_type", kFileType);
  file.write_string_attribute("schema_version", kSchemaVersion);
  for (const auto& [key, value] : r.attributes) file.write_string_attribute(key, value);
  file.write_attribute<std::uint64_t>("seed", r.seed);
  file.write_attribute<std::int64_t>("replicates", r.replicates);
  file.write_string_attribute("reference_scenario",
                              r.reference_scenario >= 0
                                  ? r.scenarios[static_cast<std::size_t>(r.reference_scenario)]
                                  : std::string());
  if (!r.variables.empty()) {
    std::vector<std::string> names;
    for (const VariableSpec& variable : r.variables) names.push_back(variable.name);
    file.write_string_array_attribute("variables", names);
  }
  if (!r.event_columns.empty()) {
    std::vector<std::string> names;
    for (const EventColumnSpec& column : r.event_columns) names.push_back(column.name);
    file.write_string_array_attribute("event_columns", names);
  }
  file.write_string_attribute("scenario_dimension", r.scenario_dimension);
  if (!r.draws.empty()) {
    std::vector<std::string> keys;
    for (const Results::ParameterDraws& draws : r.draws) keys.push_back(draws.key);
    file.write_string_array_attribute("drawn_parameters", keys);
  }
  if (!r.design_parameters.empty()) {
    std::vector<std::string> keys;
    for (const Results::DesignParameter& parameter : r.design_parameters) {
      keys.push_back(parameter.key);
    }
    file.write_string_array_attribute("swept_parameters", keys);
    // xarray turns the variables named in a global `coordinates` attribute into coordinates.
    file.write_string_attribute("coordinates", join(keys, " "));
  }

  Axes axes;
  write_coordinates(file, r, axes);
  for (std::size_t v = 0; v < r.variables.size(); ++v) {
    throw_if_stopped(stop);
    write_variable_group(file, r, axes, v);
  }
  if (!r.event_columns.empty()) write_events(file, r, axes);
  for (std::optional<H5Dataset>* scale :
       {&axes.scenario, &axes.year, &axes.member, &axes.quantile, &axes.replicate, &axes.event}) {
    if (scale->has_value()) (*scale)->close();
  }
}

// Roughly the uncompressed size of the data: lets the in-memory file grow in one step.
std::uint64_t estimated_bytes(const Results& r) {
  std::uint64_t values = 0;
  for (const VariableSummary& summary : r.summaries) {
    values += summary.mean.size() * 5 + summary.quantiles.size() + summary.count.size() +
              summary.wilson_low.size() * 2;
  }
  for (const VariableDifference& difference : r.differences) values += difference.mean.size() * 4;
  for (const std::vector<double>& trajectory : r.trajectories) values += trajectory.size();
  for (const std::vector<double>& column : r.event_values) values += column.size();
  std::uint64_t text = 0;
  for (const auto& [key, value] : r.attributes) text += key.size() + value.size();
  return values * sizeof(double) + text + (std::uint64_t{1} << 20);
}

void remove_quietly(const fs::path& path) {
  std::error_code ignored;
  fs::remove(path, ignored);
}

}  // namespace

void write_via_partial(const fs::path& out, bool force, std::string_view file_type,
                       const std::function<void(const fs::path&)>& fill,
                       const std::atomic<bool>* stop) {
  const fs::path partial = partial_path(out);
  try {
    throw_if_stopped(stop);
    fill(partial);
    throw_if_stopped(stop);
    // Whatever appeared under the name meanwhile gets the same policy as at the start.
    check_output_path(out, force, file_type);
    std::error_code error;
    fs::rename(partial, out, error);
    if (error) {
      throw OutputError(out.string() + ": cannot rename " + partial.string() +
                        " onto it: " + error.message());
    }
  } catch (...) {
    remove_quietly(partial);
    throw;
  }
}

void write_results(const Results& results, const fs::path& out, bool force,
                   const std::atomic<bool>* stop) {
  check_output_path(out, force, kFileType);
  validate_results(results);
  write_via_partial(
      out, force, kFileType,
      [&](const fs::path& partial) {
        H5File file = H5File::create(partial, estimated_bytes(results));
        write_contents(file, results, stop);
        throw_if_stopped(stop);
        file.close();
      },
      stop);
}

namespace {

struct FileContents {
  std::string schema_version;
  std::uint64_t event_count = 0;
  Results results;
};

std::string shape_text(const std::vector<std::uint64_t>& dims) {
  std::string text = "(";
  for (std::size_t i = 0; i < dims.size(); ++i)
    text += (i > 0 ? ", " : "") + std::to_string(dims[i]);
  return text + ")";
}

template <class T>
std::vector<T> read_dataset(const H5File& file, const std::string& name,
                            const std::vector<std::uint64_t>& expected) {
  const H5Dataset dataset = file.open_dataset(name);
  const std::vector<std::uint64_t> dims = dataset.dims();
  if (dims != expected) {
    throw OutputError(fmt::format("{}: shape {} does not match the axes {}", dataset.where(),
                                  shape_text(dims), shape_text(expected)));
  }
  if constexpr (std::is_same_v<T, std::string>) {
    return dataset.read_strings();
  } else {
    return dataset.read<T>();
  }
}

std::vector<std::string> read_strings_1d(const H5File& file, const std::string& name) {
  return file.open_dataset(name).read_strings();
}

std::int32_t read_flag(const H5Dataset& dataset, const std::string& name) {
  const std::int32_t flag = dataset.read_attribute<std::int32_t>(name);
  if (flag != 0 && flag != 1) {
    throw OutputError(
        fmt::format("{}: attribute '{}' is {}, expected 0 or 1", dataset.where(), name, flag));
  }
  return flag;
}

FileContents read_contents(const fs::path& path, bool metadata_only) {
  std::error_code error;
  if (!fs::exists(path, error)) throw OutputError(path.string() + ": no such file");
  if (!H5File::is_hdf5(path)) {
    throw OutputError(path.string() + ": not a natosim results file (not an HDF5 file)");
  }
  const H5File file = H5File::open_read_only(path);
  const bool typed = file.has_attribute("file_type") &&
                     file.attribute_type("file_type") == ElementType::string &&
                     file.read_string_attribute("file_type") == kFileType;
  if (!typed) {
    throw OutputError(path.string() +
                      ": not a natosim results file (no root attribute file_type = \"" + kFileType +
                      "\")");
  }
  FileContents contents;
  contents.schema_version = file.read_string_attribute("schema_version");
  if (major_version(contents.schema_version) != major_version(kSchemaVersion)) {
    throw OutputError(fmt::format(
        "{}: schema version {} is not supported (this natosim reads {}.x); use a natosim release "
        "that writes schema {}",
        path.string(), contents.schema_version, major_version(kSchemaVersion),
        contents.schema_version));
  }

  Results& r = contents.results;
  for (const std::string& key : file.attribute_names()) {
    // Provenance is all strings; other attributes (e.g. added by other tools) are not ours.
    if (is_reserved_attribute(key) || file.attribute_type(key) != ElementType::string) continue;
    r.attributes[key] = file.read_string_attribute(key);
  }
  r.seed = file.read_attribute<std::uint64_t>("seed");
  r.replicates = file.read_attribute<std::int64_t>("replicates");

  if (file.has_attribute("scenario_dimension")) {
    r.scenario_dimension = file.read_string_attribute("scenario_dimension");
  }
  const std::string& dimension = r.scenario_dimension;
  r.scenarios = read_strings_1d(file, dimension);
  r.scenario_descriptions =
      read_dataset<std::string>(file, dimension + "_description", {r.scenarios.size()});
  if (file.has_dataset(dimension + "_label") && file.has_dataset(dimension + "_group")) {
    r.scenario_labels = read_dataset<std::string>(file, dimension + "_label", {r.scenarios.size()});
    r.scenario_groups = read_dataset<std::string>(file, dimension + "_group", {r.scenarios.size()});
  }
  if (file.has_attribute("swept_parameters")) {
    for (const std::string& key : file.read_string_array_attribute("swept_parameters")) {
      r.design_parameters.push_back({key, read_dataset<double>(file, key, {r.scenarios.size()})});
    }
  }
  const std::vector<std::int32_t> years = file.open_dataset("year").read<std::int32_t>();
  r.years.assign(years.begin(), years.end());
  r.members = read_strings_1d(file, "member");
  r.member_names = read_dataset<std::string>(file, "member_name", {r.members.size()});
  r.quantile_levels = file.open_dataset("quantile").read<double>();

  const std::string reference = file.read_string_attribute("reference_scenario");
  if (!reference.empty()) {
    const auto found = std::find(r.scenarios.begin(), r.scenarios.end(), reference);
    if (found == r.scenarios.end()) {
      throw OutputError(fmt::format("{}: reference_scenario '{}' is not one of the scenarios",
                                    path.string(), reference));
    }
    r.reference_scenario = static_cast<int>(found - r.scenarios.begin());
  }
  const std::vector<std::string> variable_names =
      file.has_attribute("variables") ? file.read_string_array_attribute("variables")
                                      : std::vector<std::string>{};
  // The replicate axis also serves stored draws: trajectories are the variables' own datasets.
  r.has_trajectories = file.has_dataset("replicate") &&
                       (variable_names.empty() || file.has_dataset(variable_names.front()));
  if (file.has_attribute("drawn_parameters") && !metadata_only) {
    for (const std::string& key : file.read_string_array_attribute("drawn_parameters")) {
      const H5Dataset dataset = file.open_dataset(draw_dataset_name(key));
      Results::ParameterDraws draws;
      draws.key = key;
      draws.distribution = dataset.read_string_attribute("distribution");
      draws.per_scenario = dataset.dims().size() == 2;
      draws.values = dataset.read<double>();
      r.draws.push_back(std::move(draws));
    }
  }
  const bool differences = r.reference_scenario >= 0 && !variable_names.empty() &&
                           file.has_dataset(variable_names.front() + "_diff_mean");
  const std::uint64_t scenarios = r.scenarios.size();
  const std::uint64_t years_count = r.years.size();
  const std::uint64_t members = r.members.size();
  for (const std::string& name : variable_names) {
    VariableSpec variable;
    variable.name = name;
    {
      const H5Dataset mean = file.open_dataset(name + "_mean");
      variable.units = mean.read_string_attribute("units");
      variable.long_name = mean.read_string_attribute("variable_long_name");
      const std::string level = mean.read_string_attribute("level");
      if (level != "member" && level != "global") {
        throw OutputError(fmt::format("{}: attribute 'level' is '{}', expected member or global",
                                      mean.where(), level));
      }
      variable.level = level == "member" ? Level::member : Level::global;
      variable.binary = read_flag(mean, "binary") == 1;
      variable.may_be_missing = read_flag(mean, "may_be_missing") == 1;
    }
    r.variables.push_back(variable);
    if (metadata_only) continue;

    std::vector<std::uint64_t> cells = {scenarios, years_count};
    if (variable.level == Level::member) cells.push_back(members);
    VariableSummary summary;
    for (const Statistic& statistic : kMoments) {
      summary.*statistic.values = read_dataset<double>(file, name + statistic.suffix, cells);
    }
    std::vector<std::uint64_t> quantile_cells = cells;
    quantile_cells.push_back(r.quantile_levels.size());
    summary.quantiles = read_dataset<double>(file, name + "_quantiles", quantile_cells);
    if (variable.may_be_missing) {
      summary.count = read_dataset<std::int64_t>(file, name + "_count", cells);
    } else {
      summary.count.assign(r.cells(variable), r.replicates);
    }
    if (variable.binary) {
      summary.wilson_low = read_dataset<double>(file, name + "_wilson_low", cells);
      summary.wilson_high = read_dataset<double>(file, name + "_wilson_high", cells);
    }
    r.summaries.push_back(std::move(summary));
    if (differences) {
      VariableDifference difference;
      for (const DifferenceStatistic& statistic : kDifferences) {
        difference.*statistic.values = read_dataset<double>(file, name + statistic.suffix, cells);
      }
      r.differences.push_back(std::move(difference));
    }
    if (r.has_trajectories) {
      std::vector<std::uint64_t> run_cells = {scenarios, static_cast<std::uint64_t>(r.replicates),
                                              years_count};
      if (variable.level == Level::member) run_cells.push_back(members);
      r.trajectories.push_back(read_dataset<double>(file, name, run_cells));
    }
  }

  const std::vector<std::string> column_names =
      file.has_attribute("event_columns") ? file.read_string_array_attribute("event_columns")
                                          : std::vector<std::string>{};
  if (!column_names.empty()) contents.event_count = file.open_dataset("event").size();
  for (const std::string& name : column_names) {
    const H5Dataset dataset = file.open_dataset("event_" + name);
    EventColumnSpec column;
    column.name = name;
    column.units = dataset.read_string_attribute("units");
    column.long_name = dataset.read_string_attribute("long_name");
    if (dataset.has_attribute("categories")) {
      column.categories = split(dataset.read_string_attribute("categories"), ',');
    }
    r.event_columns.push_back(std::move(column));
    if (!metadata_only) {
      r.event_values.push_back(read_dataset<double>(file, "event_" + name, {contents.event_count}));
    }
  }
  return contents;
}

std::string json_string(std::string_view text) {
  std::string quoted = "\"";
  for (const char c : text) {
    switch (c) {
      case '"':
        quoted += "\\\"";
        break;
      case '\\':
        quoted += "\\\\";
        break;
      case '\n':
        quoted += "\\n";
        break;
      case '\r':
        quoted += "\\r";
        break;
      case '\t':
        quoted += "\\t";
        break;
      case '\b':
        quoted += "\\b";
        break;
      case '\f':
        quoted += "\\f";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          quoted += fmt::format("\\u{:04x}", static_cast<unsigned>(static_cast<unsigned char>(c)));
        } else {
          quoted += c;
        }
    }
  }
  return quoted + "\"";
}

// JSON has no NaN or infinity.
std::string json_number(double value) {
  return std::isfinite(value) ? fmt::format("{}", value) : std::string("null");
}

std::string json_string_list(const std::vector<std::string>& values) {
  std::string list = "[";
  for (std::size_t i = 0; i < values.size(); ++i)
    list += (i > 0 ? ", " : "") + json_string(values[i]);
  return list + "]";
}

std::string attribute_or(const Results& r, const std::string& key, const std::string& fallback) {
  const auto found = r.attributes.find(key);
  return found == r.attributes.end() ? fallback : found->second;
}

std::string json_attribute(const Results& r, const std::string& key) {
  const auto found = r.attributes.find(key);
  return found == r.attributes.end() ? "null" : json_string(found->second);
}

std::string describe_json(const fs::path& path, const FileContents& contents) {
  const Results& r = contents.results;
  std::string json = "{\n";
  const auto field = [&json](std::string_view key, const std::string& value, bool last = false) {
    json += "  " + json_string(key) + ": " + value + (last ? "\n" : ",\n");
  };
  field("file", json_string(path.string()));
  field("file_type", json_string(kFileType));
  field("schema_version", json_string(contents.schema_version));
  field("study_name", json_attribute(r, "study_name"));
  field("natosim_version", json_attribute(r, "natosim_version"));
  field("git_commit", json_attribute(r, "git_commit"));
  field("created_utc", json_attribute(r, "created_utc"));
  field("seed", std::to_string(r.seed));
  field("replicates", std::to_string(r.replicates));
  std::string scenarios = "[";
  for (std::size_t s = 0; s < r.scenarios.size(); ++s) {
    scenarios += fmt::format("{}{{\"name\": {}, \"description\": {}}}", s > 0 ? ", " : "",
                             json_string(r.scenarios[s]), json_string(r.scenario_descriptions[s]));
  }
  field("scenarios", scenarios + "]");
  field("scenario_dimension", json_string(r.scenario_dimension));
  std::string swept = "[";
  for (std::size_t p = 0; p < r.design_parameters.size(); ++p) {
    const Results::DesignParameter& parameter = r.design_parameters[p];
    swept += (p > 0 ? ", " : "") + std::string("{\"key\": ") + json_string(parameter.key) +
             ", \"values\": [";
    for (std::size_t i = 0; i < parameter.values.size(); ++i) {
      swept += (i > 0 ? ", " : "") + json_number(parameter.values[i]);
    }
    swept += "]}";
  }
  field("swept_parameters", swept + "]");
  field("reference_scenario",
        r.reference_scenario >= 0
            ? json_string(r.scenarios[static_cast<std::size_t>(r.reference_scenario)])
            : "null");
  std::string years = "[";
  for (std::size_t y = 0; y < r.years.size(); ++y)
    years += (y > 0 ? ", " : "") + std::to_string(r.years[y]);
  field("years", years + "]");
  field("first_year", r.years.empty() ? "null" : std::to_string(r.years.front()));
  field("last_year", r.years.empty() ? "null" : std::to_string(r.years.back()));
  field("member_count", std::to_string(r.members.size()));
  field("members", json_string_list(r.members));
  std::string variables = "[";
  for (std::size_t v = 0; v < r.variables.size(); ++v) {
    const VariableSpec& variable = r.variables[v];
    variables += fmt::format(
        "{}{{\"name\": {}, \"units\": {}, \"long_name\": {}, \"level\": \"{}\", \"binary\": {}, "
        "\"may_be_missing\": {}}}",
        v > 0 ? ", " : "", json_string(variable.name), json_string(variable.units),
        json_string(variable.long_name), level_name(variable.level), variable.binary,
        variable.may_be_missing);
  }
  field("variables", variables + "]");
  std::string quantiles = "[";
  for (std::size_t q = 0; q < r.quantile_levels.size(); ++q) {
    quantiles += (q > 0 ? ", " : "") + json_number(r.quantile_levels[q]);
  }
  field("quantile_levels", quantiles + "]");
  field("has_trajectories", r.has_trajectories ? "true" : "false");
  field("event_count", std::to_string(contents.event_count));
  std::vector<std::string> columns;
  for (const EventColumnSpec& column : r.event_columns) columns.push_back(column.name);
  field("event_columns", json_string_list(columns));
  std::string attributes = "{";
  bool first = true;
  for (const auto& [key, value] : r.attributes) {
    attributes += (first ? "" : ", ") + json_string(key) + ": " + json_string(value);
    first = false;
  }
  field("attributes", attributes + "}", true);
  return json + "}\n";
}

std::string describe_text(const fs::path& path, const FileContents& contents) {
  const Results& r = contents.results;
  std::string text;
  const auto line = [&text](std::string_view label, const std::string& value) {
    text += fmt::format("  {:<20}{}\n", std::string(label) + ":", value);
  };
  text += "natosim results file " + path.string() + "\n";
  line("study", attribute_or(r, "study_name", "(not recorded)"));
  line("schema version", contents.schema_version);
  line("natosim version", attribute_or(r, "natosim_version", "(not recorded)"));
  line("git commit", attribute_or(r, "git_commit", "(not recorded)"));
  line("created (UTC)", attribute_or(r, "created_utc", "(not recorded)"));
  line("seed", std::to_string(r.seed));
  line("replicates", std::to_string(r.replicates));
  const std::string points = snake_to_words(r.scenario_dimension) + "s";
  line(points, std::to_string(r.scenarios.size()));
  std::size_t width = 0;
  for (const std::string& s : r.scenarios) width = std::max(width, s.size());
  for (std::size_t s = 0; s < r.scenarios.size(); ++s) {
    const bool is_reference = static_cast<int>(s) == r.reference_scenario;
    std::string entry = fmt::format("    {:<{}}  {}{}", r.scenarios[s], width,
                                    r.scenario_descriptions[s], is_reference ? " [reference]" : "");
    entry.erase(entry.find_last_not_of(' ') + 1);
    text += entry + "\n";
  }
  for (const Results::DesignParameter& parameter : r.design_parameters) {
    const auto [low, high] = std::minmax_element(parameter.values.begin(), parameter.values.end());
    line("swept parameter", low == parameter.values.end()
                                ? parameter.key
                                : fmt::format("{} ({} to {})", parameter.key, *low, *high));
  }
  line("reference scenario", r.reference_scenario >= 0
                                 ? r.scenarios[static_cast<std::size_t>(r.reference_scenario)]
                                 : "(none)");
  line("years", r.years.empty() ? "(none)"
                                : fmt::format("{}-{} ({} years)", r.years.front(), r.years.back(),
                                              r.years.size()));
  line("members", fmt::format("{} ({})", r.members.size(), join(r.members, " ")));
  line("variables", std::to_string(r.variables.size()));
  width = 0;
  for (const VariableSpec& variable : r.variables) width = std::max(width, variable.name.size());
  for (const VariableSpec& variable : r.variables) {
    std::string flags = std::string(level_name(variable.level)) + "-level";
    if (variable.binary) flags += ", binary";
    if (variable.may_be_missing) flags += ", may be missing";
    text += fmt::format("    {:<{}}  {} [{}] ({})\n", variable.name, width, variable.long_name,
                        variable.units, flags);
  }
  std::vector<std::string> levels;
  for (const double level : r.quantile_levels) levels.push_back(fmt::format("{}", level));
  line("quantile levels", levels.empty() ? "(none)" : join(levels, " "));
  line("trajectories", r.has_trajectories ? "yes" : "no");
  std::vector<std::string> columns;
  for (const EventColumnSpec& column : r.event_columns) columns.push_back(column.name);
  line("events", r.event_columns.empty()
                     ? "none recorded"
                     : fmt::format("{} (columns: {})", contents.event_count, join(columns, ", ")));
  return text;
}

}  // namespace

std::string hdf5_library_version() { return H5File::library_version(); }

Results read_results(const fs::path& file) { return read_contents(file, false).results; }

std::string describe_results(const fs::path& file, bool json) {
  const FileContents contents = read_contents(file, true);
  return json ? describe_json(file, contents) : describe_text(file, contents);
}

}  // namespace sim::io
