#include "models/budget/budget.h"

#include <algorithm>

namespace models {

double security_benefit(double security, const Preferences& p) {
  if (security >= p.need) return 0.5 * p.value * p.need;
  return p.value * (security - security * security / (2.0 * p.need));
}

double payoff(double share_pct, const StatusTerms& status, const Preferences& p) {
  const double security = status.base_security + status.security_per_pct * share_pct;
  const double gap = share_pct - p.reference_pct;
  return security_benefit(security, p) - 0.5 * p.cost * gap * gap +
         status.pull_per_pct * share_pct + status.bonus;
}

double smooth_optimum(const StatusTerms& status, const Preferences& p) {
  const double g = status.security_per_pct;
  // A linear pull shifts the cost's zero point: -c/2 (s - r)^2 + pull s = -c/2 (s - r')^2 + const.
  const double reference = p.reference_pct + status.pull_per_pct / p.cost;
  const double marginal = p.value * (1.0 - (status.base_security + g * reference) / p.need);
  if (marginal <= 0.0) return reference;
  return reference + g * marginal / (p.cost + g * g * p.value / p.need);
}

double calibrate_reference(double optimum_pct, const StatusTerms& status, const Preferences& p) {
  const double g = status.security_per_pct;
  const double denominator = p.cost + g * g * p.value / p.need;
  const double shift = status.pull_per_pct / p.cost;
  const double reference =
      (optimum_pct * denominator - g * p.value * (1.0 - status.base_security / p.need)) / p.cost;
  // Where the benefit is already satiated at that reference, the optimum is the reference.
  if (status.base_security + g * reference >= p.need) return optimum_pct - shift;
  return reference - shift;
}

BudgetTarget choose_target(double threshold_pct, const StatusTerms& compliant,
                           const StatusTerms& noncompliant, const Preferences& p) {
  const double smooth_compliant = smooth_optimum(compliant, p);
  BudgetTarget comply{std::max(threshold_pct, smooth_compliant), true,
                      smooth_compliant < threshold_pct};
  const double smooth_noncompliant = smooth_optimum(noncompliant, p);
  // Below the threshold the best share is the smooth optimum if it lies there; otherwise the
  // non-compliant region's best is its upper edge, which complying at the threshold dominates.
  if (smooth_noncompliant >= threshold_pct) return comply;
  if (payoff(comply.share_pct, compliant, p) >= payoff(smooth_noncompliant, noncompliant, p)) {
    return comply;
  }
  return BudgetTarget{smooth_noncompliant, false, false};
}

double adjust_share(double current_pct, const BudgetTarget& target, double threshold_pct,
                    const AdjustmentLimits& limits, double noise_pct) {
  const double step = std::clamp(limits.speed * (target.share_pct - current_pct) + noise_pct,
                                 -limits.max_cut_pct, limits.max_rise_pct);
  double next = current_pct + step;
  if (target.complies) {
    const double reachable = std::min(threshold_pct, current_pct + limits.max_rise_pct);
    if (target.at_threshold && current_pct <= threshold_pct) {
      next = reachable;
    } else {
      next = std::max(next, reachable);
    }
  }
  return std::clamp(next, limits.min_share_pct, limits.max_share_pct);
}

BudgetParams parse_budget(sim::config::Table& table, const AllianceData& data) {
  using sim::config::Range;
  using sim::config::uncertain_or;
  BudgetParams p;
  p.security_value =
      uncertain_or(table, "security_value", p.security_value.central(), Range::between(0.0, 1e3));
  p.need_per_threat = uncertain_or(table, "need_per_threat", p.need_per_threat.central(),
                                   Range{0.0, 1e6, true, false});
  p.cost_dispersion = table.number_or("cost_dispersion", p.cost_dispersion, Range::between(0, 3));
  p.cost_multiplier = Eigen::ArrayXd::Ones(static_cast<Eigen::Index>(data.size()));
  if (auto multipliers = table.table_if("cost_multiplier")) {
    for (const std::string& code : multipliers->keys()) {
      auto index = data.find(code);
      if (!index) {
        multipliers->fail(code, "unknown ISO code", "\"" + code + "\"", "a member's code");
      }
      const double value = multipliers->number(code, Range{0.0, 100.0, true, false});
      p.cost_multiplier(static_cast<Eigen::Index>(*index)) = value;
    }
    multipliers->finish();
  }
  p.discount_factor = table.number_or("discount_factor", p.discount_factor, Range::unit());
  p.exercise_readiness_bonus =
      uncertain_or(table, "exercise_readiness_bonus", p.exercise_readiness_bonus.central(),
                   Range::between(0.0, 10.0));
  p.us_weight = uncertain_or(table, "us_weight", p.us_weight.central(), Range::between(0.0, 10.0));
  p.troop_presence_gain =
      table.number_or("troop_presence_gain", p.troop_presence_gain, Range::between(0.0, 10.0));
  p.troop_half_thousands =
      table.number_or("troop_half_thousands", p.troop_half_thousands, Range::positive());
  p.pledge_value =
      uncertain_or(table, "pledge_value", p.pledge_value.central(), Range::between(0.0, 1e3));
  p.shortfall_penalty = uncertain_or(table, "shortfall_penalty", p.shortfall_penalty.central(),
                                     Range::between(0.0, 1e3));
  p.adjustment_speed = uncertain_or(table, "adjustment_speed", p.adjustment_speed.central(),
                                    Range{0.0, 1.0, true, false});
  p.max_cut_pct = table.number_or("max_cut_pct", p.max_cut_pct, Range::between(0.0, 10.0));
  p.max_rise_pct = table.number_or("max_rise_pct", p.max_rise_pct, Range::between(0.0, 10.0));
  p.max_rise_threat_gain =
      table.number_or("max_rise_threat_gain", p.max_rise_threat_gain, Range::between(0.0, 100.0));
  p.noise_sd_pct =
      uncertain_or(table, "noise_sd_pct", p.noise_sd_pct.central(), Range::between(0.0, 5.0));
  p.min_share_pct = table.number_or("min_share_pct", p.min_share_pct, Range::between(0.0, 100.0));
  p.max_share_pct =
      table.number_or("max_share_pct", p.max_share_pct, Range::between(p.min_share_pct, 100.0));
  p.calibrate_to_data = table.boolean_or("calibrate_to_data", p.calibrate_to_data);
  p.reference_share_pct =
      table.number_or("reference_share_pct", p.reference_share_pct, Range::between(0.0, 100.0));
  p.observed_guideline_pct = table.number_or("observed_guideline_pct", p.observed_guideline_pct,
                                             Range::between(0.0, 100.0));
  p.bunching_band_pct =
      table.number_or("bunching_band_pct", p.bunching_band_pct, Range::between(0.0, 10.0));
  p.bunched_gap_pct = uncertain_or(table, "bunched_gap_pct", p.bunched_gap_pct.central(),
                                   Range::between(0.0, 10.0));
  return p;
}

BudgetDrawn draw_budget(const BudgetParams& p, std::uint64_t seed, std::uint64_t replicate) {
  BudgetDrawn d;
  d.security_value = p.security_value.draw(seed, replicate);
  d.need_per_threat = p.need_per_threat.draw(seed, replicate);
  d.exercise_readiness_bonus = p.exercise_readiness_bonus.draw(seed, replicate);
  d.us_weight = p.us_weight.draw(seed, replicate);
  d.pledge_value = p.pledge_value.draw(seed, replicate);
  d.shortfall_penalty = p.shortfall_penalty.draw(seed, replicate);
  d.adjustment_speed = p.adjustment_speed.draw(seed, replicate);
  d.noise_sd_pct = p.noise_sd_pct.draw(seed, replicate);
  d.bunched_gap_pct = p.bunched_gap_pct.draw(seed, replicate);
  return d;
}

}  // namespace models
