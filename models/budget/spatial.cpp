#include "models/budget/spatial.h"

#include <cmath>

namespace models {

SpatialParams parse_spatial(sim::config::Table& table) {
  using sim::config::Range;
  SpatialParams p;
  p.contiguity_weight = table.number_or("contiguity_weight", p.contiguity_weight, Range::unit());
  p.distance_scale_km =
      table.number_or("distance_scale_km", p.distance_scale_km, Range::between(1.0, 1e5));
  p.ally_reliability = sim::config::uncertain_or(table, "ally_reliability",
                                                 p.ally_reliability.central(), Range::unit());
  p.neighbour_reliability_bonus = table.number_or(
      "neighbour_reliability_bonus", p.neighbour_reliability_bonus, Range::between(0.0, 10.0));
  return p;
}

SpatialStructure build_spatial(const AllianceData& data, const SpatialParams& params) {
  const auto n = static_cast<Eigen::Index>(data.size());
  SpatialStructure s;
  s.contiguity = Eigen::MatrixXd::Zero(n, n);
  for (const auto& [a, b] : data.borders) {
    s.contiguity(static_cast<Eigen::Index>(a), static_cast<Eigen::Index>(b)) = 1.0;
    s.contiguity(static_cast<Eigen::Index>(b), static_cast<Eigen::Index>(a)) = 1.0;
  }
  // A calibration builds a model for every particle it tries: each pair once (proximity is
  // symmetric, bit for bit), from the distances worked out when the data were read.
  s.proximity = Eigen::MatrixXd::Zero(n, n);
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index j = i + 1; j < n; ++j) {
      const double km =
          data.capital_distance_km(static_cast<std::size_t>(i), static_cast<std::size_t>(j));
      const double proximity =
          params.contiguity_weight * s.contiguity(i, j) +
          (1.0 - params.contiguity_weight) * std::exp(-km / params.distance_scale_km);
      s.proximity(i, j) = proximity;
      s.proximity(j, i) = proximity;
    }
  }
  Eigen::ArrayXd contributor(n);
  for (Eigen::Index j = 0; j < n; ++j) {
    const auto m = static_cast<std::size_t>(j);
    contributor(j) = (data.members[m].exempt || m == data.patron) ? 0.0 : 1.0;
  }
  s.weights = s.proximity;
  for (Eigen::Index i = 0; i < n; ++i) {
    s.weights.row(i).array() *= contributor.transpose();
    const double total = s.weights.row(i).sum();
    if (total > 0.0) s.weights.row(i) /= total;
  }
  return s;
}

void believed_weights(const SpatialStructure& spatial, double ally_reliability, double bonus,
                      Eigen::MatrixXd& out) {
  out = spatial.weights.array() *
        (ally_reliability * (1.0 + bonus * spatial.contiguity.array())).min(1.0);
}

}  // namespace models
