#pragma once

#include <cstddef>
#include <cstdint>

#include <Eigen/Core>

#include "sim/design/saltelli.h"

namespace sim::analysis {

/// Sobol indices of one output with bootstrap percentile intervals. Vectors have one entry per
/// parameter; the D x D second-order matrices are filled above the diagonal only (NaN elsewhere)
/// and empty without second order.
struct SobolIndices {
  Eigen::VectorXd first;
  Eigen::VectorXd first_low;
  Eigen::VectorXd first_high;
  Eigen::VectorXd total;
  Eigen::VectorXd total_low;
  Eigen::VectorXd total_high;
  Eigen::MatrixXd second;
  Eigen::MatrixXd second_low;
  Eigen::MatrixXd second_high;
  /// Variance of the output over the A and B rows (the denominator of every index).
  double variance = 0.0;
};

/// Estimates first-order indices with Saltelli et al. (2010)'s estimator
/// S_i = mean(f(B) (f(AB_i) - f(A))) / V, total indices with Jansen's
/// ST_i = mean((f(A) - f(AB_i))^2) / (2V) and, when the design has them, second-order indices
/// S_ij = mean(f(BA_i) f(AB_j) - f(A) f(B)) / V - S_i - S_j; V is the variance of f over A and B
/// together; outputs are centred on their A-and-B mean first. `y` holds one output value per design
/// row. Intervals: `bootstrap` resamples of the N base rows (bootstrap_rows with `seed`),
/// percentile intervals at `confidence`. A constant output gives NaN indices.
SobolIndices sobol_indices(const design::SaltelliDesign& design, const Eigen::VectorXd& y,
                           std::size_t bootstrap, std::uint64_t seed, double confidence = 0.95);

}  // namespace sim::analysis
