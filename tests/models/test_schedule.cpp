#include <catch2/catch.hpp>

#include "models/common/schedule.h"
#include "support.h"

using models::Schedule;
using models::testing::TomlTable;

TEST_CASE("A schedule interpolates linearly between points and is flat outside", "[unit]") {
  const Schedule hague({{2025, 2.0}, {2035, 3.5}});
  CHECK(hague.at(2020) == 2.0);
  CHECK(hague.at(2025) == 2.0);
  CHECK(hague.at(2030) == Approx(2.75).epsilon(1e-15));
  CHECK(hague.at(2027) == Approx(2.3).epsilon(1e-15));
  CHECK(hague.at(2035) == 3.5);
  CHECK(hague.at(2050) == 3.5);
  const Schedule steps({{2025, 1.0}, {2030, 2.0}, {2031, 0.0}});
  CHECK(steps.at(2029) == Approx(1.8).epsilon(1e-15));
  CHECK(steps.at(2031) == 0.0);
}

TEST_CASE("A schedule is read from year-value pairs and bad ones are rejected", "[unit]") {
  TomlTable ok("[p]\nthreshold = [[2025, 2], [2035, 3.5]]\n", "p");
  const Schedule s =
      models::parse_schedule(ok.table, "threshold", sim::config::Range::between(0, 100));
  REQUIRE(s.points().size() == 2);
  CHECK(s.at(2035) == 3.5);

  TomlTable backwards("[p]\nthreshold = [[2035, 2.0], [2025, 3.5]]\n", "p");
  CHECK_THROWS_WITH(
      models::parse_schedule(backwards.table, "threshold", sim::config::Range::between(0, 100)),
      "test.toml:2:13: p.threshold[1][0]: years not increasing, got 2025 (expected a year after "
      "2035)");
  TomlTable negative("[p]\nthreshold = [[2025, -1.0]]\n", "p");
  CHECK_THROWS_WITH(
      models::parse_schedule(negative.table, "threshold", sim::config::Range::between(0, 100)),
      "test.toml:2:13: p.threshold[0][1]: out of range, got -1 (expected a number in [0, 100])");
  TomlTable not_pair("[p]\nthreshold = [2.0]\n", "p");
  CHECK_THROWS_WITH(
      models::parse_schedule(not_pair.table, "threshold", sim::config::Range::between(0, 100)),
      Catch::Matchers::StartsWith("test.toml:2:13: p.threshold[0]: not a [year, value] pair"));
}

TEST_CASE("A plain number is a constant schedule, as a sweep sets it", "[unit]") {
  TomlTable flat("[p]\nthreshold = 3.0\n", "p");
  const Schedule s =
      models::parse_schedule(flat.table, "threshold", sim::config::Range::between(0, 100));
  CHECK(s.at(2025) == 3.0);
  CHECK(s.at(2044) == 3.0);
  TomlTable too_high("[p]\nthreshold = 120\n", "p");
  CHECK_THROWS_WITH(
      models::parse_schedule(too_high.table, "threshold", sim::config::Range::between(0, 100)),
      "test.toml:2:13: p.threshold: out of range, got 120 (expected a number in [0, 100])");
}
