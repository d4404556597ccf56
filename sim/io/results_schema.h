#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "sim/engine/results.h"

namespace sim::io {

/// Version of the results file layout (docs/OUTPUT.md). Readers accept files of the same major.
inline constexpr const char* kSchemaVersion = "1.0";
/// Value of the root attribute `file_type` that marks a natosim results file.
inline constexpr const char* kFileType = "natosim_results";

/// Root attributes the writer owns; provenance keys must not take these names.
inline constexpr std::array<std::string_view, 13> kReservedAttributes = {
    "file_type",       "schema_version",     "seed",
    "replicates",      "reference_scenario", "variables",
    "event_columns",   "scenario_dimension", "member_dimension",
    "time_dimension",  "swept_parameters",   "coordinates",
    "drawn_parameters"};

/// True for the root attribute names in kReservedAttributes.
bool is_reserved_attribute(std::string_view key);

/// Dataset name of a parameter's stored draws: `draw_` + the dotted key with '.' as '_'.
std::string draw_dataset_name(const std::string& key);

/// "member" or "global": the `level` attribute of a variable's `_mean` dataset.
const char* level_name(Level level);

/// Engine columns (scenario, replicate and the time column, named `time_axis`) and categorical
/// columns hold integers and are stored as int32.
bool is_integer_column(const EventColumnSpec& column, const std::string& time_axis);

/// `parts` joined with `separator`.
std::string join(const std::vector<std::string>& parts, std::string_view separator);
/// `text` split at every `separator`; empty text gives no parts.
std::vector<std::string> split(const std::string& text, char separator);
/// "design_point" -> "design point".
std::string snake_to_words(std::string text);
/// "1.0" -> "1".
std::string major_version(const std::string& version);

/// One summary statistic of every variable, in the order they are written.
struct Statistic {
  /// Appended to the variable's name, e.g. "_mean".
  const char* suffix;
  /// Goes into the dataset's long_name.
  const char* description;
  std::vector<double> VariableSummary::*values;
};

inline constexpr std::array<Statistic, 5> kMoments = {{
    {"_mean", "mean over replicates", &VariableSummary::mean},
    {"_sd", "standard deviation over replicates", &VariableSummary::sd},
    {"_mcse", "Monte Carlo standard error of the mean", &VariableSummary::mcse},
    {"_min", "minimum over replicates", &VariableSummary::min},
    {"_max", "maximum over replicates", &VariableSummary::max},
}};

/// One paired-difference statistic of every variable.
struct DifferenceStatistic {
  const char* suffix;
  const char* description;
  std::vector<double> VariableDifference::*values;
};

inline constexpr std::array<DifferenceStatistic, 4> kDifferences = {{
    {"_diff_mean", "mean paired difference to the reference scenario", &VariableDifference::mean},
    {"_diff_mcse", "Monte Carlo standard error of the paired difference",
     &VariableDifference::mcse},
    {"_diff_ci_low", "lower bound of the 95% confidence interval of the paired difference",
     &VariableDifference::ci_low},
    {"_diff_ci_high", "upper bound of the 95% confidence interval of the paired difference",
     &VariableDifference::ci_high},
}};

inline constexpr const char* kQuantilesDescription = "quantiles over replicates";
inline constexpr const char* kCountDescription = "number of non-missing replicates";
inline constexpr const char* kWilsonLowDescription =
    "lower bound of the Wilson 95% interval of the mean";
inline constexpr const char* kWilsonHighDescription =
    "upper bound of the Wilson 95% interval of the mean";

/// "<long name or name> (<description>)": the long_name of a statistic's dataset.
std::string statistic_long_name(const VariableSpec& variable, const char* description);

/// True when `results` carries paired differences to a reference scenario.
bool has_differences(const Results& results);

/// Throws std::invalid_argument naming the first inconsistency of `results` (vector sizes that
/// do not match the axes, duplicate or invalid names, non-integer values in integer event
/// columns, attribute keys that collide with the reserved root attributes).
void validate_results(const Results& results);

/// validate_results without the values: the names, axes and attributes a streaming writer knows
/// before the run (summaries, differences, trajectories and event values may be empty).
void validate_layout(const Results& layout);

/// Throws std::invalid_argument unless `value` fits `column`: integer columns (is_integer_column)
/// hold integers in int32's range, categorical ones a category index.
/// `time_axis` names the engine's time column (Results::time_axis).
void check_event_value(const EventColumnSpec& column, const std::string& time_axis, double value);

}  // namespace sim::io
