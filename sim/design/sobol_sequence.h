#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace sim::design {

/// The largest number of dimensions sobol_points supports (Joe and Kuo's new-joe-kuo-6.21201
/// direction numbers for dimensions 2..128 are built in).
inline constexpr std::size_t kSobolMaxDimensions = 128;

/// The first `count` points of the Sobol low-discrepancy sequence in `dimensions` dimensions
/// (Joe and Kuo 2008 direction numbers, 32-bit, Gray-code order), as raw 32-bit integers
/// [point][dimension]; divide by 2^32 for [0, 1). Point 0 is all zeros. Throws
/// std::invalid_argument above kSobolMaxDimensions or 2^32 points.
std::vector<std::vector<std::uint32_t>> sobol_points(std::size_t count, std::size_t dimensions);

}  // namespace sim::design
