#include "sim/tally/quantile_sketch.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

namespace sim::tally {

std::int32_t QuantileSketch::bucket(double value) {
  if (value == 0.0) return 0;
  // Positive doubles order like their bit patterns: exponent and the top 8 mantissa bits
  // (bits 63..44) make a monotone bucket index of relative width 2^-8.
  const auto bits = std::bit_cast<std::uint64_t>(std::fabs(value));
  const auto index = static_cast<std::int32_t>(bits >> 44) + 1;
  return value > 0.0 ? index : -index;
}

void QuantileSketch::bins_of(std::span<const double> values, std::vector<Bin>& scratch,
                             std::vector<Bin>& out) {
  scratch.clear();
  for (double value : values) scratch.push_back(Bin{bucket(value), 1u, value, value});
  const bool sorted = std::is_sorted(scratch.begin(), scratch.end(),
                                     [](const Bin& a, const Bin& b) { return a.index < b.index; });
  if (!sorted) {
    std::sort(scratch.begin(), scratch.end(),
              [](const Bin& a, const Bin& b) { return a.index < b.index; });
  }
  // `out` may already hold other cells' bins: only merge into bins appended by this call.
  const std::size_t first = out.size();
  for (const Bin& bin : scratch) {
    if (out.size() > first && out.back().index == bin.index) {
      Bin& last = out.back();
      ++last.count;
      last.min = std::min(last.min, bin.min);
      last.max = std::max(last.max, bin.max);
    } else {
      out.push_back(bin);
    }
  }
}

void QuantileSketch::merge(std::span<const Bin> bins) {
  if (bins.empty()) return;
  std::vector<Bin> merged;
  merged.reserve(bins_.size() + bins.size());
  auto mine = bins_.begin();
  auto theirs = bins.begin();
  while (mine != bins_.end() || theirs != bins.end()) {
    if (theirs == bins.end() || (mine != bins_.end() && mine->index < theirs->index)) {
      merged.push_back(*mine++);
    } else if (mine == bins_.end() || theirs->index < mine->index) {
      merged.push_back(*theirs++);
    } else {
      Bin both = *mine++;
      both.count += theirs->count;
      both.min = std::min(both.min, theirs->min);
      both.max = std::max(both.max, theirs->max);
      ++theirs;
      merged.push_back(both);
    }
  }
  for (const Bin& bin : bins) count_ += bin.count;
  bins_ = std::move(merged);
}

double QuantileSketch::quantile(double q) const {
  if (count_ == 0) return std::numeric_limits<double>::quiet_NaN();
  const auto rank = static_cast<std::int64_t>(std::floor(q * static_cast<double>(count_ - 1)));
  std::int64_t seen = 0;
  for (const Bin& bin : bins_) {
    seen += bin.count;
    if (seen > rank) return bin.min == bin.max ? bin.min : 0.5 * (bin.min + bin.max);
  }
  return bins_.back().max;
}

}  // namespace sim::tally
