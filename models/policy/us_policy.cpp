#include "models/policy/us_policy.h"

#include <algorithm>

namespace models {

UsPolicy parse_us_policy(sim::config::Table& table) {
  using sim::config::Range;
  UsPolicy p;
  if (table.has("threshold")) {
    p.threshold_pct = parse_schedule(table, "threshold", Range::between(0.0, 100.0));
  } else {
    table.node("threshold");
  }
  p.conditional_article5 = table.boolean_or("conditional_article5", p.conditional_article5);
  p.enforcement_probability = sim::config::uncertain_or(
      table, "enforcement_probability", p.enforcement_probability.central(), Range::unit());
  p.exercises_to_compliers_only =
      table.boolean_or("exercises_to_compliers_only", p.exercises_to_compliers_only);
  if (table.has("pressure")) p.pressure = parse_schedule(table, "pressure", Range::between(0, 10));
  p.pressure_scale = sim::config::uncertain_or(table, "pressure_scale", p.pressure_scale.central(),
                                               Range::between(0.0, 10.0));
  if (table.has("us_troops_in_europe")) {
    p.us_troops_in_europe = parse_schedule(table, "us_troops_in_europe", Range::positive());
  }
  if (table.has("us_spending")) {
    p.us_spending_pct = parse_schedule(table, "us_spending", Range::between(0.0, 100.0));
  } else {
    table.node("us_spending");
  }
  p.reliability =
      sim::config::uncertain_or(table, "reliability", p.reliability.central(), Range::unit());
  if (auto troops = table.table_if("troops")) {
    TroopRule& t = p.troops;
    t.reallocate_to_compliers = troops->boolean_or("reallocate_to_compliers", false);
    if (troops->has("total_thousands")) {
      t.total_thousands = troops->number("total_thousands", Range::non_negative());
    } else {
      troops->node("total_thousands");
    }
    t.speed_per_year =
        troops->number_or("speed_per_year", t.speed_per_year, Range{0.0, 1.0, true, false});
    t.floor_thousands =
        troops->number_or("floor_thousands", t.floor_thousands, Range::non_negative());
    t.complier_seed_thousands = troops->number_or("complier_seed_thousands",
                                                  t.complier_seed_thousands, Range::non_negative());
    troops->finish();
  }
  return p;
}

void troop_target(const Eigen::ArrayXd& start_thousands, const Eigen::ArrayXd& eligible,
                  const Eigen::ArrayXd& threat, const TroopRule& rule, double total_thousands,
                  Eigen::ArrayXd& target) {
  const Eigen::ArrayXd floors = start_thousands.min(rule.floor_thousands);
  const Eigen::ArrayXd weight =
      eligible * (start_thousands + rule.complier_seed_thousands * threat);
  const double weight_total = weight.sum();
  if (weight_total <= 0.0) {
    target = start_thousands;
    return;
  }
  const double pool = std::max(0.0, total_thousands - floors.sum());
  target = floors + pool * weight / weight_total;
}

}  // namespace models
