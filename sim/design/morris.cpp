#include "sim/design/morris.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include <fmt/format.h>

#include "sim/core/rng.h"

namespace sim::design {

namespace {

struct Trajectory {
  Eigen::MatrixXd points;  // (D + 1) x D
  std::vector<std::size_t> order;
  std::vector<double> step;
};

/// One random trajectory: a base point on the lower half of the grid, a random order of the
/// parameters and a random direction for each, so each parameter moves once by +-delta.
Trajectory draw_trajectory(std::size_t d, int levels, double delta, std::uint64_t seed,
                           std::uint64_t index) {
  RngStream rng(seed, index, purpose("design.morris.trajectory"));
  const auto grid = static_cast<double>(levels - 1);
  const auto base_levels = static_cast<std::uint32_t>(levels / 2);
  Eigen::VectorXd x(static_cast<Eigen::Index>(d));
  std::vector<double> direction(d);
  for (std::size_t i = 0; i < d; ++i) {
    const double low = static_cast<double>(rng.next_u32() % base_levels) / grid;
    const bool up = (rng.next_u32() & 1u) != 0;
    direction[i] = up ? delta : -delta;
    x(static_cast<Eigen::Index>(i)) = up ? low : low + delta;
  }
  Trajectory t;
  t.order.resize(d);
  std::iota(t.order.begin(), t.order.end(), std::size_t{0});
  // Fisher-Yates with the stream's integers (no std::shuffle: its algorithm is unspecified).
  for (std::size_t i = d; i > 1; --i) {
    const std::size_t j = rng.next_u32() % i;
    std::swap(t.order[i - 1], t.order[j]);
  }
  t.points.resize(static_cast<Eigen::Index>(d + 1), static_cast<Eigen::Index>(d));
  t.points.row(0) = x.transpose();
  for (std::size_t k = 0; k < d; ++k) {
    const std::size_t i = t.order[k];
    x(static_cast<Eigen::Index>(i)) += direction[i];
    // Snap to the grid so that rounding never leaves it.
    x(static_cast<Eigen::Index>(i)) = std::round(x(static_cast<Eigen::Index>(i)) * grid) / grid;
    t.points.row(static_cast<Eigen::Index>(k + 1)) = x.transpose();
    t.step.push_back(direction[i]);
  }
  return t;
}

/// Campolongo et al.'s distance between two trajectories: the sum of Euclidean distances between
/// every point of one and every point of the other.
double distance(const Trajectory& a, const Trajectory& b) {
  double total = 0.0;
  for (Eigen::Index i = 0; i < a.points.rows(); ++i) {
    for (Eigen::Index j = 0; j < b.points.rows(); ++j) {
      total += (a.points.row(i) - b.points.row(j)).norm();
    }
  }
  return total;
}

}  // namespace

MorrisDesign morris_design(std::size_t parameters, std::size_t trajectories, int levels,
                           std::size_t candidates, std::uint64_t seed) {
  if (parameters == 0) throw std::invalid_argument("Morris design: no parameters");
  if (trajectories < 2) throw std::invalid_argument("Morris design: fewer than 2 trajectories");
  if (levels < 2 || levels % 2 != 0) {
    throw std::invalid_argument(
        fmt::format("Morris design: {} levels (expected an even number >= 2)", levels));
  }
  const std::size_t pool = std::max(candidates, trajectories);
  const double delta = levels / (2.0 * (levels - 1));
  std::vector<Trajectory> drawn;
  for (std::size_t c = 0; c < pool; ++c) {
    drawn.push_back(draw_trajectory(parameters, levels, delta, seed, c));
  }
  std::vector<std::size_t> chosen;
  if (pool == trajectories) {
    chosen.resize(pool);
    std::iota(chosen.begin(), chosen.end(), std::size_t{0});
  } else {
    Eigen::MatrixXd dist(static_cast<Eigen::Index>(pool), static_cast<Eigen::Index>(pool));
    for (std::size_t a = 0; a < pool; ++a) {
      dist(static_cast<Eigen::Index>(a), static_cast<Eigen::Index>(a)) = 0.0;
      for (std::size_t b = a + 1; b < pool; ++b) {
        const double value = distance(drawn[a], drawn[b]);
        dist(static_cast<Eigen::Index>(a), static_cast<Eigen::Index>(b)) = value;
        dist(static_cast<Eigen::Index>(b), static_cast<Eigen::Index>(a)) = value;
      }
    }
    // Greedy: start with the farthest pair, then repeatedly add the candidate that most raises
    // the sum of squared distances to those already chosen (ties: the lowest index).
    Eigen::Index first = 0;
    Eigen::Index second = 0;
    dist.maxCoeff(&first, &second);
    chosen = {static_cast<std::size_t>(std::min(first, second)),
              static_cast<std::size_t>(std::max(first, second))};
    std::vector<double> gain(pool, 0.0);
    std::vector<bool> taken(pool, false);
    for (std::size_t c : chosen) taken[c] = true;
    for (std::size_t c = 0; c < pool; ++c) {
      for (std::size_t k : chosen) {
        gain[c] += std::pow(dist(static_cast<Eigen::Index>(c), static_cast<Eigen::Index>(k)), 2);
      }
    }
    while (chosen.size() < trajectories) {
      std::size_t best = pool;
      for (std::size_t c = 0; c < pool; ++c) {
        if (!taken[c] && (best == pool || gain[c] > gain[best])) best = c;
      }
      chosen.push_back(best);
      taken[best] = true;
      for (std::size_t c = 0; c < pool; ++c) {
        gain[c] += std::pow(dist(static_cast<Eigen::Index>(c), static_cast<Eigen::Index>(best)), 2);
      }
    }
    std::sort(chosen.begin(), chosen.end());
  }
  MorrisDesign design;
  design.parameters = parameters;
  design.trajectories = trajectories;
  design.levels = levels;
  design.delta = delta;
  design.unit.resize(static_cast<Eigen::Index>(trajectories * (parameters + 1)),
                     static_cast<Eigen::Index>(parameters));
  for (std::size_t t = 0; t < trajectories; ++t) {
    const Trajectory& trajectory = drawn[chosen[t]];
    design.unit.middleRows(static_cast<Eigen::Index>(design.row(t, 0)),
                           static_cast<Eigen::Index>(parameters + 1)) = trajectory.points;
    for (std::size_t k = 0; k < parameters; ++k) {
      design.changed.push_back(trajectory.order[k]);
      design.step.push_back(trajectory.step[k]);
    }
  }
  return design;
}

}  // namespace sim::design
