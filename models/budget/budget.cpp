#include "models/budget/budget.h"

#include <algorithm>
#include <cmath>

namespace models {

double pledge_pressure(int year, int announced, int deadline, double shape) {
  if (year < announced) return 0.0;
  if (year >= deadline) return 1.0;
  const double progress =
      static_cast<double>(year - announced) / static_cast<double>(deadline - announced);
  return std::pow(progress, shape);
}

BudgetParams parse_budget(sim::config::Table& table) {
  using sim::config::Range;
  using sim::config::uncertain_or;
  BudgetParams p;
  p.threat_response_pp = uncertain_or(table, "threat_response_pp", p.threat_response_pp.central(),
                                      Range::between(0.0, 20.0));
  p.spill_in = uncertain_or(table, "spill_in", p.spill_in.central(), Range::between(0.0, 10.0));
  p.pledge_gap_pp =
      uncertain_or(table, "pledge_gap_pp", p.pledge_gap_pp.central(), Range::between(0.0, 10.0));
  p.pledge_pressure_shape = uncertain_or(
      table, "pledge_pressure_shape", p.pledge_pressure_shape.central(), Range::between(0.1, 10.0));
  p.guarantee_gap_pp = uncertain_or(table, "guarantee_gap_pp", p.guarantee_gap_pp.central(),
                                    Range::between(0.0, 10.0));
  p.exercises_gap_pp = uncertain_or(table, "exercises_gap_pp", p.exercises_gap_pp.central(),
                                    Range::between(0.0, 10.0));
  p.troops_gap_pp =
      uncertain_or(table, "troops_gap_pp", p.troops_gap_pp.central(), Range::between(0.0, 10.0));
  p.gap_dispersion = table.number_or("gap_dispersion", p.gap_dispersion, Range::between(0, 3));
  p.debt_drag = uncertain_or(table, "debt_drag", p.debt_drag.central(), Range::between(0.0, 10.0));
  p.debt_reference_pct =
      table.number_or("debt_reference_pct", p.debt_reference_pct, Range::between(0.0, 1000.0));
  p.exercise_readiness_bonus =
      uncertain_or(table, "exercise_readiness_bonus", p.exercise_readiness_bonus.central(),
                   Range::between(0.0, 10.0));
  p.troop_half_thousands =
      table.number_or("troop_half_thousands", p.troop_half_thousands, Range::positive());
  p.adjustment_speed = uncertain_or(table, "adjustment_speed", p.adjustment_speed.central(),
                                    Range{0.0, 1.0, true, false});
  p.acute_speed_gain = uncertain_or(table, "acute_speed_gain", p.acute_speed_gain.central(),
                                    Range::between(0.0, 100.0));
  p.threat_uptake =
      uncertain_or(table, "threat_uptake", p.threat_uptake.central(), Range{0.0, 1.0, true, false});
  p.max_cut_pct = table.number_or("max_cut_pct", p.max_cut_pct, Range::between(0.0, 10.0));
  p.max_rise_pct = table.number_or("max_rise_pct", p.max_rise_pct, Range::between(0.0, 10.0));
  p.noise_sd_pct =
      uncertain_or(table, "noise_sd_pct", p.noise_sd_pct.central(), Range::between(0.0, 5.0));
  p.min_share_pct = table.number_or("min_share_pct", p.min_share_pct, Range::between(0.0, 100.0));
  p.max_share_pct =
      table.number_or("max_share_pct", p.max_share_pct, Range::between(p.min_share_pct, 100.0));
  p.bunching_band_pct =
      table.number_or("bunching_band_pct", p.bunching_band_pct, Range::between(0.0, 10.0));
  return p;
}

BudgetDrawn draw_budget(const BudgetParams& p, std::uint64_t seed, std::uint64_t replicate,
                        sim::RandomWordsRun* words) {
  BudgetDrawn d;
  d.threat_response_pp = p.threat_response_pp.draw(seed, replicate, words);
  d.spill_in = p.spill_in.draw(seed, replicate, words);
  d.pledge_gap_pp = p.pledge_gap_pp.draw(seed, replicate, words);
  d.pledge_pressure_shape = p.pledge_pressure_shape.draw(seed, replicate, words);
  d.guarantee_gap_pp = p.guarantee_gap_pp.draw(seed, replicate, words);
  d.exercises_gap_pp = p.exercises_gap_pp.draw(seed, replicate, words);
  d.troops_gap_pp = p.troops_gap_pp.draw(seed, replicate, words);
  d.exercise_readiness_bonus = p.exercise_readiness_bonus.draw(seed, replicate, words);
  d.debt_drag = p.debt_drag.draw(seed, replicate, words);
  d.adjustment_speed = p.adjustment_speed.draw(seed, replicate, words);
  d.acute_speed_gain = p.acute_speed_gain.draw(seed, replicate, words);
  d.threat_uptake = p.threat_uptake.draw(seed, replicate, words);
  d.noise_sd_pct = p.noise_sd_pct.draw(seed, replicate, words);
  return d;
}

std::vector<Pledge> parse_pledges(sim::config::Table& model) {
  using sim::config::Range;
  std::vector<Pledge> pledges;
  auto table = model.table_if("pledges");
  if (!table) return pledges;
  for (const std::string& name : table->keys()) {
    sim::config::Table t = table->table(name);
    Pledge p;
    p.name = name;
    p.announced = static_cast<int>(t.integer("announced", 1949, 2200));
    p.deadline = static_cast<int>(t.integer("deadline", 1949, 2200));
    if (p.deadline <= p.announced) {
      t.fail("deadline", "the deadline must come after the announcement",
             std::to_string(p.deadline), "a year > " + std::to_string(p.announced));
    }
    p.target_pct = t.number("target_pct", Range{0.0, 100.0, true, false});
    p.halt_decline = t.boolean_or("halt_decline", false);
    const bool enabled = t.boolean_or("enabled", true);
    t.finish();
    if (enabled) pledges.push_back(std::move(p));
    if (pledges.size() > kMaxPledges) {
      table->fail(name, "too many pledges", std::to_string(pledges.size()),
                  "at most " + std::to_string(kMaxPledges) + " enabled pledges");
    }
  }
  table->finish();
  return pledges;
}

}  // namespace models
