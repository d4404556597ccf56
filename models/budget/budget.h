#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "models/data/alliance_data.h"
#include "sim/config/toml_reader.h"
#include "sim/config/uncertain.h"

namespace models {

/// A discrete goal that pays off once a member's share reaches it: a pledge (Wales 2%, The Hague
/// 3.5%) or the U.S. threshold under conditionality. `worth_pp2` is what meeting it is worth,
/// expressed as the square of the largest gap (pp of GDP) a member would close for it: with the
/// quadratic cost of moving away from the desired share, a member closes a gap g for a notch of
/// worth W exactly when g^2 <= W. So payoffs are in units of (pp of GDP)^2, the cost curvature
/// cancels, and every worth is a number a political scientist can state in pp of GDP.
struct Notch {
  double threshold_pct = 0.0;
  double worth_pp2 = 0.0;
  /// Years left until the goal must be met (>= 1; 1 = this year). A member aiming at the notch
  /// from below rises at least `1 / years_left` of the remaining gap per year: the "credible,
  /// incremental path" of a pledge with a deadline.
  double years_left = 1.0;
};

/// The share a member aims at this year.
struct BudgetTarget {
  double share_pct = 0.0;
  /// The target is a notch's threshold above the desired share.
  bool at_notch = false;
  double years_left = 1.0;
  /// The highest notch threshold the target meets (0 if none): a member that is there does not
  /// let noise take it below (it budgets to stay compliant).
  double floor_pct = 0.0;
  /// The least rise this year that keeps the member on the even path to every valued notch
  /// between its share and its target (`deadline_rise`; 0: none).
  double path_rise_pct = 0.0;
};

/// The best share among the desired share and every notch threshold above it, for the payoff
/// `U(s) = -(s - desired)^2 + sum of worth over notches with s >= threshold`. Ties go to the
/// higher share. Monotone: a higher desired share never gives a lower target.
/// Defined below, always inlined, so that a year step's member loop does not pay for a call (left
/// to itself, GCC called it for two and three notches, the common counts: the call, the result
/// returned through memory and the spills were a tenth of the budget step's instructions); the
/// template takes a span of fixed extent (with_notch_count), whose loops the compiler unrolls.
template <std::size_t N>
BudgetTarget choose_target(double desired_pct, std::span<const Notch, N> notches);
inline BudgetTarget choose_target(double desired_pct, std::span<const Notch> notches) {
  return choose_target<std::dynamic_extent>(desired_pct, notches);
}

/// The least rise this year that keeps a member at `current_pct` on the even path to every notch
/// it values (worth > 0) in (current, target]: the largest `(threshold - current) / years_left`,
/// 0 if none. A member whose target is above a pledge still owes the pledge its deadline: without
/// this, one wanting a little more than 2% would close only part of its gap a year and miss a
/// deadline that one wanting a little less than 2% meets (a higher desired share giving a lower
/// share).
template <std::size_t N>
double deadline_rise(double current_pct, double target_pct, std::span<const Notch, N> notches);
inline double deadline_rise(double current_pct, double target_pct, std::span<const Notch> notches) {
  return deadline_rise<std::dynamic_extent>(current_pct, target_pct, notches);
}

/// Bounds on the yearly move. Shares in % of GDP, changes in percentage points per year.
struct AdjustmentLimits {
  /// lambda: share of the gap to the target closed per year, in (0, 1].
  double speed = 0.4;
  double max_cut_pct = 0.15;
  double max_rise_pct = 1.0;
  double min_share_pct = 0.1;
  double max_share_pct = 10.0;
  /// The member may not cut (a pledge's "halt any decline" while it is below the pledge).
  bool no_cut = false;
};

/// Next year's share: `s + clip(lambda (target - s) + noise, -max_cut, max_rise)`; aiming at a
/// notch from below it follows the even path instead, rising
/// `min(max_rise, (target - s) / years_left)` (noise may add, never subtract); and it rises at
/// least `min(max_rise, path_rise)` whatever its target (noise may add, never subtract);
/// with `no_cut` it never falls below `s`; once at or above `floor` it stays there.
/// Clamped to [min_share, max_share].
inline double adjust_share(double current_pct, const BudgetTarget& target,
                           const AdjustmentLimits& limits, double noise_pct);

/// Pressure of a pledge announced in `announced` with deadline `deadline` in `year`:
/// 0 before the announcement, `((year - announced) / (deadline - announced))^shape` until the
/// deadline, 1 from then on (the commitment stays: Vilnius 2023 made 2% a floor).
double pledge_pressure(int year, int announced, int deadline, double shape);

/// A collective pledge of the allies (`[model.pledges.NAME]`): members below `target_pct` commit to
/// reach it by `deadline`. Members that join later are bound from their accession.
struct Pledge {
  std::string name;
  int announced = 2014;
  int deadline = 2024;
  double target_pct = 2.0;
  /// Members below the target do not cut while the pledge is in force (Wales, para. 14).
  bool halt_decline = false;
};

/// Most pledges a model takes (a member's notches live in a fixed array: no allocation).
inline constexpr std::size_t kMaxPledges = 7;

/// Most notches a member weighs: one per pledge and the U.S. threshold.
inline constexpr std::size_t kMaxNotches = kMaxPledges + 1;

/// `decide(notches)` with `notches` as a span of fixed extent when it holds at most kMaxNotches
/// (as a member's always does), else as it is. A year step weighs a member's notches in a few
/// short loops whose trip count changes from member to member; with the count a constant the
/// compiler unrolls them (about a third fewer instructions in the budget decision).
template <class Decide>
decltype(auto) with_notch_count(std::span<const Notch> notches, Decide&& decide);

/// Parameters of the budget decision (docs/MODEL.md, "Budget decision").
struct BudgetParams {
  /// eta: pp of GDP added to the desired share per unit of perceived threat.
  sim::Uncertain threat_response_pp = sim::Uncertain::fixed_at(1.0);
  /// phi: pp of GDP of own desired share given up per pp of share-equivalent allied capability
  /// nearby (spatial free riding).
  sim::Uncertain spill_in = sim::Uncertain::fixed_at(0.1);
  /// G: largest shortfall (pp of GDP) a member closes to honour a pledge at full pressure.
  sim::Uncertain pledge_gap_pp = sim::Uncertain::fixed_at(1.0);
  /// Exponent of the pledge pressure's rise towards the deadline (1 linear, larger: later).
  sim::Uncertain pledge_pressure_shape = sim::Uncertain::fixed_at(2.0);
  /// H: largest shortfall closed to keep a U.S. guarantee surely withheld otherwise, at threat 1.
  sim::Uncertain guarantee_gap_pp = sim::Uncertain::fixed_at(1.0);
  /// X: largest shortfall closed to keep U.S. exercises surely withheld otherwise.
  sim::Uncertain exercises_gap_pp = sim::Uncertain::fixed_at(0.3);
  /// Z: largest shortfall closed to keep all U.S. troops stationed (scaled by the share lost).
  sim::Uncertain troops_gap_pp = sim::Uncertain::fixed_at(0.5);
  /// sd of the log of each member's multiplier on G, H, X and Z, drawn per replicate (domestic
  /// politics and fiscal room nobody observes).
  double gap_dispersion = 0.3;
  /// Fiscal room: a member with general government debt D (% of GDP) above the reference moves
  /// `exp(-debt_drag (D - reference) / 100)` as far for threat (eta) and for any notch (G, H, X,
  /// Z) as one at or below it. 0: no drag.
  sim::Uncertain debt_drag = sim::Uncertain::fixed_at(0.0);
  /// The debt (% of GDP) above which fiscal room shrinks: the EU treaties' 60% reference value.
  double debt_reference_pct = 60.0;
  /// Relative readiness gain from taking part in U.S. exercises (attack model).
  sim::Uncertain exercise_readiness_bonus = sim::Uncertain::fixed_at(0.1);
  /// Troops (thousands) at which a host values half of its U.S. presence.
  double troop_half_thousands = 5.0;
  /// lambda_0: share of the gap to the target closed per year in calm times.
  sim::Uncertain adjustment_speed = sim::Uncertain::fixed_at(0.3);
  /// Acute threat speeds adjustment: `lambda = 1 - (1 - lambda_0) exp(-gain * event threat)`.
  sim::Uncertain acute_speed_gain = sim::Uncertain::fixed_at(1.0);
  /// kappa: share of the gap between the perceived threat and the threat the defence plan
  /// assumes that one year's planning closes, in (0, 1]; 1 = budgets plan on last year's threat.
  sim::Uncertain threat_uptake = sim::Uncertain::fixed_at(1.0);
  double max_cut_pct = 0.15;
  double max_rise_pct = 1.0;
  /// Standard deviation of the yearly budget shock, pp of GDP.
  sim::Uncertain noise_sd_pct = sim::Uncertain::fixed_at(0.05);
  double min_share_pct = 0.1;
  double max_share_pct = 10.0;
  /// A member within [target, target + band) of a pledge at full pressure in the start year is
  /// taken to be held there by it: its desired share is drawn uniformly in
  /// [target - G_i, target].
  double bunching_band_pct = 0.1;
};

/// One replicate's draws.
struct BudgetDrawn {
  double threat_response_pp = 1.0;
  double spill_in = 0.1;
  double pledge_gap_pp = 1.0;
  double pledge_pressure_shape = 2.0;
  double guarantee_gap_pp = 1.0;
  double exercises_gap_pp = 0.3;
  double troops_gap_pp = 0.5;
  double exercise_readiness_bonus = 0.1;
  double debt_drag = 0.0;
  double adjustment_speed = 0.3;
  double acute_speed_gain = 1.0;
  double threat_uptake = 1.0;
  double noise_sd_pct = 0.05;
};

/// Reads `[model.budget]` (all keys optional). Throws sim::ConfigError.
BudgetParams parse_budget(sim::config::Table& table);
BudgetDrawn draw_budget(const BudgetParams& params, std::uint64_t seed, std::uint64_t replicate,
                        sim::RandomWordsRun* words = nullptr);

/// Reads `[model.pledges.NAME]` tables (announced, deadline > announced, target_pct,
/// halt_decline, enabled), in file order; disabled pledges are left out.
/// Throws sim::ConfigError.
std::vector<Pledge> parse_pledges(sim::config::Table& model);

template <std::size_t N>
[[gnu::always_inline]] inline BudgetTarget choose_target(double desired_pct,
                                                         std::span<const Notch, N> notches) {
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

template <std::size_t N>
double deadline_rise(double current_pct, double target_pct, std::span<const Notch, N> notches) {
  double rise = 0.0;
  for (const Notch& n : notches) {
    if (n.worth_pp2 > 0.0 && n.threshold_pct > current_pct && n.threshold_pct <= target_pct) {
      rise = std::max(rise, (n.threshold_pct - current_pct) / std::max(1.0, n.years_left));
    }
  }
  return rise;
}

template <class Decide>
decltype(auto) with_notch_count(std::span<const Notch> notches, Decide&& decide) {
  static_assert(kMaxNotches == 8, "with_notch_count lists every count up to kMaxNotches");
  switch (notches.size()) {
    case 0:
      return decide(notches.first<0>());
    case 1:
      return decide(notches.first<1>());
    case 2:
      return decide(notches.first<2>());
    case 3:
      return decide(notches.first<3>());
    case 4:
      return decide(notches.first<4>());
    case 5:
      return decide(notches.first<5>());
    case 6:
      return decide(notches.first<6>());
    case 7:
      return decide(notches.first<7>());
    case 8:
      return decide(notches.first<8>());
    default:
      return decide(notches);
  }
}

inline double adjust_share(double current_pct, const BudgetTarget& target,
                           const AdjustmentLimits& limits, double noise_pct) {
  // Aiming at a notch from below, a member follows the even path to it by the deadline (a
  // pledge's "credible, incremental path"); otherwise it closes part of the gap to its target,
  // but never less than the even path to a valued notch on the way.
  const double gap = target.share_pct - current_pct;
  const bool on_path = (target.at_notch && gap > 0.0) || target.path_rise_pct > 0.0;
  const double partial =
      target.at_notch && gap > 0.0 ? gap / std::max(1.0, target.years_left) : limits.speed * gap;
  const double planned =
      target.path_rise_pct > 0.0 ? std::max(partial, target.path_rise_pct) : partial;
  const double step = std::clamp(planned + noise_pct, -limits.max_cut_pct, limits.max_rise_pct);
  double next = current_pct + step;
  if (on_path) next = std::max(next, current_pct + std::min(limits.max_rise_pct, planned));
  if (current_pct >= target.floor_pct) next = std::max(next, target.floor_pct);
  if (limits.no_cut) next = std::max(next, current_pct);
  return std::clamp(next, limits.min_share_pct, limits.max_share_pct);
}

}  // namespace models
