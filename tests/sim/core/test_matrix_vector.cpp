#include <catch2/catch.hpp>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>

#include "sim/core/matrix_vector.h"
#include "sim/core/rng.h"

namespace {

/// Values of many magnitudes and both signs, some zeros of either sign: sums whose rounding
/// depends on the order of their additions.
double mixed_value(sim::RngStream& rng) {
  const double u = rng.uniform();
  if (u < 0.05) return 0.0;
  if (u < 0.10) return -0.0;
  return rng.normal() * std::exp(6.0 * rng.normal());
}

Eigen::MatrixXd mixed_matrix(sim::RngStream& rng, Eigen::Index rows, Eigen::Index cols) {
  Eigen::MatrixXd matrix(rows, cols);
  for (Eigen::Index j = 0; j < cols; ++j) {
    for (Eigen::Index i = 0; i < rows; ++i) matrix(i, j) = mixed_value(rng);
  }
  return matrix;
}

Eigen::ArrayXd mixed_array(sim::RngStream& rng, Eigen::Index size) {
  Eigen::ArrayXd array(size);
  for (Eigen::Index i = 0; i < size; ++i) array(i) = mixed_value(rng);
  return array;
}

/// Every element the same bits (a sign of zero too).
bool same_bits(const Eigen::ArrayXd& a, const Eigen::ArrayXd& b) {
  if (a.size() != b.size()) return false;
  for (Eigen::Index i = 0; i < a.size(); ++i) {
    if (std::bit_cast<std::uint64_t>(a(i)) != std::bit_cast<std::uint64_t>(b(i))) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("multiply gives Eigen's column-major product bit for bit", "[unit][matrix_vector]") {
  // Rows side by side in vectors of 2 or 4 and blocks of 16: sizes around each of those.
  sim::RngStream rng(11, 0, sim::purpose("multiply"));
  for (const Eigen::Index rows : {1, 3, 4, 7, 15, 16, 17, 31, 32, 33, 50}) {
    for (const Eigen::Index cols : {1, 5, 32, 40}) {
      const Eigen::MatrixXd matrix = mixed_matrix(rng, rows, cols);
      const Eigen::ArrayXd vector = mixed_array(rng, cols);
      Eigen::ArrayXd expected(rows);
      expected.matrix().noalias() = matrix * vector.matrix();
      for (const sim::KernelBuild build : {sim::KernelBuild::widest, sim::KernelBuild::portable}) {
        Eigen::ArrayXd out;
        sim::multiply(matrix, vector, out, build);
        INFO("rows " << rows << ", columns " << cols << ", portable "
                     << (build == sim::KernelBuild::portable));
        REQUIRE(same_bits(out, expected));
      }
    }
  }
}

TEST_CASE("multiply_lower gives Eigen's lower-triangular product bit for bit",
          "[unit][matrix_vector]") {
  // Panels of eight columns: sizes around them; NaN above the diagonal, which neither reads.
  sim::RngStream rng(12, 0, sim::purpose("multiply_lower"));
  for (const Eigen::Index size : {1, 2, 5, 8, 9, 15, 16, 17, 24, 31, 32, 33, 41}) {
    Eigen::MatrixXd lower = mixed_matrix(rng, size, size);
    for (Eigen::Index j = 1; j < size; ++j) {
      for (Eigen::Index i = 0; i < j; ++i) lower(i, j) = std::numeric_limits<double>::quiet_NaN();
    }
    const Eigen::ArrayXd vector = mixed_array(rng, size);
    Eigen::ArrayXd expected(size);
    expected.matrix().noalias() = lower.triangularView<Eigen::Lower>() * vector.matrix();
    REQUIRE(expected.isFinite().all());
    for (const sim::KernelBuild build : {sim::KernelBuild::widest, sim::KernelBuild::portable}) {
      Eigen::ArrayXd out;
      sim::multiply_lower(lower, vector, out, build);
      INFO("size " << size << ", portable " << (build == sim::KernelBuild::portable));
      REQUIRE(same_bits(out, expected));
    }
  }
}

TEST_CASE("The products refuse a vector of the wrong size, or the result as the vector",
          "[unit][matrix_vector]") {
  const Eigen::MatrixXd matrix = Eigen::MatrixXd::Ones(3, 4);
  Eigen::ArrayXd out;
  CHECK_THROWS_AS(sim::multiply(matrix, Eigen::ArrayXd::Ones(3), out), std::invalid_argument);
  CHECK_THROWS_AS(sim::multiply_lower(matrix, Eigen::ArrayXd::Ones(4), out), std::invalid_argument);
  Eigen::ArrayXd both = Eigen::ArrayXd::Ones(4);
  CHECK_THROWS_AS(sim::multiply_lower(Eigen::MatrixXd::Ones(4, 4), both, both),
                  std::invalid_argument);
  sim::multiply(matrix, both, out);
  CHECK((out == 4.0).all());
  // No columns: empty arrays share a null address, which is no aliasing; the sums are +0.
  const Eigen::ArrayXd none;
  Eigen::ArrayXd sums;
  sim::multiply(Eigen::MatrixXd(3, 0), none, sums);
  REQUIRE(sums.size() == 3);
  CHECK(same_bits(sums, Eigen::ArrayXd::Zero(3)));
  Eigen::ArrayXd nothing;
  sim::multiply_lower(Eigen::MatrixXd(0, 0), none, nothing);
  CHECK(nothing.size() == 0);
}
