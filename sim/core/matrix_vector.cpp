#include "sim/core/matrix_vector.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>

#include "sim/core/cpu.h"

namespace sim {

namespace {

/// Vectors of rows summed side by side: their accumulators stay in registers down the columns,
/// and the eight chains of additions overlap (one chain waits on each addition in turn).
constexpr int kRowVectors = 8;

template <std::size_t kLanes>
inline void multiply_body(const double* matrix, Eigen::Index rows, Eigen::Index cols,
                          Eigen::Index stride, const double* vector, double* out) {
  using Vector = typename DoubleLanes<kLanes>::type;
  constexpr auto kWidth = static_cast<Eigen::Index>(kLanes);
  constexpr auto kVectors = static_cast<std::size_t>(kRowVectors);
  constexpr Eigen::Index kRowBlock = kRowVectors * kWidth;
  Eigen::Index i = 0;
  for (; i + kRowBlock <= rows; i += kRowBlock) {
    std::array<Vector, kVectors> sums{};
    for (Eigen::Index j = 0; j < cols; ++j) {
      const Vector factor = Vector{} + vector[j];
      const double* column = matrix + j * stride + i;
      for (std::size_t k = 0; k < kVectors; ++k) {
        Vector value;
        std::memcpy(&value, column + static_cast<Eigen::Index>(k) * kWidth, sizeof value);
        sums[k] = value * factor + sums[k];
      }
    }
    for (std::size_t k = 0; k < kVectors; ++k) {
      // Eigen adds the sums to the result it zeroed: -0.0 comes out +0.0.
      const Vector result = sums[k] + 0.0;
      std::memcpy(out + i + static_cast<Eigen::Index>(k) * kWidth, &result, sizeof result);
    }
  }
  for (; i + kWidth <= rows; i += kWidth) {
    Vector sum{};
    for (Eigen::Index j = 0; j < cols; ++j) {
      Vector value;
      std::memcpy(&value, matrix + j * stride + i, sizeof value);
      sum = value * (Vector{} + vector[j]) + sum;
    }
    const Vector result = sum + 0.0;
    std::memcpy(out + i, &result, sizeof result);
  }
  for (; i < rows; ++i) {
    double sum = 0.0;
    for (Eigen::Index j = 0; j < cols; ++j) sum = matrix[j * stride + i] * vector[j] + sum;
    out[i] = sum + 0.0;
  }
}

/// The bits of DoubleLanes<kLanes>, to mask them.
template <std::size_t kLanes>
struct BitLanes;
template <>
struct BitLanes<2> {
  using type = std::int64_t __attribute__((vector_size(16)));
};
template <>
struct BitLanes<4> {
  using type = std::int64_t __attribute__((vector_size(32)));
};

/// Eigen's panel width for triangular products (EIGEN_TUNE_TRIANGULAR_PANEL_WIDTH).
constexpr int kPanel = 8;

/// Per column k of a panel, per row: all bits set on or below the diagonal (row >= k).
constexpr std::array<std::array<std::int64_t, kPanel>, kPanel> kOnOrBelow = [] {
  std::array<std::array<std::int64_t, kPanel>, kPanel> masks{};
  for (int k = 0; k < kPanel; ++k) {
    for (int row = 0; row < kPanel; ++row) masks[k][row] = row >= k ? -1 : 0;
  }
  return masks;
}();

/// Adds one panel of Eigen's lower-triangular product to `out`: its diagonal block's products
/// column by column, then below it, per row, the panel's sum (from +0, column by column). Rows
/// side by side, kLanes at a time. In the diagonal block a lane above the diagonal adds +0.0
/// (its product's bits cleared: the matrix there may hold anything), which leaves its value as
/// it is: a result is never -0.0 (it starts at +0.0, and only -0.0 + -0.0 sums to -0.0).
template <std::size_t kLanes>
inline void add_full_panel(const double* matrix, Eigen::Index size, Eigen::Index stride,
                           Eigen::Index first, const double* vector, double* out) {
  using Vector = typename DoubleLanes<kLanes>::type;
  using Bits = typename BitLanes<kLanes>::type;
  constexpr auto kWidth = static_cast<int>(kLanes);
  constexpr int kVectors = kPanel / kWidth;
  std::array<Vector, kPanel> factors{};
  for (int k = 0; k < kPanel; ++k) factors[k] = Vector{} + vector[first + k];
  std::array<Vector, kVectors> block{};
  std::memcpy(block.data(), out + first, sizeof block);
#pragma GCC unroll 8
  for (int k = 0; k < kPanel; ++k) {
    const double* column = matrix + (first + k) * stride + first;
#pragma GCC unroll 8
    for (int v = k / kWidth; v < kVectors; ++v) {
      Vector value;
      std::memcpy(&value, column + static_cast<std::ptrdiff_t>(v * kWidth), sizeof value);
      const Vector product = factors[k] * value;
      Bits bits;
      std::memcpy(&bits, &product, sizeof bits);
      Bits on_or_below;
      std::memcpy(&on_or_below, kOnOrBelow[k].data() + static_cast<std::ptrdiff_t>(v * kWidth),
                  sizeof on_or_below);
      bits &= on_or_below;
      Vector kept;
      std::memcpy(&kept, &bits, sizeof kept);
      block[v] += kept;
    }
  }
  std::memcpy(out + first, block.data(), sizeof block);
  Eigen::Index t = first + kPanel;
  for (; t + kWidth <= size; t += kWidth) {
    Vector sum{};
    for (int k = 0; k < kPanel; ++k) {
      Vector value;
      std::memcpy(&value, matrix + (first + k) * stride + t, sizeof value);
      sum = value * factors[k] + sum;
    }
    Vector result;
    std::memcpy(&result, out + t, sizeof result);
    result = sum + result;
    std::memcpy(out + t, &result, sizeof result);
  }
  for (; t < size; ++t) {
    double sum = 0.0;
    for (int k = 0; k < kPanel; ++k)
      sum = matrix[(first + k) * stride + t] * vector[first + k] + sum;
    out[t] = sum + out[t];
  }
}

template <std::size_t kLanes>
inline void multiply_lower_body(const double* matrix, Eigen::Index size, Eigen::Index stride,
                                const double* vector, double* out) {
  for (Eigen::Index t = 0; t < size; ++t) out[t] = 0.0;
  Eigen::Index first = 0;
  for (; first + kPanel <= size; first += kPanel) {
    add_full_panel<kLanes>(matrix, size, stride, first, vector, out);
  }
  // A last, narrower panel is all diagonal block (nothing below it).
  for (Eigen::Index k = first; k < size; ++k) {
    for (Eigen::Index t = k; t < size; ++t) out[t] = out[t] + vector[k] * matrix[k * stride + t];
  }
}

void multiply_lower_portable(const double* matrix, Eigen::Index size, Eigen::Index stride,
                             const double* vector, double* out) {
  multiply_lower_body<2>(matrix, size, stride, vector, out);
}

void multiply_portable(const double* matrix, Eigen::Index rows, Eigen::Index cols,
                       Eigen::Index stride, const double* vector, double* out) {
  multiply_body<2>(matrix, rows, cols, stride, vector, out);
}

#if NATOSIM_WIDE_VECTORS
// No FMA: a fused multiply-add rounds once where Eigen's SSE2 product rounds twice.
__attribute__((target("avx2"), flatten)) void multiply_wide(const double* matrix, Eigen::Index rows,
                                                            Eigen::Index cols, Eigen::Index stride,
                                                            const double* vector, double* out) {
  multiply_body<4>(matrix, rows, cols, stride, vector, out);
}

__attribute__((target("avx2"), flatten)) void multiply_lower_wide(const double* matrix,
                                                                  Eigen::Index size,
                                                                  Eigen::Index stride,
                                                                  const double* vector,
                                                                  double* out) {
  multiply_lower_body<4>(matrix, size, stride, vector, out);
}

const bool kMultiplyWide = processor_has_avx2();
#endif

}  // namespace

void multiply(const Eigen::MatrixXd& matrix, const Eigen::ArrayXd& vector, Eigen::ArrayXd& out,
              KernelBuild build) {
  if (vector.size() != matrix.cols() || (vector.size() > 0 && vector.data() == out.data())) {
    throw std::invalid_argument(
        "sim::multiply: the vector must hold one value per column and "
        "must not be the result");
  }
  out.resize(matrix.rows());
#if NATOSIM_WIDE_VECTORS
  if (kMultiplyWide && build == KernelBuild::widest) {
    multiply_wide(matrix.data(), matrix.rows(), matrix.cols(), matrix.outerStride(), vector.data(),
                  out.data());
    return;
  }
#endif
  (void)build;
  multiply_portable(matrix.data(), matrix.rows(), matrix.cols(), matrix.outerStride(),
                    vector.data(), out.data());
}

void multiply_lower(const Eigen::MatrixXd& lower, const Eigen::ArrayXd& vector, Eigen::ArrayXd& out,
                    KernelBuild build) {
  if (lower.rows() != lower.cols() || vector.size() != lower.cols() ||
      (vector.size() > 0 && vector.data() == out.data())) {
    throw std::invalid_argument(
        "sim::multiply_lower: the matrix must be square, the vector must "
        "hold one value per column and must not be the result");
  }
  out.resize(lower.rows());
#if NATOSIM_WIDE_VECTORS
  if (kMultiplyWide && build == KernelBuild::widest) {
    multiply_lower_wide(lower.data(), lower.rows(), lower.outerStride(), vector.data(), out.data());
    return;
  }
#endif
  (void)build;
  multiply_lower_portable(lower.data(), lower.rows(), lower.outerStride(), vector.data(),
                          out.data());
}

}  // namespace sim
