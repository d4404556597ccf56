#include "sim/tally/quantile_sketch.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <stdexcept>

namespace sim::tally {

namespace {
// Room added on the side a dense window grows, so a drifting range does not copy every time.
constexpr std::int32_t kSlack = 32;
}  // namespace

double QuantileSketch::edge(std::int32_t index) {
  if (index == 0) return 0.0;
  const auto magnitude = static_cast<std::uint64_t>(index > 0 ? index : -index) - 1;
  const double lower = std::bit_cast<double>(magnitude << kDroppedBits);
  return index > 0 ? lower : -lower;
}

void QuantileSketch::make_sparse() {
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i] > 0) {
      sparse_.push_back(Bin{first_ + static_cast<std::int32_t>(i), counts_[i]});
    }
  }
  counts_.clear();
  counts_.shrink_to_fit();
}

namespace {
/// Values whose bins are looked up side by side (see find_bins).
constexpr std::size_t kSearchGroup = 8;

/// For each of `indices`, where a search among `held` (> 0) bins sorted by index ends: the bin
/// of that index if there is one, else a neighbour (check its index). Binary searches whose
/// steps are selects, not branches: which half holds a bucket is as unpredictable as the
/// values. One search waits on each of its loads in turn; the group's searches take the same
/// steps (the halves depend on `held` alone), so they go step by step together and their loads
/// overlap.
void find_bins(Bin* bins, std::size_t held, const std::array<std::int32_t, kSearchGroup>& indices,
               std::array<Bin*, kSearchGroup>& found) {
  found.fill(bins);
  for (std::size_t length = held; length > 1;) {
    const std::size_t half = length / 2;
    for (std::size_t j = 0; j < kSearchGroup; ++j) {
      found[j] = found[j][half].index <= indices[j] ? found[j] + half : found[j];
    }
    length -= half;
  }
}
}  // namespace

void QuantileSketch::add_to_sparse(std::int32_t index, std::uint32_t count) {
  if (count == 0) return;
  if (below_ > 0 && index < low_edge_) {
    below_ += count;
  } else if (above_ > 0 && index > high_edge_) {
    above_ += count;
  } else {
    const auto at = std::lower_bound(sparse_.begin(), sparse_.end(), index,
                                     [](const Bin& bin, std::int32_t i) { return bin.index < i; });
    if (at != sparse_.end() && at->index == index) {
      at->count += count;
    } else {
      sparse_.insert(at, Bin{index, count});
    }
  }
}

void QuantileSketch::fold_tails() {
  // Fold only once the tails' shares are well estimated, so that i.i.d. replicates keep them
  // below the allowance.
  if (count_ < kFoldAfter) return;
  const double ranks = static_cast<double>(count_ - 1);
  const auto low_allowance = static_cast<std::int64_t>(std::floor(lowest_level_ * ranks / 4.0));
  const auto high_allowance =
      static_cast<std::int64_t>(std::floor((1.0 - highest_level_) * ranks / 4.0));
  const bool dense = is_dense();
  const std::size_t size = dense ? counts_.size() : sparse_.size();
  auto count_at = [&](std::size_t i) -> std::int64_t {
    return dense ? counts_[i] : sparse_[i].count;
  };
  auto index_at = [&](std::size_t i) -> std::int32_t {
    return dense ? first_ + static_cast<std::int32_t>(i) : sparse_[i].index;
  };
  std::size_t drop_low = 0;
  std::int64_t low = below_;
  while (drop_low < size && low + count_at(drop_low) <= low_allowance) low += count_at(drop_low++);
  std::size_t drop_high = 0;
  std::int64_t high = above_;
  while (drop_high + drop_low < size && high + count_at(size - 1 - drop_high) <= high_allowance) {
    high += count_at(size - 1 - drop_high++);
  }
  // A side is folded only when it holds values: an empty folded side would still be open.
  if (low == 0) drop_low = 0;
  if (high == 0) drop_high = 0;
  if (drop_low == 0 && drop_high == 0) return;
  if (drop_low > 0) low_edge_ = index_at(drop_low);
  if (drop_high > 0) high_edge_ = index_at(size - 1 - drop_high);
  below_ = low;
  above_ = high;
  const auto keep_end = static_cast<std::ptrdiff_t>(size - drop_high);
  const auto keep_begin = static_cast<std::ptrdiff_t>(drop_low);
  if (dense) {
    counts_.erase(counts_.begin() + keep_end, counts_.end());
    counts_.erase(counts_.begin(), counts_.begin() + keep_begin);
    first_ += static_cast<std::int32_t>(drop_low);
  } else {
    sparse_.erase(sparse_.begin() + keep_end, sparse_.end());
    sparse_.erase(sparse_.begin(), sparse_.begin() + keep_begin);
  }
}

bool QuantileSketch::fit_dense(std::int32_t lowest, std::int32_t highest, bool was_empty) {
  // Once a tail is folded, the window no longer extends on that side: values beyond the edge
  // join the folded count.
  const std::int32_t last = first_ + static_cast<std::int32_t>(counts_.size()) - 1;
  const std::int32_t want_first =
      was_empty ? lowest : (below_ > 0 ? first_ : std::min(first_, lowest));
  const std::int32_t want_last =
      was_empty ? highest : (above_ > 0 ? last : std::max(last, highest));
  const std::int64_t width = std::int64_t{want_last} - want_first + 1;
  if (width > kMaxDenseBuckets) {
    make_sparse();
    return false;
  }
  if (was_empty || want_first < first_ || want_last > last) {
    // Grow the window with some slack on the side that grew, within the limit.
    const std::int32_t spare =
        static_cast<std::int32_t>(std::min<std::int64_t>(kSlack, kMaxDenseBuckets - width));
    const std::int32_t new_first =
        (!was_empty && want_first < first_) ? want_first - spare : want_first;
    const std::int32_t new_last = (!was_empty && want_last > last) ? want_last + spare : want_last;
    std::pmr::vector<std::uint32_t> grown(static_cast<std::size_t>(new_last - new_first + 1), 0,
                                          counts_.get_allocator());
    for (std::size_t i = 0; i < counts_.size(); ++i) {
      grown[static_cast<std::size_t>(first_ - new_first) + i] = counts_[i];
    }
    counts_.swap(grown);
    first_ = new_first;
  }
  return true;
}

void QuantileSketch::add_to_dense(std::int32_t index, std::uint32_t count) {
  if (index < first_) {
    below_ += count;
  } else if (index > first_ + static_cast<std::int32_t>(counts_.size()) - 1) {
    above_ += count;
  } else {
    counts_[static_cast<std::size_t>(index - first_)] += count;
  }
}

void QuantileSketch::add_two_buckets(std::uint32_t at_low, std::uint32_t at_high, double low,
                                     double high) {
  if (at_low == 0 && at_high == 0) return;
  const bool was_empty = count_ == 0;
  count_ += std::int64_t{at_low} + at_high;
  min_ = std::min(min_, low);
  max_ = std::max(max_, high);
  const std::int32_t lowest = bucket(low);
  const std::int32_t highest = bucket(high);
  // The same counts, window and folds as add() given these values one by one.
  if (is_dense() && fit_dense(lowest, highest, was_empty)) {
    add_to_dense(lowest, at_low);
    add_to_dense(highest, at_high);
    if (counts_.size() > static_cast<std::size_t>(kTrimAbove)) fold_tails();
    return;
  }
  if (lowest == highest) {
    add_to_sparse(lowest, at_low + at_high);
  } else {
    add_to_sparse(lowest, at_low);
    add_to_sparse(highest, at_high);
  }
  if (sparse_.size() > static_cast<std::size_t>(kTrimAbove)) fold_tails();
}

void QuantileSketch::add(std::span<const std::int32_t> buckets, double low, double high,
                         std::vector<std::int32_t>& scratch) {
  if (buckets.empty()) return;
  const bool was_empty = count_ == 0;
  count_ += static_cast<std::int64_t>(buckets.size());
  min_ = std::min(min_, low);
  max_ = std::max(max_, high);
  const std::int32_t lowest = bucket(low);
  const std::int32_t highest = bucket(high);

  if (is_dense() && fit_dense(lowest, highest, was_empty)) {
    // Locals, not members, in the loops: the counts are unsigned ints, which may alias the
    // int members, so the compiler would reload those after every increment.
    std::uint32_t* const counts = counts_.data();
    const std::int32_t first = first_;
    if (below_ == 0 && above_ == 0 && lowest == highest) {
      counts[lowest - first] += static_cast<std::uint32_t>(buckets.size());
    } else if (below_ == 0 && above_ == 0) {
      for (std::int32_t index : buckets) ++counts[index - first];
    } else {
      const std::int32_t last = first + static_cast<std::int32_t>(counts_.size()) - 1;
      std::int64_t below = 0;
      std::int64_t above = 0;
      for (std::int32_t index : buckets) {
        if (index < first) {
          ++below;
        } else if (index > last) {
          ++above;
        } else {
          ++counts[index - first];
        }
      }
      below_ += below;
      above_ += above;
    }
    if (counts_.size() > static_cast<std::size_t>(kTrimAbove)) fold_tails();
    return;
  }

  // Sparse mode. Values in at most two buckets (constant cells, 0/1 flags: the common case)
  // are counted and added bin by bin, without sorting or a new vector.
  std::uint32_t at_lowest = 0;
  std::uint32_t at_highest = 0;
  bool two_buckets = true;
  for (std::int32_t index : buckets) {
    if (index == lowest) {
      ++at_lowest;
    } else if (index == highest) {
      ++at_highest;
    } else {
      two_buckets = false;
      break;
    }
  }
  if (two_buckets) {
    add_to_sparse(lowest, at_lowest);
    add_to_sparse(highest, at_highest);
    if (sparse_.size() > static_cast<std::size_t>(kTrimAbove)) fold_tails();
    return;
  }
  // Otherwise each value whose bucket already has a bin is counted there: after a cell's first
  // blocks nearly all do, and counting in place neither sorts the block's buckets nor copies the
  // bins. Only buckets new to the sketch are sorted and merged in. Values beyond a folded edge
  // join the folded count.
  scratch.clear();
  Bin* const bins = sparse_.data();
  const std::size_t held = sparse_.size();
  std::array<std::int32_t, kSearchGroup> indices{};
  std::array<Bin*, kSearchGroup> found{};
  for (std::size_t first = 0; first < buckets.size(); first += kSearchGroup) {
    const std::size_t group = std::min(kSearchGroup, buckets.size() - first);
    // A short last group repeats its last value: every search takes the group's steps.
    for (std::size_t j = 0; j < kSearchGroup; ++j)
      indices[j] = buckets[first + std::min(j, group - 1)];
    if (held > 0) find_bins(bins, held, indices, found);
    for (std::size_t j = 0; j < group; ++j) {
      const std::int32_t index = indices[j];
      if (below_ > 0 && index < low_edge_) {
        ++below_;
      } else if (above_ > 0 && index > high_edge_) {
        ++above_;
      } else if (held > 0 && found[j]->index == index) {
        ++found[j]->count;
      } else {
        scratch.push_back(index);
      }
    }
  }
  if (!scratch.empty()) {
    // The new buckets, sorted, go in from the back: every bin moves at most once, in place.
    std::sort(scratch.begin(), scratch.end());
    std::size_t added = 1;
    for (std::size_t i = 1; i < scratch.size(); ++i) added += scratch[i] != scratch[i - 1] ? 1 : 0;
    sparse_.resize(held + added);
    std::size_t kept = held;
    std::size_t out = held + added;
    for (std::size_t next = scratch.size(); next > 0;) {
      const std::int32_t index = scratch[next - 1];
      std::uint32_t count = 0;
      for (; next > 0 && scratch[next - 1] == index; --next) ++count;
      for (; kept > 0 && sparse_[kept - 1].index > index; --kept)
        sparse_[--out] = sparse_[kept - 1];
      sparse_[--out] = Bin{index, count};
    }
  }
  if (sparse_.size() > static_cast<std::size_t>(kTrimAbove)) fold_tails();
}

std::int64_t QuantileSketch::rank_of(double q) const {
  return static_cast<std::int64_t>(std::floor(q * static_cast<double>(count_ - 1)));
}

std::optional<double> QuantileSketch::without_walk(std::int64_t rank) const {
  if (count_ == 0) return std::numeric_limits<double>::quiet_NaN();
  // The extremes are known exactly.
  if (rank <= 0) return min_;
  if (rank >= count_ - 1) return max_;
  // A rank inside a folded tail: the bucket is unknown, so say so rather than guess.
  if (rank < below_ || rank >= count_ - above_) return std::numeric_limits<double>::quiet_NaN();
  return std::nullopt;
}

double QuantileSketch::quantile(double q) const {
  double out = 0.0;
  quantiles(std::span<const double>(&q, 1), std::span<double>(&out, 1));
  return out;
}

void QuantileSketch::quantiles(std::span<const double> levels, std::span<double> out) const {
  // The ranks still to find, in increasing order (insertion sort: a handful of levels).
  constexpr std::size_t kMaxLevels = 64;
  std::array<std::pair<std::int64_t, std::size_t>, kMaxLevels> pending{};
  std::size_t waiting = 0;
  for (std::size_t k = 0; k < levels.size(); ++k) {
    const std::int64_t rank = count_ == 0 ? 0 : rank_of(levels[k]);
    if (const std::optional<double> known = without_walk(rank)) {
      out[k] = *known;
      continue;
    }
    if (waiting == kMaxLevels) {  // more levels than a study asks for: one walk each
      out[k] = quantile(levels[k]);
      continue;
    }
    std::size_t at = waiting++;
    for (; at > 0 && pending[at - 1].first > rank; --at) pending[at] = pending[at - 1];
    pending[at] = {rank, k};
  }
  // One walk: each rank's bucket is the first whose running count passes it, as in a walk of
  // its own, and the next rank's walk goes on from there.
  std::int64_t seen = below_;
  std::size_t at = 0;
  std::size_t next = 0;
  if (is_dense()) {
    for (; next < waiting; ++next) {
      const std::int64_t rank = pending[next].first;
      // Eight buckets at a time while all eight leave the count at or below the rank (counts
      // are never negative, so a bucket-by-bucket walk would pass all eight too), then bucket
      // by bucket: a study's quantiles walk windows of hundreds of buckets for every cell.
      constexpr std::size_t kStride = 8;
      while (at + kStride <= counts_.size()) {
        std::int64_t eight = 0;
        for (std::size_t j = 0; j < kStride; ++j) eight += counts_[at + j];
        if (seen + eight > rank) break;
        seen += eight;
        at += kStride;
      }
      while (at < counts_.size() && seen <= rank) seen += counts_[at++];
      if (seen <= rank) break;
      out[pending[next].second] =
          std::clamp(edge(first_ + static_cast<std::int32_t>(at - 1)), min_, max_);
    }
  } else {
    for (; next < waiting; ++next) {
      const std::int64_t rank = pending[next].first;
      while (at < sparse_.size() && seen <= rank) seen += sparse_[at++].count;
      if (seen <= rank) break;
      out[pending[next].second] = std::clamp(edge(sparse_[at - 1].index), min_, max_);
    }
  }
  for (; next < waiting; ++next) out[pending[next].second] = max_;
}

void QuantileSketch::save(ByteWriter& out) const {
  out.put(first_);
  out.put_span(std::span<const std::uint32_t>(counts_));
  out.put_span(std::span<const Bin>(sparse_));
  out.put(count_);
  out.put(below_);
  out.put(above_);
  out.put(low_edge_);
  out.put(high_edge_);
  out.put(lowest_level_);
  out.put(highest_level_);
  out.put(min_);
  out.put(max_);
}

QuantileSketch QuantileSketch::load(ByteReader& in) {
  QuantileSketch sketch;
  sketch.first_ = in.get<std::int32_t>();
  const std::vector<std::uint32_t> counts = in.get_vector<std::uint32_t>();
  sketch.counts_.assign(counts.begin(), counts.end());
  const std::vector<Bin> sparse = in.get_vector<Bin>();
  sketch.sparse_.assign(sparse.begin(), sparse.end());
  sketch.count_ = in.get<std::int64_t>();
  sketch.below_ = in.get<std::int64_t>();
  sketch.above_ = in.get<std::int64_t>();
  sketch.low_edge_ = in.get<std::int32_t>();
  sketch.high_edge_ = in.get<std::int32_t>();
  sketch.lowest_level_ = in.get<double>();
  sketch.highest_level_ = in.get<double>();
  sketch.min_ = in.get<double>();
  sketch.max_ = in.get<double>();
  // The counts must add up: a sketch whose bins disagree with its total would answer wrongly.
  std::int64_t held = sketch.below_ + sketch.above_;
  for (std::uint32_t count : sketch.counts_) held += count;
  for (const Bin& bin : sketch.sparse_) held += bin.count;
  if (held != sketch.count_ || (!sketch.counts_.empty() && !sketch.sparse_.empty())) {
    throw std::runtime_error("inconsistent quantile sketch");
  }
  return sketch;
}

}  // namespace sim::tally
