#include "sim/engine/runner.h"

#include <algorithm>
#include <array>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <memory_resource>
#include <optional>
#include <span>
#include <stdexcept>

#include <tbb/blocked_range.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/global_control.h>
#include <tbb/info.h>
#include <tbb/parallel_for.h>
#include <tbb/parallel_pipeline.h>
#include <tbb/task_arena.h>

#include "sim/core/bytes.h"
#include "sim/core/cpu.h"
#include "sim/core/error.h"
#include "sim/core/free_list.h"
#include "sim/core/page_arena.h"
#include "sim/tally/moments.h"
#include "sim/tally/quantile_sketch.h"

namespace sim {

namespace {

/// How a cell's values in one scenario's block are held for the quantile sketch.
enum class CellShape : std::uint8_t {
  /// No value (all missing).
  empty,
  /// Every value equal (moments.min == moments.max).
  constant,
  /// Every value in bucket(min) or bucket(max): counted, not listed.
  two_buckets,
  /// Every value's bucket listed.
  spread,
};

/// Parts of the cells that a fold on several threads takes side by side: a part of the alliance
/// model's batch is about half a millisecond.
constexpr std::size_t kFoldParts = 8;

/// The arena shared while in scope. A scope within another (a fold's parts within the last
/// fold's scenarios) leaves it alone: other threads are using it then.
class SharedArena {
 public:
  explicit SharedArena(PageArena& arena) : arena_(arena), was_shared_(arena.shared()) {
    if (!was_shared_) arena_.set_shared(true);
  }
  SharedArena(const SharedArena&) = delete;
  SharedArena& operator=(const SharedArena&) = delete;
  ~SharedArena() {
    if (!was_shared_) arena_.set_shared(false);
  }

 private:
  PageArena& arena_;
  bool was_shared_;
};

/// Bytes rounded up to whole cache lines: each array of a chunk's statistics starts on one.
constexpr std::size_t whole_lines(std::size_t bytes) { return (bytes + 63) / 64 * 64; }

/// One scenario's share of a block, run and summarised: what the serial stage folds.
///
/// Its statistics are laid out in one mapping of huge pages (`memory`): per cell the moments,
/// the paired differences, the shape and the two-bucket count, then room for every value's
/// bucket. Why: a study touches this memory for the first time once per chunk it holds (tens of
/// them, about 2 MB each for the alliance model), and on the virtual machines we measure on the
/// first touch of a 4 KiB page costs 7-20 us of kernel time. As separate vectors they took 60%
/// of `natosim run`'s page faults on the baseline (13,600 of 22,700); in one mapping the used
/// part (about 1.8 MB) is one 2 MiB page.
struct Chunk {
  std::int64_t block = 0;
  std::size_t scenario = 0;
  std::int64_t first = 0;
  std::int64_t count = 0;
  /// Per cell (cell = year * stride + slot).
  std::span<tally::Moments> moments;
  std::span<CellShape> shapes;
  /// Per cell: values in bucket(min) of a two_buckets cell (the rest are in bucket(max)).
  std::span<std::uint32_t> at_low;
  /// Room for the spread cells' bucket indices, cell after cell (moments.n of each); the first
  /// `listed` are set.
  std::span<std::int32_t> bucket_room;
  std::size_t listed = 0;
  /// The block's paired differences to the reference scenario per cell (empty without a
  /// reference, or for the reference itself).
  std::span<tally::Moments> differences;
  /// Events: (replicate, year, model columns...) per row.
  std::vector<double> events;
  /// What the sink receives: trajectories and event columns of the block.
  ResultsBlock out;
  /// Where the statistics above live.
  HugeBuffer memory;

  std::span<const std::int32_t> buckets() const { return bucket_room.first(listed); }

  /// Lays the statistics out for `cells` cells and room for `values` buckets, with paired
  /// differences when `paired` (room for them is kept whenever `room_for_differences`, so that
  /// one chunk's memory serves the reference and the others alike). Keeps the mapping when it
  /// is large enough, and the values in it (the caller sets every one it uses). Nothing listed.
  void lay_out(std::size_t cells, std::size_t values, bool paired, bool room_for_differences) {
    const std::size_t moments_bytes = whole_lines(cells * sizeof(tally::Moments));
    const std::size_t differences_bytes = room_for_differences ? moments_bytes : 0;
    const std::size_t shapes_bytes = whole_lines(cells * sizeof(CellShape));
    const std::size_t at_low_bytes = whole_lines(cells * sizeof(std::uint32_t));
    const std::size_t bytes = moments_bytes + differences_bytes + shapes_bytes + at_low_bytes +
                              values * sizeof(std::int32_t);
    if (memory.size() < bytes) {
      memory = HugeBuffer(bytes);
      // Begin the Moments' lifetimes in the fresh mapping; the callers set every value before
      // it is read.
      std::uninitialized_default_construct_n(reinterpret_cast<tally::Moments*>(memory.data()),
                                             cells);
      std::uninitialized_default_construct_n(
          reinterpret_cast<tally::Moments*>(memory.data() + moments_bytes),
          differences_bytes > 0 ? cells : 0);
    }
    std::byte* at = memory.data();
    moments = {reinterpret_cast<tally::Moments*>(at), cells};
    at += moments_bytes;
    differences = {reinterpret_cast<tally::Moments*>(at), paired ? cells : 0};
    at += differences_bytes;
    shapes = {reinterpret_cast<CellShape*>(at), cells};
    at += shapes_bytes;
    at_low = {reinterpret_cast<std::uint32_t*>(at), cells};
    at += at_low_bytes;
    bucket_room = {reinterpret_cast<std::int32_t*>(at), values};
    listed = 0;
  }

  /// Exchanges statistics (and their memory) with `other`.
  void swap_statistics(Chunk& other) noexcept {
    std::swap(moments, other.moments);
    std::swap(shapes, other.shapes);
    std::swap(at_low, other.at_low);
    std::swap(bucket_room, other.bucket_room);
    std::swap(listed, other.listed);
    std::swap(differences, other.differences);
    memory.swap(other.memory);
  }
};

/// One work item: a block of replicates of some scenarios, in the work order. With a reference
/// scenario an item holds every scenario of its block, the reference first, so that the others'
/// paired differences are computed where they are run; otherwise one scenario.
struct BlockWork {
  std::int64_t block = 0;
  std::vector<Chunk> chunks;
};

/// What a paired item needs only while it runs: the reference's values and what its runs leave
/// for the others'. Apart from the item, since an item waits for the serial stage after its run
/// and this need not wait with it (about 6 MB for the alliance model, first touched once).
struct ReferenceSpace {
  /// The reference scenario's raw values [replicate in block][year * stride + slot].
  HugeVector<double> raw;
  /// The reference's events, per part of its replicates (StudyRunner::run_reference_chunk).
  std::vector<std::vector<double>> events;
  /// The random words of the reference's runs, per replicate in the block, which the other
  /// scenarios' runs read (RunOptions::share_random_words); empty when not shared.
  std::vector<RandomWords> words;
  /// What the reference's runs kept for the other scenarios' (RunOptions::share_run_memos), per
  /// replicate in the block; empty when not shared.
  std::vector<RunMemo> memos;
};

/// What a paired block's reference runs leave for its other scenarios' runs, a store per
/// replicate of the block (null: nothing of that kind shared).
struct SharedByReference {
  RandomWords* words = nullptr;
  RunMemo* memos = nullptr;
};

/// The reference scenario's block, as the other scenarios' paired differences need it.
struct ReferenceBlock {
  /// Raw values [replicate in block][year * stride + slot].
  const double* raw = nullptr;
  /// The block's moments per cell.
  const tally::Moments* moments = nullptr;
};

/// A worker thread's working space.
struct Scratch {
  /// Raw values [replicate in block][year * stride + slot].
  HugeVector<double> raw;
  /// A tile's bucket indices [replicate in block][cell in tile].
  std::vector<std::int32_t> tile_buckets;
  std::optional<RunRecorder> recorder;
};

/// Everything accumulated so far, merged chunk by chunk in (block, scenario) order.
struct Totals {
  /// The sketches' buckets (declared first: it outlives them). Held by pointer so that the
  /// sketches' pointers to it survive a move of the totals.
  std::unique_ptr<PageArena> arena = std::make_unique<PageArena>();
  /// Where the per-cell arrays below live: one mapping of huge pages, carved in turn (they are
  /// made once; a checkpoint's reload may take more, from the heap). About 2 MB a scenario for
  /// the alliance model, first touched once: as ordinary pages, 2,150 of the baseline's page
  /// faults. Held by pointer, as the arena.
  HugeBuffer fixed_memory;
  std::unique_ptr<std::pmr::monotonic_buffer_resource> fixed;
  std::vector<std::pmr::vector<tally::Moments>> moments;
  std::vector<std::pmr::vector<tally::QuantileSketch>> sketches;
  std::vector<std::pmr::vector<tally::Moments>> differences;
  /// Working space of the fold, per scenario and part of the cells (a fold takes its parts, and
  /// the last fold its scenarios, side by side): a sparse sketch's sorted buckets, and how many
  /// of each batched chunk's listed buckets are taken.
  struct FoldSpace {
    std::vector<std::int32_t> scratch;
    std::vector<std::size_t> taken;
  };
  std::vector<FoldSpace> fold_space;
};

/// Summarised chunks waiting to be folded together (StudyRunner::fold_chunks), per scenario in
/// work order, blocks in increasing order: their statistics only; the buffers are reused. A batch
/// of `capacity` blocks holds all but its last: that one is folded from where it was summarised.
struct PendingChunks {
  std::size_t capacity = 1;
  std::vector<std::vector<Chunk>> chunks;
  std::vector<std::size_t> held;
  std::vector<Chunk*> batch;

  PendingChunks(std::size_t scenarios, std::size_t chunks_per_batch)
      : capacity(chunks_per_batch), chunks(scenarios), held(scenarios, 0) {
    for (std::vector<Chunk>& slots : chunks)
      slots.resize(chunks_per_batch > 1 ? chunks_per_batch - 1 : 0);
  }
  /// Whether one more chunk completes scenario `k`'s batch.
  bool completed_by_next(std::size_t k) const { return held[k] + 1 == capacity; }
  /// Moves a chunk's statistics in behind scenario `k`'s others (the chunk keeps the slot's old
  /// buffers, to reuse).
  void take(std::size_t k, Chunk& chunk) {
    Chunk& into = chunks[k][held[k]++];
    into.block = chunk.block;
    into.scenario = chunk.scenario;
    into.first = chunk.first;
    into.count = chunk.count;
    into.swap_statistics(chunk);
  }
};

class StudyRunner {
 public:
  /// `scenarios` may be empty when the runner only folds items (fold): then `names` and
  /// `descriptions` label the scenarios and `schema` is the models'.
  StudyRunner(const std::vector<ScenarioRun>& scenarios, const ModelSchema& schema,
              std::vector<std::string> names, std::vector<std::string> descriptions,
              const RunOptions& options)
      : scenarios_(scenarios),
        names_(std::move(names)),
        descriptions_(std::move(descriptions)),
        options_(options),
        schema_(schema),
        probe_(schema_, options.years),
        stride_(probe_.stride()),
        cells_(stride_ * static_cast<std::size_t>(options.years)),
        event_width_(options.events ? schema_.event_columns.size() : 0),
        slot_may_be_missing_(stride_, false),
        wide_vectors_(options.wide_vectors && processor_has_avx2()) {
    for (std::size_t v = 0; v < schema_.variables.size(); ++v) {
      const std::size_t width =
          schema_.variables[v].level == Level::member ? schema_.members.size() : 1;
      for (std::size_t k = 0; k < width; ++k) {
        slot_may_be_missing_[probe_.offset(v) + k] = schema_.variables[v].may_be_missing;
      }
    }
    // Work order within a block: the reference first, so that its values are at hand for the
    // paired differences of the others.
    for (std::size_t s = 0; s < names_.size(); ++s) order_.push_back(s);
    if (options_.reference > 0) {
      std::rotate(order_.begin(), order_.begin() + options_.reference,
                  order_.begin() + options_.reference + 1);
    }
  }

  void run(ResultsSink& sink);
  void produce(const std::vector<std::int64_t>& blocks, const ItemConsumer& emit);
  void fold(const ItemSource& next, ResultsSink& sink);
  std::int64_t blocks() const {
    return (options_.replicates + options_.block_size - 1) / options_.block_size;
  }
  /// The axes, variables and event columns of the study (no values).
  Results layout() const;

 private:
  /// Runs work items item_at(0), ..., item_at(count - 1) (increasing; item = block *
  /// items_per_block() + group) on the worker threads, an item's scenarios in parallel too, and
  /// hands each finished item, in that order, to `serial` (one thread at a time). `sink` (may be
  /// null) encodes trajectories.
  void pipeline(std::int64_t count, const std::function<std::int64_t(std::int64_t)>& item_at,
                const ResultsSink* sink, const std::function<void(BlockWork&)>& serial);
  Totals empty_totals() const;
  /// Folds chunks of one scenario, blocks in increasing order, into the totals: the same
  /// totals as folding them one by one. On several threads the cells are folded in parts side
  /// by side.
  void fold_chunks(std::span<Chunk* const> chunks, Totals& totals) const;
  /// fold_chunks for cells [first, end), whose listed buckets start at `taken` in each chunk
  /// (updated to where they end).
  void fold_cells(std::span<Chunk* const> chunks, Totals& totals, std::size_t first,
                  std::size_t end, Totals::FoldSpace& space) const;
  /// Parts of the cells a fold takes side by side: one on one thread.
  std::size_t fold_parts() const { return threads() > 1 ? kFoldParts : 1; }
  /// Folds scenario `k`'s pending chunks, then `last` if given (a later block of scenario `k`),
  /// and empties them; for k = npos every scenario's (no `last`), on the study's threads.
  void fold_pending(PendingChunks& pending, std::size_t k, Totals& totals,
                    Chunk* last = nullptr) const;
  /// Takes a chunk's statistics into `pending` (scenario `k` in work order), or folds that
  /// scenario's batch with the chunk when it completes the batch or ends it at the scenario's
  /// staggered batch end.
  void hold(PendingChunks& pending, std::size_t k, Chunk& chunk, Totals& totals) const;
  /// Scenarios (work order) of work item `index`: [first, end).
  std::pair<std::size_t, std::size_t> item_scenarios(std::int64_t index) const;
  /// The worker threads this run may use (RunOptions::threads, or every core).
  int threads() const {
    return options_.threads > 0 ? options_.threads : tbb::info::default_concurrency();
  }
  /// What this run holds at once (items in flight, chunks waiting to be folded).
  RunnerFootprint footprint() const {
    return runner_footprint(names_.size(), options_.reference >= 0, threads(),
                            options_.trajectories);
  }
  /// Work items per block: 1 with a reference (a block is run whole), else one per scenario.
  std::int64_t items_per_block() const {
    return options_.reference >= 0 ? 1 : static_cast<std::int64_t>(names_.size());
  }
  /// The merge-order index of a chunk: block * scenarios + its place in the work order.
  std::int64_t item_of(const Chunk& chunk) const;
  std::vector<unsigned char> save_item(std::int64_t item, const Chunk& chunk) const;
  void load_item(std::int64_t item, const std::vector<unsigned char>& bytes, Chunk& chunk) const;
  /// Runs the chunk's replicates into `raw` and summarises them, with the paired differences
  /// to `reference` (the reference's block; null for none).
  void run_chunk(Chunk& chunk, HugeVector<double>& raw, const ReferenceBlock* reference,
                 SharedByReference shared, Scratch& scratch, const ResultsSink* sink) const;
  /// As run_chunk for the reference's chunk (no reference of its own), its replicates run in
  /// parts that idle threads may take (each part's events in `part_events`, joined in order):
  /// the others of its block wait for it.
  void run_reference_chunk(Chunk& chunk, HugeVector<double>& raw,
                           tbb::enumerable_thread_specific<Scratch>& scratches,
                           std::vector<std::vector<double>>& part_events, SharedByReference shared,
                           const ResultsSink* sink) const;
  /// Runs replicates [begin, end) of the chunk into their rows of `raw`, appending their event
  /// rows to `events`. `shared` holds stores per replicate of the chunk, which the runs fill
  /// afresh (`keep`: the reference's) or read (RunContext::words and memo).
  void run_replicates(const Chunk& chunk, double* raw, std::size_t begin, std::size_t end,
                      SharedByReference shared, bool keep, Scratch& scratch,
                      std::vector<double>& events) const;
  /// What follows a chunk's runs: its statistics, its block of results, their encoding.
  void finish_chunk(Chunk& chunk, const double* raw, const ReferenceBlock* reference,
                    Scratch& scratch, const ResultsSink* sink) const;
  /// Fills chunk.out (trajectories per variable, event columns) from the chunk's raw values.
  void fill_block(Chunk& chunk, const double* raw) const;
  /// Computes a chunk's moments, cell shapes, bucket indices and paired differences from its
  /// raw values.
  /// Dispatches to the wide (AVX2) or the portable build of the same pass: same results.
  void summarise_chunk(Chunk& chunk, const double* raw, const ReferenceBlock* reference,
                       Scratch& scratch) const;
  void summarise_chunk_wide(Chunk& chunk, const double* raw, const ReferenceBlock* reference,
                            Scratch& scratch) const;
  void summarise_chunk_portable(Chunk& chunk, const double* raw, const ReferenceBlock* reference,
                                Scratch& scratch) const;
  /// Both builds' pass; kLanes: doubles a vector register holds.
  template <std::size_t kLanes>
  void summarise_chunk_body(Chunk& chunk, const double* raw, const ReferenceBlock* reference,
                            Scratch& scratch) const;
  void summarise(const Totals& totals, Results& results) const;
  /// The merged statistics as bytes (a checkpoint), and back.
  std::vector<unsigned char> save_tally(const Totals& totals) const;
  void load_tally(const std::vector<unsigned char>& bytes, Totals& totals) const;
  [[noreturn]] void report_unset(const Chunk& chunk, const double* raw, std::size_t cell) const;

  const std::vector<ScenarioRun>& scenarios_;
  std::vector<std::string> names_;
  std::vector<std::string> descriptions_;
  const RunOptions& options_;
  const ModelSchema& schema_;
  RunRecorder probe_;
  std::size_t stride_;
  std::size_t cells_;
  std::size_t event_width_;
  /// Per slot of a year's values: whether NaN means "not applicable" rather than "unset".
  std::vector<bool> slot_may_be_missing_;
  std::vector<std::size_t> order_;
  /// Summarise with AVX2 (RunOptions::wide_vectors, and the processor has it).
  bool wide_vectors_;
};

void StudyRunner::report_unset(const Chunk& chunk, const double* raw, std::size_t cell) const {
  const std::size_t year = cell / stride_;
  const std::size_t slot = cell % stride_;
  // Member-level variables come first in the year's slots whatever their schema order, so the
  // variable is the one whose own slots hold `slot`, not the last offset below it.
  const std::size_t members = schema_.members.size();
  std::size_t variable = 0;
  for (std::size_t v = 0; v < schema_.variables.size(); ++v) {
    const std::size_t width = schema_.variables[v].level == Level::member ? members : 1;
    if (probe_.offset(v) <= slot && slot < probe_.offset(v) + width) variable = v;
  }
  std::int64_t replicate = chunk.first;
  for (std::size_t i = 0; i < static_cast<std::size_t>(chunk.count); ++i) {
    if (!std::isfinite(raw[i * cells_ + cell])) {
      replicate = chunk.first + static_cast<std::int64_t>(i);
      break;
    }
  }
  throw std::logic_error("model left variable '" + schema_.variables[variable].name +
                         "' unset or not finite (year index " + std::to_string(year) +
                         ", scenario '" + names_[chunk.scenario] + "', replicate " +
                         std::to_string(replicate) + ")");
}

void StudyRunner::run_replicates(const Chunk& chunk, double* raw, std::size_t begin,
                                 std::size_t end, SharedByReference shared, bool keep,
                                 Scratch& scratch, std::vector<double>& events) const {
  if (!scratch.recorder) scratch.recorder.emplace(schema_, options_.years);
  RunRecorder& recorder = *scratch.recorder;
  const Model& model = *scenarios_[chunk.scenario].model;
  for (std::size_t i = begin; i < end; ++i) {
    const std::int64_t replicate = chunk.first + static_cast<std::int64_t>(i);
    // The model writes its values straight into the block's row: no copy.
    recorder.clear_into(std::span<double>(raw + i * cells_, cells_));
    RunContext context{options_.seed, static_cast<std::uint64_t>(replicate), options_.start_year,
                       options_.years};
    std::optional<RandomWordsRun> words_run;
    if (shared.words != nullptr) {
      if (keep) shared.words[i].clear();
      context.words = &words_run.emplace(shared.words[i], keep);
    }
    if (shared.memos != nullptr) {
      if (keep) shared.memos[i].clear();
      context.memo = &shared.memos[i];
      context.keep_memo = keep;
    }
    model.run(context, recorder);
    if (shared.words != nullptr && keep) shared.words[i].seal();
    recorder.finish();
    const auto years = recorder.event_years();
    const auto values = recorder.event_values();
    for (std::size_t e = 0; event_width_ > 0 && e < years.size(); ++e) {
      events.push_back(static_cast<double>(replicate));
      events.push_back(static_cast<double>(years[e]));
      events.insert(events.end(), values.begin() + static_cast<std::ptrdiff_t>(e * event_width_),
                    values.begin() + static_cast<std::ptrdiff_t>((e + 1) * event_width_));
    }
  }
}

void StudyRunner::run_chunk(Chunk& chunk, HugeVector<double>& raw, const ReferenceBlock* reference,
                            SharedByReference shared, Scratch& scratch,
                            const ResultsSink* sink) const {
  const auto count = static_cast<std::size_t>(chunk.count);
  // Buffers are reused from chunk to chunk (resize keeps capacity): fresh multi-megabyte
  // allocations per chunk cost more in page faults than the statistics themselves.
  raw.resize(count * cells_);
  chunk.events.clear();
  run_replicates(chunk, raw.data(), 0, count, shared, false, scratch, chunk.events);
  finish_chunk(chunk, raw.data(), reference, scratch, sink);
}

void StudyRunner::finish_chunk(Chunk& chunk, const double* raw, const ReferenceBlock* reference,
                               Scratch& scratch, const ResultsSink* sink) const {
  summarise_chunk(chunk, raw, reference, scratch);
  fill_block(chunk, raw);
  if (sink != nullptr) sink->encode(chunk.out);
}

void StudyRunner::run_reference_chunk(Chunk& chunk, HugeVector<double>& raw,
                                      tbb::enumerable_thread_specific<Scratch>& scratches,
                                      std::vector<std::vector<double>>& part_events,
                                      SharedByReference shared, const ResultsSink* sink) const {
  // Parts of 16 replicates: a thread with nothing else to run (a study of one block, or a
  // study's last) takes some, and a part's work (about a millisecond for the alliance model)
  // dwarfs the cost of handing it over. The replicates are independent and their rows apart,
  // so the values are those of one thread's run; the events are joined in replicate order.
  constexpr std::size_t kPart = 16;
  const auto count = static_cast<std::size_t>(chunk.count);
  raw.resize(count * cells_);
  const std::size_t parts = (count + kPart - 1) / kPart;
  if (part_events.size() < parts) part_events.resize(parts);
  tbb::parallel_for(
      tbb::blocked_range<std::size_t>(0, parts, 1),
      [&](const tbb::blocked_range<std::size_t>& range) {
        // A thread's scratch is used by one call that does not wait at a time: a thread
        // waiting here may take another chunk's task, which uses its scratch whole, but not
        // the reference's rows or these parts' events.
        Scratch& scratch = scratches.local();
        for (std::size_t part = range.begin(); part < range.end(); ++part) {
          part_events[part].clear();
          run_replicates(chunk, raw.data(), part * kPart, std::min(count, (part + 1) * kPart),
                         shared, true, scratch, part_events[part]);
        }
      },
      tbb::simple_partitioner());
  chunk.events.clear();
  for (std::size_t part = 0; part < parts; ++part) {
    chunk.events.insert(chunk.events.end(), part_events[part].begin(), part_events[part].end());
  }
  finish_chunk(chunk, raw.data(), nullptr, scratches.local(), sink);
}

void StudyRunner::fill_block(Chunk& chunk, const double* raw) const {
  ResultsBlock& out = chunk.out;
  out.scenario = chunk.scenario;
  out.first_replicate = chunk.first;
  out.replicates = chunk.count;
  const auto count = static_cast<std::size_t>(chunk.count);
  const auto years = static_cast<std::size_t>(options_.years);
  if (options_.trajectories) {
    out.trajectories.resize(schema_.variables.size());
    for (std::size_t v = 0; v < schema_.variables.size(); ++v) {
      const std::size_t width =
          schema_.variables[v].level == Level::member ? schema_.members.size() : 1;
      std::vector<double>& values = out.trajectories[v];
      values.resize(count * years * width);
      for (std::size_t i = 0; i < count; ++i) {
        for (std::size_t y = 0; y < years; ++y) {
          const double* source = raw + i * cells_ + y * stride_ + probe_.offset(v);
          std::copy(source, source + width,
                    values.begin() + static_cast<std::ptrdiff_t>((i * years + y) * width));
        }
      }
    }
  }
  if (event_width_ == 0) return;
  // Engine columns first (scenario, replicate, calendar year), then the model's.
  out.events.resize(event_width_ + 3);
  for (std::vector<double>& column : out.events) column.clear();
  const std::size_t row_width = event_width_ + 2;
  for (std::size_t start = 0; start < chunk.events.size(); start += row_width) {
    out.events[0].push_back(static_cast<double>(chunk.scenario));
    out.events[1].push_back(chunk.events[start]);
    out.events[2].push_back(chunk.events[start + 1] + options_.start_year);
    for (std::size_t c = 0; c < event_width_; ++c) {
      out.events[3 + c].push_back(chunk.events[start + 2 + c]);
    }
  }
}

namespace {

/// Cells summarised together: their accumulators stay in registers and L1 while the block's
/// replicates stream past.
constexpr std::size_t kTile = 64;
/// Cells in a cache line (of doubles): the first pass's unit.
constexpr std::size_t kLine = 8;
/// The bucket of a missing value in a tile's bucket buffer.
constexpr std::int32_t kMissing = std::numeric_limits<std::int32_t>::min();

/// Doubles side by side (DoubleLanes) in the summarise pass: its first pass keeps a cache line's
/// sums and extremes in registers, which the compiler does not do alone. Four (one AVX2
/// register) in the wide build, two (one SSE2 register) in the portable one.
constexpr std::size_t kWideLanes = 4;
constexpr std::size_t kPortableLanes = 2;

/// Rows ahead whose tile segments are fetched while this one is summarised: the rows lie a whole
/// replicate apart, a stride the hardware prefetchers do not follow in time.
constexpr std::size_t kPrefetchRows = 4;

void prefetch_tile_row(const double* row, std::size_t width) {
  for (std::size_t c = 0; c < width; c += 8) __builtin_prefetch(row + c);
}

/// The lanes of `values` from `at` on (kDifference: less the reference's, `base`, at the same
/// place), as the passes over a tile read them. Through a reference, not returned: a function
/// returning an AVX vector has another ABI than the portable build's callers expect.
template <class Vector, bool kDifference>
void load_lanes(Vector& value, const double* values, const double* base, std::size_t at) {
  std::memcpy(&value, values + at, sizeof value);
  if (kDifference) {
    Vector reference;
    std::memcpy(&reference, base + at, sizeof reference);
    value -= reference;
  }
}

/// Per-cell accumulators of one tile of cells: count, sum, extremes, then mean and squared
/// deviations. The two passes of tally::moments_of, missing values (NaN) skipped: each cell sees
/// the same additions in the same order, and a cell whose values are all equal has their value
/// as its mean and no spread, with no second pass. The loops run over cells (independent
/// accumulators), so they vectorise; the pointers are restrict so the compiler knows the arrays
/// do not overlap.
struct TileMoments {
  std::array<double, kTile> n;
  std::array<double, kTile> sum;
  std::array<double, kTile> low;
  std::array<double, kTile> high;
  std::array<double, kTile> mean;
  std::array<double, kTile> m2;

  void reset() {
    n.fill(0.0);
    sum.fill(0.0);
    low.fill(std::numeric_limits<double>::infinity());
    high.fill(-std::numeric_limits<double>::infinity());
    m2.fill(0.0);
  }
  /// First pass over a block's values of the tile, rows `stride` apart (kDifference: their
  /// differences from `base`, the reference's; made here rather than stored and read back).
  /// A cache line of cells at a time, down every row, its sums and extremes in registers; the
  /// first line's walk fetches each row's whole tile ahead. Missing values are not masked: they
  /// make the sum NaN, and recount_missing counts such cells' values again. Lines whose bit is
  /// set in `known_lines` are left as the caller set them (not read at all).
  template <std::size_t kLanes, bool kDifference = false>
  void first_pass(const double* values, const double* base, std::size_t rows, std::size_t stride,
                  std::size_t width, std::uint32_t known_lines = 0) {
    using Vector = typename DoubleLanes<kLanes>::type;
    constexpr std::size_t kVectors = kLine / kLanes;
    std::size_t first = 0;
    bool fetched = false;
    for (; first + kLine <= width; first += kLine) {
      if ((known_lines >> (first / kLine) & 1U) != 0) continue;
      const bool fetch = !fetched;
      fetched = true;
      std::array<Vector, kVectors> sums{};
      std::array<Vector, kVectors> lows;
      std::array<Vector, kVectors> highs;
      lows.fill(Vector{} + std::numeric_limits<double>::infinity());
      highs.fill(Vector{} - std::numeric_limits<double>::infinity());
      for (std::size_t i = 0; i < rows; ++i) {
        if (fetch && i + kPrefetchRows < rows) {
          prefetch_tile_row(values + (i + kPrefetchRows) * stride, width);
          if (kDifference) prefetch_tile_row(base + (i + kPrefetchRows) * stride, width);
        }
        for (std::size_t k = 0; k < kVectors; ++k) {
          Vector value;
          load_lanes<Vector, kDifference>(value, values, base, i * stride + first + kLanes * k);
          sums[k] += value;
          lows[k] = value < lows[k] ? value : lows[k];
          highs[k] = highs[k] < value ? value : highs[k];
        }
      }
      for (std::size_t k = 0; k < kVectors; ++k) {
        for (std::size_t lane = 0; lane < kLanes; ++lane) {
          sum[first + kLanes * k + lane] = sums[k][lane];
          low[first + kLanes * k + lane] = lows[k][lane];
          high[first + kLanes * k + lane] = highs[k][lane];
        }
      }
    }
    for (std::size_t c = first; c < width; ++c) {
      for (std::size_t i = 0; i < rows; ++i) {
        const double value =
            kDifference ? values[i * stride + c] - base[i * stride + c] : values[i * stride + c];
        sum[c] += value;
        low[c] = value < low[c] ? value : low[c];
        high[c] = high[c] < value ? value : high[c];
      }
    }
  }
  /// For the paired differences: sets every line of cells whose differences the two blocks'
  /// counts and extremes determine, as the passes would find them, and returns those lines' bits
  /// (first_pass's and recount_missing's `known_lines`): neither block's values of such a line
  /// are read again. A cell's differences are determined when either block has no value of it
  /// (none present), or when both blocks' present values are each all equal and one block has
  /// every value (the differences, present where the other block's values are, all one value).
  /// `values` is this block's after its first pass, `reference` the reference's per cell.
  std::uint32_t set_determined_lines(const TileMoments& values, const tally::Moments* reference,
                                     std::size_t rows, std::size_t width) {
    std::uint32_t known = 0;
    const auto all = static_cast<double>(rows);
    for (std::size_t first = 0; first + kLine <= width; first += kLine) {
      bool determined = true;
      for (std::size_t c = first; c < first + kLine; ++c) {
        const double other = static_cast<double>(reference[c].n);
        const bool empty = values.n[c] == 0.0 || other == 0.0;
        const bool constant = values.low[c] == values.high[c] &&
                              reference[c].min == reference[c].max &&
                              (values.n[c] == all || other == all);
        determined = determined && (empty || constant);
      }
      if (!determined) continue;
      known |= 1U << (first / kLine);
      for (std::size_t c = first; c < first + kLine; ++c) {
        const double other = static_cast<double>(reference[c].n);
        const bool empty = values.n[c] == 0.0 || other == 0.0;
        const double difference = values.low[c] - reference[c].min;
        n[c] = empty ? 0.0 : std::min(values.n[c], other);
        low[c] = empty ? std::numeric_limits<double>::infinity() : difference;
        high[c] = empty ? -std::numeric_limits<double>::infinity() : difference;
      }
    }
    return known;
  }
  /// Counts and sums again, skipping missing values, the cells whose sum came out NaN (a value
  /// missing, or infinities of both signs): the same additions in the same order as a masked
  /// first pass, for the few cells that need it. Rows are `row_stride` apart. A line of cells
  /// with such a cell is recounted whole, down the rows a vector at a time (cells with missing
  /// values come in lines: a variable's members side by side); the other cells' sums stand.
  /// Lines whose bit is set in `known_lines` are left as the caller set them.
  template <std::size_t kLanes, bool kDifference = false>
  void recount_missing(const double* values, const double* base, std::size_t rows,
                       std::size_t row_stride, std::size_t width, std::uint32_t known_lines = 0) {
    using Vector = typename DoubleLanes<kLanes>::type;
    constexpr std::size_t kVectors = kLine / kLanes;
    std::size_t first = 0;
    for (; first + kLine <= width; first += kLine) {
      if ((known_lines >> (first / kLine) & 1U) != 0) continue;
      bool any_missing = false;
      for (std::size_t c = first; c < first + kLine; ++c)
        any_missing = any_missing || sum[c] != sum[c];
      if (!any_missing) {
        for (std::size_t c = first; c < first + kLine; ++c) n[c] = static_cast<double>(rows);
        continue;
      }
      std::array<Vector, kVectors> present{};
      std::array<Vector, kVectors> total{};
      for (std::size_t i = 0; i < rows; ++i) {
        for (std::size_t k = 0; k < kVectors; ++k) {
          Vector value;
          load_lanes<Vector, kDifference>(value, values, base, i * row_stride + first + kLanes * k);
          const auto is_present = value == value;
          present[k] += is_present ? Vector{} + 1.0 : Vector{};
          total[k] += is_present ? value : Vector{};
        }
      }
      for (std::size_t k = 0; k < kVectors; ++k) {
        for (std::size_t lane = 0; lane < kLanes; ++lane) {
          const std::size_t c = first + kLanes * k + lane;
          const bool missing = sum[c] != sum[c];
          n[c] = missing ? present[k][lane] : static_cast<double>(rows);
          sum[c] = missing ? total[k][lane] : sum[c];
        }
      }
    }
    for (std::size_t c = first; c < width; ++c) {
      if (sum[c] == sum[c]) {
        n[c] = static_cast<double>(rows);
        continue;
      }
      double present = 0.0;
      double total = 0.0;
      for (std::size_t i = 0; i < rows; ++i) {
        const double value = kDifference ? values[i * row_stride + c] - base[i * row_stride + c]
                                         : values[i * row_stride + c];
        present += value == value ? 1.0 : 0.0;
        total += value == value ? value : 0.0;
      }
      n[c] = present;
      sum[c] = total;
    }
  }
  void finish_first_pass(std::size_t width) {
    for (std::size_t c = 0; c < width; ++c) {
      mean[c] = n[c] == 0.0 ? 0.0 : low[c] == high[c] ? low[c] : sum[c] / n[c];
    }
  }
  /// Whether cell `c` needs a second pass: present values that are not all equal.
  bool varies(std::size_t c) const { return n[c] > 0.0 && low[c] < high[c]; }
  /// Writes cell `c`'s moments to `out` field by field: a Moments built on the stack and copied
  /// was stored in two parts and loaded in others, which stalls each cell's copy (the loads
  /// cannot take their data from the stores).
  void store_moments(std::size_t c, tally::Moments& out) const {
    const bool empty = n[c] == 0.0;
    out.n = empty ? 0 : static_cast<std::int64_t>(n[c]);
    out.mean = empty ? 0.0 : mean[c];
    out.m2 = empty ? 0.0 : m2[c];
    out.min = empty ? std::numeric_limits<double>::infinity() : low[c];
    out.max = empty ? -std::numeric_limits<double>::infinity() : high[c];
  }
};

/// Squared deviations of one replicate's values of the varying columns (side by side) from
/// their means, missing values (NaN) skipped (kMasked; without, none may be missing).
template <bool kMasked>
void add_deviations(const double* __restrict values, const double* __restrict means,
                    double* __restrict squares, std::size_t width) {
  for (std::size_t c = 0; c < width; ++c) {
    const double deviation = values[c] - means[c];
    squares[c] += !kMasked || values[c] == values[c] ? deviation * deviation : 0.0;
  }
}

/// Whether every column in `columns` has all `rows` values present.
bool complete(const TileMoments& moments, std::span<const std::uint8_t> columns, std::size_t rows) {
  bool all = true;
  for (std::uint8_t c : columns) all = all && moments.n[c] == static_cast<double>(rows);
  return all;
}

/// Bucket indices of one replicate's values of a tile (kMissing for NaN; column c's at
/// buckets[c * bucket_stride], so that a column's buckets lie side by side), counting those in each
/// cell's lowest and highest bucket. QuantileSketch::bucket in 32-bit integer arithmetic on the
/// upper and lower halves of each double, so that it vectorises; values are finite or NaN here.
void tile_buckets(const double* __restrict values, std::size_t width,
                  const std::int32_t* __restrict lowest, const std::int32_t* __restrict highest,
                  std::int32_t* __restrict buckets, std::size_t bucket_stride,
                  std::uint32_t* __restrict at_lowest, std::uint32_t* __restrict at_highest) {
  constexpr int kHighDropped = tally::QuantileSketch::kDroppedBits - 32;
  for (std::size_t c = 0; c < width; ++c) {
    const auto bits = std::bit_cast<std::uint64_t>(values[c]);
    const auto low_word = static_cast<std::uint32_t>(bits);
    const auto high_word = static_cast<std::uint32_t>(bits >> 32);
    const std::uint32_t magnitude = high_word & 0x7fffffffU;
    const std::uint32_t present = magnitude < 0x7ff00000U ? 1U : 0U;
    const auto index = static_cast<std::int32_t>(magnitude >> kHighDropped) +
                       static_cast<std::int32_t>((magnitude | low_word) != 0);
    const auto negative = static_cast<std::int32_t>(high_word >> 31);
    const std::int32_t bucket = (index ^ -negative) + negative;
    buckets[c * bucket_stride] = present != 0 ? bucket : kMissing;
    at_lowest[c] += present & (bucket == lowest[c] ? 1U : 0U);
    at_highest[c] += present & (bucket == highest[c] ? 1U : 0U);
  }
}

/// The columns of a tile that vary within the block (TileMoments::varies), in increasing order:
/// only they need a second pass. When many do not, the second pass gathers a replicate's values
/// of those that do side by side (a few dozen doubles, in L1) and runs its vectorised loops on
/// them.
struct VaryingColumns {
  std::array<std::uint8_t, kTile> column{};
  std::size_t count = 0;
  bool all = false;

  /// `in_place_allowed`: whether every column may be read in place (not when some must not be
  /// read at all: lines set by TileMoments::set_determined_lines).
  void find(const TileMoments& moments, std::size_t width, bool in_place_allowed = true) {
    count = 0;
    for (std::size_t c = 0; c < width; ++c) {
      column[count] = static_cast<std::uint8_t>(c);
      count += moments.varies(c) ? 1 : 0;
    }
    // A gathered value costs about a third more than one read in place: when most columns
    // vary, every column goes (a constant one adds zero squared deviations, exactly, and its
    // buckets go unused).
    all = in_place_allowed && 4 * count >= 3 * width;
    if (all) {
      count = width;
      for (std::size_t c = 0; c < width; ++c) column[c] = static_cast<std::uint8_t>(c);
    }
  }
  /// The varying columns' values of one replicate's tile row (the row itself when all vary).
  const double* values(const double* row, double* __restrict gathered) const {
    if (all) return row;
    for (std::size_t j = 0; j < count; ++j) gathered[j] = row[column[j]];
    return gathered;
  }
  /// The varying columns' differences of a row from the reference's row.
  const double* differences(const double* __restrict row, const double* __restrict base,
                            double* __restrict gathered) const {
    if (all) {
      for (std::size_t j = 0; j < count; ++j) gathered[j] = row[j] - base[j];
    } else {
      for (std::size_t j = 0; j < count; ++j) gathered[j] = row[column[j]] - base[column[j]];
    }
    return gathered;
  }
};

}  // namespace

void StudyRunner::summarise_chunk(Chunk& chunk, const double* raw, const ReferenceBlock* reference,
                                  Scratch& scratch) const {
#if NATOSIM_WIDE_VECTORS
  if (wide_vectors_) {
    summarise_chunk_wide(chunk, raw, reference, scratch);
    return;
  }
#endif
  summarise_chunk_portable(chunk, raw, reference, scratch);
}

#if NATOSIM_WIDE_VECTORS
// Everything the pass calls is inlined (flatten) and so compiled for AVX2 too. No FMA: a fused
// multiply-add rounds once where the portable build rounds twice.
__attribute__((target("avx2"), flatten)) void StudyRunner::summarise_chunk_wide(
    Chunk& chunk, const double* raw, const ReferenceBlock* reference, Scratch& scratch) const {
  summarise_chunk_body<kWideLanes>(chunk, raw, reference, scratch);
}
#endif

__attribute__((flatten)) void StudyRunner::summarise_chunk_portable(Chunk& chunk, const double* raw,
                                                                    const ReferenceBlock* reference,
                                                                    Scratch& scratch) const {
  summarise_chunk_body<kPortableLanes>(chunk, raw, reference, scratch);
}

template <std::size_t kLanes>
inline void StudyRunner::summarise_chunk_body(Chunk& chunk, const double* raw,
                                              const ReferenceBlock* reference,
                                              Scratch& scratch) const {
  // Replicate-major passes over tiles of cells with per-cell accumulators: no value is
  // transposed or copied, and the paired differences to the reference are made in the same
  // passes, where the values are in cache. The second pass (squared deviations, buckets) visits
  // only the cells whose values, or differences, vary within the block: in the alliance model
  // about 45% of cells, and 55% of differences, are constant in a block of 64.
  const auto count = static_cast<std::size_t>(chunk.count);
  chunk.lay_out(cells_, cells_ * static_cast<std::size_t>(options_.block_size),
                reference != nullptr, options_.reference >= 0);
  std::fill(chunk.at_low.begin(), chunk.at_low.end(), 0U);
  scratch.tile_buckets.resize(kTile * count);
  TileMoments values;
  TileMoments differences;
  VaryingColumns varying;
  VaryingColumns varying_differences;
  // Per varying column (side by side): means, squared deviations, extreme buckets and counts.
  std::array<double, kTile> means{};
  std::array<double, kTile> squares{};
  std::array<std::int32_t, kTile> lowest{};
  std::array<std::int32_t, kTile> highest{};
  std::array<std::uint32_t, kTile> at_lowest{};
  std::array<std::uint32_t, kTile> at_highest{};
  std::array<double, kTile> gathered{};
  for (std::size_t first_cell = 0; first_cell < cells_; first_cell += kTile) {
    const std::size_t width = std::min(kTile, cells_ - first_cell);
    // The next tile's rows are fetched during this tile's second passes, a row a replicate, so
    // that its first pass reads from L2 rather than waiting on memory row after row.
    const std::size_t next_cell = first_cell + kTile;
    const std::size_t next_width = next_cell < cells_ ? std::min(kTile, cells_ - next_cell) : 0;
    values.reset();
    differences.reset();
    values.first_pass<kLanes>(raw + first_cell, nullptr, count, cells_, width);
    values.recount_missing<kLanes>(raw + first_cell, nullptr, count, cells_, width);
    values.finish_first_pass(width);
    std::uint32_t known = 0;
    if (reference != nullptr) {
      known =
          differences.set_determined_lines(values, reference->moments + first_cell, count, width);
      differences.first_pass<kLanes, true>(raw + first_cell, reference->raw + first_cell, count,
                                           cells_, width, known);
      differences.recount_missing<kLanes, true>(raw + first_cell, reference->raw + first_cell,
                                                count, cells_, width, known);
      differences.finish_first_pass(width);
      varying_differences.find(differences, width, known == 0);
    }
    for (std::size_t c = 0; c < width; ++c) {
      const std::size_t cell = first_cell + c;
      const bool complete = values.n[c] == static_cast<double>(count);
      if ((!complete && !slot_may_be_missing_[cell % stride_]) ||
          (values.n[c] > 0.0 && !std::isfinite(values.mean[c]))) {
        report_unset(chunk, raw, cell);
      }
    }

    varying.find(values, width);
    const std::size_t wide = varying.count;
    for (std::size_t j = 0; j < wide; ++j) {
      const std::size_t c = varying.column[j];
      means[j] = values.mean[c];
      lowest[j] = tally::QuantileSketch::bucket(values.low[c]);
      highest[j] = tally::QuantileSketch::bucket(values.high[c]);
    }
    squares.fill(0.0);
    at_lowest.fill(0);
    at_highest.fill(0);
    const bool masked = !complete(values, std::span(varying.column.data(), wide), count);
    // The reference's rows of the next tile are fetched in the differences' second pass, or
    // here when they have none (no difference varies, as between copies of a scenario): a loop
    // that only fetches waits on the memory it asks for.
    const double* const next_reference =
        reference != nullptr && next_width > 0 && varying_differences.count == 0
            ? reference->raw + next_cell
            : nullptr;
    for (std::size_t i = 0; wide > 0 && i < count; ++i) {
      if (next_width > 0) prefetch_tile_row(raw + i * cells_ + next_cell, next_width);
      if (next_reference != nullptr) prefetch_tile_row(next_reference + i * cells_, next_width);
      const double* row = varying.values(raw + i * cells_ + first_cell, gathered.data());
      if (masked) {
        add_deviations<true>(row, means.data(), squares.data(), wide);
      } else {
        add_deviations<false>(row, means.data(), squares.data(), wide);
      }
      tile_buckets(row, wide, lowest.data(), highest.data(), scratch.tile_buckets.data() + i, count,
                   at_lowest.data(), at_highest.data());
    }
    for (std::size_t i = 0; wide == 0 && next_width > 0 && i < count; ++i) {
      prefetch_tile_row(raw + i * cells_ + next_cell, next_width);
      if (next_reference != nullptr) prefetch_tile_row(next_reference + i * cells_, next_width);
    }
    std::size_t gathered_column = 0;
    for (std::size_t c = 0; c < width; ++c) {
      const std::size_t cell = first_cell + c;
      const bool varies = values.varies(c);
      const std::size_t j = varying.all ? c : gathered_column;
      gathered_column += varies ? 1 : 0;
      if (varies) values.m2[c] = squares[j];
      values.store_moments(c, chunk.moments[cell]);
      const auto present = static_cast<std::uint32_t>(chunk.moments[cell].n);
      if (present == 0) {
        chunk.shapes[cell] = CellShape::empty;
      } else if (!varies) {
        chunk.shapes[cell] = CellShape::constant;
      } else if (at_lowest[j] + (lowest[j] != highest[j] ? at_highest[j] : 0U) == present) {
        chunk.shapes[cell] = CellShape::two_buckets;
        chunk.at_low[cell] = at_lowest[j];
      } else {
        chunk.shapes[cell] = CellShape::spread;
        const std::int32_t* column = scratch.tile_buckets.data() + j * count;
        std::int32_t* listed = chunk.bucket_room.data() + chunk.listed;
        if (present == count) {
          std::copy(column, column + count, listed);
        } else {
          // Every replicate's bucket written, only the present ones kept (no branch).
          std::size_t kept = 0;
          for (std::size_t i = 0; i < count; ++i) {
            listed[kept] = column[i];
            kept += column[i] != kMissing ? 1 : 0;
          }
        }
        chunk.listed += present;
      }
    }

    if (reference == nullptr) continue;
    const std::size_t wide_differences = varying_differences.count;
    for (std::size_t k = 0; k < wide_differences; ++k) {
      means[k] = differences.mean[varying_differences.column[k]];
    }
    squares.fill(0.0);
    const bool masked_differences = !complete(
        differences, std::span(varying_differences.column.data(), wide_differences), count);
    for (std::size_t i = 0; wide_differences > 0 && i < count; ++i) {
      if (next_width > 0) prefetch_tile_row(reference->raw + i * cells_ + next_cell, next_width);
      const double* row = varying_differences.differences(
          raw + i * cells_ + first_cell, reference->raw + i * cells_ + first_cell, gathered.data());
      if (masked_differences) {
        add_deviations<true>(row, means.data(), squares.data(), wide_differences);
      } else {
        add_deviations<false>(row, means.data(), squares.data(), wide_differences);
      }
    }
    for (std::size_t k = 0; k < wide_differences; ++k) {
      differences.m2[varying_differences.column[k]] = squares[k];
    }
    for (std::size_t c = 0; c < width; ++c) {
      differences.store_moments(c, chunk.differences[first_cell + c]);
    }
  }
}

void StudyRunner::fold_pending(PendingChunks& pending, std::size_t k, Totals& totals,
                               Chunk* last) const {
  if (k != std::string::npos) {
    pending.batch.clear();
    for (std::size_t b = 0; b < pending.held[k]; ++b) {
      pending.batch.push_back(&pending.chunks[k][b]);
    }
    if (last != nullptr) pending.batch.push_back(last);
    fold_chunks(pending.batch, totals);
    pending.held[k] = 0;
    return;
  }
  if (last != nullptr) throw std::logic_error("fold_pending: a last chunk for every scenario");
  // Every scenario's (a checkpoint's fold, or the study's last, which the other threads would
  // otherwise wait for): the scenarios' totals are apart but for the sketches' arena, shared
  // meanwhile, so they are folded on the study's threads at once, each in block order as always.
  const SharedArena shared(*totals.arena);
  const tbb::global_control limit(tbb::global_control::max_allowed_parallelism,
                                  static_cast<std::size_t>(threads()));
  tbb::parallel_for(std::size_t{0}, pending.chunks.size(), [&](std::size_t scenario) {
    std::vector<Chunk*> batch(pending.held[scenario]);
    for (std::size_t b = 0; b < batch.size(); ++b) batch[b] = &pending.chunks[scenario][b];
    fold_chunks(batch, totals);
    pending.held[scenario] = 0;
  });
}

void StudyRunner::hold(PendingChunks& pending, std::size_t k, Chunk& chunk, Totals& totals) const {
  if (pending.capacity == 1) {
    // Nothing to batch: no pending copy (it would keep a chunk's buffers per scenario).
    Chunk* const alone = &chunk;
    fold_chunks(std::span<Chunk* const>(&alone, 1), totals);
    return;
  }
  // Scenarios' batches end at staggered blocks, so that each block's serial stage folds about
  // the same amount rather than every scenario at once every few blocks (which left threads
  // waiting for the burst); a batch shortened by a checkpoint's fold realigns by itself.
  const auto phase = static_cast<std::size_t>(chunk.block) + 1 + k;
  if (pending.completed_by_next(k) || phase % pending.capacity == 0) {
    fold_pending(pending, k, totals, &chunk);
  } else {
    pending.take(k, chunk);
  }
}

std::pair<std::size_t, std::size_t> StudyRunner::item_scenarios(std::int64_t index) const {
  if (options_.reference >= 0) return {0, names_.size()};
  const auto k = static_cast<std::size_t>(index % items_per_block());
  return {k, k + 1};
}

void StudyRunner::fold_chunks(std::span<Chunk* const> chunks, Totals& totals) const {
  if (chunks.empty()) return;
  const std::size_t s = chunks.front()->scenario;
  const std::size_t parts = fold_parts();
  if (parts == 1) {
    Totals::FoldSpace& space = totals.fold_space[s];
    space.taken.assign(chunks.size(), 0);
    fold_cells(chunks, totals, 0, cells_, space);
    return;
  }
  // The cells in parts side by side: the serial stage's fold at a study's end (one scenario's
  // batch, some milliseconds) otherwise kept the other thread waiting. Each cell still takes
  // the batch's blocks in block order, so the totals are the same bits; only the sketches'
  // memory comes from the shared arena in another order. Each part starts at its cells' first
  // listed bucket in every chunk.
  const std::size_t part_cells = (cells_ + parts - 1) / parts;
  for (std::size_t part = 0; part < parts; ++part) {
    totals.fold_space[s * parts + part].taken.assign(chunks.size(), 0);
  }
  for (std::size_t b = 0; b < chunks.size(); ++b) {
    const Chunk& chunk = *chunks[b];
    std::size_t listed = 0;
    for (std::size_t part = 0; part < parts; ++part) {
      totals.fold_space[s * parts + part].taken[b] = listed;
      const std::size_t end = std::min(cells_, (part + 1) * part_cells);
      for (std::size_t cell = part * part_cells; cell < end; ++cell) {
        if (chunk.shapes[cell] == CellShape::spread) listed += chunk.moments[cell].n;
      }
    }
  }
  const SharedArena shared(*totals.arena);
  const tbb::global_control limit(tbb::global_control::max_allowed_parallelism,
                                  static_cast<std::size_t>(threads()));
  // Isolated: a thread waiting for the parts takes none of the pipeline's items meanwhile, which
  // would hold the serial stage up for a block's run.
  tbb::this_task_arena::isolate([&] {
    tbb::parallel_for(
        tbb::blocked_range<std::size_t>(0, parts, 1),
        [&](const tbb::blocked_range<std::size_t>& range) {
          for (std::size_t part = range.begin(); part < range.end(); ++part) {
            fold_cells(chunks, totals, part * part_cells, std::min(cells_, (part + 1) * part_cells),
                       totals.fold_space[s * parts + part]);
          }
        },
        tbb::simple_partitioner());
  });
}

void StudyRunner::fold_cells(std::span<Chunk* const> chunks, Totals& totals, std::size_t first,
                             std::size_t end, Totals::FoldSpace& space) const {
  // Cell-major over the batch: a cell's sketch takes the batch's blocks one after the other,
  // in block order as always (so the results are those of one block at a time), but comes into
  // cache once per batch rather than once per block: a study's sketches far exceed the cache.
  const std::size_t s = chunks.front()->scenario;
  std::vector<std::size_t>& taken = space.taken;
  std::pmr::vector<tally::Moments>& moment_totals = totals.moments[s];
  std::pmr::vector<tally::QuantileSketch>& sketches = totals.sketches[s];
  // The listed buckets of a spread cell two ahead go to counts fetched meanwhile (5-8% of the
  // baseline's CPU time).
  constexpr std::size_t kAhead = 2;
  for (std::size_t cell = first; cell < end; ++cell) {
    tally::QuantileSketch& sketch = sketches[cell];
    if (cell + kAhead < end && chunks.front()->shapes[cell + kAhead] == CellShape::spread) {
      sketches[cell + kAhead].prefetch();
    }
    for (std::size_t b = 0; b < chunks.size(); ++b) {
      const Chunk& chunk = *chunks[b];
      const tally::Moments& moments = chunk.moments[cell];
      moment_totals[cell].merge(moments);
      const auto n = static_cast<std::uint32_t>(moments.n);
      switch (chunk.shapes[cell]) {
        case CellShape::empty:
          break;
        case CellShape::constant:
          sketch.add_two_buckets(n, 0, moments.min, moments.max);
          break;
        case CellShape::two_buckets:
          sketch.add_two_buckets(chunk.at_low[cell], n - chunk.at_low[cell], moments.min,
                                 moments.max);
          break;
        case CellShape::spread:
          sketch.add(std::span<const std::int32_t>(chunk.bucket_room.data() + taken[b], n),
                     moments.min, moments.max, space.scratch);
          taken[b] += n;
          break;
      }
    }
  }
  if (!chunks.front()->differences.empty()) {
    std::pmr::vector<tally::Moments>& out = totals.differences[s];
    for (std::size_t cell = first; cell < end; ++cell) {
      for (const Chunk* chunk : chunks) out[cell].merge(chunk->differences[cell]);
    }
  }
}

void StudyRunner::summarise(const Totals& totals, Results& results) const {
  const std::size_t members = schema_.members.size();
  const auto years = static_cast<std::size_t>(options_.years);
  const std::size_t levels = options_.quantile_levels.size();
  const std::size_t variables = schema_.variables.size();
  for (std::size_t v = 0; v < variables; ++v) {
    const VariableSpec& spec = schema_.variables[v];
    const std::size_t cells = results.cells(spec);
    VariableSummary& out = results.summaries[v];
    for (auto* field : {&out.mean, &out.sd, &out.mcse, &out.min, &out.max}) field->resize(cells);
    out.quantiles.resize(cells * levels);
    out.count.resize(cells);
    if (spec.binary) {
      out.wilson_low.resize(cells);
      out.wilson_high.resize(cells);
    }
    if (options_.reference >= 0) {
      VariableDifference& difference = results.differences[v];
      for (auto* field :
           {&difference.mean, &difference.mcse, &difference.ci_low, &difference.ci_high}) {
        field->resize(cells);
      }
    }
  }
  // Each (variable, scenario) fills its own cells, so they are filled side by side. One after
  // the other (mostly the quantiles' walks) they were the last 10-13 ms of a 2-thread baseline
  // study of 2,000 replicates, with one thread working; side by side 6-8 ms, about 1% of the
  // study's wall time.
  const tbb::global_control limit(tbb::global_control::max_allowed_parallelism,
                                  static_cast<std::size_t>(threads()));
  tbb::parallel_for(std::size_t{0}, variables * names_.size(), [&](std::size_t task) {
    const std::size_t v = task / names_.size();
    const std::size_t s = task % names_.size();
    const VariableSpec& spec = schema_.variables[v];
    const std::size_t width = spec.level == Level::member ? members : 1;
    VariableSummary& out = results.summaries[v];
    VariableDifference* const difference =
        options_.reference >= 0 ? &results.differences[v] : nullptr;
    for (std::size_t y = 0; y < years; ++y) {
      for (std::size_t k = 0; k < width; ++k) {
        const std::size_t source = y * stride_ + probe_.offset(v) + k;
        const std::size_t cell = (s * years + y) * width + k;
        const tally::Moments& moments = totals.moments[s][source];
        const bool empty = moments.n == 0;
        const double nan = std::numeric_limits<double>::quiet_NaN();
        out.mean[cell] = empty ? nan : moments.mean;
        out.sd[cell] = empty ? nan : moments.sd();
        out.mcse[cell] = moments.mcse();
        out.min[cell] = empty ? nan : moments.min;
        out.max[cell] = empty ? nan : moments.max;
        out.count[cell] = moments.n;
        totals.sketches[s][source].quantiles(
            options_.quantile_levels,
            std::span<double>(out.quantiles.data() + cell * levels, levels));
        if (spec.binary) {
          const tally::Interval interval = tally::wilson_interval(moments.mean, moments.n);
          out.wilson_low[cell] = interval.low;
          out.wilson_high[cell] = interval.high;
        }
        if (difference != nullptr) {
          const tally::Moments& paired = totals.differences[s][source];
          // Normal-approximation 95% interval of the paired mean difference.
          const double half = 1.959963984540054 * paired.mcse();
          const bool is_reference = static_cast<int>(s) == options_.reference;
          difference->mean[cell] = is_reference ? 0.0 : (paired.n ? paired.mean : nan);
          difference->mcse[cell] = is_reference ? 0.0 : paired.mcse();
          difference->ci_low[cell] = is_reference ? 0.0 : difference->mean[cell] - half;
          difference->ci_high[cell] = is_reference ? 0.0 : difference->mean[cell] + half;
        }
      }
    }
  });
}

std::vector<unsigned char> StudyRunner::save_tally(const Totals& totals) const {
  ByteWriter out;
  out.put<std::uint64_t>(totals.moments.size());
  out.put<std::uint64_t>(cells_);
  out.put<std::uint64_t>(totals.differences.size());
  for (const std::pmr::vector<tally::Moments>& moments : totals.moments) {
    out.put_span(std::span<const tally::Moments>(moments));
  }
  for (const std::pmr::vector<tally::QuantileSketch>& sketches : totals.sketches) {
    for (const tally::QuantileSketch& sketch : sketches) sketch.save(out);
  }
  for (const std::pmr::vector<tally::Moments>& moments : totals.differences) {
    out.put_span(std::span<const tally::Moments>(moments));
  }
  return std::move(out.bytes());
}

void StudyRunner::load_tally(const std::vector<unsigned char>& bytes, Totals& totals) const {
  try {
    ByteReader in(bytes);
    const auto scenarios = in.get<std::uint64_t>();
    const auto cells = in.get<std::uint64_t>();
    const auto differences = in.get<std::uint64_t>();
    if (scenarios != totals.moments.size() || cells != cells_ ||
        differences != totals.differences.size()) {
      throw std::runtime_error("saved for another layout of scenarios, years or variables");
    }
    const auto read_moments = [&](std::pmr::vector<tally::Moments>& moments) {
      const std::vector<tally::Moments> saved = in.get_vector<tally::Moments>();
      if (saved.size() != cells_) throw std::runtime_error("wrong number of cells");
      std::copy(saved.begin(), saved.end(), moments.begin());
    };
    for (std::pmr::vector<tally::Moments>& moments : totals.moments) read_moments(moments);
    for (std::pmr::vector<tally::QuantileSketch>& sketches : totals.sketches) {
      for (tally::QuantileSketch& sketch : sketches) sketch = tally::QuantileSketch::load(in);
    }
    for (std::pmr::vector<tally::Moments>& moments : totals.differences) read_moments(moments);
    if (!in.at_end()) throw std::runtime_error("bytes left over");
  } catch (const std::runtime_error& error) {
    throw std::invalid_argument(std::string("run_study: the checkpoint's statistics do not fit "
                                            "this study: ") +
                                error.what());
  }
}

Results StudyRunner::layout() const {
  Results results;
  results.scenarios = names_;
  results.scenario_descriptions = descriptions_;
  for (int y = 0; y < options_.years; ++y) results.years.push_back(options_.start_year + y);
  results.member_axis = schema_.member_axis;
  results.member_axis_long_name = schema_.member_axis_long_name;
  results.time_axis = schema_.time_axis;
  results.time_axis_long_name = schema_.time_axis_long_name;
  results.members = schema_.members;
  results.member_names = schema_.member_names;
  results.quantile_levels = options_.quantile_levels;
  results.replicates = options_.replicates;
  results.seed = options_.seed;
  results.variables = schema_.variables;
  results.reference_scenario = options_.reference;
  results.has_trajectories = options_.trajectories;
  if (event_width_ > 0) {
    // The event table: engine columns first, then the model's.
    results.event_columns.push_back(
        EventColumnSpec{"scenario", "1", "scenario of the event", names_});
    results.event_columns.push_back(EventColumnSpec{"replicate", "1", "replicate index", {}});
    results.event_columns.push_back(EventColumnSpec{
        schema_.time_axis, schema_.time_axis_units, schema_.time_axis_long_name, {}});
    for (const EventColumnSpec& column : schema_.event_columns) {
      results.event_columns.push_back(column);
    }
  }
  return results;
}

Totals StudyRunner::empty_totals() const {
  const std::size_t scenario_count = names_.size();
  Totals totals;
  const bool paired = options_.reference >= 0;
  // Each array's size, and room to align it.
  const std::size_t bytes =
      scenario_count * ((cells_ * sizeof(tally::Moments) + 64) * (paired ? 2 : 1) +
                        cells_ * sizeof(tally::QuantileSketch) + 64);
  totals.fixed_memory = HugeBuffer(bytes);
  totals.fixed = std::make_unique<std::pmr::monotonic_buffer_resource>(
      totals.fixed_memory.data(), totals.fixed_memory.size(), std::pmr::get_default_resource());
  std::pmr::memory_resource* const fixed = totals.fixed.get();
  const auto cell_moments = [&] {
    std::pmr::vector<tally::Moments> moments(fixed);
    moments.resize(cells_);
    return moments;
  };
  totals.moments.reserve(scenario_count);
  for (std::size_t s = 0; s < scenario_count; ++s) totals.moments.push_back(cell_moments());
  const auto [lowest_level, highest_level] =
      std::minmax_element(options_.quantile_levels.begin(), options_.quantile_levels.end());
  const double lowest = options_.quantile_levels.empty() ? 0.0 : *lowest_level;
  const double highest = options_.quantile_levels.empty() ? 1.0 : *highest_level;
  totals.fold_space.resize(scenario_count * fold_parts());
  totals.sketches.reserve(scenario_count);
  for (std::size_t s = 0; s < scenario_count; ++s) totals.sketches.emplace_back(fixed);
  for (std::pmr::vector<tally::QuantileSketch>& sketches : totals.sketches) {
    sketches.reserve(cells_);
    for (std::size_t cell = 0; cell < cells_; ++cell) {
      sketches.emplace_back(lowest, highest, totals.arena.get());
    }
  }
  if (paired) {
    totals.differences.reserve(scenario_count);
    for (std::size_t s = 0; s < scenario_count; ++s) totals.differences.push_back(cell_moments());
  }
  return totals;
}

void StudyRunner::pipeline(std::int64_t count,
                           const std::function<std::int64_t(std::int64_t)>& item_at,
                           const ResultsSink* sink, const std::function<void(BlockWork&)>& serial) {
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism,
                            static_cast<std::size_t>(threads()));
  std::int64_t next = 0;
  bool stopped = false;
  // An item's buffers, and a paired item's reference space, are owned here so that none leaks
  // when a model throws and the pipeline drops the items in flight. Free ones wait in the
  // pools, the last returned taken first: a 2-thread baseline study (1,000 replicates) then
  // touches three of its four items, and its peak memory was 159 MB against 184 MB with the
  // oldest taken first and the reference's space held with its item (6 December 2026).
  const RunnerFootprint sizes = footprint();
  const std::size_t group = sizes.scenarios_per_item;
  const std::size_t tokens = sizes.items_in_flight;
  std::vector<std::unique_ptr<BlockWork>> works;
  FreeList<BlockWork> pool(tokens);
  for (std::size_t t = 0; t < tokens; ++t) {
    works.push_back(std::make_unique<BlockWork>());
    works.back()->chunks.resize(group);
  }
  for (std::size_t t = tokens; t-- > 0;) pool.push(works[t].get());
  const bool paired = options_.reference >= 0;
  std::vector<std::unique_ptr<ReferenceSpace>> spaces;
  FreeList<ReferenceSpace> free_spaces(paired ? tokens : 0);
  for (std::size_t t = 0; paired && t < tokens; ++t) {
    spaces.push_back(std::make_unique<ReferenceSpace>());
  }
  for (std::size_t t = spaces.size(); t-- > 0;) free_spaces.push(spaces[t].get());
  tbb::enumerable_thread_specific<Scratch> scratches;

  const auto run_item = [&](std::int64_t item) {
    // At most `tokens` items are in flight, each holding one BlockWork.
    BlockWork* work = pool.pop();
    if (work == nullptr) throw std::logic_error("run_study: no free block buffer");
    const std::int64_t block = item / items_per_block();
    const auto [first_scenario, end_scenario] = item_scenarios(item);
    work->block = block;
    const std::int64_t first = block * options_.block_size;
    for (std::size_t k = first_scenario; k < end_scenario; ++k) {
      Chunk& chunk = work->chunks[k - first_scenario];
      chunk.block = block;
      chunk.scenario = order_[k];
      chunk.first = first;
      chunk.count = std::min(options_.block_size, options_.replicates - first);
    }
    if (!paired) {
      tbb::parallel_for(tbb::blocked_range<std::size_t>(0, work->chunks.size(), 1),
                        [&](const tbb::blocked_range<std::size_t>& range) {
                          Scratch& scratch = scratches.local();
                          for (std::size_t k = range.begin(); k < range.end(); ++k) {
                            run_chunk(work->chunks[k], scratch.raw, nullptr, {}, scratch, sink);
                          }
                        });
      return work;
    }
    // The reference first (its values are the others' base), then the others side by side.
    ReferenceSpace* space = free_spaces.pop();
    if (space == nullptr) throw std::logic_error("run_study: no free reference buffer");
    const FreeList<ReferenceSpace>::Returning give_back(free_spaces, space);
    SharedByReference shared;
    if (options_.share_random_words && work->chunks.size() > 1) {
      space->words.resize(static_cast<std::size_t>(options_.block_size));
      shared.words = space->words.data();
    }
    if (options_.share_run_memos && work->chunks.size() > 1) {
      space->memos.resize(static_cast<std::size_t>(options_.block_size));
      shared.memos = space->memos.data();
    }
    run_reference_chunk(work->chunks[0], space->raw, scratches, space->events, shared, sink);
    const ReferenceBlock reference{space->raw.data(), work->chunks[0].moments.data()};
    tbb::parallel_for(tbb::blocked_range<std::size_t>(1, work->chunks.size(), 1),
                      [&](const tbb::blocked_range<std::size_t>& range) {
                        Scratch& scratch = scratches.local();
                        for (std::size_t k = range.begin(); k < range.end(); ++k) {
                          run_chunk(work->chunks[k], scratch.raw, &reference, shared, scratch,
                                    sink);
                        }
                      });
    return work;
  };

  tbb::parallel_pipeline(
      tokens, tbb::make_filter<void, std::int64_t>(tbb::filter_mode::serial_in_order,
                                                   [&](tbb::flow_control& control) -> std::int64_t {
                                                     if (next >= count ||
                                                         (options_.stop && options_.stop->load())) {
                                                       stopped = next < count;
                                                       control.stop();
                                                       return 0;
                                                     }
                                                     return item_at(next++);
                                                   }) &
                  tbb::make_filter<std::int64_t, BlockWork*>(tbb::filter_mode::parallel, run_item) &
                  tbb::make_filter<BlockWork*, void>(
                      tbb::filter_mode::serial_in_order, [&](BlockWork* work) {
                        // Back to the pool whatever `serial` does.
                        const FreeList<BlockWork>::Returning release(pool, work);
                        serial(*work);
                      }));
  if (stopped) throw Interrupted();
}

void StudyRunner::run(ResultsSink& sink) {
  using Clock = std::chrono::steady_clock;
  std::array<Clock::time_point, 6> at{};
  at[0] = Clock::now();
  Results results = layout();
  sink.begin(results, options_.block_size);
  results.summaries.resize(schema_.variables.size());
  if (options_.reference >= 0) results.differences.resize(schema_.variables.size());

  const auto scenario_count = static_cast<std::int64_t>(names_.size());
  // The totals are made where first needed, in the pipeline's serial stage, unless a checkpoint
  // must be loaded into them first: there the first touch of their memory (most of a study's
  // setup on the virtual machines we measure on) overlaps the first blocks' runs on the other
  // threads rather than keeping them waiting.
  std::optional<Totals> made_totals;
  const auto totals = [&]() -> Totals& {
    if (!made_totals) made_totals.emplace(empty_totals());
    return *made_totals;
  };
  const std::int64_t block_count = blocks();
  const std::int64_t total_runs = options_.replicates * scenario_count;
  std::int64_t first_block = 0;
  if (options_.resume != nullptr) {
    first_block = options_.resume->blocks;
    if (first_block < 0 || first_block > block_count) {
      throw std::invalid_argument("run_study: the checkpoint is past the study's last block");
    }
    load_tally(options_.resume->tally, totals());
  }
  std::int64_t runs_done =
      std::min(first_block * options_.block_size, options_.replicates) * scenario_count;
  if (first_block > 0 && options_.progress) options_.progress(runs_done, total_runs);

  const std::int64_t first_item = first_block * items_per_block();
  const auto item_at = [first_item](std::int64_t k) { return first_item + k; };
  PendingChunks pending(names_.size(), footprint().blocks_per_batch);
  at[1] = Clock::now();
  pipeline((block_count - first_block) * items_per_block(), item_at, &sink, [&](BlockWork& work) {
    std::size_t k = 0;
    for (Chunk& chunk : work.chunks) {
      k = static_cast<std::size_t>(std::find(order_.begin(), order_.end(), chunk.scenario) -
                                   order_.begin());
      sink.add_block(chunk.out);
      hold(pending, k, chunk, totals());
      runs_done += chunk.count;
      if (options_.progress) options_.progress(runs_done, total_runs);
    }
    // A whole block is merged once its last scenario in the work order is.
    const std::int64_t blocks_done = work.block + 1;
    if (k + 1 == names_.size() && blocks_done < block_count && options_.checkpoint &&
        ((options_.stop && options_.stop->load()) ||
         (options_.checkpoint_due && options_.checkpoint_due(blocks_done)))) {
      fold_pending(pending, std::string::npos, totals());
      options_.checkpoint(RunCheckpoint{blocks_done, save_tally(totals())});
    }
  });
  at[2] = Clock::now();
  fold_pending(pending, std::string::npos, totals());
  at[3] = Clock::now();
  summarise(totals(), results);
  at[4] = Clock::now();
  sink.finish(std::move(results));
  at[5] = Clock::now();
  if (options_.timings != nullptr) {
    const auto seconds = [&](std::size_t phase) {
      return std::chrono::duration<double>(at[phase + 1] - at[phase]).count();
    };
    *options_.timings = StudyTimings{seconds(0), seconds(1), seconds(2), seconds(3), seconds(4)};
  }
}

void StudyRunner::produce(const std::vector<std::int64_t>& blocks, const ItemConsumer& emit) {
  const std::int64_t per_block = items_per_block();
  const auto item_at = [&](std::int64_t k) {
    return blocks[static_cast<std::size_t>(k / per_block)] * per_block + k % per_block;
  };
  pipeline(static_cast<std::int64_t>(blocks.size()) * per_block, item_at, nullptr,
           [&](BlockWork& work) {
             for (const Chunk& chunk : work.chunks) {
               const std::int64_t item = item_of(chunk);
               emit(item, save_item(item, chunk));
             }
           });
}

std::int64_t StudyRunner::item_of(const Chunk& chunk) const {
  const auto place = std::find(order_.begin(), order_.end(), chunk.scenario) - order_.begin();
  return chunk.block * static_cast<std::int64_t>(names_.size()) + place;
}

void StudyRunner::fold(const ItemSource& next, ResultsSink& sink) {
  Results results = layout();
  sink.begin(results, options_.block_size);
  results.summaries.resize(schema_.variables.size());
  if (options_.reference >= 0) results.differences.resize(schema_.variables.size());
  Totals totals = empty_totals();
  const auto scenario_count = static_cast<std::int64_t>(names_.size());
  const std::int64_t items = blocks() * scenario_count;
  const std::int64_t total_runs = options_.replicates * scenario_count;
  std::int64_t runs_done = 0;
  PendingChunks pending(names_.size(), footprint().blocks_per_batch);
  Chunk chunk;
  for (std::int64_t item = 0; item < items; ++item) {
    if (options_.stop && options_.stop->load()) throw Interrupted();
    load_item(item, next(item), chunk);
    sink.encode(chunk.out);
    sink.add_block(chunk.out);
    hold(pending, static_cast<std::size_t>(item % scenario_count), chunk, totals);
    runs_done += chunk.count;
    if (options_.progress) options_.progress(runs_done, total_runs);
  }
  fold_pending(pending, std::string::npos, totals);
  summarise(totals, results);
  sink.finish(std::move(results));
}

std::vector<unsigned char> StudyRunner::save_item(std::int64_t item, const Chunk& chunk) const {
  // Only two-bucket cells' counts and spread cells' buckets: the moments give the rest.
  std::vector<std::uint32_t> at_low;
  for (std::size_t cell = 0; cell < cells_; ++cell) {
    if (chunk.shapes[cell] == CellShape::two_buckets) at_low.push_back(chunk.at_low[cell]);
  }
  // The item's size first: grown as it is written, its megabytes were copied again at each
  // growth and taken from fresh pages (for MPI, every item of a study goes through here).
  std::size_t bytes = 3 * sizeof(std::uint64_t) + 2 * sizeof(std::uint64_t) +
                      ByteWriter::span_bytes<tally::Moments>(chunk.moments.size()) +
                      ByteWriter::span_bytes<CellShape>(chunk.shapes.size()) +
                      ByteWriter::span_bytes<std::uint32_t>(at_low.size()) +
                      ByteWriter::span_bytes<std::int32_t>(chunk.listed) +
                      ByteWriter::span_bytes<tally::Moments>(chunk.differences.size());
  for (const std::vector<double>& values : chunk.out.trajectories) {
    bytes += ByteWriter::span_bytes<double>(values.size());
  }
  for (const std::vector<double>& column : chunk.out.events) {
    bytes += ByteWriter::span_bytes<double>(column.size());
  }
  ByteWriter out;
  out.reserve(bytes);
  out.put<std::int64_t>(item);
  out.put<std::uint64_t>(cells_);
  out.put<std::int64_t>(chunk.count);
  out.put_span(std::span<const tally::Moments>(chunk.moments));
  out.put_span(std::span<const CellShape>(chunk.shapes));
  out.put_span(std::span<const std::uint32_t>(at_low));
  out.put_span(chunk.buckets());
  out.put_span(std::span<const tally::Moments>(chunk.differences));
  out.put<std::uint64_t>(chunk.out.trajectories.size());
  for (const std::vector<double>& values : chunk.out.trajectories) {
    out.put_span(std::span<const double>(values));
  }
  out.put<std::uint64_t>(chunk.out.events.size());
  for (const std::vector<double>& column : chunk.out.events) {
    out.put_span(std::span<const double>(column));
  }
  return std::move(out.bytes());
}

void StudyRunner::load_item(std::int64_t item, const std::vector<unsigned char>& bytes,
                            Chunk& chunk) const {
  const auto scenario_count = static_cast<std::int64_t>(names_.size());
  try {
    ByteReader in(bytes);
    if (in.get<std::int64_t>() != item) throw std::runtime_error("another item than expected");
    if (in.get<std::uint64_t>() != cells_) throw std::runtime_error("another layout of cells");
    chunk.block = item / scenario_count;
    chunk.scenario = order_[static_cast<std::size_t>(item % scenario_count)];
    chunk.first = chunk.block * options_.block_size;
    chunk.count = std::min(options_.block_size, options_.replicates - chunk.first);
    if (in.get<std::int64_t>() != chunk.count) throw std::runtime_error("another block size");
    // The arrays are copied once, from the bytes straight into the chunk.
    const auto moments_in = in.get_packed<tally::Moments>();
    const auto shapes_in = in.get_packed<CellShape>();
    const std::vector<std::uint32_t> at_low = in.get_vector<std::uint32_t>();
    const auto buckets_in = in.get_packed<std::int32_t>();
    if (moments_in.count != cells_ || shapes_in.count != cells_) {
      throw std::runtime_error("wrong number of cells");
    }
    const auto differences_in = in.get_packed<tally::Moments>();
    const bool paired =
        options_.reference >= 0 && static_cast<int>(chunk.scenario) != options_.reference;
    if (differences_in.count != (paired ? cells_ : 0)) {
      throw std::runtime_error("paired differences missing or unexpected");
    }
    chunk.lay_out(cells_, buckets_in.count, paired, options_.reference >= 0);
    moments_in.copy_to(chunk.moments.data());
    shapes_in.copy_to(chunk.shapes.data());
    buckets_in.copy_to(chunk.bucket_room.data());
    chunk.listed = buckets_in.count;
    differences_in.copy_to(chunk.differences.data());
    // Every cell's shape must fit its moments, so that the fold takes exactly the values the
    // moments count.
    std::fill(chunk.at_low.begin(), chunk.at_low.end(), 0U);
    std::size_t two_buckets = 0;
    std::size_t spread = 0;
    for (std::size_t cell = 0; cell < cells_; ++cell) {
      const tally::Moments& moments = chunk.moments[cell];
      if (moments.n < 0 || moments.n > chunk.count) {
        throw std::runtime_error("a cell counts more values than the block has");
      }
      const auto n = static_cast<std::uint64_t>(moments.n);
      bool fits = false;
      switch (chunk.shapes[cell]) {
        case CellShape::empty:
          fits = n == 0;
          break;
        case CellShape::constant:
          fits = n > 0 && moments.min == moments.max;
          break;
        case CellShape::two_buckets:
          fits = n > 0 && moments.min < moments.max && two_buckets < at_low.size() &&
                 at_low[two_buckets] <= n;
          if (fits) chunk.at_low[cell] = at_low[two_buckets++];
          break;
        case CellShape::spread:
          fits = n > 0 && chunk.listed - spread >= n;
          spread += n;
          break;
      }
      if (!fits) throw std::runtime_error("a cell's values do not fit its moments");
    }
    if (two_buckets != at_low.size() || spread != chunk.listed) {
      throw std::runtime_error("bucket counts left over");
    }
    ResultsBlock& out = chunk.out;
    out.scenario = chunk.scenario;
    out.first_replicate = chunk.first;
    out.replicates = chunk.count;
    out.encoded.clear();
    out.trajectories.resize(static_cast<std::size_t>(in.get<std::uint64_t>()));
    if (out.trajectories.size() != (options_.trajectories ? schema_.variables.size() : 0)) {
      throw std::runtime_error("trajectories missing or unexpected");
    }
    for (std::vector<double>& values : out.trajectories) values = in.get_vector<double>();
    out.events.resize(static_cast<std::size_t>(in.get<std::uint64_t>()));
    if (out.events.size() != (event_width_ > 0 ? event_width_ + 3 : 0)) {
      throw std::runtime_error("event columns missing or unexpected");
    }
    for (std::vector<double>& column : out.events) column = in.get_vector<double>();
    if (!in.at_end()) throw std::runtime_error("bytes left over");
  } catch (const std::runtime_error& error) {
    throw std::invalid_argument("item " + std::to_string(item) +
                                " does not fit this study: " + error.what());
  }
}

/// The sink behind run_study's returned Results: keeps every block in memory.
class ResultsCollector final : public ResultsSink {
 public:
  void begin(const Results& layout, std::int64_t /*block_size*/) override {
    results_ = layout;
    const auto replicates = static_cast<std::size_t>(layout.replicates);
    if (layout.has_trajectories) {
      results_.trajectories.resize(layout.variables.size());
      for (std::size_t v = 0; v < layout.variables.size(); ++v) {
        results_.trajectories[v].resize(results_.cells(layout.variables[v]) * replicates);
      }
    }
    events_.assign(layout.scenarios.size(),
                   std::vector<std::vector<double>>(layout.event_columns.size()));
  }

  void add_block(const ResultsBlock& block) override {
    const std::size_t scenario = block.scenario;
    for (std::size_t v = 0; v < block.trajectories.size(); ++v) {
      // A scenario's replicates are contiguous: [scenario][replicate][year][member].
      const std::size_t per_replicate =
          results_.cells(results_.variables[v]) / results_.scenarios.size();
      const std::size_t start = (scenario * static_cast<std::size_t>(results_.replicates) +
                                 static_cast<std::size_t>(block.first_replicate)) *
                                per_replicate;
      std::copy(block.trajectories[v].begin(), block.trajectories[v].end(),
                results_.trajectories[v].begin() + static_cast<std::ptrdiff_t>(start));
    }
    for (std::size_t c = 0; c < block.events.size(); ++c) {
      std::vector<double>& column = events_[scenario][c];
      column.insert(column.end(), block.events[c].begin(), block.events[c].end());
    }
  }

  void finish(Results summaries) override {
    results_.summaries = std::move(summaries.summaries);
    results_.differences = std::move(summaries.differences);
    // The event table in (scenario, replicate, year) order.
    results_.event_values.assign(results_.event_columns.size(), {});
    for (const std::vector<std::vector<double>>& scenario : events_) {
      for (std::size_t c = 0; c < scenario.size(); ++c) {
        results_.event_values[c].insert(results_.event_values[c].end(), scenario[c].begin(),
                                        scenario[c].end());
      }
    }
    events_.clear();
  }

  Results take() { return std::move(results_); }

 private:
  Results results_;
  /// [scenario][column] until finish.
  std::vector<std::vector<std::vector<double>>> events_;
};

}  // namespace

bool summarise_has_wide_vectors() { return processor_has_avx2(); }

Results run_study(const std::vector<ScenarioRun>& scenarios, const RunOptions& options) {
  ResultsCollector collector;
  run_study(scenarios, options, collector);
  return collector.take();
}

namespace {

void check_options(std::size_t scenarios, const RunOptions& options) {
  if (scenarios == 0) throw std::invalid_argument("run_study: no scenarios");
  if (options.replicates < 1) throw std::invalid_argument("run_study: replicates must be >= 1");
  if (options.years < 1) throw std::invalid_argument("run_study: years must be >= 1");
  if (options.block_size < 1) throw std::invalid_argument("run_study: block_size must be >= 1");
  if (options.reference >= static_cast<int>(scenarios)) {
    throw std::invalid_argument("run_study: reference scenario out of range");
  }
}

/// The models' common schema; throws std::logic_error when two scenarios record differently.
const ModelSchema& common_schema(const std::vector<ScenarioRun>& scenarios) {
  // One buffer layout serves every scenario: the whole schema must match, not just its sizes
  // (a variable of another level would put values in another variable's slots).
  const ModelSchema& first = scenarios.front().model->schema();
  const auto same_variable = [](const VariableSpec& a, const VariableSpec& b) {
    return a.name == b.name && a.level == b.level && a.binary == b.binary &&
           a.may_be_missing == b.may_be_missing;
  };
  const auto same_column = [](const EventColumnSpec& a, const EventColumnSpec& b) {
    return a.name == b.name && a.categories == b.categories;
  };
  for (const ScenarioRun& scenario : scenarios) {
    const ModelSchema& schema = scenario.model->schema();
    if (schema.member_axis != first.member_axis || schema.time_axis != first.time_axis ||
        schema.members != first.members ||
        !std::equal(schema.variables.begin(), schema.variables.end(), first.variables.begin(),
                    first.variables.end(), same_variable) ||
        !std::equal(schema.event_columns.begin(), schema.event_columns.end(),
                    first.event_columns.begin(), first.event_columns.end(), same_column)) {
      throw std::logic_error("scenario '" + scenario.name +
                             "' records a different schema from scenario '" +
                             scenarios.front().name + "'");
    }
  }
  return first;
}

std::vector<std::string> names_of(const std::vector<ScenarioRun>& scenarios) {
  std::vector<std::string> names;
  names.reserve(scenarios.size());
  for (const ScenarioRun& scenario : scenarios) names.push_back(scenario.name);
  return names;
}

std::vector<std::string> descriptions_of(const std::vector<ScenarioRun>& scenarios) {
  std::vector<std::string> descriptions;
  descriptions.reserve(scenarios.size());
  for (const ScenarioRun& scenario : scenarios) descriptions.push_back(scenario.description);
  return descriptions;
}

}  // namespace

void run_study(const std::vector<ScenarioRun>& scenarios, const RunOptions& options,
               ResultsSink& sink) {
  check_options(scenarios.size(), options);
  StudyRunner runner(scenarios, common_schema(scenarios), names_of(scenarios),
                     descriptions_of(scenarios), options);
  runner.run(sink);
}

Results study_layout(const std::vector<ScenarioRun>& scenarios, const RunOptions& options) {
  check_options(scenarios.size(), options);
  return StudyRunner(scenarios, common_schema(scenarios), names_of(scenarios),
                     descriptions_of(scenarios), options)
      .layout();
}

std::vector<std::int64_t> block_range(std::int64_t first_block, std::int64_t end_block) {
  std::vector<std::int64_t> blocks;
  blocks.reserve(static_cast<std::size_t>(std::max<std::int64_t>(end_block - first_block, 0)));
  for (std::int64_t block = first_block; block < end_block; ++block) blocks.push_back(block);
  return blocks;
}

RunnerFootprint runner_footprint(std::size_t scenarios, bool paired, int threads,
                                 bool trajectories) {
  RunnerFootprint footprint;
  const auto workers = static_cast<std::size_t>(std::max(threads, 1));
  // With a reference a block is one item (the reference's values are the others' base);
  // otherwise each scenario's block is.
  footprint.scenarios_per_item = paired ? scenarios : 1;
  // Enough scenarios in flight to keep every thread busy, plus spare ones: items finish out of
  // order (each runs its scenarios as nested tasks) and are folded in order, so a thread that
  // finishes an item while earlier ones are still running or being folded needs a free item to
  // go on with. With one spare, both threads were busy 93% of a 2-thread baseline run (10,000
  // replicates; policies 90%), with three 96% (policies 92%): 4 December 2026, four and three
  // alternations, user+sys over twice the wall time; two gained little. Three cost 18% more
  // peak memory (baseline; policies 28%), but with trajectories, which an item holds for every
  // block it runs, 50%: those runs keep one spare. One item on one thread, which cannot overlap
  // them.
  const std::size_t spare = trajectories ? 1 : 3;
  footprint.items_in_flight =
      workers == 1
          ? 1
          : (workers + footprint.scenarios_per_item - 1) / footprint.scenarios_per_item + spare;
  // Four blocks at a time cut the baseline's CPU time by about a tenth against one (each cell's
  // sketch comes from memory a quarter as often); more gained nothing. A batch's last block is
  // folded where it was summarised, so blocks_per_batch - 1 chunks a scenario wait: at most 32
  // (about 60 MB for the alliance model), and a study of more scenarios folds block by block.
  const std::size_t waiting_per_scenario = 32 / std::max<std::size_t>(scenarios, 1);
  footprint.blocks_per_batch = std::min<std::size_t>(waiting_per_scenario + 1, 4);
  footprint.pending_chunks = (footprint.blocks_per_batch - 1) * scenarios;
  // A raw buffer per thread, and the reference's per item in flight.
  footprint.raw_buffers = workers + (paired ? footprint.items_in_flight : 0);
  return footprint;
}

std::int64_t study_blocks(const RunOptions& options) {
  return (options.replicates + options.block_size - 1) / options.block_size;
}

void produce_study_items(const std::vector<ScenarioRun>& scenarios, const RunOptions& options,
                         const std::vector<std::int64_t>& blocks, const ItemConsumer& emit) {
  check_options(scenarios.size(), options);
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    if (blocks[i] < 0 || blocks[i] >= study_blocks(options) ||
        (i > 0 && blocks[i] <= blocks[i - 1])) {
      throw std::invalid_argument("produce_study_items: blocks out of range or out of order");
    }
  }
  StudyRunner runner(scenarios, common_schema(scenarios), names_of(scenarios),
                     descriptions_of(scenarios), options);
  runner.produce(blocks, emit);
}

void fold_study_items(const ModelSchema& schema, const std::vector<std::string>& names,
                      const std::vector<std::string>& descriptions, const RunOptions& options,
                      const ItemSource& next, ResultsSink& sink) {
  check_options(names.size(), options);
  if (descriptions.size() != names.size()) {
    throw std::invalid_argument("fold_study_items: one description per scenario");
  }
  const std::vector<ScenarioRun> no_models;
  StudyRunner runner(no_models, schema, names, descriptions, options);
  runner.fold(next, sink);
}

}  // namespace sim
