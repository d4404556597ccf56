#include "sim/config/input_file.h"

#include <atomic>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <system_error>

#include <fmt/format.h>

#include "sim/core/error.h"

namespace sim::config {

namespace {

std::mutex g_freeze_mutex;
int g_freeze_depth = 0;
std::uint64_t g_last_epoch = 0;
std::atomic<std::uint64_t> g_epoch{0};

/// What was found and read in the freeze of `epoch`: files found, and files' bytes, by path.
struct FreezeMemory {
  std::mutex mutex;
  std::uint64_t epoch = 0;
  std::set<std::string, std::less<>> found;
  std::map<std::string, std::string, std::less<>> read;

  /// Forgets an earlier freeze's inputs. Called with `mutex` held.
  void enter(std::uint64_t now) {
    if (epoch == now) return;
    found.clear();
    read.clear();
    epoch = now;
  }
};
FreezeMemory g_memory;

}  // namespace

std::string read_input_file(const std::filesystem::path& path, const std::string& display,
                            const std::string& what, std::uintmax_t limit) {
  // Read before while the inputs are frozen: the same bytes (see FrozenInputs).
  const std::uint64_t epoch = frozen_inputs_epoch();
  if (epoch != 0) {
    const std::lock_guard lock(g_memory.mutex);
    g_memory.enter(epoch);
    const auto found = g_memory.read.find(path.native());
    if (found != g_memory.read.end() && found->second.size() <= limit) return found->second;
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
    const std::lock_guard lock(g_memory.mutex);
    g_memory.enter(epoch);
    g_memory.read.insert_or_assign(path.native(), text);
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

bool found_in_freeze(const std::filesystem::path& path) {
  const std::uint64_t epoch = frozen_inputs_epoch();
  if (epoch == 0) return false;
  const std::lock_guard lock(g_memory.mutex);
  g_memory.enter(epoch);
  return g_memory.found.contains(path.native());
}

void note_found_in_freeze(const std::filesystem::path& path) {
  const std::uint64_t epoch = frozen_inputs_epoch();
  if (epoch == 0) return;
  const std::lock_guard lock(g_memory.mutex);
  g_memory.enter(epoch);
  g_memory.found.insert(path.native());
}

}  // namespace sim::config
