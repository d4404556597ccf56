#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

namespace sim::io {

/// The temporary file a writer fills before renaming it onto `out`: `OUT.<pid>.partial`. One per
/// process, so two runs aimed at one path never write (or delete) each other's partial file.
std::filesystem::path partial_path(const std::filesystem::path& out);

/// The output-path policy (docs/ERRORS.md), checked before any work and again before the rename.
/// Throws OutputError when:
/// - `out` exists and `force` is false ("OUT exists; pass --force to overwrite it");
/// - `out` exists and is not a regular file (a folder, a device such as /dev/null, a FIFO, a
///   socket or a symbolic link): refused with or without `force`;
/// - `out` exists, `force` is true, but it is not a natosim file of type `file_type` (the
///   root attribute file_type): --force replaces natosim's own output of the same kind only, never
///   a config, a data file or a calibration that a study reads;
/// - its folder is missing or not writable.
void check_output_path(const std::filesystem::path& out, bool force, std::string_view file_type);

/// The right to write one output file, held from before a run until the file is in place: an
/// advisory lock (flock) on `OUT.lock`, which holds the owner's process id. The lock goes with
/// the process, so a killed run leaves no stale claim; the file itself is removed on release.
/// Move-only.
class OutputLock {
 public:
  OutputLock(OutputLock&& other) noexcept;
  OutputLock& operator=(OutputLock&&) = delete;
  OutputLock(const OutputLock&) = delete;
  OutputLock& operator=(const OutputLock&) = delete;
  ~OutputLock();

  const std::filesystem::path& output() const { return output_; }

 private:
  friend OutputLock lock_output(const std::filesystem::path&, bool, std::string_view);
  OutputLock(std::filesystem::path output, std::filesystem::path lock_file, int descriptor)
      : output_(std::move(output)), lock_file_(std::move(lock_file)), descriptor_(descriptor) {}

  std::filesystem::path output_;
  std::filesystem::path lock_file_;
  int descriptor_ = -1;
};

/// check_output_path, then takes the lock on `out`. Throws OutputError "OUT: another natosim run
/// (pid N) is writing this file; wait for it to finish or choose another output" when a live
/// process holds it. Also removes partial files of `out` left by processes that no longer exist.
[[nodiscard]] OutputLock lock_output(const std::filesystem::path& out, bool force,
                                     std::string_view file_type);

/// Writes `out` safely: `fill(partial)` writes the file partial_path(out), which is then renamed
/// onto `out` after check_output_path(out, force, file_type) holds again. On any failure the
/// partial file is removed, `out` is untouched, and the exception propagates (OutputError for the
/// file system). When `stop` becomes true (SIGINT/SIGTERM) before the rename, throws Interrupted
/// and leaves nothing under `out`'s name.
void write_via_partial(const std::filesystem::path& out, bool force, std::string_view file_type,
                       const std::function<void(const std::filesystem::path&)>& fill,
                       const std::atomic<bool>* stop = nullptr);

}  // namespace sim::io
