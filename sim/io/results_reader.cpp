#include "sim/io/results_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include "sim/core/error.h"
#include "sim/io/h5_file.h"
#include "sim/io/results_schema.h"

namespace sim::io {

namespace fs = std::filesystem;

namespace {

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

}  // namespace

ResultsFileContents read_results_contents(const fs::path& path, bool metadata_only) {
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
  ResultsFileContents contents;
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
  // The model names the member and time axes; files without the attributes have the defaults.
  if (file.has_attribute("member_dimension")) {
    r.member_axis = file.read_string_attribute("member_dimension");
  }
  if (file.has_attribute("time_dimension")) {
    r.time_axis = file.read_string_attribute("time_dimension");
  }
  {
    const H5Dataset time = file.open_dataset(r.time_axis);
    if (time.has_attribute("long_name")) {
      r.time_axis_long_name = time.read_string_attribute("long_name");
    }
    const std::vector<std::int32_t> years = time.read<std::int32_t>();
    r.years.assign(years.begin(), years.end());
  }
  r.members = read_strings_1d(file, r.member_axis);
  if (const H5Dataset member = file.open_dataset(r.member_axis);
      member.has_attribute("long_name")) {
    r.member_axis_long_name = member.read_string_attribute("long_name");
  }
  r.member_names = read_dataset<std::string>(file, r.member_axis + "_name", {r.members.size()});
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

Results read_results(const fs::path& file) { return read_results_contents(file, false).results; }

}  // namespace sim::io
