#include <catch2/catch.hpp>

#include "models/budget/spatial.h"
#include "support.h"

using namespace models;
using models::testing::shipped_data;

TEST_CASE("Great-circle distances match the data's distances to Moscow", "[unit][data]") {
  // Moscow: 55.7558 N, 37.6173 E. The data give capital-to-Moscow distances to +-5 km.
  for (const MemberData& m : shipped_data().members) {
    const double km = great_circle_km(m.capital_lat_deg, m.capital_lon_deg, 55.7558, 37.6173);
    INFO(m.iso2);
    CHECK(std::abs(km - m.distance_to_moscow_km) < 10.0);
  }
}

TEST_CASE("Proximity is the great-circle formula, bit for bit, whichever capital comes first",
          "[unit][data]") {
  // build_spatial works out each pair once and mirrors it: that must be the number either order
  // of great_circle_km gives, not merely close to it.
  const AllianceData& data = shipped_data();
  SpatialParams params;
  params.contiguity_weight = 0.3;
  params.distance_scale_km = 900.0;
  const SpatialStructure s = build_spatial(data, params);
  const auto n = static_cast<Eigen::Index>(data.size());
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index j = 0; j < n; ++j) {
      if (i == j) continue;
      const MemberData& a = data.members[static_cast<std::size_t>(i)];
      const MemberData& b = data.members[static_cast<std::size_t>(j)];
      const double km = great_circle_km(a.capital_lat_deg, a.capital_lon_deg, b.capital_lat_deg,
                                        b.capital_lon_deg);
      INFO(a.iso2 << " " << b.iso2);
      CHECK(km == great_circle_km(b.capital_lat_deg, b.capital_lon_deg, a.capital_lat_deg,
                                  a.capital_lon_deg));
      CHECK(data.capital_distance_km(static_cast<std::size_t>(i), static_cast<std::size_t>(j)) ==
            km);
      CHECK(s.proximity(i, j) ==
            params.contiguity_weight * s.contiguity(i, j) +
                (1.0 - params.contiguity_weight) * std::exp(-km / params.distance_scale_km));
    }
  }
}

TEST_CASE("Spatial weights are row-normalised over allies with armed forces", "[unit]") {
  const AllianceData& data = shipped_data();
  const SpatialStructure s = build_spatial(data, SpatialParams{});
  const auto n = static_cast<Eigen::Index>(data.size());
  const auto us = static_cast<Eigen::Index>(data.patron);
  const auto is = static_cast<Eigen::Index>(*data.find("IS"));
  CHECK((s.proximity - s.proximity.transpose()).cwiseAbs().maxCoeff() == 0.0);
  CHECK(s.proximity.diagonal().cwiseAbs().maxCoeff() == 0.0);
  for (Eigen::Index i = 0; i < n; ++i) CHECK(s.weights.row(i).sum() == Approx(1.0));
  CHECK(s.weights.col(us).cwiseAbs().maxCoeff() == 0.0);
  CHECK(s.weights.col(is).cwiseAbs().maxCoeff() == 0.0);
  const auto pl = static_cast<Eigen::Index>(*data.find("PL"));
  const auto de = static_cast<Eigen::Index>(*data.find("DE"));
  const auto pt = static_cast<Eigen::Index>(*data.find("PT"));
  CHECK(s.contiguity(pl, de) == 1.0);
  CHECK(s.weights(pl, de) > s.weights(pl, pt));
}

TEST_CASE("Believed weights scale spatial weights by reliability, higher for neighbours",
          "[unit]") {
  const AllianceData& data = shipped_data();
  const SpatialStructure s = build_spatial(data, SpatialParams{});
  Eigen::MatrixXd out;
  believed_weights(s, 0.7, 0.2, out);
  const auto pl = static_cast<Eigen::Index>(*data.find("PL"));
  const auto de = static_cast<Eigen::Index>(*data.find("DE"));
  const auto fr = static_cast<Eigen::Index>(*data.find("FR"));
  CHECK(out(pl, de) == Approx(s.weights(pl, de) * 0.84));
  CHECK(out(pl, fr) == Approx(s.weights(pl, fr) * 0.7));
  believed_weights(s, 0.95, 0.2, out);
  CHECK(out(pl, de) == Approx(s.weights(pl, de)));  // capped at 1
}
