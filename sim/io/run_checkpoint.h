#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sim/engine/results.h"
#include "sim/engine/runner.h"

namespace sim::io {

/// What a checkpoint was written for: every input that shapes the results (config digests,
/// overrides, seed, replicates, scenarios, output options, the binary), as (key, value) pairs.
/// A resume is refused when any pair differs.
using RunIdentity = std::vector<std::pair<std::string, std::string>>;

/// The checkpoint folder of a results file: `OUT.checkpoint`.
std::filesystem::path checkpoint_path(const std::filesystem::path& out);

/// SHA-256 of the running executable (/proc/self/exe): a checkpoint's statistics are the
/// binary's own memory layout, so another build must not read them.
std::string executable_sha256();

/// A results sink in front of another (the file writer) that keeps what an interrupted run needs
/// to finish (docs/OUTPUT.md, "Checkpoints and resume"), in its folder:
/// - `blocks`: every block it passes on (trajectory chunks as encoded, events), appended;
/// - `state`: on save(), the runner's merged statistics after a whole block, the identity and
///   how much of `blocks` they cover; written to `state.tmp`, synced and renamed over `state`
///   after `blocks` is synced, so a crash at any moment leaves a consistent pair.
/// Opened to resume, begin() replays the saved blocks into the inner sink before the runner
/// sends the rest, so the inner sink sees exactly what an uninterrupted run sends it.
/// Errors: OutputError naming the file (disk, damage, another run's checkpoint).
class CheckpointingSink final : public ResultsSink {
 public:
  /// Starts a new, empty checkpoint in `folder` (an old one there is removed).
  CheckpointingSink(ResultsSink& inner, std::filesystem::path folder, RunIdentity identity);
  /// Opens the checkpoint in `folder` to resume. Throws OutputError when the folder is missing,
  /// damaged or written for another identity (naming the first key that differs).
  static CheckpointingSink resume(ResultsSink& inner, std::filesystem::path folder,
                                  const RunIdentity& identity);
  CheckpointingSink(CheckpointingSink&& other) noexcept;
  CheckpointingSink& operator=(CheckpointingSink&&) = delete;
  CheckpointingSink(const CheckpointingSink&) = delete;
  CheckpointingSink& operator=(const CheckpointingSink&) = delete;
  ~CheckpointingSink() override;

  /// The state to resume from; null when the checkpoint holds no finished block yet (the run
  /// starts at block 0).
  const RunCheckpoint* saved() const { return saved_ ? &*saved_ : nullptr; }
  /// Durably records `state` (RunOptions::checkpoint).
  void save(const RunCheckpoint& state);
  /// Removes the checkpoint folder, once the results file is in place.
  void discard();

  void begin(const Results& layout, std::int64_t block_size) override;
  void encode(ResultsBlock& block) const override { inner_.encode(block); }
  void add_block(const ResultsBlock& block) override;
  void finish(Results summaries) override { inner_.finish(std::move(summaries)); }

 private:
  CheckpointingSink(ResultsSink& inner, std::filesystem::path folder);
  [[noreturn]] void fail(const std::filesystem::path& file, const std::string& what) const;

  ResultsSink& inner_;
  std::filesystem::path folder_;
  RunIdentity identity_;
  /// Descriptor of `blocks`, open for appending.
  int blocks_fd_ = -1;
  /// Bytes of `blocks` written so far, and covered by the saved state.
  std::uint64_t blocks_bytes_ = 0;
  std::uint64_t saved_bytes_ = 0;
  std::optional<RunCheckpoint> saved_;
  /// Blocks replayed from the checkpoint by begin() (their count is the saved state's).
  std::int64_t replayed_ = 0;
};

}  // namespace sim::io
