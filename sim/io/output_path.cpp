#include "sim/io/output_path.h"
#include "sim/io/shard_part.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <functional>
#include <string>
#include <system_error>

#include "sim/core/error.h"
#include "sim/io/h5_file.h"

namespace sim::io {

namespace fs = std::filesystem;

namespace {

void remove_quietly(const fs::path& path) {
  std::error_code ignored;
  fs::remove(path, ignored);
}

void throw_if_stopped(const std::atomic<bool>* stop) {
  if (stop != nullptr && stop->load()) throw Interrupted();
}

/// "natosim_results" -> "results": the kind as a message names it.
std::string kind_of(std::string_view file_type) {
  constexpr std::string_view prefix = "natosim_";
  if (file_type.substr(0, prefix.size()) == prefix) file_type.remove_prefix(prefix.size());
  return std::string(file_type);
}

/// The root attribute file_type of an existing file, "" when it is not HDF5 or has none.
std::string file_type_of(const fs::path& file) {
  try {
    if (is_shard_part(file)) return kShardPartFileType;
    if (!H5File::is_hdf5(file)) return "";
    const H5File h5 = H5File::open_read_only(file);
    if (!h5.has_attribute("file_type") || h5.attribute_type("file_type") != ElementType::string) {
      return "";
    }
    return h5.read_string_attribute("file_type");
  } catch (const OutputError&) {
    return "";
  }
}

bool process_alive(long pid) {
  return pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM);
}

/// Removes `OUT.partial` and `OUT.<pid>.partial` files whose process no longer exists (a crash
/// or kill -9 leaves them). Called with the lock held, so no live run of ours writes one.
void remove_stale_partials(const fs::path& out) {
  const fs::path folder = out.parent_path().empty() ? fs::path(".") : out.parent_path();
  const std::string stem = out.filename().string() + ".";
  const std::string suffix = ".partial";
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(folder, error)) {
    const std::string name = entry.path().filename().string();
    const bool unnumbered = name == out.filename().string() + suffix;  // older natosim
    if (!unnumbered) {
      if (name.size() <= stem.size() + suffix.size() || name.rfind(stem, 0) != 0 ||
          name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) {
        continue;
      }
      const std::string middle =
          name.substr(stem.size(), name.size() - stem.size() - suffix.size());
      char* end = nullptr;
      const long pid = std::strtol(middle.c_str(), &end, 10);
      if (end == middle.c_str() || *end != '\0') continue;  // someone else's file
      if (pid == static_cast<long>(::getpid()) || process_alive(pid)) continue;
    }
    std::error_code ignored;
    fs::remove(entry.path(), ignored);
  }
}

}  // namespace

fs::path partial_path(const fs::path& out) {
  return fs::path(out.string() + "." + std::to_string(::getpid()) + ".partial");
}

void check_output_path(const fs::path& out, bool force, std::string_view file_type) {
  const std::string kind = kind_of(file_type);
  std::error_code error;
  const fs::file_status status = fs::symlink_status(out, error);
  if (fs::exists(status)) {
    if (fs::is_directory(status)) {
      throw OutputError(out.string() + " is a folder; give a file name for the " + kind);
    }
    if (fs::is_symlink(status)) {
      throw OutputError(out.string() +
                        " is a symbolic link; natosim writes only a new path or a regular file it "
                        "wrote (give the link's target, or another name)");
    }
    if (!fs::is_regular_file(status)) {
      throw OutputError(out.string() +
                        " is not a regular file (a device, FIFO or socket); natosim never "
                        "replaces one, --force or not");
    }
    if (!force) throw OutputError(out.string() + " exists; pass --force to overwrite it");
    const std::string found = file_type_of(out);
    if (found != file_type) {
      const std::string what = found.rfind("natosim_", 0) == 0
                                   ? "a natosim " + kind_of(found) + " file"
                                   : "not a natosim file";
      throw OutputError(out.string() + " is " + what + "; --force replaces only a natosim " + kind +
                        " file (remove it yourself if you mean to replace it)");
    }
  }
  const fs::path parent = out.parent_path().empty() ? fs::path(".") : out.parent_path();
  if (!fs::is_directory(parent, error)) {
    throw OutputError(out.string() + ": folder " + parent.string() +
                      " does not exist; create it first");
  }
  if (::access(parent.c_str(), W_OK) != 0) {
    throw OutputError(out.string() + ": folder " + parent.string() + " is not writable");
  }
}

OutputLock lock_output(const fs::path& out, bool force, std::string_view file_type) {
  check_output_path(out, force, file_type);
  const fs::path lock_file = fs::path(out.string() + ".lock");
  const int descriptor = ::open(lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (descriptor < 0) {
    throw OutputError(lock_file.string() +
                      ": cannot create the lock file: " + std::strerror(errno));
  }
  if (::flock(descriptor, LOCK_EX | LOCK_NB) != 0) {
    char text[32] = {};
    const ssize_t length = ::pread(descriptor, text, sizeof(text) - 1, 0);
    ::close(descriptor);
    const std::string holder =
        length > 0 ? "pid " + std::string(text, static_cast<std::size_t>(length)) : "a process";
    throw OutputError(out.string() + ": another natosim run (" + holder +
                      ") is writing this file; wait for it to finish or choose another output");
  }
  const std::string pid = std::to_string(::getpid());
  if (::ftruncate(descriptor, 0) != 0 ||
      ::pwrite(descriptor, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    ::close(descriptor);
    throw OutputError(lock_file.string() + ": cannot write the lock file: " + std::strerror(errno));
  }
  remove_stale_partials(out);
  return OutputLock(out, lock_file, descriptor);
}

OutputLock::OutputLock(OutputLock&& other) noexcept
    : output_(std::move(other.output_)),
      lock_file_(std::move(other.lock_file_)),
      descriptor_(other.descriptor_) {
  other.descriptor_ = -1;
}

OutputLock::~OutputLock() {
  if (descriptor_ < 0) return;
  // Removed while still held: a run waiting on this path then creates a fresh lock file.
  std::error_code ignored;
  fs::remove(lock_file_, ignored);
  ::close(descriptor_);
}

void write_via_partial(const fs::path& out, bool force, std::string_view file_type,
                       const std::function<void(const fs::path&)>& fill,
                       const std::atomic<bool>* stop) {
  const fs::path partial = partial_path(out);
  try {
    throw_if_stopped(stop);
    fill(partial);
    throw_if_stopped(stop);
    // Whatever appeared under the name meanwhile gets the same policy as at the start.
    check_output_path(out, force, file_type);
    std::error_code error;
    fs::rename(partial, out, error);
    if (error) {
      throw OutputError(out.string() + ": cannot rename " + partial.string() +
                        " onto it: " + error.message());
    }
  } catch (...) {
    remove_quietly(partial);
    throw;
  }
}

}  // namespace sim::io
