#pragma once

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

  /// The event table: engine columns `scenario`, `replicate`, `year` first, then the model's.
  std::vector<EventColumnSpec> event_columns;
  /// Parallel to `event_columns`; each holds one value per event, in (scenario, replicate, year)
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

}  // namespace sim
