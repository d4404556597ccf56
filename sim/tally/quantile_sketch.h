#pragma once

#include <bit>
#include <cstdint>
#include <limits>
#include <memory_resource>
#include <optional>
#include <span>
#include <vector>

#include "sim/core/bytes.h"

namespace sim::tally {

/// One bucket of a sparse QuantileSketch: values whose magnitude shares the exponent and the top
/// 8 mantissa bits (relative width 2^-8), and how many there are.
struct Bin {
  std::int32_t index = 0;
  std::uint32_t count = 0;
};

/// A deterministic, mergeable log-bucket quantile sketch. Adding is order-independent (counts
/// add, extremes take min/max), so the result never depends on the thread count. Memory grows
/// with the range of buckets the values occupy, never with the number of values: a dense window
/// of counts while the range spans at most kMaxDenseBuckets buckets, sorted sparse bins beyond.
/// A reported quantile is the edge nearest zero of the bucket holding the exact nearest-rank
/// quantile (rank floor(q * (n - 1)) of the sorted values), clamped to the exact [min, max]
/// (ranks 0 and n - 1 give the exact extremes): within a relative error of 2^-8 of it, and exact
/// for values with at most 9 significant bits, such as 0/1 flags and integers below 512.
class QuantileSketch {
 public:
  /// Positive doubles order like their bit patterns: the exponent and the top 8 mantissa bits
  /// (bits 63..44) make a monotone bucket index of relative width 2^-8.
  static constexpr int kDroppedBits = 44;
  /// Widest dense window (4 bytes a bucket); about 1.3 decades of values at 2^-8 resolution.
  static constexpr std::int32_t kMaxDenseBuckets = 1024;
  /// Windows wider than this trim their far tails (see the constructor).
  static constexpr std::int32_t kTrimAbove = 128;
  /// ... and hold at least this many values.
  static constexpr std::int64_t kFoldAfter = 1024;

  /// A sketch that will be asked for quantiles between `lowest_level` and `highest_level` only.
  /// Once it holds kFoldAfter values over more than kTrimAbove buckets, it folds the buckets of the
  /// extreme tails, up to a quarter of the lowest requested rank (and of the highest's distance
  /// from the top), into two counts, so memory stops growing as rare extremes accumulate. A
  /// quantile whose rank falls into a folded tail (which needs the tail's share to have grown
  /// fourfold since) is NaN, never a guess. The defaults (0, 1) never fold.
  /// The dense window of counts is allocated from `memory` (which must outlive the sketch); a
  /// copy of the sketch allocates from the default resource, an assignment keeps the target's.
  /// Sparse bins always come from the default resource: they grow a few bins at a time, in sizes
  /// that keep changing, which an arena of size classes would not reuse.
  explicit QuantileSketch(double lowest_level = 0.0, double highest_level = 1.0,
                          std::pmr::memory_resource* memory = std::pmr::get_default_resource())
      : counts_(memory), lowest_level_(lowest_level), highest_level_(highest_level) {}

  /// The bucket index of a finite value: monotone in the value, 0 for +-0.
  /// Branch-free, so that loops over many values vectorise.
  static std::int32_t bucket(double value) {
    const auto bits = std::bit_cast<std::uint64_t>(value);
    const std::uint64_t magnitude = bits & ~(std::uint64_t{1} << 63);
    const auto index = static_cast<std::int32_t>(magnitude >> kDroppedBits) +
                       static_cast<std::int32_t>(magnitude != 0);
    return (bits >> 63) != 0 ? -index : index;
  }
  /// The bucket's edge nearest zero: every value of the bucket lies within 2^-8 of it.
  static double edge(std::int32_t index);

  /// Adds values given by their bucket indices (any order); `low` and `high` are the values'
  /// exact extremes. `scratch` is working space reused across calls.
  void add(std::span<const std::int32_t> buckets, double low, double high,
           std::vector<std::int32_t>& scratch);
  /// Adds `at_low` values of bucket(low) and `at_high` values of bucket(high) (`low` and `high`
  /// their exact extremes): the same state as add() given those values' buckets, without a list
  /// of them (constant cells, 0/1 flags).
  void add_two_buckets(std::uint32_t at_low, std::uint32_t at_high, double low, double high);

  /// Asks the processor to fetch the counts for an add soon: a study's sketches far exceed the
  /// cache, and a fold visits each once per batch of blocks.
  void prefetch() const {
    const auto* bytes = is_dense() ? reinterpret_cast<const char*>(counts_.data())
                                   : reinterpret_cast<const char*>(sparse_.data());
    const std::size_t size =
        is_dense() ? counts_.size() * sizeof(std::uint32_t) : sparse_.size() * sizeof(Bin);
    for (std::size_t at = 0; at < size; at += 64) __builtin_prefetch(bytes + at, 1);
  }
  std::int64_t count() const { return count_; }
  /// The q-quantile, q in [0, 1]; NaN when empty.
  double quantile(double q) const;
  /// quantile(levels[k]) into out[k] for every k (levels in any order), in one walk over the
  /// buckets rather than one per level: a study asks every cell for several levels.
  void quantiles(std::span<const double> levels, std::span<double> out) const;
  bool is_dense() const { return sparse_.empty(); }
  /// Values folded into the low and high tails.
  std::int64_t folded_low() const { return below_; }
  std::int64_t folded_high() const { return above_; }
  /// Buckets held (dense window width or sparse bins).
  std::size_t buckets_held() const { return is_dense() ? counts_.size() : sparse_.size(); }

  /// Writes the whole state (a checkpoint); `load` of it gives a sketch that answers and grows
  /// exactly as this one would.
  void save(ByteWriter& out) const;
  /// Reads what save wrote. Throws std::runtime_error on truncated or inconsistent data.
  static QuantileSketch load(ByteReader& in);

 private:
  void make_sparse();
  /// Dense mode: grows the window to hold buckets lowest..highest and returns true, or, when that
  /// would be wider than kMaxDenseBuckets, turns sparse and returns false.
  bool fit_dense(std::int32_t lowest, std::int32_t highest, bool was_empty);
  /// Adds `count` values of bucket `index` in dense mode (a folded tail takes them beyond its
  /// edge).
  void add_to_dense(std::int32_t index, std::uint32_t count);
  /// Adds `count` values of bucket `index` in sparse mode (a folded tail takes them beyond its
  /// edge).
  void add_to_sparse(std::int32_t index, std::uint32_t count);
  void fold_tails();
  /// The rank quantile(q) looks up; what quantile(q) returns without a walk over the buckets
  /// when it needs none (empty, an extreme, a folded tail).
  std::int64_t rank_of(double q) const;
  std::optional<double> without_walk(std::int64_t rank) const;

  /// Dense mode: counts of buckets first_ .. first_ + counts_.size() - 1.
  std::int32_t first_ = 0;
  std::pmr::vector<std::uint32_t> counts_;
  /// Sparse mode (when non-empty): bins sorted by index.
  std::pmr::vector<Bin> sparse_;
  std::int64_t count_ = 0;
  /// Values below the low edge / above the high edge once tails were folded.
  std::int64_t below_ = 0;
  std::int64_t above_ = 0;
  /// The lowest and highest buckets kept once the low or high tail is folded.
  std::int32_t low_edge_ = 0;
  std::int32_t high_edge_ = 0;
  double lowest_level_ = 0.0;
  double highest_level_ = 1.0;
  double min_ = std::numeric_limits<double>::infinity();
  double max_ = -std::numeric_limits<double>::infinity();
};

}  // namespace sim::tally
