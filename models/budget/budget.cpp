#include "models/budget/budget.h"

#include <algorithm>
#include <cmath>

namespace models {

BudgetTarget choose_target(double desired_pct, std::span<const Notch> notches) {
  BudgetTarget best{desired_pct, false, 1.0, 0.0};
  double best_payoff = 0.0;
  for (const Notch& n : notches) best_payoff += desired_pct >= n.threshold_pct ? n.worth_pp2 : 0.0;
  for (const Notch& candidate : notches) {
    if (candidate.threshold_pct <= desired_pct) continue;
    const double gap = candidate.threshold_pct - desired_pct;
    double payoff = -gap * gap;
    for (const Notch& n : notches) {
      payoff += candidate.threshold_pct >= n.threshold_pct ? n.worth_pp2 : 0.0;
    }
    const bool better =
        payoff > best_payoff || (payoff == best_payoff && candidate.threshold_pct > best.share_pct);
    if (better) {
      best_payoff = payoff;
      best = BudgetTarget{candidate.threshold_pct, true, candidate.years_left, 0.0};
    }
  }
  for (const Notch& n : notches) {
    if (n.worth_pp2 > 0.0 && n.threshold_pct <= best.share_pct) {
      best.floor_pct = std::max(best.floor_pct, n.threshold_pct);
    }
  }
  // The deadline that binds is the earliest among the notches the target meets from below.
  if (best.at_notch) {
    for (const Notch& n : notches) {
      if (n.threshold_pct > desired_pct && n.threshold_pct <= best.share_pct) {
        best.years_left = std::min(best.years_left, n.years_left);
      }
    }
  }
  return best;
}

double adjust_share(double current_pct, const BudgetTarget& target, const AdjustmentLimits& limits,
                    double noise_pct) {
  // Aiming at a notch from below, a member follows the even path to it by the deadline (a
  // pledge's "credible, incremental path"); otherwise it closes part of the gap to its target.
  const double gap = target.share_pct - current_pct;
  const bool on_path = target.at_notch && gap > 0.0;
  const double planned = on_path ? gap / std::max(1.0, target.years_left) : limits.speed * gap;
  const double step = std::clamp(planned + noise_pct, -limits.max_cut_pct, limits.max_rise_pct);
  double next = current_pct + step;
  if (on_path) next = std::max(next, current_pct + std::min(limits.max_rise_pct, planned));
  if (current_pct >= target.floor_pct) next = std::max(next, target.floor_pct);
  if (limits.no_cut) next = std::max(next, current_pct);
  return std::clamp(next, limits.min_share_pct, limits.max_share_pct);
}

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
  p.exercise_readiness_bonus =
      uncertain_or(table, "exercise_readiness_bonus", p.exercise_readiness_bonus.central(),
                   Range::between(0.0, 10.0));
  p.troop_half_thousands =
      table.number_or("troop_half_thousands", p.troop_half_thousands, Range::positive());
  p.adjustment_speed = uncertain_or(table, "adjustment_speed", p.adjustment_speed.central(),
                                    Range{0.0, 1.0, true, false});
  p.acute_speed_gain = uncertain_or(table, "acute_speed_gain", p.acute_speed_gain.central(),
                                    Range::between(0.0, 100.0));
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

BudgetDrawn draw_budget(const BudgetParams& p, std::uint64_t seed, std::uint64_t replicate) {
  BudgetDrawn d;
  d.threat_response_pp = p.threat_response_pp.draw(seed, replicate);
  d.spill_in = p.spill_in.draw(seed, replicate);
  d.pledge_gap_pp = p.pledge_gap_pp.draw(seed, replicate);
  d.pledge_pressure_shape = p.pledge_pressure_shape.draw(seed, replicate);
  d.guarantee_gap_pp = p.guarantee_gap_pp.draw(seed, replicate);
  d.exercises_gap_pp = p.exercises_gap_pp.draw(seed, replicate);
  d.troops_gap_pp = p.troops_gap_pp.draw(seed, replicate);
  d.exercise_readiness_bonus = p.exercise_readiness_bonus.draw(seed, replicate);
  d.adjustment_speed = p.adjustment_speed.draw(seed, replicate);
  d.acute_speed_gain = p.acute_speed_gain.draw(seed, replicate);
  d.noise_sd_pct = p.noise_sd_pct.draw(seed, replicate);
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
