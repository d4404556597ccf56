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

}  // namespace sim::config
