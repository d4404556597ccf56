#pragma once

#include <cstdint>

#include <Eigen/Dense>

#include "models/data/alliance_data.h"
#include "sim/config/toml_reader.h"
#include "sim/config/uncertain.h"

namespace models {

/// The security a member expects next year as a function of its defence share s (% of GDP)
/// under one compliance status: `e(s) = base_security + security_per_pct * s`, plus payoff terms
/// of the status itself: `pull_per_pct * s + bonus` (e.g. the reputational value of meeting a
/// pledge, or the peer pressure that grows with the shortfall below it).
/// Security is in "%-years" of GDP (capability stock per GDP x 100).
struct StatusTerms {
  double base_security = 0.0;
  double security_per_pct = 1.0;
  double pull_per_pct = 0.0;
  double bonus = 0.0;
};

/// A member's preferences in one year.
struct Preferences {
  /// theta: payoff per unit of security when security is 0 (payoff units per %-year).
  double value = 1.0;
  /// e-bar: security beyond which more is worth nothing (%-years); need_per_threat x threat.
  double need = 100.0;
  /// c: curvature of the political and fiscal cost (payoff units per (pp of GDP)^2).
  double cost = 1.0;
  /// s_ref: the share (% of GDP) at which the cost is zero.
  double reference_pct = 1.0;
};

/// B(e) = value * (e - e^2 / (2 need)) for e < need, value * need / 2 beyond (and 0 for e <= 0
/// is not special-cased: e is never negative in the model).
double security_benefit(double security, const Preferences& p);

/// U(s) = B(base + per_pct * s) - cost / 2 * (s - reference)^2 + pull * s + bonus.
double payoff(double share_pct, const StatusTerms& status, const Preferences& p);

/// The unconstrained maximiser of U under one status (closed form): with g = security_per_pct,
/// `r = s_ref + pull / c` and `MB = value * (1 - (base + g r) / need)`,
/// `s* = r + g * MB / (c + g^2 value / need)` if MB > 0, else `s* = r`.
double smooth_optimum(const StatusTerms& status, const Preferences& p);

/// Inverse of smooth_optimum in the reference share: the s_ref for which the smooth optimum is
/// `optimum_pct` (the "revealed preference" calibration; `p.reference_pct` is ignored).
double calibrate_reference(double optimum_pct, const StatusTerms& status, const Preferences& p);

/// The share a member aims at this year.
struct BudgetTarget {
  double share_pct = 0.0;
  /// The target meets the threshold.
  bool complies = false;
  /// The target is the threshold itself (the notch: the smooth optimum is below it).
  bool at_threshold = false;
};

/// Compares the best compliant share `max(threshold, s*_compliant)` with the best non-compliant
/// one `s*_noncompliant` (if it is below the threshold) and returns the better. Ties go to
/// compliance.
BudgetTarget choose_target(double threshold_pct, const StatusTerms& compliant,
                           const StatusTerms& noncompliant, const Preferences& p);

/// Bounds on the yearly move. Shares in % of GDP, changes in percentage points per year.
struct AdjustmentLimits {
  /// lambda: share of the gap to the target closed per year, in (0, 1].
  double speed = 0.4;
  double max_cut_pct = 0.15;
  double max_rise_pct = 0.3;
  double min_share_pct = 0.1;
  double max_share_pct = 10.0;
};

/// Next year's share: `s + clip(lambda (target - s) + noise, -max_cut, max_rise)`, except that a
/// member aiming to comply never lands below `min(threshold, s + max_rise)` and, when its target
/// is the threshold itself and it is below it, budgets exactly `min(threshold, s + max_rise)`
/// (meeting the threshold is a discrete goal, not a gap closed part-way). Clamped to
/// [min_share, max_share].
double adjust_share(double current_pct, const BudgetTarget& target, double threshold_pct,
                    const AdjustmentLimits& limits, double noise_pct);

/// Parameters of the budget decision (see docs/MODEL.md, "Budget decision").
struct BudgetParams {
  /// theta.
  sim::Uncertain security_value = sim::Uncertain::fixed_at(0.3);
  /// e-bar per unit of threat, %-years.
  sim::Uncertain need_per_threat = sim::Uncertain::fixed_at(240.0);
  /// Standard deviation of the log of each member's cost multiplier, drawn per replicate and
  /// member (political resistance and fiscal stress nobody observes).
  double cost_dispersion = 0.3;
  /// Known cost multipliers per member (default 1), e.g. for high public debt.
  Eigen::ArrayXd cost_multiplier;
  /// beta in the service life `H = 1 / (1 - beta (1 - depreciation))` of a year's spending.
  double discount_factor = 0.9;
  /// Relative readiness gain from taking part in U.S. exercises.
  sim::Uncertain exercise_readiness_bonus = sim::Uncertain::fixed_at(0.1);
  /// Share of the patron's capability (per its GDP) that counts as a member's security.
  sim::Uncertain us_weight = sim::Uncertain::fixed_at(1.0);
  /// Relative gain of the U.S. guarantee from U.S. troops stationed, `gain * T / (T + half)`.
  double troop_presence_gain = 0.5;
  double troop_half_thousands = 5.0;
  /// Payoff of meeting the threshold for its own sake (reputation, peer pressure): the notch.
  sim::Uncertain pledge_value = sim::Uncertain::fixed_at(0.7);
  /// Payoff lost per pp of GDP below the threshold (peer pressure on the shortfall): the kink.
  sim::Uncertain shortfall_penalty = sim::Uncertain::fixed_at(0.5);
  sim::Uncertain adjustment_speed = sim::Uncertain::fixed_at(0.4);
  double max_cut_pct = 0.15;
  double max_rise_pct = 0.2;
  /// Relative increase of the maximum rise per unit of threat (acute threat, faster rises).
  double max_rise_threat_gain = 1.0;
  /// Standard deviation of the yearly budget shock, pp of GDP.
  sim::Uncertain noise_sd_pct = sim::Uncertain::fixed_at(0.05);
  double min_share_pct = 0.1;
  double max_share_pct = 10.0;
  /// true: each member's s_ref is calibrated so that its start share is its optimum.
  bool calibrate_to_data = true;
  /// s_ref of every member when calibrate_to_data is false, % of GDP.
  double reference_share_pct = 1.0;
  /// The guideline in force when the latest data were measured (the Wales 2%).
  double observed_guideline_pct = 2.0;
  /// A member within [guideline, guideline + band) in the data is taken to be held there by the
  /// guideline: its smooth optimum is calibrated to `guideline - bunched_gap`.
  double bunching_band_pct = 0.1;
  sim::Uncertain bunched_gap_pct = sim::Uncertain::fixed_at(0.5);
};

/// One replicate's draws.
struct BudgetDrawn {
  double security_value = 0.3;
  double need_per_threat = 240.0;
  double exercise_readiness_bonus = 0.1;
  double us_weight = 1.0;
  double pledge_value = 0.7;
  double shortfall_penalty = 0.5;
  double adjustment_speed = 0.4;
  double noise_sd_pct = 0.05;
  double bunched_gap_pct = 0.5;
};

/// Reads `[model.budget]` (all keys optional; `cost_multiplier` is a table of ISO code = number).
/// Throws sim::ConfigError.
BudgetParams parse_budget(sim::config::Table& table, const AllianceData& data);
BudgetDrawn draw_budget(const BudgetParams& params, std::uint64_t seed, std::uint64_t replicate);

}  // namespace models
