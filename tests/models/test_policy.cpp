#include <catch2/catch.hpp>

#include "models/policy/us_policy.h"
#include "support.h"

using namespace models;
using models::testing::TomlTable;

TEST_CASE("The U.S. policy is read from model.policy with a threshold schedule", "[unit]") {
  TomlTable toml(
      "[policy]\nthreshold = [[2025, 2.0], [2035, 3.5]]\nconditional_article5 = true\n"
      "enforcement_probability = {dist = \"beta\", alpha = 8, beta = 2}\n"
      "exercises_to_compliers_only = true\nus_spending = [[2025, 3.22], [2030, 3.5]]\n"
      "[policy.troops]\nreallocate_to_compliers = true\ntotal_thousands = 60\n",
      "policy");
  const UsPolicy p = parse_us_policy(toml.table);
  toml.table.finish();
  CHECK(p.threshold_pct.at(2030) == Approx(2.75));
  CHECK(p.conditional_article5);
  CHECK(p.exercises_to_compliers_only);
  CHECK(p.enforcement_probability.central() == Approx(0.8));
  CHECK(p.us_spending_pct.at(2040) == 3.5);
  CHECK(p.troops.reallocate_to_compliers);
  CHECK(*p.troops.total_thousands == 60.0);
  CHECK(p.troops.speed_per_year == 0.25);

  TomlTable defaults("[policy]\n", "policy");
  const UsPolicy d = parse_us_policy(defaults.table);
  CHECK(d.threshold_pct.at(2040) == 2.0);
  CHECK_FALSE(d.conditional_article5);
  CHECK(d.us_spending_pct.empty());

  TomlTable typo("[policy]\n[policy.troops]\nspeed = 0.5\n", "policy");
  CHECK_THROWS_WITH(parse_us_policy(typo.table),
                    Catch::Matchers::StartsWith("test.toml:3:9: policy.troops.speed: unknown key"));
  TomlTable bad_p("[policy]\nenforcement_probability = 1.5\n", "policy");
  CHECK_THROWS_WITH(parse_us_policy(bad_p.table),
                    "test.toml:2:27: policy.enforcement_probability: out of range, got 1.5 "
                    "(expected a number in [0, 1])");
}

TEST_CASE("Troops are shared among compliers above floors, preserving the total", "[unit]") {
  Eigen::ArrayXd start(4);
  start << 30.0, 10.0, 0.0, 4.0;
  Eigen::ArrayXd eligible(4);
  eligible << 0.0, 1.0, 1.0, 0.0;
  Eigen::ArrayXd threat(4);
  threat << 0.5, 1.0, 1.0, 0.5;
  TroopRule rule;
  rule.floor_thousands = 2.0;
  rule.complier_seed_thousands = 2.0;
  Eigen::ArrayXd target;
  troop_target(start, eligible, threat, rule, 44.0, target);
  // Floors: 2, 2, 0, 2 (a host keeps at most what it had). Pool 38 shared 12 : 2.
  CHECK(target(0) == 2.0);
  CHECK(target(1) == Approx(2.0 + 38.0 * 12.0 / 14.0));
  CHECK(target(2) == Approx(38.0 * 2.0 / 14.0));
  CHECK(target(3) == 2.0);
  CHECK(target.sum() == Approx(44.0));

  Eigen::ArrayXd troops = start;
  move_troops(troops, target, 0.25);
  CHECK(troops(0) == Approx(30.0 - 0.25 * 28.0));
  CHECK(troops.sum() == Approx(44.0));

  troop_target(start, Eigen::ArrayXd::Zero(4), threat, rule, 44.0, target);
  CHECK((target == start).all());  // nobody complies: nowhere to move troops to
}
