#include "sim/io/results_writer.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "sim/core/error.h"
#include "sim/io/chunk_codec.h"
#include "sim/io/event_spool.h"
#include "sim/io/h5_file.h"
#include "sim/io/output_path.h"
#include "sim/io/results_schema.h"

namespace sim::io {
namespace {

namespace fs = std::filesystem;

/// Rows per chunk of the event table's columns (they grow as the events come).
constexpr std::uint64_t kEventChunkRows = 16384;
/// Event values handed to HDF5 at a time at the end of a run.
constexpr std::size_t kEventPiece = std::size_t{1} << 20;

// The open dimension scales, kept open while data variables are attached to them.
struct Axes {
  std::optional<H5Dataset> scenario, year, member, quantile, replicate, event;
};

struct Axis {
  const H5Dataset* scale;
  std::uint64_t length;
};

DatasetLayout event_layout(int compression) {
  DatasetLayout layout;
  layout.chunk = {kEventChunkRows};
  layout.gzip_level = compression;
  layout.shuffle = compression > 0;
  layout.extendible = true;
  return layout;
}

// Creates a dataset over `axes` (dimension scales attached) holding `data`, or left to be
// written later when `data` is null.
template <class T>
H5Dataset create_variable(H5File& file, const std::string& name, const std::vector<Axis>& axes,
                          const std::vector<T>* data, const DatasetLayout& layout = {}) {
  std::vector<std::uint64_t> dims;
  dims.reserve(axes.size());
  for (const Axis& axis : axes) dims.push_back(axis.length);
  H5Dataset dataset = data != nullptr ? file.create_dataset<T>(name, dims, *data, layout)
                                      : file.create_empty_dataset<T>(name, dims, layout);
  for (std::size_t i = 0; i < axes.size(); ++i) {
    dataset.attach_dimension_scale(*axes[i].scale, static_cast<unsigned>(i));
  }
  return dataset;
}

void describe_dataset(H5Dataset& dataset, const std::string& units, const std::string& long_name) {
  dataset.write_string_attribute("units", units);
  dataset.write_string_attribute("long_name", long_name);
}

void write_coordinates(H5File& file, const Results& r, Axes& axes, int compression) {
  const std::string& dimension = r.scenario_dimension;
  axes.scenario = file.create_string_dataset(dimension, r.scenarios);
  axes.scenario->make_dimension_scale(dimension);
  axes.scenario->write_string_attribute("long_name", snake_to_words(dimension));

  std::vector<std::int32_t> years(r.years.begin(), r.years.end());
  const std::uint64_t year_dims[1] = {years.size()};
  // The member and time axes are named by the model (the alliance model's: member, year).
  axes.year = file.create_dataset<std::int32_t>(r.time_axis, year_dims, years);
  axes.year->make_dimension_scale(r.time_axis);
  axes.year->write_string_attribute("long_name", r.time_axis_long_name);

  axes.member = file.create_string_dataset(r.member_axis, r.members);
  axes.member->make_dimension_scale(r.member_axis);
  axes.member->write_string_attribute("long_name", r.member_axis_long_name);

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
    // Grows at finish(), when the events are known.
    const std::uint64_t dims[1] = {0};
    axes.event = file.create_empty_dataset<std::int64_t>("event", dims, event_layout(compression));
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
        create_variable(file, draw_dataset_name(draws.key), axes_of_draw, &draws.values);
    values.write_string_attribute("long_name", "drawn value of model parameter " + draws.key);
    values.write_string_attribute("key", draws.key);
    values.write_string_attribute("distribution", draws.distribution);
    values.close();
  }
  H5Dataset names = file.create_string_dataset(r.member_axis + "_name", r.member_names);
  names.attach_dimension_scale(*axes.member, 0);
  names.write_string_attribute("long_name", snake_to_words(r.member_axis) + " name");
  names.close();
}

// Creates a variable's datasets, empty but for their attributes; finish() fills the summaries and
// add_block() the trajectory's chunks. `trajectory` is the trajectory's layout (unused without).
void create_variable_group(H5File& file, const Results& r, const Axes& axes, std::size_t v,
                           bool differences, const DatasetLayout& trajectory) {
  const VariableSpec& variable = r.variables[v];
  const std::string& name = variable.name;
  std::vector<Axis> cells = {{&*axes.scenario, r.scenarios.size()}, {&*axes.year, r.years.size()}};
  if (variable.level == Level::member) cells.push_back({&*axes.member, r.members.size()});
  const std::vector<double>* later = nullptr;

  for (const Statistic& statistic : kMoments) {
    H5Dataset dataset = create_variable(file, name + statistic.suffix, cells, later);
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
  H5Dataset quantiles = create_variable(file, name + "_quantiles", quantile_cells, later);
  describe_dataset(quantiles, variable.units, statistic_long_name(variable, kQuantilesDescription));
  quantiles.close();

  if (variable.may_be_missing) {
    const std::vector<std::int64_t>* counts = nullptr;
    H5Dataset count = create_variable(file, name + "_count", cells, counts);
    describe_dataset(count, "1", statistic_long_name(variable, kCountDescription));
    count.close();
  }
  if (variable.binary) {
    H5Dataset low = create_variable(file, name + "_wilson_low", cells, later);
    describe_dataset(low, variable.units, statistic_long_name(variable, kWilsonLowDescription));
    low.close();
    H5Dataset high = create_variable(file, name + "_wilson_high", cells, later);
    describe_dataset(high, variable.units, statistic_long_name(variable, kWilsonHighDescription));
    high.close();
  }
  if (differences) {
    const std::string& reference = r.scenarios[static_cast<std::size_t>(r.reference_scenario)];
    for (const DifferenceStatistic& statistic : kDifferences) {
      H5Dataset dataset = create_variable(file, name + statistic.suffix, cells, later);
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
    DatasetLayout layout = trajectory;
    if (variable.level != Level::member) layout.chunk.pop_back();
    H5Dataset dataset = create_variable(file, name, axes_of_run, later, layout);
    describe_dataset(dataset, variable.units,
                     variable.long_name.empty() ? variable.name : variable.long_name);
    dataset.close();
  }
}

void create_event_columns(H5File& file, const Results& r, const Axes& axes, int compression) {
  const std::vector<Axis> event_axis = {{&*axes.event, 0}};
  for (const EventColumnSpec& column : r.event_columns) {
    const std::string name = "event_" + column.name;
    std::optional<H5Dataset> dataset;
    if (is_integer_column(column, r.time_axis)) {
      const std::vector<std::int32_t>* later = nullptr;
      dataset = create_variable(file, name, event_axis, later, event_layout(compression));
    } else {
      const std::vector<double>* later = nullptr;
      dataset = create_variable(file, name, event_axis, later, event_layout(compression));
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

void write_root_attributes(H5File& file, const Results& r) {
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
  file.write_string_attribute("member_dimension", r.member_axis);
  file.write_string_attribute("time_dimension", r.time_axis);
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
}

template <class T>
void fill(H5File& file, const std::string& name, const std::vector<T>& values) {
  file.open_dataset(name).write<T>(values);
}

void fill_variable_group(H5File& file, const Results& r, std::size_t v, bool differences) {
  const VariableSpec& variable = r.variables[v];
  const std::string& name = variable.name;
  if (v >= r.summaries.size()) {
    throw std::invalid_argument("results: no summaries for variable '" + name + "'");
  }
  const VariableSummary& summary = r.summaries[v];
  for (const Statistic& statistic : kMoments) {
    fill(file, name + statistic.suffix, summary.*statistic.values);
  }
  fill(file, name + "_quantiles", summary.quantiles);
  if (variable.may_be_missing) fill(file, name + "_count", summary.count);
  if (variable.binary) {
    fill(file, name + "_wilson_low", summary.wilson_low);
    fill(file, name + "_wilson_high", summary.wilson_high);
  }
  if (differences) {
    if (v >= r.differences.size()) {
      throw std::invalid_argument("results: no paired differences for variable '" + name + "'");
    }
    for (const DifferenceStatistic& statistic : kDifferences) {
      fill(file, name + statistic.suffix, r.differences[v].*statistic.values);
    }
  }
}

void throw_if_stopped(const std::atomic<bool>* stop) {
  if (stop != nullptr && stop->load()) throw Interrupted();
}

void remove_quietly(const fs::path& path) {
  std::error_code ignored;
  fs::remove(path, ignored);
}

}  // namespace

struct ResultsFileWriter::State {
  explicit State(H5File created) : file(std::move(created)) {}
  H5File file;
  /// The annotated layout (no values).
  Results layout;
  bool differences = false;
  /// Replicates per trajectory chunk (the block size, at most the replicates).
  std::uint64_t chunk_replicates = 1;
  /// Values of one replicate, per variable (years, times members for member-level ones).
  std::vector<std::size_t> per_replicate;
  /// The trajectory datasets, open during the run.
  std::vector<H5Dataset> trajectories;
  std::optional<EventSpool> events;
};

ResultsFileWriter::ResultsFileWriter(fs::path out, bool force, WriterOptions options)
    : out_(std::move(out)), force_(force), options_(std::move(options)) {
  if (options_.compression < 0 || options_.compression > 9) {
    throw std::invalid_argument("compression level " + std::to_string(options_.compression) +
                                " is not in 0..9");
  }
  check_output_path(out_, force_, kFileType);
}

ResultsFileWriter::~ResultsFileWriter() {
  if (committed_) return;
  // Close HDF5's handles first (quietly), then the partial file goes.
  state_.reset();
  remove_quietly(partial_path(out_));
}

void ResultsFileWriter::begin(const Results& layout, std::int64_t block_size) {
  throw_if_stopped(options_.stop);
  if (state_) throw std::logic_error("ResultsFileWriter: begin called twice");
  Results annotated = layout;
  if (options_.annotate) options_.annotate(annotated);
  validate_layout(annotated);
  const fs::path partial = partial_path(out_);
  state_ = std::make_unique<State>(H5File::create_on_disk(partial));
  State& state = *state_;
  state.layout = std::move(annotated);
  const Results& r = state.layout;
  state.differences = r.reference_scenario >= 0 && options_.differences;
  state.chunk_replicates = static_cast<std::uint64_t>(
      std::clamp<std::int64_t>(block_size, 1, std::max<std::int64_t>(r.replicates, 1)));
  for (const VariableSpec& variable : r.variables) {
    state.per_replicate.push_back(r.years.size() *
                                  (variable.level == Level::member ? r.members.size() : 1));
  }

  H5File& file = state.file;
  write_root_attributes(file, r);
  Axes axes;
  write_coordinates(file, r, axes, options_.compression);
  // A trajectory chunk is one scenario x one block of replicates x all years (x all members): a
  // block fills whole chunks, so each is compressed once, on a worker thread, and written once;
  // reading one variable over all replicates reads whole chunks of that variable only.
  DatasetLayout trajectory;
  trajectory.chunk = {1, state.chunk_replicates, std::max<std::uint64_t>(r.years.size(), 1),
                      std::max<std::uint64_t>(r.members.size(), 1)};
  trajectory.gzip_level = options_.compression;
  trajectory.shuffle = options_.compression > 0;
  for (std::size_t v = 0; v < r.variables.size(); ++v) {
    throw_if_stopped(options_.stop);
    create_variable_group(file, r, axes, v, state.differences, trajectory);
  }
  if (!r.event_columns.empty()) {
    create_event_columns(file, r, axes, options_.compression);
    state.events.emplace(out_.parent_path(), r.event_columns.size());
  }
  for (std::optional<H5Dataset>* scale :
       {&axes.scenario, &axes.year, &axes.member, &axes.quantile, &axes.replicate, &axes.event}) {
    if (scale->has_value()) (*scale)->close();
  }
  if (r.has_trajectories) {
    for (const VariableSpec& variable : r.variables) {
      state.trajectories.push_back(file.open_dataset(variable.name));
    }
  }
  file.check_disk();
}

void ResultsFileWriter::encode(ResultsBlock& block) const {
  if (!state_ || block.trajectories.empty()) return;
  const State& state = *state_;
  block.encoded.resize(block.trajectories.size());
  for (std::size_t v = 0; v < block.trajectories.size(); ++v) {
    encode_chunk(block.trajectories[v], state.chunk_replicates * state.per_replicate[v],
                 options_.compression, block.encoded[v]);
  }
}

void ResultsFileWriter::add_block(const ResultsBlock& block) {
  if (!state_ || finished_) throw std::logic_error("ResultsFileWriter: add_block outside a run");
  State& state = *state_;
  const Results& r = state.layout;
  if (r.has_trajectories && block.replicates > 0) {
    if (block.trajectories.size() != r.variables.size() ||
        block.encoded.size() != r.variables.size()) {
      throw std::invalid_argument("results: a block without every variable's trajectory");
    }
    const auto first = static_cast<std::uint64_t>(block.first_replicate);
    if (first % state.chunk_replicates != 0) {
      throw std::invalid_argument("results: a block that does not start a trajectory chunk");
    }
    for (std::size_t v = 0; v < r.variables.size(); ++v) {
      if (state.per_replicate[v] == 0) continue;
      const std::uint64_t offset[4] = {block.scenario, first, 0, 0};
      const std::size_t rank = r.variables[v].level == Level::member ? 4 : 3;
      state.trajectories[v].write_chunk(std::span<const std::uint64_t>(offset, rank),
                                        block.encoded[v]);
    }
  }
  if (state.events && !block.events.empty()) state.events->add(block.scenario, block.events);
  state.file.check_disk();
}

void ResultsFileWriter::finish(Results summaries) {
  if (!state_ || finished_) throw std::logic_error("ResultsFileWriter: finish outside a run");
  State& state = *state_;
  const Results& r = state.layout;
  H5File& file = state.file;
  for (H5Dataset& dataset : state.trajectories) dataset.close();
  state.trajectories.clear();
  for (std::size_t v = 0; v < r.variables.size(); ++v) {
    throw_if_stopped(options_.stop);
    fill_variable_group(file, summaries, v, state.differences);
  }
  if (state.events) {
    throw_if_stopped(options_.stop);
    const EventSpool& events = *state.events;
    H5Dataset scale = file.open_dataset("event");
    std::vector<std::int64_t> indices;
    for (std::uint64_t start = 0; start < events.rows(); start += kEventPiece) {
      indices.resize(std::min<std::uint64_t>(kEventPiece, events.rows() - start));
      for (std::size_t i = 0; i < indices.size(); ++i) {
        indices[i] = static_cast<std::int64_t>(start + i);
      }
      scale.append<std::int64_t>(indices);
    }
    scale.close();
    std::vector<std::int32_t> integers;
    for (std::size_t c = 0; c < r.event_columns.size(); ++c) {
      const EventColumnSpec& column = r.event_columns[c];
      H5Dataset dataset = file.open_dataset("event_" + column.name);
      const bool integer = is_integer_column(column, r.time_axis);
      events.replay(c, kEventPiece, [&](std::span<const double> values) {
        if (!integer) {
          dataset.append<double>(values);
          return;
        }
        integers.resize(values.size());
        for (std::size_t i = 0; i < values.size(); ++i) {
          check_event_value(column, r.time_axis, values[i]);
          integers[i] = static_cast<std::int32_t>(values[i]);
        }
        dataset.append<std::int32_t>(integers);
      });
      dataset.close();
    }
    state.events.reset();
  }
  throw_if_stopped(options_.stop);
  file.close();
  finished_ = true;
}

void ResultsFileWriter::commit() {
  if (!finished_) throw std::logic_error("ResultsFileWriter: commit before finish");
  throw_if_stopped(options_.stop);
  // Whatever appeared under the name meanwhile gets the same policy as at the start.
  check_output_path(out_, force_, kFileType);
  const fs::path partial = partial_path(out_);
  std::error_code error;
  fs::rename(partial, out_, error);
  if (error) {
    throw OutputError(out_.string() + ": cannot rename " + partial.string() +
                      " onto it: " + error.message());
  }
  committed_ = true;
}

namespace {

// Everything of `results` but the values (summaries, differences, trajectories, events).
Results layout_of(const Results& results) {
  Results layout;
  layout.scenarios = results.scenarios;
  layout.scenario_descriptions = results.scenario_descriptions;
  layout.scenario_labels = results.scenario_labels;
  layout.scenario_groups = results.scenario_groups;
  layout.scenario_dimension = results.scenario_dimension;
  layout.design_parameters = results.design_parameters;
  layout.member_axis = results.member_axis;
  layout.member_axis_long_name = results.member_axis_long_name;
  layout.time_axis = results.time_axis;
  layout.time_axis_long_name = results.time_axis_long_name;
  layout.years = results.years;
  layout.members = results.members;
  layout.member_names = results.member_names;
  layout.quantile_levels = results.quantile_levels;
  layout.replicates = results.replicates;
  layout.seed = results.seed;
  layout.variables = results.variables;
  layout.reference_scenario = results.reference_scenario;
  layout.has_trajectories = results.has_trajectories;
  layout.draws = results.draws;
  layout.event_columns = results.event_columns;
  layout.attributes = results.attributes;
  return layout;
}

}  // namespace

void write_results(const Results& results, const fs::path& out, bool force,
                   const std::atomic<bool>* stop, int compression) {
  check_output_path(out, force, kFileType);
  validate_results(results);
  WriterOptions options;
  options.compression = compression;
  options.stop = stop;
  options.differences = has_differences(results);
  ResultsFileWriter writer(out, force, options);
  constexpr std::int64_t kBlock = 64;
  writer.begin(layout_of(results), kBlock);
  if (results.has_trajectories) {
    const auto replicates = static_cast<std::size_t>(results.replicates);
    for (std::size_t s = 0; s < results.scenarios.size(); ++s) {
      for (std::int64_t first = 0; first < results.replicates; first += kBlock) {
        ResultsBlock block;
        block.scenario = s;
        block.first_replicate = first;
        block.replicates = std::min(kBlock, results.replicates - first);
        for (std::size_t v = 0; v < results.variables.size(); ++v) {
          const std::size_t per_replicate =
              results.cells(results.variables[v]) / results.scenarios.size();
          const auto begin =
              results.trajectories[v].begin() +
              static_cast<std::ptrdiff_t>((s * replicates + static_cast<std::size_t>(first)) *
                                          per_replicate);
          block.trajectories.emplace_back(
              begin, begin + static_cast<std::ptrdiff_t>(
                                 static_cast<std::size_t>(block.replicates) * per_replicate));
        }
        writer.encode(block);
        writer.add_block(block);
      }
    }
  }
  if (!results.event_columns.empty()) {
    // The events as given, in their order.
    ResultsBlock events;
    events.events = results.event_values;
    writer.add_block(events);
  }
  writer.finish(results);
  writer.commit();
}

std::string hdf5_library_version() { return H5File::library_version(); }

}  // namespace sim::io
