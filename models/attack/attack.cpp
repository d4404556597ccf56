#include "models/attack/attack.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

#include <fmt/format.h>

#include "models/budget/spatial.h"

namespace models {

namespace {

/// Calls `parse` on the sub-table `key` of `model` (an empty table if absent), then rejects
/// unknown keys in it.
template <typename Parse>
void parse_optional(sim::config::Table& model, std::string_view key, Parse&& parse) {
  static const toml::table kEmpty;
  if (auto table = model.table_if(key)) {
    parse(*table);
    table->finish();
    return;
  }
  sim::config::Table empty(kEmpty, model.dotted(key),
                           std::make_shared<const sim::config::Origin>(model.origin()));
  parse(empty);
}

std::optional<sim::Uncertain> optional_uncertain(sim::config::Table& table, std::string_view key,
                                                 sim::config::Range range) {
  if (table.has(key)) return sim::config::uncertain(table, key, range);
  table.node(key);
  return std::nullopt;
}

void parse_adversary(sim::config::Table& t, AdversaryParams& p) {
  using sim::config::Range;
  using sim::config::uncertain_or;
  p.level_brigades =
      uncertain_or(t, "level_brigades", p.level_brigades.central(), Range::between(0.0, 1e4));
  p.growth_per_year =
      uncertain_or(t, "growth_per_year", p.growth_per_year.central(), Range::between(-0.5, 0.5));
  p.shock_sd = t.number_or("shock_sd", p.shock_sd, Range::between(0.0, 2.0));
  p.shock_persistence =
      t.number_or("shock_persistence", p.shock_persistence, Range{0.0, 1.0, false, true});
  if (t.has("tied_down")) {
    p.tied_down = parse_schedule(t, "tied_down", Range::unit());
  } else {
    t.node("tied_down");
  }
  p.reach_full_km = t.number_or("reach_full_km", p.reach_full_km, Range::between(0.0, 2e4));
  p.reach_scale_km = t.number_or("reach_scale_km", p.reach_scale_km, Range{0.0, 1e5, true, false});
  p.reach_without_border =
      t.number_or("reach_without_border", p.reach_without_border, Range::unit());
  p.min_force_brigades =
      t.number_or("min_force_brigades", p.min_force_brigades, Range::between(0.0, 1e3));
  p.cost_of_failure =
      uncertain_or(t, "cost_of_failure", p.cost_of_failure.central(), Range::between(0.0, 100.0));
  p.escalation_cost =
      uncertain_or(t, "escalation_cost", p.escalation_cost.central(), Range::between(0.0, 100.0));
  p.risk_appetite =
      uncertain_or(t, "risk_appetite", p.risk_appetite.central(), Range::between(-100.0, 100.0));
  p.hazard_max = t.number_or("hazard_max", p.hazard_max, Range::unit());
  p.hazard_sharpness =
      t.number_or("hazard_sharpness", p.hazard_sharpness, Range::between(0.0, 1e3));
  p.target_sharpness =
      t.number_or("target_sharpness", p.target_sharpness, Range::between(0.0, 1e3));
  p.max_attacks_per_year =
      static_cast<int>(t.integer_or("max_attacks_per_year", p.max_attacks_per_year, 0, 16));
  p.reliability_prior = optional_uncertain(t, "reliability_prior", Range::unit());
  p.enforcement_prior = optional_uncertain(t, "enforcement_prior", Range::unit());
  p.prior_strength = t.number_or("prior_strength", p.prior_strength, Range::positive());
  p.forgetting = t.number_or("forgetting", p.forgetting, Range::unit());
  p.public_signal_weight =
      t.number_or("public_signal_weight", p.public_signal_weight, Range::non_negative());
}

void parse_forces(sim::config::Table& t, AttackParams& p, const AllianceData& data) {
  using sim::config::Range;
  p.enabled = t.boolean_or("enabled", p.enabled);
  p.contest = parse_contest(t);
  p.brigades_per_usd_bn =
      t.number_or("brigades_per_usd_bn", p.brigades_per_usd_bn, Range::between(0.0, 10.0));
  p.local_share = t.number_or("local_share", p.local_share, Range::unit());
  p.base_defence_brigades =
      t.number_or("base_defence_brigades", p.base_defence_brigades, Range::between(0.0, 1e3));
  p.us_thousands_per_brigade = t.number_or("us_thousands_per_brigade", p.us_thousands_per_brigade,
                                           Range{0.0, 100.0, true, false});
  p.forward_brigades.assign(data.size(), Schedule());
  if (auto forward = t.table_if("forward_brigades")) {
    for (const std::string& code : forward->keys()) {
      const auto index = data.find(code);
      if (!index || *index == data.patron) {
        forward->fail(code, "unknown ISO code or the patron", "\"" + code + "\"",
                      "the code of an ally other than the patron");
      }
      p.forward_brigades[*index] = parse_schedule(*forward, code, Range::between(0.0, 1e3));
    }
    forward->finish();
  }
  p.us_surge_share = t.number_or("us_surge_share", p.us_surge_share, Range::unit());
  p.ally_surge_share = t.number_or("ally_surge_share", p.ally_surge_share, Range::unit());
  p.reinforcement_weight =
      t.number_or("reinforcement_weight", p.reinforcement_weight, Range::between(0.0, 10.0));
  p.ally_response = optional_uncertain(t, "ally_response", Range::unit());
  p.neighbour_response_bonus = t.number_or("neighbour_response_bonus", p.neighbour_response_bonus,
                                           Range::between(0.0, 10.0));
  p.noncomplier_solidarity =
      t.number_or("noncomplier_solidarity", p.noncomplier_solidarity, Range::unit());
  p.threat_jump = t.number_or("threat_jump", p.threat_jump, Range::between(0.0, 100.0));
  p.threat_jump_lost_factor =
      t.number_or("threat_jump_lost_factor", p.threat_jump_lost_factor, Range::between(0.0, 100.0));
  p.response_signal_weight =
      t.number_or("response_signal_weight", p.response_signal_weight, Range::between(0.0, 1e3));
}

void parse_peacekeepers(sim::config::Table& t, PeacekeeperParams& p, const AllianceData& data) {
  using sim::config::Range;
  p.deployed = t.boolean_or("deployed", p.deployed);
  if (t.has("from_year")) {
    p.from_year = static_cast<int>(t.integer("from_year", 1900, 2200));
  } else {
    t.node("from_year");
  }
  p.brigades = t.number_or("brigades", p.brigades, Range::between(0.0, 1e3));
  if (t.has("contributors")) {
    for (const std::string& code : t.strings("contributors")) {
      const auto index = data.find(code);
      if (!index) {
        t.fail("contributors", "unknown ISO code", "\"" + code + "\"", "members' ISO codes");
      }
      if (*index == data.patron || data.members[*index].exempt) {
        t.fail("contributors", "not an ally with armed forces other than the patron",
               "\"" + code + "\"", "allies that could send troops");
      }
      if (std::find(p.contributors.begin(), p.contributors.end(), *index) != p.contributors.end()) {
        t.fail("contributors", "listed twice", "\"" + code + "\"", "each ally once");
      }
      p.contributors.push_back(*index);
    }
  } else {
    t.node("contributors");
  }
  p.contributor_response = sim::config::uncertain_or(
      t, "contributor_response", p.contributor_response.central(), Range::unit());
  p.covered_by_article5 = t.boolean_or("covered_by_article5", p.covered_by_article5);
  if (t.has("location")) {
    const std::vector<double> location = t.numbers("location", Range::between(-180.0, 180.0), 2);
    if (location.size() != 2 || std::abs(location[0]) > 90.0) {
      t.fail("location", "not a [latitude, longitude] pair",
             fmt::format("{} numbers", location.size()),
             "[latitude in [-90, 90], longitude in [-180, 180]]");
    }
    p.latitude_deg = location[0];
    p.longitude_deg = location[1];
  } else {
    t.node("location");
  }
  p.reach = t.number_or("reach", p.reach, Range::unit());
  p.value = t.number_or("value", p.value, Range::between(0.0, 100.0));
}

double logistic(double x) { return 1.0 / (1.0 + std::exp(-x)); }

}  // namespace

AttackModelParams parse_attack(sim::config::Table& model, const AllianceData& data) {
  AttackModelParams p;
  parse_optional(model, "adversary", [&](auto& t) { parse_adversary(t, p.adversary); });
  parse_optional(model, "attack", [&](auto& t) { parse_forces(t, p.attack, data); });
  parse_optional(model, "peacekeepers",
                 [&](auto& t) { parse_peacekeepers(t, p.peacekeepers, data); });
  return p;
}

AttackDrawn draw_attack(const AttackModelParams& p, std::uint64_t seed, std::uint64_t replicate,
                        double us_reliability, double enforcement_probability,
                        double ally_reliability, sim::RandomWordsRun* words) {
  const AdversaryParams& a = p.adversary;
  AttackDrawn d;
  d.level_brigades = a.level_brigades.draw(seed, replicate, words);
  d.growth_per_year = a.growth_per_year.draw(seed, replicate, words);
  d.cost_of_failure = a.cost_of_failure.draw(seed, replicate, words);
  d.escalation_cost = a.escalation_cost.draw(seed, replicate, words);
  d.risk_appetite = a.risk_appetite.draw(seed, replicate, words);
  d.reliability_prior =
      a.reliability_prior ? a.reliability_prior->draw(seed, replicate, words) : us_reliability;
  d.enforcement_prior = a.enforcement_prior ? a.enforcement_prior->draw(seed, replicate, words)
                                            : enforcement_probability;
  d.ally_response = p.attack.ally_response ? p.attack.ally_response->draw(seed, replicate, words)
                                           : ally_reliability;
  d.contributor_response = p.peacekeepers.contributor_response.draw(seed, replicate, words);
  return d;
}

Eigen::ArrayXd adversary_reach(const AllianceData& data, const AdversaryParams& params) {
  Eigen::ArrayXd reach(static_cast<Eigen::Index>(data.size()));
  for (std::size_t i = 0; i < data.size(); ++i) {
    const MemberData& m = data.members[i];
    const double beyond = std::max(0.0, m.distance_to_moscow_km - params.reach_full_km);
    double r = std::exp(-beyond / params.reach_scale_km);
    if (m.adversary_borders() == 0) r *= params.reach_without_border;
    reach(static_cast<Eigen::Index>(i)) = i == data.patron ? 0.0 : r;
  }
  return reach;
}

Eigen::ArrayXd proximity_to_point(const AllianceData& data, double latitude_deg,
                                  double longitude_deg, double contiguity_weight,
                                  double distance_scale_km) {
  Eigen::ArrayXd out(static_cast<Eigen::Index>(data.size()));
  for (std::size_t i = 0; i < data.size(); ++i) {
    const MemberData& m = data.members[i];
    const double km =
        great_circle_km(m.capital_lat_deg, m.capital_lon_deg, latitude_deg, longitude_deg);
    out(static_cast<Eigen::Index>(i)) =
        (1.0 - contiguity_weight) * std::exp(-km / distance_scale_km);
  }
  return out;
}

double attack_hazard(double best_utility, double appetite, double available_brigades,
                     const AdversaryParams& params) {
  if (!(available_brigades > 0.0)) return 0.0;
  return params.hazard_max * logistic(params.hazard_sharpness * (best_utility + appetite));
}

std::size_t draw_target(std::span<const double> utility, std::span<const unsigned char> eligible,
                        double beta, double u) {
  const std::size_t n = utility.size();
  double best = -std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < n; ++i) {
    if (eligible[i] != 0) best = std::max(best, utility[i]);
  }
  if (best == -std::numeric_limits<double>::infinity()) return n;
  // Weights relative to the best target (at most 1), so exp never overflows.
  double total = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    if (eligible[i] != 0) total += std::exp(beta * (utility[i] - best));
  }
  const double point = u * total;
  double cumulative = 0.0;
  std::size_t last = n;
  for (std::size_t i = 0; i < n; ++i) {
    if (eligible[i] == 0) continue;
    cumulative += std::exp(beta * (utility[i] - best));
    last = i;
    if (point < cumulative) return i;
  }
  return last;  // u * total rounded up to the total
}

double us_response_probability(bool article5, bool written_off, double reliability,
                               double enforcement) {
  if (!article5) return 0.0;
  return written_off ? reliability * (1.0 - enforcement) : reliability;
}

double ally_response_probability(double response, bool neighbours, bool target_compliant,
                                 const AttackParams& params) {
  const double base =
      std::min(1.0, response * (1.0 + (neighbours ? params.neighbour_response_bonus : 0.0)));
  return target_compliant ? base : base * params.noncomplier_solidarity;
}

int draw_outcome(const ContestOutcome& outcome, double u) {
  if (u < outcome.territory_lost) return 2;
  if (u < outcome.territory_lost + outcome.stalemate) return 1;
  return 0;
}

AdversaryBeliefs init_adversary_beliefs(double reliability_mean, double enforcement_mean,
                                        double strength) {
  AdversaryBeliefs b;
  b.prior_reliability_a = strength * reliability_mean;
  b.prior_reliability_b = strength * (1.0 - reliability_mean);
  b.prior_enforcement_a = strength * enforcement_mean;
  b.prior_enforcement_b = strength * (1.0 - enforcement_mean);
  b.reliability_a = b.prior_reliability_a;
  b.reliability_b = b.prior_reliability_b;
  b.enforcement_a = b.prior_enforcement_a;
  b.enforcement_b = b.prior_enforcement_b;
  return b;
}

void update_adversary_beliefs(AdversaryBeliefs& b, double forgetting, double public_share,
                              double weight) {
  const double f = forgetting;
  b.reliability_a = f * b.reliability_a + (1.0 - f) * b.prior_reliability_a;
  b.reliability_b = f * b.reliability_b + (1.0 - f) * b.prior_reliability_b;
  b.enforcement_a = f * b.enforcement_a + (1.0 - f) * b.prior_enforcement_a;
  b.enforcement_b = f * b.enforcement_b + (1.0 - f) * b.prior_enforcement_b;
  if (std::isnan(public_share)) return;
  b.enforcement_a += weight * public_share;
  b.enforcement_b += weight * (1.0 - public_share);
}

void observe_us_action(AdversaryBeliefs& b, bool written_off, bool responded, double weight) {
  if (written_off) {
    (responded ? b.enforcement_b : b.enforcement_a) += weight;
  } else {
    (responded ? b.reliability_a : b.reliability_b) += weight;
  }
}

}  // namespace models
