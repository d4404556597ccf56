#include "sim/io/results_writer.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sim/core/error.h"
#include "sim/io/h5_file.h"
#include "sim/io/output_path.h"
#include "sim/io/results_schema.h"

namespace sim::io {
namespace {

namespace fs = std::filesystem;

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

}  // namespace

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

std::string hdf5_library_version() { return H5File::library_version(); }

}  // namespace sim::io
