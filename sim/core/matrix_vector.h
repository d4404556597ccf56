#pragma once

#include <Eigen/Core>

namespace sim {

/// Which build of a kernel runs: the widest the processor has, or the portable one (SSE2 on
/// x86-64; for tests, which check that both give the same bits).
enum class KernelBuild { widest, portable };

/// out = matrix * vector (out resized to matrix.rows()): each element the sum over the columns
/// in order from +0, then + 0.0, as Eigen 3.4's column-major product (`out.matrix().noalias()
/// = matrix * vector.matrix()`) makes it without fused multiply-add, so the same bits; four
/// rows a vector where the processor has AVX2 (Eigen's own build uses SSE2's two). Why: the
/// alliance model forms two 32 x 32 products a year, 5% of its time. std::invalid_argument
/// unless `vector` holds matrix.cols() values and is not `out`.
void multiply(const Eigen::MatrixXd& matrix, const Eigen::ArrayXd& vector, Eigen::ArrayXd& out,
              KernelBuild build = KernelBuild::widest);

/// out = lower * vector for the lower triangle of a square `lower` (the rest is not read), with
/// the bits of Eigen 3.4's `out.matrix().noalias() = lower.triangularView<Eigen::Lower>() *
/// vector.matrix()` (no fused multiply-add): Eigen takes the columns in panels of eight, adding
/// each panel's sum below its diagonal block to the result, and the diagonal block's products
/// one by one; this does the same additions in the same order, rows side by side with AVX2.
/// Why: a correlated shock a year in the alliance model's economy, 6% of its instructions.
/// std::invalid_argument unless `lower` is square and `vector` holds a value per column and is
/// not `out`.
void multiply_lower(const Eigen::MatrixXd& lower, const Eigen::ArrayXd& vector, Eigen::ArrayXd& out,
                    KernelBuild build = KernelBuild::widest);

}  // namespace sim
