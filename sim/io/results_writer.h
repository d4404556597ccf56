#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "sim/engine/results.h"

namespace sim::io {

/// gzip level of trajectories and events unless --compression says otherwise (with shuffle).
inline constexpr int kDefaultCompression = 1;

/// How a ResultsFileWriter writes.
struct WriterOptions {
  /// gzip level 0..9 of the trajectories and the event table (0: stored uncompressed); byte
  /// shuffle comes with any level above 0. Summaries are small and stored uncompressed.
  int compression = kDefaultCompression;
  /// When it becomes true, the writer stops with Interrupted at its next step.
  const std::atomic<bool>* stop = nullptr;
  /// Called once on the layout before anything is written: adds what the runner does not know
  /// (provenance attributes, scenario labels, swept parameters, stored draws, ...).
  std::function<void(Results&)> annotate;
  /// Whether paired differences come with the summaries when the layout names a reference
  /// scenario (run_study always sends them).
  bool differences = true;
};

/// The results sink that writes a results file as the run goes (docs/OUTPUT.md): the header,
/// coordinates and empty datasets at begin(); each block's trajectories as compressed chunks
/// (compressed on the worker threads by encode()) and its events to a temporary spool; the
/// summaries and the event table at finish(), which closes and syncs the file. Everything goes
/// to partial_path(out); commit() renames it onto `out`. Destroyed without commit() (an error,
/// Interrupted), it removes the partial file and leaves `out` untouched.
/// Errors: OutputError (disk, HDF5, the output-path policy), std::invalid_argument (an
/// inconsistent layout or event value), Interrupted (stop).
class ResultsFileWriter final : public ResultsSink {
 public:
  /// Checks the output path (check_output_path with file type natosim_results) and the options;
  /// touches nothing yet. Throws OutputError, or std::invalid_argument for a compression level
  /// outside 0..9.
  ResultsFileWriter(std::filesystem::path out, bool force, WriterOptions options);
  ResultsFileWriter(const ResultsFileWriter&) = delete;
  ResultsFileWriter& operator=(const ResultsFileWriter&) = delete;
  ~ResultsFileWriter() override;

  void begin(const Results& layout, std::int64_t block_size) override;
  void encode(ResultsBlock& block) const override;
  void add_block(const ResultsBlock& block) override;
  void finish(Results summaries) override;

  /// After finish(): checks the path again and renames the complete file onto `out`. Throws
  /// Interrupted if stop was requested, OutputError if the path policy or the rename fails.
  void commit();

 private:
  struct State;
  std::filesystem::path out_;
  bool force_ = false;
  WriterOptions options_;
  std::unique_ptr<State> state_;
  bool finished_ = false;
  bool committed_ = false;
};

/// Writes a complete `results` (as run_study returns it) through a ResultsFileWriter: validated
/// first (validate_results), written to partial_path(out), renamed onto `out`. On failure the
/// partial file is removed and `out` is untouched. Throws OutputError (disk/HDF5, path policy),
/// std::invalid_argument (inconsistent results) or Interrupted (`stop`).
void write_results(const Results& results, const std::filesystem::path& out, bool force,
                   const std::atomic<bool>* stop = nullptr, int compression = kDefaultCompression);

/// Version of the HDF5 library the writer uses, "MAJOR.MINOR.RELEASE" (for provenance).
std::string hdf5_library_version();

}  // namespace sim::io
