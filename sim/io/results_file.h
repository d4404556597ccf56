#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <string>

#include "sim/engine/results.h"
#include "sim/io/output_path.h"

namespace sim::io {

/// Version of the results file layout (docs/OUTPUT.md). Readers accept files of the same major.
inline constexpr const char* kSchemaVersion = "1.0";
/// Value of the root attribute `file_type` that marks a natosim results file.
inline constexpr const char* kFileType = "natosim_results";

/// Writes `out` safely: `fill(partial)` writes the file partial_path(out), which is then renamed
/// onto `out` after check_output_path(out, force, file_type) holds again. On any failure the
/// partial file is removed, `out` is untouched, and the exception propagates (OutputError for the
/// file system). When `stop` becomes true (SIGINT/SIGTERM) before the rename, throws Interrupted
/// and leaves nothing under `out`'s name.
void write_via_partial(const std::filesystem::path& out, bool force, std::string_view file_type,
                       const std::function<void(const std::filesystem::path&)>& fill,
                       const std::atomic<bool>* stop = nullptr);

/// Throws std::invalid_argument naming the first inconsistency of `results` (vector sizes that
/// do not match the axes, duplicate or invalid names, non-integer values in integer event
/// columns, attribute keys that collide with the reserved root attributes).
void validate_results(const Results& results);

/// Writes `results` as a self-describing HDF5 file: first to partial_path(out), renamed onto
/// `out` once complete and closed. Checks the path (check_output_path, file type
/// natosim_results) and the results
/// (validate_results) before touching the disk. On failure the partial file is removed and `out`
/// is untouched. Throws OutputError (disk/HDF5) or std::invalid_argument (inconsistent results).
/// `stop`: as for write_via_partial, also checked between variables while the file is built.
void write_results(const Results& results, const std::filesystem::path& out, bool force,
                   const std::atomic<bool>* stop = nullptr);

/// Version of the HDF5 library the writer uses, "MAJOR.MINOR.RELEASE" (for provenance).
std::string hdf5_library_version();

/// Reads back everything write_results wrote. Throws OutputError when `file` is missing, not a
/// natosim results file, of another major schema version, or malformed.
Results read_results(const std::filesystem::path& file);

/// A summary of a results file for `natosim info`: readable text, or (json = true) one JSON
/// object with the same content. Reads metadata only. Throws OutputError like read_results.
std::string describe_results(const std::filesystem::path& file, bool json);

}  // namespace sim::io
