#include "sim/analysis/bootstrap.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "sim/core/rng.h"

namespace sim::analysis {

std::vector<std::size_t> bootstrap_rows(std::size_t n, std::uint64_t seed, std::size_t b) {
  RngStream rng(seed, b, purpose("analysis.bootstrap"));
  std::vector<std::size_t> rows(n);
  for (std::size_t& row : rows) {
    row = std::min(n - 1, static_cast<std::size_t>(rng.uniform() * static_cast<double>(n)));
  }
  return rows;
}

std::pair<double, double> percentile_interval(std::vector<double> values, double confidence) {
  std::erase_if(values, [](double v) { return std::isnan(v); });
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (values.empty()) return {nan, nan};
  std::sort(values.begin(), values.end());
  auto quantile = [&](double q) {
    const double position = q * static_cast<double>(values.size() - 1);
    const auto below = static_cast<std::size_t>(std::floor(position));
    const std::size_t above = std::min(below + 1, values.size() - 1);
    const double weight = position - static_cast<double>(below);
    return values[below] + weight * (values[above] - values[below]);
  };
  const double tail = 0.5 * (1.0 - confidence);
  return {quantile(tail), quantile(1.0 - tail)};
}

}  // namespace sim::analysis
