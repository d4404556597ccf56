#pragma once

#include <atomic>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "sim/analysis/abc_smc.h"
#include "sim/config/uncertain.h"

namespace sim::io {

/// Value of the root attribute `file_type` that marks a natosim calibration file.
inline constexpr const char* kCalibrationFileType = "natosim_calibration";
/// Version of the calibration file layout (docs/OUTPUT.md, "Calibration files").
inline constexpr const char* kCalibrationSchemaVersion = "1.0";

/// Everything a calibration file holds: the parameters and their priors, the targets, every
/// generation, why it stopped (empty in a checkpoint of an unfinished run) and string
/// attributes (settings and provenance).
struct CalibrationData {
  std::string model;
  std::vector<std::string> parameters;
  /// e.g. "uniform(low=0, high=1)", one per parameter.
  std::vector<std::string> priors;
  /// Target labels (e.g. "defence_share[PL]@2025"), observed values, scales, weights.
  std::vector<std::string> targets;
  std::vector<double> observed;
  std::vector<double> scales;
  std::vector<double> weights;
  std::size_t population = 0;
  std::uint64_t seed = 0;
  std::vector<analysis::AbcGeneration> generations;
  std::string stop_reason;
  std::map<std::string, std::string> attributes;
};

/// Writes `data` as a self-describing, xarray-openable HDF5 file (dimensions generation,
/// particle, parameter, target) to partial_path(out), then renames it onto `out` (the policy of
/// check_output_path, sim/io/output_path.h). Throws OutputError, or Interrupted when `stop` is
/// set before the rename; on failure `out` is untouched and the partial file removed.
void write_calibration(const CalibrationData& data, const std::filesystem::path& out, bool force,
                       const std::atomic<bool>* stop = nullptr);

/// Writes a checkpoint (same layout, no stop_reason) durably: a temporary file beside `path`,
/// synced and renamed onto it, so a crash leaves either the old or the new checkpoint.
void write_calibration_checkpoint(const CalibrationData& data, const std::filesystem::path& path);

/// True when `file` is an HDF5 file whose file_type is natosim_calibration.
bool is_calibration_file(const std::filesystem::path& file);

/// Reads a calibration file or checkpoint. Throws OutputError when missing or malformed.
CalibrationData read_calibration(const std::filesystem::path& file);

/// The final posterior of a finished calibration file as a weighted sample (for studies'
/// `[model] posterior`). Throws ConfigError("FILE: problem") when the file is missing, not a
/// finished natosim calibration file, or holds no generation.
WeightedSample read_posterior(const std::filesystem::path& file);

/// A summary for `natosim info`: text or (json = true) one JSON object.
std::string describe_calibration(const std::filesystem::path& file, bool json);

}  // namespace sim::io
