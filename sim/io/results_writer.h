#pragma once

#include <atomic>
#include <filesystem>
#include <string>

#include "sim/engine/results.h"

namespace sim::io {

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

}  // namespace sim::io
