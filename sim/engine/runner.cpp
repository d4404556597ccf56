#include "sim/engine/runner.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <span>
#include <stdexcept>

#include <tbb/concurrent_queue.h>
#include <tbb/global_control.h>
#include <tbb/info.h>
#include <tbb/parallel_pipeline.h>

#include "sim/core/bytes.h"
#include "sim/core/error.h"
#include "sim/tally/moments.h"
#include "sim/tally/quantile_sketch.h"

namespace sim {

namespace {

/// One work item: a block of replicates of one scenario, run and summarised.
struct Chunk {
  std::int64_t block = 0;
  std::size_t scenario = 0;
  std::int64_t first = 0;
  std::int64_t count = 0;
  /// Raw values [replicate in block][year * stride + slot].
  std::vector<double> raw;
  /// Per cell (cell = year * stride + slot).
  std::vector<tally::Moments> moments;
  /// Bucket index of every present value, cell after cell; cell c's are at
  /// [bucket_offsets[c], bucket_offsets[c + 1]).
  std::vector<std::int32_t> buckets;
  std::vector<std::uint32_t> bucket_offsets;
  /// The block's paired differences to the reference scenario per cell (empty without a
  /// reference, or for the reference itself).
  std::vector<tally::Moments> differences;
  /// Events: (replicate, year, model columns...) per row.
  std::vector<double> events;
  /// What the sink receives: trajectories and event columns of the block.
  ResultsBlock out;
  /// Working space.
  std::vector<double> tile;
  std::vector<double> column;
};

/// Everything accumulated so far, merged chunk by chunk in (block, scenario) order.
struct Totals {
  std::vector<std::vector<tally::Moments>> moments;
  std::vector<std::vector<tally::QuantileSketch>> sketches;
  std::vector<std::vector<tally::Moments>> differences;
  /// The reference scenario's raw values of the block being merged (paired differences).
  std::vector<double> reference_raw;
  std::vector<std::int32_t> scratch;
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
        slot_may_be_missing_(stride_, false) {
    for (std::size_t v = 0; v < schema_.variables.size(); ++v) {
      const std::size_t width =
          schema_.variables[v].level == Level::member ? schema_.members.size() : 1;
      for (std::size_t k = 0; k < width; ++k) {
        slot_may_be_missing_[probe_.offset(v) + k] = schema_.variables[v].may_be_missing;
      }
    }
    // Work order within a block: the reference first, so the serial merge has its values at
    // hand for the paired differences of the others.
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
  /// Runs items item_at(0), ..., item_at(count - 1) (increasing) on the worker threads and hands
  /// each finished chunk, in that order, to `serial` (one thread at a time). `sink` (may be
  /// null) encodes trajectories.
  void pipeline(std::int64_t count, const std::function<std::int64_t(std::int64_t)>& item_at,
                const ResultsSink* sink, const std::function<void(Chunk&)>& serial);
  Totals empty_totals() const;
  /// The chunk's paired differences against the block's reference (kept in totals), computed
  /// where the block's items are run; the reference's raw values are kept for the others.
  void complete_chunk(Chunk& chunk, Totals& totals) const;
  /// Folds a completed chunk into the totals (fixed order).
  void fold_chunk(const Chunk& chunk, Totals& totals) const;
  std::vector<unsigned char> save_item(std::int64_t item, const Chunk& chunk) const;
  void load_item(std::int64_t item, const std::vector<unsigned char>& bytes, Chunk& chunk) const;
  void run_chunk(Chunk& chunk, const ResultsSink* sink) const;
  /// Fills chunk.out (trajectories per variable, event columns) from the chunk's raw values.
  void fill_block(Chunk& chunk) const;
  /// Computes a chunk's moments and bucket indices from its raw values.
  void summarise_chunk(Chunk& chunk) const;
  void merge_differences(Chunk& chunk, const Totals& totals) const;
  void summarise(const Totals& totals, Results& results) const;
  /// The merged statistics as bytes (a checkpoint), and back.
  std::vector<unsigned char> save_tally(const Totals& totals) const;
  void load_tally(const std::vector<unsigned char>& bytes, Totals& totals) const;
  [[noreturn]] void report_unset(const Chunk& chunk, std::size_t cell) const;

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
};

void StudyRunner::report_unset(const Chunk& chunk, std::size_t cell) const {
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
    if (!std::isfinite(chunk.raw[i * cells_ + cell])) {
      replicate = chunk.first + static_cast<std::int64_t>(i);
      break;
    }
  }
  throw std::logic_error("model left variable '" + schema_.variables[variable].name +
                         "' unset or not finite (year index " + std::to_string(year) +
                         ", scenario '" + names_[chunk.scenario] + "', replicate " +
                         std::to_string(replicate) + ")");
}

void StudyRunner::run_chunk(Chunk& chunk, const ResultsSink* sink) const {
  const auto count = static_cast<std::size_t>(chunk.count);
  // Buffers are reused from chunk to chunk (resize keeps capacity): fresh multi-megabyte
  // allocations per chunk cost more in page faults than the statistics themselves.
  chunk.raw.resize(count * cells_);
  chunk.events.clear();
  RunRecorder recorder(schema_, options_.years);
  const Model& model = *scenarios_[chunk.scenario].model;
  for (std::size_t i = 0; i < count; ++i) {
    const std::int64_t replicate = chunk.first + static_cast<std::int64_t>(i);
    recorder.clear();
    RunContext context{options_.seed, static_cast<std::uint64_t>(replicate), options_.start_year,
                       options_.years};
    model.run(context, recorder);
    std::copy(recorder.values().begin(), recorder.values().end(),
              chunk.raw.begin() + static_cast<std::ptrdiff_t>(i * cells_));
    const auto years = recorder.event_years();
    const auto values = recorder.event_values();
    for (std::size_t e = 0; event_width_ > 0 && e < years.size(); ++e) {
      chunk.events.push_back(static_cast<double>(replicate));
      chunk.events.push_back(static_cast<double>(years[e]));
      chunk.events.insert(chunk.events.end(),
                          values.begin() + static_cast<std::ptrdiff_t>(e * event_width_),
                          values.begin() + static_cast<std::ptrdiff_t>((e + 1) * event_width_));
    }
  }
  summarise_chunk(chunk);
  fill_block(chunk);
  if (sink != nullptr) sink->encode(chunk.out);
}

void StudyRunner::fill_block(Chunk& chunk) const {
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
          const double* source = chunk.raw.data() + i * cells_ + y * stride_ + probe_.offset(v);
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

void StudyRunner::summarise_chunk(Chunk& chunk) const {
  const auto count = static_cast<std::size_t>(chunk.count);
  chunk.moments.resize(cells_);
  chunk.buckets.resize(cells_ * count);
  chunk.bucket_offsets.assign(cells_ + 1, 0);
  // Cells are transposed tile by tile so each cell's replicates are contiguous (the raw buffer
  // is replicate-major; reading it cell by cell would miss the cache on every value).
  constexpr std::size_t kTile = 64;
  chunk.tile.resize(kTile * count);
  chunk.column.resize(count);
  for (std::size_t first_cell = 0; first_cell < cells_; first_cell += kTile) {
    const std::size_t width = std::min(kTile, cells_ - first_cell);
    for (std::size_t i = 0; i < count; ++i) {
      const double* row = chunk.raw.data() + i * cells_ + first_cell;
      for (std::size_t c = 0; c < width; ++c) chunk.tile[c * count + i] = row[c];
    }
    for (std::size_t c = 0; c < width; ++c) {
      const std::size_t cell = first_cell + c;
      const double* values = chunk.tile.data() + c * count;
      std::size_t present = count;
      if (slot_may_be_missing_[cell % stride_]) {
        present = 0;
        for (std::size_t i = 0; i < count; ++i) {
          if (!std::isnan(values[i])) chunk.column[present++] = values[i];
        }
        values = chunk.column.data();
      }
      const tally::Moments moments = tally::moments_of(values, present);
      if (!std::isfinite(moments.mean) && present > 0) report_unset(chunk, cell);
      chunk.moments[cell] = moments;
      const std::uint32_t start = chunk.bucket_offsets[cell];
      std::int32_t* buckets = chunk.buckets.data() + start;
      for (std::size_t i = 0; i < present; ++i) {
        buckets[i] = tally::QuantileSketch::bucket(values[i]);
      }
      chunk.bucket_offsets[cell + 1] = start + static_cast<std::uint32_t>(present);
    }
  }
}

void StudyRunner::merge_differences(Chunk& chunk, const Totals& totals) const {
  // Two passes over the replicate-major values with per-cell accumulators: the same additions
  // in the same order as tally::moments_of on each cell's column, without a transpose.
  const auto count = static_cast<std::size_t>(chunk.count);
  const double* values = chunk.raw.data();
  const double* base = totals.reference_raw.data();
  std::vector<double> sums(cells_, 0.0);
  std::vector<std::int64_t> counts(cells_, 0);
  std::vector<double> lows(cells_, std::numeric_limits<double>::infinity());
  std::vector<double> highs(cells_, -std::numeric_limits<double>::infinity());
  for (std::size_t i = 0; i < count; ++i) {
    for (std::size_t cell = 0; cell < cells_; ++cell) {
      const double difference = values[i * cells_ + cell] - base[i * cells_ + cell];
      if (std::isnan(difference)) continue;
      sums[cell] += difference;
      ++counts[cell];
      lows[cell] = std::min(lows[cell], difference);
      highs[cell] = std::max(highs[cell], difference);
    }
  }
  std::vector<double> means(cells_);
  std::vector<double> m2(cells_, 0.0);
  for (std::size_t cell = 0; cell < cells_; ++cell) {
    means[cell] = counts[cell] > 0 ? sums[cell] / static_cast<double>(counts[cell]) : 0.0;
  }
  for (std::size_t i = 0; i < count; ++i) {
    for (std::size_t cell = 0; cell < cells_; ++cell) {
      const double difference = values[i * cells_ + cell] - base[i * cells_ + cell];
      if (std::isnan(difference)) continue;
      m2[cell] += (difference - means[cell]) * (difference - means[cell]);
    }
  }
  chunk.differences.assign(cells_, tally::Moments{});
  for (std::size_t cell = 0; cell < cells_; ++cell) {
    if (counts[cell] == 0) continue;
    tally::Moments& block = chunk.differences[cell];
    block.n = counts[cell];
    block.mean = means[cell];
    block.m2 = m2[cell];
    block.min = lows[cell];
    block.max = highs[cell];
  }
}

void StudyRunner::complete_chunk(Chunk& chunk, Totals& totals) const {
  chunk.differences.clear();
  if (options_.reference < 0) return;
  if (static_cast<int>(chunk.scenario) == options_.reference) {
    totals.reference_raw.swap(chunk.raw);
  } else {
    merge_differences(chunk, totals);
  }
}

void StudyRunner::fold_chunk(const Chunk& chunk, Totals& totals) const {
  const std::size_t s = chunk.scenario;
  for (std::size_t cell = 0; cell < cells_; ++cell) {
    totals.moments[s][cell].merge(chunk.moments[cell]);
    const auto begin = chunk.bucket_offsets[cell];
    const auto end = chunk.bucket_offsets[cell + 1];
    totals.sketches[s][cell].add(
        std::span<const std::int32_t>(chunk.buckets.data() + begin, end - begin),
        chunk.moments[cell].min, chunk.moments[cell].max, totals.scratch);
  }
  if (!chunk.differences.empty()) {
    std::vector<tally::Moments>& out = totals.differences[s];
    for (std::size_t cell = 0; cell < cells_; ++cell) out[cell].merge(chunk.differences[cell]);
  }
}

void StudyRunner::summarise(const Totals& totals, Results& results) const {
  const std::size_t members = schema_.members.size();
  const auto years = static_cast<std::size_t>(options_.years);
  const std::size_t levels = options_.quantile_levels.size();
  for (std::size_t v = 0; v < schema_.variables.size(); ++v) {
    const VariableSpec& spec = schema_.variables[v];
    const std::size_t width = spec.level == Level::member ? members : 1;
    const std::size_t cells = results.cells(spec);
    VariableSummary& out = results.summaries[v];
    for (auto* field : {&out.mean, &out.sd, &out.mcse, &out.min, &out.max}) field->resize(cells);
    out.quantiles.resize(cells * levels);
    out.count.resize(cells);
    if (spec.binary) {
      out.wilson_low.resize(cells);
      out.wilson_high.resize(cells);
    }
    VariableDifference* difference = nullptr;
    if (options_.reference >= 0) {
      difference = &results.differences[v];
      for (auto* field :
           {&difference->mean, &difference->mcse, &difference->ci_low, &difference->ci_high}) {
        field->resize(cells);
      }
    }
    for (std::size_t s = 0; s < names_.size(); ++s) {
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
          for (std::size_t q = 0; q < levels; ++q) {
            out.quantiles[cell * levels + q] =
                totals.sketches[s][source].quantile(options_.quantile_levels[q]);
          }
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
    }
  }
}

std::vector<unsigned char> StudyRunner::save_tally(const Totals& totals) const {
  ByteWriter out;
  out.put<std::uint64_t>(totals.moments.size());
  out.put<std::uint64_t>(cells_);
  out.put<std::uint64_t>(totals.differences.size());
  for (const std::vector<tally::Moments>& moments : totals.moments) {
    out.put_span(std::span<const tally::Moments>(moments));
  }
  for (const std::vector<tally::QuantileSketch>& sketches : totals.sketches) {
    for (const tally::QuantileSketch& sketch : sketches) sketch.save(out);
  }
  for (const std::vector<tally::Moments>& moments : totals.differences) {
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
    for (std::vector<tally::Moments>& moments : totals.moments) {
      moments = in.get_vector<tally::Moments>();
      if (moments.size() != cells_) throw std::runtime_error("wrong number of cells");
    }
    for (std::vector<tally::QuantileSketch>& sketches : totals.sketches) {
      for (tally::QuantileSketch& sketch : sketches) sketch = tally::QuantileSketch::load(in);
    }
    for (std::vector<tally::Moments>& moments : totals.differences) {
      moments = in.get_vector<tally::Moments>();
      if (moments.size() != cells_) throw std::runtime_error("wrong number of cells");
    }
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
  totals.moments.assign(scenario_count, std::vector<tally::Moments>(cells_));
  const auto [lowest_level, highest_level] =
      std::minmax_element(options_.quantile_levels.begin(), options_.quantile_levels.end());
  const tally::QuantileSketch empty_sketch(options_.quantile_levels.empty() ? 0.0 : *lowest_level,
                                           options_.quantile_levels.empty() ? 1.0 : *highest_level);
  totals.sketches.assign(scenario_count, std::vector<tally::QuantileSketch>(cells_, empty_sketch));
  if (options_.reference >= 0) {
    totals.differences.assign(scenario_count, std::vector<tally::Moments>(cells_));
  }
  return totals;
}

void StudyRunner::pipeline(std::int64_t count,
                           const std::function<std::int64_t(std::int64_t)>& item_at,
                           const ResultsSink* sink, const std::function<void(Chunk&)>& serial) {
  const std::size_t scenario_count = names_.size();
  const int threads = options_.threads > 0 ? options_.threads : tbb::info::default_concurrency();
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism,
                            static_cast<std::size_t>(threads));
  std::int64_t next = 0;
  bool stopped = false;
  // One chunk buffer per pipeline token, owned here so that none leaks when a model throws and
  // the pipeline drops the items in flight; free ones wait in the pool.
  const std::size_t tokens = static_cast<std::size_t>(threads) + 1;
  std::vector<std::unique_ptr<Chunk>> chunks;
  tbb::concurrent_queue<Chunk*> pool;
  for (std::size_t t = 0; t < tokens; ++t) {
    chunks.push_back(std::make_unique<Chunk>());
    pool.push(chunks.back().get());
  }

  tbb::parallel_pipeline(
      tokens,
      tbb::make_filter<void, std::int64_t>(tbb::filter_mode::serial_in_order,
                                           [&](tbb::flow_control& control) -> std::int64_t {
                                             if (next >= count ||
                                                 (options_.stop && options_.stop->load())) {
                                               stopped = next < count;
                                               control.stop();
                                               return 0;
                                             }
                                             return item_at(next++);
                                           }) &
          tbb::make_filter<std::int64_t, Chunk*>(
              tbb::filter_mode::parallel,
              [&](std::int64_t item) {
                Chunk* chunk = nullptr;
                // At most `tokens` items are in flight, each holding one chunk.
                if (!pool.try_pop(chunk)) throw std::logic_error("run_study: no free chunk buffer");
                chunk->block = item / static_cast<std::int64_t>(scenario_count);
                chunk->scenario = order_[static_cast<std::size_t>(
                    item % static_cast<std::int64_t>(scenario_count))];
                chunk->first = chunk->block * options_.block_size;
                chunk->count = std::min(options_.block_size, options_.replicates - chunk->first);
                run_chunk(*chunk, sink);
                return chunk;
              }) &
          tbb::make_filter<Chunk*, void>(tbb::filter_mode::serial_in_order, [&](Chunk* chunk) {
            // Back to the pool whatever `serial` does, so that no chunk is lost.
            struct Release {
              tbb::concurrent_queue<Chunk*>& pool;
              Chunk* chunk;
              ~Release() { pool.push(chunk); }
            } release{pool, chunk};
            serial(*chunk);
          }));
  if (stopped) throw Interrupted();
}

void StudyRunner::run(ResultsSink& sink) {
  Results results = layout();
  sink.begin(results, options_.block_size);
  results.summaries.resize(schema_.variables.size());
  if (options_.reference >= 0) results.differences.resize(schema_.variables.size());

  const auto scenario_count = static_cast<std::int64_t>(names_.size());
  Totals totals = empty_totals();
  const std::int64_t block_count = blocks();
  const std::int64_t total_runs = options_.replicates * scenario_count;
  std::int64_t first_block = 0;
  if (options_.resume != nullptr) {
    first_block = options_.resume->blocks;
    if (first_block < 0 || first_block > block_count) {
      throw std::invalid_argument("run_study: the checkpoint is past the study's last block");
    }
    load_tally(options_.resume->tally, totals);
  }
  std::int64_t runs_done =
      std::min(first_block * options_.block_size, options_.replicates) * scenario_count;
  if (first_block > 0 && options_.progress) options_.progress(runs_done, total_runs);

  const std::int64_t first_item = first_block * scenario_count;
  const auto item_at = [first_item](std::int64_t k) { return first_item + k; };
  pipeline((block_count - first_block) * scenario_count, item_at, &sink, [&](Chunk& chunk) {
    complete_chunk(chunk, totals);
    fold_chunk(chunk, totals);
    sink.add_block(chunk.out);
    runs_done += chunk.count;
    if (options_.progress) options_.progress(runs_done, total_runs);
    // A whole block is merged once its last scenario in the work order is.
    const std::int64_t blocks_done = chunk.block + 1;
    if (chunk.scenario == order_.back() && blocks_done < block_count && options_.checkpoint &&
        ((options_.stop && options_.stop->load()) ||
         (options_.checkpoint_due && options_.checkpoint_due(blocks_done)))) {
      options_.checkpoint(RunCheckpoint{blocks_done, save_tally(totals)});
    }
  });
  summarise(totals, results);
  sink.finish(results);
}

void StudyRunner::produce(const std::vector<std::int64_t>& blocks, const ItemConsumer& emit) {
  const auto scenario_count = static_cast<std::int64_t>(names_.size());
  // Only the reference's raw values are kept between items (paired differences).
  Totals totals;
  const auto block_count = static_cast<std::int64_t>(blocks.size());
  const auto item_at = [&](std::int64_t k) {
    return blocks[static_cast<std::size_t>(k / scenario_count)] * scenario_count +
           k % scenario_count;
  };
  pipeline(block_count * scenario_count, item_at, nullptr, [&](Chunk& chunk) {
    complete_chunk(chunk, totals);
    const std::int64_t item =
        chunk.block * scenario_count +
        (std::find(order_.begin(), order_.end(), chunk.scenario) - order_.begin());
    emit(item, save_item(item, chunk));
  });
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
  Chunk chunk;
  for (std::int64_t item = 0; item < items; ++item) {
    if (options_.stop && options_.stop->load()) throw Interrupted();
    load_item(item, next(item), chunk);
    sink.encode(chunk.out);
    fold_chunk(chunk, totals);
    sink.add_block(chunk.out);
    runs_done += chunk.count;
    if (options_.progress) options_.progress(runs_done, total_runs);
  }
  summarise(totals, results);
  sink.finish(results);
}

std::vector<unsigned char> StudyRunner::save_item(std::int64_t item, const Chunk& chunk) const {
  ByteWriter out;
  out.put<std::int64_t>(item);
  out.put<std::uint64_t>(cells_);
  out.put<std::int64_t>(chunk.count);
  out.put_span(std::span<const tally::Moments>(chunk.moments));
  // A cell constant over the block has every value in one bucket: its buckets are not stored.
  std::vector<std::uint32_t> sizes(cells_);
  std::vector<std::int32_t> buckets;
  buckets.reserve(chunk.buckets.size());
  for (std::size_t cell = 0; cell < cells_; ++cell) {
    const std::uint32_t begin = chunk.bucket_offsets[cell];
    const std::uint32_t end = chunk.bucket_offsets[cell + 1];
    sizes[cell] = end - begin;
    if (end > begin && chunk.moments[cell].min != chunk.moments[cell].max) {
      buckets.insert(buckets.end(), chunk.buckets.begin() + begin, chunk.buckets.begin() + end);
    }
  }
  out.put_span(std::span<const std::uint32_t>(sizes));
  out.put_span(std::span<const std::int32_t>(buckets));
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
    chunk.moments = in.get_vector<tally::Moments>();
    const std::vector<std::uint32_t> sizes = in.get_vector<std::uint32_t>();
    const std::vector<std::int32_t> stored = in.get_vector<std::int32_t>();
    if (chunk.moments.size() != cells_ || sizes.size() != cells_) {
      throw std::runtime_error("wrong number of cells");
    }
    chunk.bucket_offsets.assign(cells_ + 1, 0);
    chunk.buckets.clear();
    std::size_t taken = 0;
    for (std::size_t cell = 0; cell < cells_; ++cell) {
      const tally::Moments& moments = chunk.moments[cell];
      if (sizes[cell] != static_cast<std::uint64_t>(moments.n) || moments.n > chunk.count) {
        throw std::runtime_error("bucket counts disagree with the moments");
      }
      if (sizes[cell] > 0 && moments.min == moments.max) {
        chunk.buckets.insert(chunk.buckets.end(), sizes[cell],
                             tally::QuantileSketch::bucket(moments.min));
      } else {
        if (stored.size() - taken < sizes[cell]) throw std::runtime_error("buckets missing");
        chunk.buckets.insert(chunk.buckets.end(),
                             stored.begin() + static_cast<std::ptrdiff_t>(taken),
                             stored.begin() + static_cast<std::ptrdiff_t>(taken + sizes[cell]));
        taken += sizes[cell];
      }
      chunk.bucket_offsets[cell + 1] = static_cast<std::uint32_t>(chunk.buckets.size());
    }
    if (taken != stored.size()) throw std::runtime_error("buckets left over");
    chunk.differences = in.get_vector<tally::Moments>();
    const bool paired =
        options_.reference >= 0 && static_cast<int>(chunk.scenario) != options_.reference;
    if (chunk.differences.size() != (paired ? cells_ : 0)) {
      throw std::runtime_error("paired differences missing or unexpected");
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

  void finish(const Results& summaries) override {
    results_.summaries = summaries.summaries;
    results_.differences = summaries.differences;
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
