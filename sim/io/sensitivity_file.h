#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace sim::io {

/// Value of the root attribute `file_type` of a sensitivity file (docs/SENSITIVITY.md).
inline constexpr const char* kSensitivityFileType = "natosim_sensitivity";
inline constexpr const char* kSensitivitySchemaVersion = "1.0";

/// A named array over the `parameter` x `output` dims (row-major), with its long name.
struct IndexArray {
  std::string name;
  std::string long_name;
  std::vector<double> values;
};

/// Everything `natosim sensitivity` writes.
struct SensitivityResults {
  std::string method;
  std::vector<std::string> parameters;
  /// Per parameter: "range", "distribution" or "prior", and the marginal as text.
  std::vector<std::string> parameter_sources;
  std::vector<std::string> parameter_distributions;
  std::vector<std::string> outputs;
  /// Per output: what it measures, e.g. "allies_compliant@2035".
  std::vector<std::string> output_labels;
  /// S1, S1_ci_low, ..., mu_star, sigma: each parameter x output.
  std::vector<IndexArray> indices;
  /// S2, S2_ci_low, S2_ci_high: parameter x parameter_2 x output (empty without second order).
  std::vector<IndexArray> second_order;
  /// Per output.
  std::vector<double> noise_share;
  /// Per output: (noise variance / K) / variance of the per-point means, capped at 1 by nothing:
  /// the share of the analysed means' variance that independent noise would explain.
  std::vector<double> noise_share_of_means;
  std::vector<double> output_mean;
  std::vector<double> output_variance;
  /// Design: point x parameter (unit-cube coordinates and model values).
  std::size_t points = 0;
  std::int64_t replicates = 0;
  std::vector<double> design_unit;
  std::vector<double> design_values;
  /// Per point and output: mean and sd over the replicates (point x output).
  std::vector<double> point_mean;
  std::vector<double> point_sd;
  /// Provenance and settings, written as root string attributes.
  std::map<std::string, std::string> attributes;
};

/// Writes a sensitivity file (xarray-openable: every dim has a dimension scale) to
/// partial_path(out), then renames it onto `out`. Checks the path first (check_output_path).
/// Throws OutputError, or Interrupted when `stop` is set before the rename; on failure nothing is
/// left at `out` or its partial path.
void write_sensitivity(const SensitivityResults& results, const std::filesystem::path& out,
                       bool force, const std::atomic<bool>* stop = nullptr);

}  // namespace sim::io
