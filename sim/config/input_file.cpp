#include "sim/config/input_file.h"

#include <atomic>
#include <fstream>
#include <map>
#include <mutex>
#include <system_error>

#include <fmt/format.h>

#include "sim/core/error.h"

namespace sim::config {

namespace {

std::mutex g_freeze_mutex;
int g_freeze_depth = 0;
std::uint64_t g_last_epoch = 0;
std::atomic<std::uint64_t> g_epoch{0};

/// Files read while the inputs are frozen, by path, with the epoch they were read in.
std::mutex g_read_mutex;
std::uint64_t g_read_epoch = 0;
std::map<std::string, std::string, std::less<>> g_read;

}  // namespace

std::string read_input_file(const std::filesystem::path& path, const std::string& display,
                            const std::string& what, std::uintmax_t limit) {
  // Read before while the inputs are frozen: the same bytes (see FrozenInputs).
  const std::uint64_t epoch = frozen_inputs_epoch();
  if (epoch != 0) {
    const std::lock_guard lock(g_read_mutex);
    const auto found = g_read.find(path.native());
    if (g_read_epoch == epoch && found != g_read.end() && found->second.size() <= limit) {
      return found->second;
    }
  }
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
  if (epoch != 0) {
    const std::lock_guard lock(g_read_mutex);
    if (g_read_epoch != epoch) {
      g_read.clear();
      g_read_epoch = epoch;
    }
    g_read.insert_or_assign(path.native(), text);
  }
  return text;
}

FrozenInputs::FrozenInputs() {
  const std::lock_guard lock(g_freeze_mutex);
  if (g_freeze_depth++ == 0) g_epoch.store(++g_last_epoch);
}

FrozenInputs::~FrozenInputs() {
  const std::lock_guard lock(g_freeze_mutex);
  if (--g_freeze_depth == 0) g_epoch.store(0);
}

std::uint64_t frozen_inputs_epoch() { return g_epoch.load(); }

}  // namespace sim::config
