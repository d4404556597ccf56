#include <cmath>

#include <catch2/catch.hpp>

#include "models/budget/spatial.h"
#include "models/threat/threat.h"
#include "support.h"

using namespace models;
using models::testing::shipped_data;
using models::testing::TomlTable;

TEST_CASE("Geographic exposure follows distance to Moscow and land borders", "[unit]") {
  const AllianceData& data = shipped_data();
  ThreatParams params;
  params.distance_scale_km = 1000.0;
  ThreatDrawn drawn;
  drawn.base = 0.3;
  drawn.distance_weight = 1.0;
  drawn.border_weight = 0.25;
  const Eigen::ArrayXd exposure = geographic_exposure(data, params, drawn);
  const auto at = [&](const char* iso) {
    return exposure(static_cast<Eigen::Index>(*data.find(iso)));
  };
  // Lithuania: 791 km, borders with Kaliningrad and Belarus.
  CHECK(at("LT") == Approx(0.3 + std::exp(-0.791) + 0.5).epsilon(1e-14));
  // Estonia: 867 km, a border with mainland Russia.
  CHECK(at("EE") == Approx(0.3 + std::exp(-0.867) + 0.25).epsilon(1e-14));
  // Portugal: 3906 km, no border.
  CHECK(at("PT") == Approx(0.3 + std::exp(-3.906)).epsilon(1e-14));
  CHECK(at("PL") > at("DE"));
  CHECK(at("DE") > at("ES"));
}

TEST_CASE("Event threat decays geometrically and adds to the geographic threat", "[unit]") {
  Eigen::ArrayXd exposure(2);
  exposure << 0.5, 1.0;
  Eigen::ArrayXd event(2);
  event << 1.0, 0.0;
  Eigen::ArrayXd threat(2);
  update_threat(threat, event, exposure, 1.2, 0.7);
  CHECK(event(0) == Approx(0.7));
  CHECK(threat(0) == Approx(0.5 * 1.2 + 0.7));
  CHECK(threat(1) == Approx(1.2));
  update_threat(threat, event, exposure, 1.2, 0.7);
  CHECK(event(0) == Approx(0.49));
}

TEST_CASE("An attack raises the target's event threat fully and its neighbours' in part",
          "[unit]") {
  Eigen::MatrixXd proximity(3, 3);
  proximity << 0.0, 0.8, 0.2, 0.8, 0.0, 0.1, 0.2, 0.1, 0.0;
  Eigen::ArrayXd event = Eigen::ArrayXd::Zero(3);
  raise_event_threat(event, 0, 2.0, 0.5, proximity);
  CHECK(event(0) == 2.0);
  CHECK(event(1) == Approx(2.0 * 0.5 * 1.0));   // the closest member gets the full spillover
  CHECK(event(2) == Approx(2.0 * 0.5 * 0.25));  // 0.2 / 0.8 of it
}

TEST_CASE("Threat parameters are read with ranges and defaults", "[unit]") {
  TomlTable toml("[t]\nadversary_path = [[2025, 1.0], [2030, 1.5]]\nevent_decay = 1.0\n", "t");
  CHECK_THROWS_WITH(parse_threat(toml.table),
                    "test.toml:3:15: t.event_decay: out of range, got 1 (expected a number in "
                    "[0, 1))");
  TomlTable ok("[t]\nadversary_path = [[2025, 1.0], [2030, 1.5]]\n", "t");
  const ThreatParams p = parse_threat(ok.table);
  ok.table.finish();
  CHECK(p.adversary_path.at(2028) == Approx(1.3));
  CHECK(p.base.central() == 0.3);
}
