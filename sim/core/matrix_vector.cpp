#include "sim/core/matrix_vector.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "sim/core/cpu.h"

namespace sim {

namespace {

/// Rows summed side by side: their accumulators stay in registers down the columns.
constexpr int kRowBlock = 16;

template <std::size_t kLanes>
inline void multiply_body(const double* matrix, Eigen::Index rows, Eigen::Index cols,
                          Eigen::Index stride, const double* vector, double* out) {
  using Vector = typename DoubleLanes<kLanes>::type;
  constexpr int kWidth = static_cast<int>(kLanes);
  constexpr int kVectors = kRowBlock / kWidth;
  Eigen::Index i = 0;
  for (; i + kRowBlock <= rows; i += kRowBlock) {
    std::array<Vector, kVectors> sums{};
    for (Eigen::Index j = 0; j < cols; ++j) {
      const Vector factor = Vector{} + vector[j];
      const double* column = matrix + j * stride + i;
      for (int k = 0; k < kVectors; ++k) {
        Vector value;
        std::memcpy(&value, column + k * kWidth, sizeof value);
        sums[k] = value * factor + sums[k];
      }
    }
    for (int k = 0; k < kVectors; ++k) {
      // Eigen adds the sums to the result it zeroed: -0.0 comes out +0.0.
      const Vector result = sums[k] + 0.0;
      std::memcpy(out + i + k * kWidth, &result, sizeof result);
    }
  }
  for (; i < rows; ++i) {
    double sum = 0.0;
    for (Eigen::Index j = 0; j < cols; ++j) sum = matrix[j * stride + i] * vector[j] + sum;
    out[i] = sum + 0.0;
  }
}

/// Eigen's panel width for triangular products (EIGEN_TUNE_TRIANGULAR_PANEL_WIDTH).
constexpr int kPanel = 8;

/// Adds one panel of Eigen's lower-triangular product to `out`: its diagonal block's products
/// column by column, then below it, per row, the panel's sum (from +0, column by column). Rows
/// side by side, kLanes at a time; a lane above the diagonal keeps its value (a masked add, not
/// an add of zero, which would turn -0.0 into +0.0).
template <std::size_t kLanes>
inline void add_full_panel(const double* matrix, Eigen::Index size, Eigen::Index stride,
                           Eigen::Index first, const double* vector, double* out) {
  using Vector = typename DoubleLanes<kLanes>::type;
  constexpr int kWidth = static_cast<int>(kLanes);
  constexpr int kVectors = kPanel / kWidth;
  std::array<Vector, kPanel> factors{};
  for (int k = 0; k < kPanel; ++k) factors[k] = Vector{} + vector[first + k];
  std::array<Vector, kVectors> block{};
  std::memcpy(block.data(), out + first, sizeof block);
  for (int k = 0; k < kPanel; ++k) {
    const double* column = matrix + (first + k) * stride + first;
    for (int v = k / kWidth; v < kVectors; ++v) {
      Vector value;
      std::memcpy(&value, column + v * kWidth, sizeof value);
      Vector row{};
      for (int lane = 0; lane < kWidth; ++lane) row[lane] = v * kWidth + lane;
      const Vector added = block[v] + factors[k] * value;
      block[v] = row >= static_cast<double>(k) ? added : block[v];
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
  eigen_assert(vector.size() == matrix.cols() && vector.data() != out.data());
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
  eigen_assert(lower.rows() == lower.cols() && vector.size() == lower.cols() &&
               vector.data() != out.data());
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
