#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace sim::tally {

/// One bucket of a QuantileSketch: values whose magnitude shares the exponent and the top 8
/// mantissa bits (relative width 2^-8), with their count and exact extremes.
struct Bin {
  std::int32_t index = 0;
  std::uint32_t count = 0;
  double min = 0.0;
  double max = 0.0;
};

/// A deterministic, mergeable log-bucket quantile sketch. Merging is order-independent (counts
/// add, extremes take min/max), so the result never depends on the thread count. Memory grows
/// with the number of distinct buckets the values occupy (bounded by their range), never with
/// the number of values. A reported quantile is within a relative error of 2^-8 of the exact
/// nearest-rank quantile (rank floor(q * (n - 1)) of the sorted values), and exact when the
/// bucket holds a single distinct value (0/1 flags, small integers).
class QuantileSketch {
 public:
  /// The bucket index of a finite value: monotone in the value, 0 for +-0.
  static std::int32_t bucket(double value);

  /// Appends the bins of `values` to `out`, never touching bins already there (other cells');
  /// `scratch` is working space. NaN must be removed beforehand.
  static void bins_of(std::span<const double> values, std::vector<Bin>& scratch,
                      std::vector<Bin>& out);
  /// Merges sorted bins (as made by bins_of) into this sketch.
  void merge(std::span<const Bin> bins);
  void merge(const QuantileSketch& other) { merge(std::span<const Bin>(other.bins_)); }

  std::int64_t count() const { return count_; }
  /// The q-quantile, q in [0, 1]; NaN when empty.
  double quantile(double q) const;
  std::span<const Bin> bins() const { return bins_; }

 private:
  std::vector<Bin> bins_;
  std::int64_t count_ = 0;
};

}  // namespace sim::tally
