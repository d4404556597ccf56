#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace bench {

/// A median over rounds and a distribution-free interval for it.
struct MedianInterval {
  double median = 0.0;
  double low = 0.0;
  double high = 0.0;
  /// The probability that [low, high] covers the true median, whatever the distribution.
  double coverage = 0.0;
};

/// The median of `values` and the interval from the k-th smallest to the k-th largest, k the
/// largest for which it covers the median with probability >= 90% whatever the distribution
/// (the count of values below the median is Binomial(n, 1/2), so the coverage is
/// 1 - 2 P(B <= k - 1)). Fewer than 5 values allow no such interval: then k = 1 (the least and
/// the largest), with the coverage it has. `values` must not be empty.
inline MedianInterval median_interval(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  MedianInterval out;
  out.median = n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
  // below[j] = P(B <= j) for B ~ Binomial(n, 1/2).
  std::vector<double> below(n + 1, 0.0);
  double term = std::pow(0.5, static_cast<double>(n));
  double total = 0.0;
  for (std::size_t j = 0; j <= n; ++j) {
    total += term;
    below[j] = total;
    term *= static_cast<double>(n - j) / static_cast<double>(j + 1);
  }
  std::size_t k = 1;
  while (k + 1 <= n / 2 && 1.0 - 2.0 * below[k] >= 0.9) ++k;
  out.low = values[k - 1];
  out.high = values[n - k];
  out.coverage = 1.0 - 2.0 * below[k - 1];
  return out;
}

}  // namespace bench
