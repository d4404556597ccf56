#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include <Eigen/Core>

namespace sim::design {

/// Morris (1991) one-at-a-time trajectories on a p-level grid in the unit cube, with the
/// optimised selection of Campolongo, Cariboni and Saltelli (2007). Trajectory t occupies rows
/// t(D+1) .. t(D+1)+D; step k of it changes one parameter by +-delta, delta = p / (2(p - 1)).
struct MorrisDesign {
  std::size_t parameters = 0;
  std::size_t trajectories = 0;
  int levels = 4;
  double delta = 0.0;
  /// Grid points, one row per model evaluation, values in {0, 1/(p-1), ..., 1}.
  Eigen::MatrixXd unit;
  /// [trajectory * D + step]: the parameter step `step` of the trajectory changes.
  std::vector<std::size_t> changed;
  /// [trajectory * D + step]: the signed change of that parameter (+delta or -delta).
  std::vector<double> step;

  std::size_t row(std::size_t trajectory, std::size_t point) const {
    return trajectory * (parameters + 1) + point;
  }
};

/// Builds `trajectories` r trajectories for `parameters` D inputs on `levels` p (even, >= 2)
/// levels. With `candidates` > r, draws that many and keeps the r that greedily maximise the sum
/// of squared pairwise trajectory distances (Campolongo et al. 2007's spread criterion, solved
/// greedily as in Ruano et al. 2012). Candidate c is drawn from a Philox stream keyed by
/// (seed, c), so the design does not depend on anything but these arguments. Throws
/// std::invalid_argument on bad sizes.
MorrisDesign morris_design(std::size_t parameters, std::size_t trajectories, int levels,
                           std::size_t candidates, std::uint64_t seed);

}  // namespace sim::design
