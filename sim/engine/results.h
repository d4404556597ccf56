#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sim/engine/model.h"

namespace sim {

/// Summary statistics of one variable over replicates, for every cell. A cell is
/// (scenario, year, member) for member-level variables, index `(s * years + y) * members + m`,
/// and (scenario, year) for global ones, index `s * years + y`.
struct VariableSummary {
  std::vector<double> mean, sd, mcse, min, max;
  /// `cell * quantile_levels.size() + q`.
  std::vector<double> quantiles;
  /// Non-missing values per cell (equals replicates unless the variable may be missing).
  std::vector<std::int64_t> count;
  /// Wilson 95% interval of the mean; binary variables only, empty otherwise.
  std::vector<double> wilson_low, wilson_high;
};

/// Paired differences of one variable to the reference scenario (same cell indexing).
struct VariableDifference {
  std::vector<double> mean, mcse, ci_low, ci_high;
};

/// Everything one study produced; what the HDF5 writer writes and the reader reads back.
struct Results {
  std::vector<std::string> scenarios;
  std::vector<std::string> scenario_descriptions;
  /// Optional human-readable label and group of each scenario (empty vectors: not written).
  std::vector<std::string> scenario_labels;
  std::vector<std::string> scenario_groups;
  /// Name of the scenario axis in the file: "scenario" for a study, "design_point" for a sweep.
  std::string scenario_dimension = "scenario";
  /// A sweep's swept parameters: one coordinate along the design-point axis per dotted key.
  struct DesignParameter {
    std::string key;
    std::vector<double> values;
  };
  std::vector<DesignParameter> design_parameters;
  /// Names of the member and time axes, from the model's schema (ModelSchema::member_axis,
  /// time_axis): the dimensions and coordinates of `members` and `years`; the member names go
  /// to `<member_axis>_name`. Written as the root attributes `member_dimension` and
  /// `time_dimension`; files without them have "member" and "year".
  std::string member_axis = "member";
  std::string time_axis = "year";
  /// long_name of the member and time coordinates.
  std::string member_axis_long_name = "member code";
  std::string time_axis_long_name = "calendar year";
  std::vector<int> years;
  std::vector<std::string> members;
  std::vector<std::string> member_names;
  std::vector<double> quantile_levels;
  std::int64_t replicates = 0;
  std::uint64_t seed = 0;
  std::vector<VariableSpec> variables;
  /// Parallel to `variables`.
  std::vector<VariableSummary> summaries;

  /// Index into `scenarios` of the reference scenario, or -1 when the study names none.
  int reference_scenario = -1;
  /// Parallel to `variables` when a reference exists, else empty. Cells of the reference itself
  /// hold zeros.
  std::vector<VariableDifference> differences;

  /// Per-replicate values, parallel to `variables`, when trajectories were requested: index
  /// `((s * replicates + r) * years + y) * members + m` (member-level) or `(s * replicates + r) *
  /// years + y` (global).
  bool has_trajectories = false;
  std::vector<std::vector<double>> trajectories;

  /// `natosim run --store-draws`: each replicate's draw of every uncertain model parameter,
  /// written as `draw_<key with '.' as '_'>` over `replicate` (or scenario x replicate when the
  /// scenarios draw differently).
  struct ParameterDraws {
    /// Dotted `[model]` key, e.g. "economy.volatility".
    std::string key;
    /// The distribution as text, e.g. "uniform(low=0.015, high=0.03)" (the first scenario's).
    std::string distribution;
    bool per_scenario = false;
    /// [replicate], or [scenario * replicates + replicate] when per_scenario.
    std::vector<double> values;
  };
  std::vector<ParameterDraws> draws;

  /// The event table: engine columns `scenario`, `replicate` and the time column (named
  /// `time_axis`) first, then the model's.
  std::vector<EventColumnSpec> event_columns;
  /// Parallel to `event_columns`; each holds one value per event, in (scenario, replicate, time)
  /// order.
  std::vector<std::vector<double>> event_values;

  /// Provenance written as root attributes (natosim_version, git_commit, build_type, compiler,
  /// library_versions, created_utc, command_line, config_text, config_sha256, study_name, ...).
  std::map<std::string, std::string> attributes;

  std::size_t member_count() const { return members.size(); }
  std::size_t year_count() const { return years.size(); }
  /// Cells of one variable: scenarios * years (* members for member-level variables).
  std::size_t cells(const VariableSpec& variable) const {
    const std::size_t base = scenarios.size() * years.size();
    return variable.level == Level::member ? base * members.size() : base;
  }
};

/// One merged block of one scenario: what the runner hands a ResultsSink at a block boundary.
struct ResultsBlock {
  std::size_t scenario = 0;
  /// Replicates first_replicate .. first_replicate + replicates - 1.
  std::int64_t first_replicate = 0;
  std::int64_t replicates = 0;
  /// Per variable, when trajectories are kept (else empty): the block's values, row-major
  /// [replicate in block][year] or [replicate in block][year][member].
  std::vector<std::vector<double>> trajectories;
  /// Per event column (Results::event_columns: scenario, replicate, year, then the model's), the
  /// block's events in (replicate, year) order; empty when no event table is kept.
  std::vector<std::vector<double>> events;
  /// What ResultsSink::encode made of the trajectories (e.g. compressed chunks), per variable.
  /// Opaque to the engine.
  std::vector<std::vector<unsigned char>> encoded;
};

/// Where the runner puts a study's results as it produces them (sim/io writes them to a file;
/// run_study without a sink collects them in memory). Calls come in this order: begin, then
/// add_block for every (block, scenario) in the fixed merge order, then finish.
class ResultsSink {
 public:
  virtual ~ResultsSink() = default;
  /// Once, before any block. `layout` holds the axes, variables, seed, reference and event
  /// columns; no summaries, differences, trajectories or event values. Every block but the last
  /// of a scenario holds `block_size` replicates, and blocks start at multiples of it.
  virtual void begin(const Results& layout, std::int64_t block_size) = 0;
  /// From worker threads, concurrently for different blocks, before the block is merged: may
  /// fill `block.encoded` from the trajectories. Must not change the sink. Default: nothing.
  virtual void encode(ResultsBlock& /*block*/) const {}
  /// Each block, from one thread at a time, in the fixed merge order: (block, scenario) with the
  /// reference scenario first within a block.
  virtual void add_block(const ResultsBlock& block) = 0;
  /// Once after the last block: the layout plus the summaries and paired differences (no
  /// trajectories or event values; those came with the blocks). The sink owns them: one that
  /// keeps them takes them without a copy (a study's summaries are megabytes a scenario).
  virtual void finish(Results summaries) = 0;
};

}  // namespace sim
