#pragma once

#include <cstddef>
#include <cstdint>

#include <Eigen/Core>

#include "sim/design/morris.h"

namespace sim::analysis {

/// Morris screening measures of one output, one entry per parameter. Elementary effects are in
/// output units per unit of the parameter's [0, 1] (probability) scale.
struct MorrisIndices {
  Eigen::VectorXd mu;
  Eigen::VectorXd mu_star;
  Eigen::VectorXd sigma;
  Eigen::VectorXd mu_star_low;
  Eigen::VectorXd mu_star_high;
};

/// mu (mean elementary effect), mu* (mean absolute effect, Campolongo et al. 2007) and sigma
/// (standard deviation, divisor r - 1) over the design's r trajectories; a percentile bootstrap
/// interval for mu* from `bootstrap` resamples of the trajectories (bootstrap_rows with `seed`).
MorrisIndices morris_indices(const design::MorrisDesign& design, const Eigen::VectorXd& y,
                             std::size_t bootstrap, std::uint64_t seed, double confidence = 0.95);

}  // namespace sim::analysis
