#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

namespace sim::tally {

/// Running count, mean, sum of squared deviations, min and max (Welford; Chan et al. to merge).
/// Merging in a fixed order gives bit-identical results whatever the thread count.
struct Moments {
  std::int64_t n = 0;
  double mean = 0.0;
  double m2 = 0.0;
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();

  void add(double x) {
    ++n;
    const double delta = x - mean;
    mean += delta / static_cast<double>(n);
    m2 += delta * (x - mean);
    min = x < min ? x : min;
    max = x > max ? x : max;
  }
  /// Chan et al.'s pairwise update. Inline: the runner's fold merges every cell of every block.
  void merge(const Moments& other) {
    if (other.n == 0) return;
    if (n == 0) {
      *this = other;
      return;
    }
    const double total = static_cast<double>(n + other.n);
    const double delta = other.mean - mean;
    mean += delta * static_cast<double>(other.n) / total;
    m2 += other.m2 + delta * delta * static_cast<double>(n) * static_cast<double>(other.n) / total;
    n += other.n;
    min = other.min < min ? other.min : min;
    max = other.max > max ? other.max : max;
  }
  /// Sample variance (n - 1 denominator); NaN for fewer than two values: one value says nothing
  /// about the spread (0 would claim a certainty the sample does not have).
  double variance() const {
    return n > 1 ? m2 / static_cast<double>(n - 1) : std::numeric_limits<double>::quiet_NaN();
  }
  double sd() const { return std::sqrt(variance()); }
  /// Monte Carlo standard error of the mean: sd / sqrt(n); NaN for fewer than two values.
  double mcse() const {
    return n > 1 ? sd() / std::sqrt(static_cast<double>(n))
                 : std::numeric_limits<double>::quiet_NaN();
  }
};

/// Moments of a column of values, two-pass (exact mean first, then squared deviations): cheaper
/// than adding values one by one, and as deterministic. A column of equal values has their value
/// as its mean and m2 = 0 exactly (as Moments::add gives). Values must not be NaN.
Moments moments_of(const double* values, std::size_t count);

/// Wilson score interval for a proportion `p` observed over `n` trials at normal quantile `z`.
struct Interval {
  double low = 0.0;
  double high = 0.0;
};
Interval wilson_interval(double p, std::int64_t n, double z = 1.959963984540054);

}  // namespace sim::tally
