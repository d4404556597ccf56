#include "sim/tally/moments.h"

#include <algorithm>

namespace sim::tally {

Moments moments_of(const double* values, std::size_t count) {
  Moments result;
  if (count == 0) return result;
  double sum = 0.0;
  double low = values[0];
  double high = values[0];
  for (std::size_t i = 0; i < count; ++i) {
    sum += values[i];
    low = std::min(low, values[i]);
    high = std::max(high, values[i]);
  }
  // Equal values: their value is the mean and there is no spread, exactly (the sum of many
  // copies of a value, divided by their number, need not give the value back).
  const bool constant = low == high;
  const double mean = constant ? low : sum / static_cast<double>(count);
  double m2 = 0.0;
  for (std::size_t i = 0; i < count && !constant; ++i) {
    m2 += (values[i] - mean) * (values[i] - mean);
  }
  result.n = static_cast<std::int64_t>(count);
  result.mean = mean;
  result.m2 = m2;
  result.min = low;
  result.max = high;
  return result;
}

Interval wilson_interval(double p, std::int64_t n, double z) {
  if (n <= 0) {
    return {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::quiet_NaN()};
  }
  const double count = static_cast<double>(n);
  const double z2 = z * z;
  const double denominator = 1.0 + z2 / count;
  const double centre = (p + z2 / (2.0 * count)) / denominator;
  const double half = z / denominator *
                      std::sqrt(std::max(0.0, p * (1.0 - p) / count + z2 / (4.0 * count * count)));
  return {std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

}  // namespace sim::tally
