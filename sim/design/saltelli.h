#pragma once

#include <cstddef>
#include <cstdint>

#include <Eigen/Core>

namespace sim::design {

/// Saltelli et al. (2010) sampling for Sobol indices: base matrices A and B (N rows each, from a
/// 2D-dimensional Sobol sequence, A the first D columns and B the last D), AB_i (A with column i
/// from B) and, for second-order indices, BA_i (B with column i from A). Rows are grouped by base
/// row n: A_n, AB_n1..AB_nD, [BA_n1..BA_nD], B_n.
struct SaltelliDesign {
  std::size_t base_rows = 0;
  std::size_t parameters = 0;
  bool second_order = false;
  /// Points in the unit cube (0, 1)^D, one row per model evaluation, in the order above.
  Eigen::MatrixXd unit;

  /// Rows per base row: D + 2, or 2D + 2 with second order.
  std::size_t stride() const { return (second_order ? 2 : 1) * parameters + 2; }
  std::size_t row_a(std::size_t n) const { return n * stride(); }
  std::size_t row_ab(std::size_t n, std::size_t i) const { return n * stride() + 1 + i; }
  std::size_t row_ba(std::size_t n, std::size_t i) const {
    return n * stride() + 1 + parameters + i;
  }
  std::size_t row_b(std::size_t n) const { return n * stride() + stride() - 1; }
};

/// Builds the design for `parameters` (1..64) inputs and `base_rows` N (a power of two >= 2).
/// The Sobol points are randomised by a digital shift (XOR) per dimension drawn from a Philox
/// stream keyed by `seed`, then mapped to cell midpoints so no coordinate is exactly 0 or 1.
/// Throws std::invalid_argument for a bad size.
SaltelliDesign saltelli_design(std::size_t parameters, std::size_t base_rows, bool second_order,
                               std::uint64_t seed);

/// True when n is a power of two (n >= 1).
constexpr bool is_power_of_two(std::uint64_t n) { return n != 0 && (n & (n - 1)) == 0; }

}  // namespace sim::design
