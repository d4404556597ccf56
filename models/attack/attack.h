#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <Eigen/Dense>

#include "models/attack/contest.h"
#include "models/common/schedule.h"
#include "models/data/alliance_data.h"
#include "sim/config/toml_reader.h"
#include "sim/config/uncertain.h"

namespace models {

/// The adversary (`[model.adversary]`): its capability, its reach, what it wants and fears, and
/// its beliefs about the U.S. Forces are in brigade equivalents (docs/MODEL.md, "Adversary and
/// attack events").
struct AdversaryParams {
  /// Ground forces it could commit against NATO in the start year if nothing were tied down,
  /// brigade equivalents; scaled by the threat's adversary path and adversary_scale.
  sim::Uncertain level_brigades = sim::Uncertain::fixed_at(22.0);
  /// Log growth per year on top of the adversary path.
  sim::Uncertain growth_per_year = sim::Uncertain::fixed_at(0.0);
  /// AR(1) log shocks to capability: `x_t = persistence x_t-1 + shock_sd z_t`.
  double shock_sd = 0.1;
  double shock_persistence = 0.7;
  /// Share of the capability tied down elsewhere (a war in Ukraine), by year, in [0, 1].
  Schedule tied_down = Schedule({{2025, 0.8}, {2026, 0.8}, {2030, 0.4}});
  /// Reach: 1 up to `reach_full_km` from Moscow, decaying as exp(-(d - full) / scale) beyond,
  /// times `reach_without_border` for an ally without a land border with Russia or Belarus.
  double reach_full_km = 900.0;
  double reach_scale_km = 450.0;
  double reach_without_border = 0.5;
  /// Smallest force worth a limited attack, brigades: a target the adversary cannot reach with
  /// at least this much is not considered.
  double min_force_brigades = 1.0;
  /// Payoffs (units of the value of a quick success, 1): a failed attack, and escalation with
  /// the U.S. (paid in proportion to the believed chance that the U.S. responds).
  sim::Uncertain cost_of_failure = sim::Uncertain::fixed_at(1.5);
  sim::Uncertain escalation_cost = sim::Uncertain::fixed_at(1.5);
  /// Risk appetite: shifts the hazard's logistic (higher = attacks at lower expected utility).
  sim::Uncertain risk_appetite = sim::Uncertain::fixed_at(0.0);
  /// Yearly attack hazard `hazard_max * logistic(hazard_sharpness * (max EU + appetite))`.
  double hazard_max = 0.2;
  double hazard_sharpness = 2.0;
  /// Softmax sharpness of the target choice over expected utility.
  double target_sharpness = 5.0;
  /// Largest number of attacks in one year (on distinct targets).
  int max_attacks_per_year = 1;
  /// Beliefs about the U.S. (Beta): prior means (unset = the true policy values drawn for the
  /// replicate: reliability and enforcement probability), prior strength, yearly reversion to
  /// the prior, weight of the public enforcement signal.
  std::optional<sim::Uncertain> reliability_prior;
  std::optional<sim::Uncertain> enforcement_prior;
  double prior_strength = 10.0;
  double forgetting = 0.9;
  double public_signal_weight = 1.0;
};

/// Local forces, reinforcements, responses and feedback (`[model.attack]`).
struct AttackParams {
  /// Off: no adversary, no attacks (the attack variables are recorded as 0 / missing).
  bool enabled = true;
  ContestParams contest;
  /// Brigade equivalents per US$ bn of readiness-weighted capability stock.
  double brigades_per_usd_bn = 0.0333;
  /// Share of an ally's own brigades available where it is attacked, at short warning.
  double local_share = 0.5;
  /// Defence every target has beyond its capability stock (reserves, terrain), brigades.
  double base_defence_brigades = 0.5;
  /// U.S. troops (thousands) per brigade equivalent.
  double us_thousands_per_brigade = 4.5;
  /// Allied forward presence, brigades, by host and year (NATO's forward battlegroups): one
  /// schedule per member, empty where there is none.
  std::vector<Schedule> forward_brigades;
  /// Shares of the U.S. and of each ally's brigades that can reinforce within the decisive
  /// window (allies' further scaled by proximity to the target).
  double us_surge_share = 0.02;
  double ally_surge_share = 0.05;
  /// phi: weight of reinforcements relative to forces in place.
  double reinforcement_weight = 0.5;
  /// Probability that an ally answers Article 5 for another (unset = the spillover's
  /// ally_reliability draw: allies are as reliable as they believe each other to be),
  /// raised for neighbours by `neighbour_response_bonus` (relative, capped at 1), and scaled by
  /// `noncomplier_solidarity` for a target below the threshold.
  std::optional<sim::Uncertain> ally_response;
  double neighbour_response_bonus = 0.2;
  double noncomplier_solidarity = 1.0;
  /// Event threat added to the target (neighbours in part) after an attack, and its
  /// multiplier when territory is lost.
  double threat_jump = 0.5;
  double threat_jump_lost_factor = 2.0;
  /// Pseudo-observations one attack gives every observer about the U.S.
  double response_signal_weight = 3.0;
};

/// A European peacekeeping force in Ukraine (`[model.peacekeepers]`).
struct PeacekeeperParams {
  bool deployed = false;
  /// First year the force is in place (unset = the start year).
  std::optional<int> from_year;
  /// Size, brigade equivalents.
  double brigades = 3.0;
  /// Member indices of the contributing allies.
  std::vector<std::size_t> contributors;
  /// Probability that a contributor fights for its peacekeepers (decided on its own).
  sim::Uncertain contributor_response = sim::Uncertain::fixed_at(0.5);
  /// Covered by Article 5 (the 2025 U.S. statement: not).
  bool covered_by_article5 = false;
  /// Where the force is (degrees), for allies' proximity to it.
  double latitude_deg = 50.45;
  double longitude_deg = 30.52;
  /// Adversary reach at the force (it stands next to the adversary's army).
  double reach = 1.0;
  /// Value of a quick success against it, relative to an ally's territory.
  double value = 1.0;
};

/// Everything the adversary and attack model reads from the config.
struct AttackModelParams {
  AdversaryParams adversary;
  AttackParams attack;
  PeacekeeperParams peacekeepers;
};

/// Reads the optional `[model.adversary]`, `[model.attack]` (with `forward_brigades`, a table
/// ISO = brigades) and `[model.peacekeepers]` tables of `model`, rejecting unknown keys in each.
/// Throws sim::ConfigError (unknown ISO codes, the patron as a peacekeeping contributor, ...).
AttackModelParams parse_attack(sim::config::Table& model, const AllianceData& data);

/// One replicate's draws of the uncertain attack parameters.
struct AttackDrawn {
  double level_brigades = 22.0;
  double growth_per_year = 0.0;
  double cost_of_failure = 1.5;
  double escalation_cost = 1.5;
  double risk_appetite = 0.0;
  double reliability_prior = 0.8;
  double enforcement_prior = 0.8;
  double ally_response = 0.7;
  double contributor_response = 0.5;
};

/// Draws for replicate `replicate`; unset priors and ally_response take the given fallbacks.
/// `words`: the run's store of random words (sim::RunContext::words), which changes no draw.
AttackDrawn draw_attack(const AttackModelParams& params, std::uint64_t seed,
                        std::uint64_t replicate, double us_reliability,
                        double enforcement_probability, double ally_reliability,
                        sim::RandomWordsRun* words = nullptr);

/// The adversary's reach at each member (0-1): 1 within `reach_full_km` of Moscow, then
/// `exp(-(d - full) / scale)`, times `reach_without_border` without a land border with Russia,
/// Kaliningrad or Belarus; 0 for the patron (never a target).
Eigen::ArrayXd adversary_reach(const AllianceData& data, const AdversaryParams& params);

/// Proximity (0-1) of each member's capital to a point: `(1 - contiguity_weight) *
/// exp(-distance / distance_scale_km)` (the spillover's distance term; no shared border).
Eigen::ArrayXd proximity_to_point(const AllianceData& data, double latitude_deg,
                                  double longitude_deg, double contiguity_weight,
                                  double distance_scale_km);

/// Expected utility of attacking a target: `P V - (1 - P) C_fail - q_us C_escalation`.
inline double attack_utility(double success, double value, double cost_of_failure,
                             double us_response_belief, double escalation_cost) {
  return success * value - (1.0 - success) * cost_of_failure - us_response_belief * escalation_cost;
}

/// Yearly probability that the adversary attacks (per attack slot):
/// `hazard_max * logistic(sharpness * (best_utility + appetite))`, 0 without an available force.
double attack_hazard(double best_utility, double appetite, double available_brigades,
                     const AdversaryParams& params);

/// Draws a target by softmax over `utility` with sharpness `beta` among entries with
/// `eligible[i] != 0`, using one uniform `u` in [0, 1) (inverse CDF in index order). Returns
/// utility.size() when no entry is eligible.
std::size_t draw_target(std::span<const double> utility, std::span<const unsigned char> eligible,
                        double beta, double u);

/// Probability that the U.S. comes to a target's defence: `reliability` for an ally it has not
/// written off (or a force covered by Article 5), `reliability * (1 - enforcement)` for a
/// non-complier under conditional Article 5, 0 for a force outside Article 5.
double us_response_probability(bool article5, bool written_off, double reliability,
                               double enforcement);

/// Probability that ally j answers Article 5 for target i:
/// `min(1, response * (1 + bonus * neighbours)) * (target compliant ? 1 : noncomplier_solidarity)`.
double ally_response_probability(double response, bool neighbours, bool target_compliant,
                                 const AttackParams& params);

/// Outcome of an attack from one uniform: 0 repelled, 1 stalemate, 2 territory lost (the order
/// of the event table's `outcome` categories); territory lost for u < P(lost), stalemate for
/// u < P(lost) + P(stalemate).
int draw_outcome(const ContestOutcome& outcome, double u);

/// The adversary's Beta beliefs about the U.S. and their priors.
struct AdversaryBeliefs {
  double reliability_a = 8.0;
  double reliability_b = 2.0;
  double enforcement_a = 8.0;
  double enforcement_b = 2.0;
  double prior_reliability_a = 8.0;
  double prior_reliability_b = 2.0;
  double prior_enforcement_a = 8.0;
  double prior_enforcement_b = 2.0;

  double reliability() const { return reliability_a / (reliability_a + reliability_b); }
  double enforcement() const { return enforcement_a / (enforcement_a + enforcement_b); }
};

/// Priors with means `reliability_mean`, `enforcement_mean` and strength `strength`.
AdversaryBeliefs init_adversary_beliefs(double reliability_mean, double enforcement_mean,
                                        double strength);

/// One year's learning: every count reverts towards its prior, `a <- f a + (1 - f) a0`; then,
/// when `public_share` is a number (not NaN), the share of non-compliers the U.S. signalled it
/// would abandon is counted with `weight` in the enforcement belief.
void update_adversary_beliefs(AdversaryBeliefs& beliefs, double forgetting, double public_share,
                              double weight);

/// What the U.S. did in one Article 5 case, counted with `weight`: for a written-off
/// non-complier it is evidence on enforcement (standing aside = enforcing), otherwise on
/// reliability (responding = reliable).
void observe_us_action(AdversaryBeliefs& beliefs, bool written_off, bool responded, double weight);

}  // namespace models
