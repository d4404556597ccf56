#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace sim::analysis {

/// Row indices of bootstrap resample `b` of `n` rows (drawn with replacement from a Philox
/// stream keyed by (seed, b)): the same for every output and every thread count.
std::vector<std::size_t> bootstrap_rows(std::size_t n, std::uint64_t seed, std::size_t b);

/// Percentile interval of `values` at `confidence` (e.g. 0.95: the 2.5 % and 97.5 % quantiles,
/// linear interpolation between order statistics). NaN values are ignored; all NaN gives NaN.
std::pair<double, double> percentile_interval(std::vector<double> values, double confidence);

}  // namespace sim::analysis
