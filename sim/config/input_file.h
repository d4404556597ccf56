#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace sim::config {

/// The largest input file natosim reads (a study, a base study, a data or design CSV): 64 MiB.
/// The shipped inputs are a few hundred KiB; the limit keeps /dev/zero or a huge file from
/// exhausting memory.
inline constexpr std::uintmax_t kMaxInputBytes = std::uintmax_t{64} << 20;

/// Reads a whole input file. `display` names it in messages and `what` says what it is ("config
/// file", "data file"). Throws ConfigError `DISPLAY: problem, got X (expected Y)` when the path
/// is a folder, cannot be opened or holds more than `limit` bytes; the size is checked while
/// reading, so a device or a FIFO cannot exhaust memory either.
std::string read_input_file(const std::filesystem::path& path, const std::string& display,
                            const std::string& what, std::uintmax_t limit = kMaxInputBytes);

/// While one exists, inputs found or read once are taken as unchanged and not checked again:
/// the files Table::existing_file has found, and what a model's loader has read and marks with
/// frozen_inputs_epoch(). For a run that builds many models from the same inputs (a calibration's
/// particles, a sensitivity design: PointModelBuilder holds one), whose first builds check and
/// read the files and whose later ones use that reading: a model costs no system calls for its
/// files, and an edit made while the run goes on cannot mix two versions of the data in one
/// result. Scopes nest, on any threads; the outermost starts a new epoch, so that nothing checked
/// before it is trusted.
class FrozenInputs {
 public:
  FrozenInputs();
  ~FrozenInputs();
  FrozenInputs(const FrozenInputs&) = delete;
  FrozenInputs& operator=(const FrozenInputs&) = delete;
};

/// The epoch of the FrozenInputs now in force (1, 2, ...), or 0 when there is none. An input
/// checked or read while it is k > 0 may be trusted as long as it stays k.
std::uint64_t frozen_inputs_epoch();

/// Whether `path` was found (a readable file) in the freeze now in force; false when none is.
bool found_in_freeze(const std::filesystem::path& path);
/// Notes that `path` was found, for the rest of the freeze now in force (nothing without one).
void note_found_in_freeze(const std::filesystem::path& path);

}  // namespace sim::config
