#pragma once

#include <vector>

#include <Eigen/Dense>

#include "models/attack/attack.h"
#include "models/policy/beliefs.h"

namespace sim {
class RunMemo;
}

namespace models {

/// The adversary and this year's attacks (part of AllianceState). Targets are indexed 0..n-1
/// for members and n for the peacekeeping force.
struct AttackState {
  /// AR(1) log shock to the adversary's capability.
  double capability_shock = 0.0;
  /// Brigades the adversary can commit this year (capability less the share tied down).
  double available_brigades = 0.0;
  AdversaryBeliefs beliefs;
  /// Per replicate: `response(i, j)` = probability that ally j answers Article 5 for a compliant
  /// ally i; `reinforcement(i, j)` = response(i, j) * proximity(i, j) (expected share of j's surge
  /// brigades reaching i); for the peacekeeping force, `pk_response(j)`, `pk_reinforcement(j)`.
  Eigen::MatrixXd response;
  Eigen::MatrixXd reinforcement;
  Eigen::ArrayXd pk_response;
  Eigen::ArrayXd pk_reinforcement;

  /// Per year (members-sized): own brigades (readiness-weighted), surge brigades of each ally,
  /// expected allied reinforcement of each member (compliant-target probabilities).
  Eigen::ArrayXd own_brigades;
  Eigen::ArrayXd surge_brigades;
  Eigen::ArrayXd allied_expected;
  /// Per target (members + 1): attacking force, local defence, expected utility, eligibility.
  Eigen::ArrayXd attacker;
  Eigen::ArrayXd local_defence;
  Eigen::ArrayXd utility;
  std::vector<unsigned char> eligible;

  /// This year's outcomes, recorded: per member 1/0 (us_responded NaN unless attacked), and the
  /// alliance-level counts.
  Eigen::ArrayXd attacked;
  Eigen::ArrayXd territory_lost;
  Eigen::ArrayXd us_responded;
  int attacks = 0;
  int article5_invocations = 0;
  int us_stood_aside = 0;
  bool peacekeepers_attacked = false;
  bool allies_attacked = false;
};

/// The mutable world of one replicate (structure of arrays, one entry per member in data order).
/// Allocated once per run; the year loop never allocates. An attack step reads and writes it
/// between the budget and belief steps (see AllianceModel::attack_step).
struct AllianceState {
  int year_index = 0;
  int year = 0;
  /// This year's threshold, % of GDP.
  double threshold_pct = 0.0;

  Eigen::ArrayXd gdp_usd_bn;
  /// This year's GDP (current and constant prices, and the surprise), read rather than worked
  /// out: the reference scenario's run of the replicate kept them (sim::RunMemo); null when this
  /// run works them out. `economy_keep`: where this run keeps its own for the other scenarios
  /// (null: it does not).
  const double* economy_read = nullptr;
  sim::RunMemo* economy_keep = nullptr;
  /// GDP in constant 2015 US$ bn: real growth, what budgets are planned against.
  Eigen::ArrayXd gdp_real_usd_bn;
  /// Core defence spending, % of GDP (exempt members 0): the planned share as it turned out once
  /// GDP was known (budgets are voted in money against the GDP forecast a year earlier).
  Eigen::ArrayXd share_pct;
  /// The share the budget was planned at: the budget rule's own state.
  Eigen::ArrayXd planned_share_pct;
  /// This year's forecast real GDP over the outturn: a recession (outturn below forecast) raises
  /// the share a budget fixed in money turns out to be (2009, 2020), a boom lowers it.
  Eigen::ArrayXd gdp_surprise;
  /// Forecast yearly growth factors, exp(trend + offset), current and constant prices.
  Eigen::ArrayXd forecast_growth;
  Eigen::ArrayXd real_forecast_growth;
  /// Capability stock, US$ bn of depreciated spending.
  Eigen::ArrayXd capability_usd_bn;
  /// Threat index (geography x adversary + events) and its event part.
  Eigen::ArrayXd threat;
  Eigen::ArrayXd event_threat;
  /// The threat the defence plan assumes: it closes `threat_uptake` of its gap to the perceived
  /// threat each year, and budgets respond to it (the planning cycle's lag).
  Eigen::ArrayXd planned_threat;
  /// U.S. troops stationed, thousands.
  Eigen::ArrayXd us_troops_thousands;
  /// 1 if the member meets this year's threshold, else 0; exempt members count as 1 here (they
  /// are never treated as non-compliers) and are recorded as missing.
  Eigen::ArrayXd compliant;
  /// Readiness multiplier of own capability: 1 + exercise bonus when exercising with the U.S.
  Eigen::ArrayXd readiness;
  BeliefState beliefs;
  AttackState attack;

  /// Per-replicate constants: geographic exposure; the desired share's intercept (% of GDP,
  /// revealed by the start year's shares); each member's multiplier on the worth of notches
  /// (domestic politics and fiscal room); the belief-weighted spatial matrix W o b.
  Eigen::ArrayXd exposure;
  Eigen::ArrayXd reference_pct;
  Eigen::ArrayXd gap_multiplier;
  /// exp(-debt_drag * max(0, debt - reference) / 100): fiscal room, per member (1 = no drag).
  Eigen::ArrayXd fiscal_room;
  /// eta times the fiscal room: pp of desired share per unit of planned threat, per member.
  Eigen::ArrayXd threat_response;
  Eigen::MatrixXd allied_weights;
  /// The share each member aimed at this year (% of GDP).
  Eigen::ArrayXd target_pct;

  /// Whole-period outcomes, counted from `outcomes.from_year`: met the threshold at least once,
  /// the first such year (NaN before), years compliant, gave up (met it before, now aims below).
  Eigen::ArrayXd ever_compliant;
  Eigen::ArrayXd first_compliant_year;
  Eigen::ArrayXd years_compliant;
  Eigen::ArrayXd gave_up;
  bool any_attack_on_ally = false;
  int attacks_on_allies_to_date = 0;
  bool peacekeepers_attacked_ever = false;

  /// Scratch buffers (members-sized).
  Eigen::ArrayXd z;
  Eigen::ArrayXd shock;
  Eigen::ArrayXd uniforms;
  Eigen::ArrayXd effective_ratio;
  Eigen::ArrayXd allied_security;
  Eigen::ArrayXd troop_target;
  /// This year's adjustment speed per member (share of the gap closed).
  Eigen::ArrayXd speed;
};

}  // namespace models
