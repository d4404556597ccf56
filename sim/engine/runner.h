#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sim/engine/model.h"
#include "sim/engine/results.h"

namespace sim {

/// One scenario to run: its label and its (immutable, thread-safe) model.
struct ScenarioRun {
  std::string name;
  std::string description;
  const Model* model = nullptr;
};

/// The state of a run after its first `blocks` whole blocks (every scenario of each merged and
/// handed to the sink): what a checkpoint keeps and a resumed run starts from.
struct RunCheckpoint {
  std::int64_t blocks = 0;
  /// The merged statistics so far, serialised by the runner; opaque to everything else and
  /// readable only by the same binary.
  std::vector<unsigned char> tally;
};

/// Where a study's wall time went, in seconds (RunOptions::timings): the blocks, which run on
/// every thread, and the parts around them, for the bench's thread-efficiency figures.
struct StudyTimings {
  /// Laying out the results (the sink's begin too), and for a resumed run the totals made and
  /// its statistics read back: one thread.
  double setup = 0.0;
  /// The blocks run, summarised and folded as they finish: every thread. The totals (their
  /// per-cell arrays first touched) are made here, by the first fold, unless a run resumes.
  double blocks = 0.0;
  /// The chunks still waiting at the end folded into the totals: scenarios side by side, each
  /// on one thread.
  double last_fold = 0.0;
  /// The closing summaries (moments, quantiles, paired differences), side by side.
  double summaries = 0.0;
  /// The sink's finish (the summaries handed over or written): one thread.
  double finish = 0.0;
};

/// How to run a study. The results depend on `seed`, `replicates`, `start_year`, `years`,
/// `block_size` and the models, never on `threads`.
struct RunOptions {
  std::uint64_t seed = 1;
  std::int64_t replicates = 1000;
  int start_year = 2025;
  int years = 20;
  /// Worker threads; 0 means all cores.
  int threads = 0;
  /// Keep every replicate's values (memory grows with replicates).
  bool trajectories = false;
  /// Keep the model's event table (memory grows with replicates and with the events' rate).
  bool events = true;
  /// Index of the reference scenario for paired differences, or -1.
  int reference = -1;
  /// Replicates per work item. Part of the reduction order: changing it may change the last
  /// bits of means and standard deviations.
  std::int64_t block_size = 64;
  /// Summarise blocks with the processor's 256-bit vector instructions (AVX2, x86-64) when it
  /// has them (perf: the baseline's summarise pass took about a fifth less CPU time). Each lane
  /// does the portable build's arithmetic (no fused multiply-add), so the results are the same
  /// bits either way; false is for the test that checks this and for the bench's --portable.
  bool wide_vectors = true;
  /// In a paired study, the other scenarios' runs of a replicate read the random words the
  /// reference's run made rather than make them again (RandomWords): the same words, so the same
  /// results bit for bit; false is for the test that checks this and for the bench's
  /// --no-shared-words.
  bool share_random_words = true;
  /// In a paired study, the other scenarios' runs of a replicate may read what the reference's
  /// run kept for them (RunMemo: the model decides what, and when it applies) rather than work
  /// it out again: the same bits either way; false is for the tests that check this and for the
  /// bench's --no-shared-memos.
  bool share_run_memos = true;
  /// Quantile levels to report.
  std::vector<double> quantile_levels = {0.05, 0.25, 0.5, 0.75, 0.95};
  /// Called after each merged block with (runs done, runs in total), from one thread at a time.
  std::function<void(std::int64_t, std::int64_t)> progress;
  /// When it becomes true, no new block starts and run_study throws Interrupted.
  const std::atomic<bool>* stop = nullptr;
  /// Start after `resume->blocks` blocks with their merged statistics instead of at block 0. The
  /// sink must already hold those blocks: replaying them is the caller's job (it kept them).
  const RunCheckpoint* resume = nullptr;
  /// Asked after each whole block but the last, from one thread at a time, whether to save a
  /// checkpoint now (the argument: blocks done). Once `stop` is set, every whole block that
  /// still finishes is saved without asking, so an interrupted run loses no finished block.
  std::function<bool(std::int64_t)> checkpoint_due;
  /// Receives the state to save, after the sink has received the block's last item. Null: no
  /// checkpoints.
  std::function<void(const RunCheckpoint&)> checkpoint;
  /// When set, filled with where the study's wall time went once run_study has finished
  /// (untouched when it throws).
  StudyTimings* timings = nullptr;
};

/// Whether this processor runs the AVX2 build of the summarise pass (RunOptions::wide_vectors).
bool summarise_has_wide_vectors();

/// Runs every scenario for replicates 0..R-1 in parallel (oneTBB) and reduces the results in a
/// fixed order: bit-identical for any thread count. Replicate r gets the same random streams in
/// every scenario (common random numbers). Throws Interrupted when stopped, std::logic_error when
/// a model leaves a non-missing variable unset or scenarios disagree on the schema.
Results run_study(const std::vector<ScenarioRun>& scenarios, const RunOptions& options);

/// Runs a study like the overload above but hands the results to `sink` block by block instead
/// of assembling them: memory does not grow with replicates. Throws what run_study throws, and
/// whatever the sink or the checkpoint callback throws (the run stops at once); a `resume`
/// whose statistics do not fit the study gives std::invalid_argument.
void run_study(const std::vector<ScenarioRun>& scenarios, const RunOptions& options,
               ResultsSink& sink);

/// Receives one summarised work item, (block, scenario), as bytes: its index in the fixed merge
/// order (block * scenarios + position of the scenario in the block's order, the reference first)
/// and what fold_study_items needs of it. The bytes are the runner's own (this binary's layout).
using ItemConsumer = std::function<void(std::int64_t item, std::vector<unsigned char>&& bytes)>;
/// Returns the bytes of item `item`; called for items 0, 1, 2, ... in order (may wait for them).
using ItemSource = std::function<std::vector<unsigned char>(std::int64_t item)>;

/// What run_study hands its sink's begin(): the study's axes, variables and event columns.
Results study_layout(const std::vector<ScenarioRun>& scenarios, const RunOptions& options);

/// What the runner holds at once besides the merged statistics, for a study of `scenarios`
/// scenarios on `threads` threads, with or without `trajectories` (memory estimates; the runner
/// sizes itself by it).
struct RunnerFootprint {
  /// Work items in flight (pipeline tokens), each holding `scenarios_per_item` summarised chunks.
  std::size_t items_in_flight = 1;
  std::size_t scenarios_per_item = 1;
  /// Blocks of one scenario folded together, and the chunks' statistics held for that.
  std::size_t blocks_per_batch = 1;
  std::size_t pending_chunks = 0;
  /// Buffers of one block's raw values (a replicate's every value, block_size replicates).
  std::size_t raw_buffers = 1;
};
RunnerFootprint runner_footprint(std::size_t scenarios, bool paired, int threads,
                                 bool trajectories);

/// Blocks of `options.block_size` replicates in the study.
std::int64_t study_blocks(const RunOptions& options);

/// Runs the given blocks (increasing) of every scenario on the worker threads and hands each
/// item, summarised and with its paired differences, to `emit` in the fixed order, from one
/// thread at a time; nothing is merged. What a shard (a contiguous slice) or an MPI rank (its
/// share) does. Throws what run_study throws (Interrupted on `options.stop`), and
/// std::invalid_argument for blocks out of range or order.
void produce_study_items(const std::vector<ScenarioRun>& scenarios, const RunOptions& options,
                         const std::vector<std::int64_t>& blocks, const ItemConsumer& emit);

/// Blocks first_block .. end_block - 1.
std::vector<std::int64_t> block_range(std::int64_t first_block, std::int64_t end_block);

/// Folds every item of a study, produced by produce_study_items (here, in other processes or
/// in shards), in the fixed order into the statistics and `sink`: the sink receives exactly what
/// run_study would give it, so the results are bit-identical. `schema` is the models' (members,
/// variables, model event columns); `names` and `descriptions` label the scenarios. Throws
/// std::invalid_argument when an item's bytes do not fit the study, Interrupted on
/// `options.stop`, and whatever `next` or the sink throws.
void fold_study_items(const ModelSchema& schema, const std::vector<std::string>& names,
                      const std::vector<std::string>& descriptions, const RunOptions& options,
                      const ItemSource& next, ResultsSink& sink);

}  // namespace sim
