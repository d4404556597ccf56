#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "sim/engine/results.h"

namespace sim::io {

/// What the reader found in a results file.
struct ResultsFileContents {
  /// The root attribute schema_version.
  std::string schema_version;
  /// Rows of the event table (also filled when only the metadata is read).
  std::uint64_t event_count = 0;
  Results results;
};

/// Reads a results file: everything the writer wrote, or (metadata_only) the axes, variables,
/// event columns and attributes without the values. Throws OutputError when `file` is missing,
/// not a natosim results file, of another major schema version, or malformed.
ResultsFileContents read_results_contents(const std::filesystem::path& file, bool metadata_only);

/// Reads back everything write_results wrote. Throws OutputError like read_results_contents.
Results read_results(const std::filesystem::path& file);

}  // namespace sim::io
