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
  CHECK_THROWS_WITH(parse_threat(toml.table, shipped_data()),
                    "test.toml:3:15: t.event_decay: out of range, got 1 (expected a number in "
                    "[0, 1))");
  TomlTable ok("[t]\nadversary_path = [[2025, 1.0], [2030, 1.5]]\n", "t");
  const ThreatParams p = parse_threat(ok.table, shipped_data());
  ok.table.finish();
  CHECK(p.adversary_path.at(2028) == Approx(1.3));
  CHECK(p.base.central() == 0.3);
}

TEST_CASE("A threat event reaches the nearest capital fully and others by distance", "[unit]") {
  TomlTable toml(
      "[t]\n[t.events.invasion]\nyear = 2022\nsize = 2.0\nreach_km = 500.0\n"
      "[t.events.baltic]\nyear = 2014\nsize = 1.0\nmembers = [\"LT\", \"PL\"]\n",
      "t");
  const AllianceData& data = shipped_data();
  const ThreatParams p = parse_threat(toml.table, data);
  toml.table.finish();
  REQUIRE(p.events.size() == 2);
  const auto named = [&](const std::string& name) {
    for (const ThreatEvent& e : p.events) {
      if (e.name == name) return e;
    }
    FAIL("no event " << name);
    return ThreatEvent{};
  };
  const Eigen::ArrayXd invasion = 2.0 * event_reach(data, named("invasion"));
  CHECK(named("invasion").size.central() == 2.0);
  double nearest = 1e9;
  for (const MemberData& m : data.members) nearest = std::min(nearest, m.distance_to_moscow_km);
  for (std::size_t i = 0; i < data.size(); ++i) {
    const double d = data.members[i].distance_to_moscow_km;
    CHECK(invasion(static_cast<Eigen::Index>(i)) == Approx(2.0 * std::exp(-(d - nearest) / 500.0)));
  }
  CHECK(invasion.maxCoeff() == Approx(2.0));
  const Eigen::ArrayXd baltic = event_reach(data, named("baltic"));
  const auto lt = static_cast<Eigen::Index>(*data.find("LT"));
  const auto pl = static_cast<Eigen::Index>(*data.find("PL"));
  CHECK(baltic(lt) == Approx(1.0));  // Vilnius is nearer Moscow than Warsaw
  CHECK(baltic(pl) < 1.0);
  CHECK(baltic.sum() == Approx(baltic(lt) + baltic(pl)));
}

TEST_CASE("A threat event naming an unknown member is refused with its position", "[unit]") {
  TomlTable toml("[t]\n[t.events.x]\nyear = 2022\nsize = 1.0\nmembers = [\"XX\"]\n", "t");
  CHECK_THROWS_WITH(parse_threat(toml.table, shipped_data()),
                    Catch::Contains("t.events.x.members: unknown ISO code, got \"XX\""));
}
