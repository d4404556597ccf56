#include "sim/config/input_file.h"

#include <fstream>
#include <system_error>

#include <fmt/format.h>

#include "sim/core/error.h"

namespace sim::config {

std::string read_input_file(const std::filesystem::path& path, const std::string& display,
                            const std::string& what, std::uintmax_t limit) {
  const std::string expected = "a readable " + what;
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    throw ConfigError(SourcePosition{display, 0, 0}, "", "cannot read " + what, "a folder",
                      expected);
  }
  std::ifstream stream(path, std::ios::binary);
  if (!stream) {
    throw ConfigError(SourcePosition{display, 0, 0}, "", "cannot open " + what,
                      "\"" + path.string() + "\"", expected);
  }
  const auto too_large = [&] {
    throw ConfigError(SourcePosition{display, 0, 0}, "", what + " too large",
                      fmt::format("more than {} MiB", limit >> 20),
                      fmt::format("at most {} MiB, the input size limit", limit >> 20));
  };
  // A regular file's size is known up front; anything else is read in chunks up to the limit.
  std::string text;
  if (std::filesystem::is_regular_file(path, error)) {
    const std::uintmax_t size = std::filesystem::file_size(path, error);
    if (!error && size > limit) too_large();
    // Room for it all at once, not grown chunk by chunk (a calibration reads its data files
    // for every particle it tries).
    if (!error) text.reserve(static_cast<std::size_t>(size));
  }
  char buffer[1 << 16];
  while (stream.read(buffer, sizeof buffer) || stream.gcount() > 0) {
    text.append(buffer, static_cast<std::size_t>(stream.gcount()));
    if (text.size() > limit) too_large();
  }
  if (stream.bad()) {
    throw ConfigError(SourcePosition{display, 0, 0}, "", "cannot read " + what,
                      "\"" + path.string() + "\"", expected);
  }
  return text;
}

}  // namespace sim::config
