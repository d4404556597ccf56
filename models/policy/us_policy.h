#pragma once

#include <cstdint>
#include <optional>

#include <Eigen/Dense>

#include "models/common/schedule.h"
#include "sim/config/toml_reader.h"
#include "sim/config/uncertain.h"

namespace models {

/// How U.S. troops in Europe move towards compliers.
struct TroopRule {
  /// Off: troops stay where the data put them.
  bool reallocate_to_compliers = false;
  /// Total U.S. troops the allocation aims at, thousands; unset = the data's total.
  std::optional<double> total_thousands;
  /// Share of the gap between the present and the target allocation closed per year, (0, 1].
  double speed_per_year = 0.25;
  /// Troops kept in a non-compliant host, thousands (never more than it had at the start).
  double floor_thousands = 0.0;
  /// Weight of a complier per unit of threat when sharing out troops, thousands (so compliers
  /// with no U.S. presence get some, frontline ones more).
  double complier_seed_thousands = 2.0;
};

/// The U.S. policy the allies respond to (`[model.policy]`).
struct UsPolicy {
  /// Threshold of core defence spending, % of GDP, by year (piecewise linear, flat outside).
  Schedule threshold_pct = Schedule({{2025, 2.0}});
  /// Article 5 protection depends on meeting the threshold.
  bool conditional_article5 = false;
  /// Probability that the U.S. really withholds defence from a non-complier, [0, 1].
  sim::Uncertain enforcement_probability = sim::Uncertain::fixed_at(0.8);
  /// U.S. exercises only with compliers (non-compliers lose the readiness bonus).
  bool exercises_to_compliers_only = false;
  TroopRule troops;
  /// U.S. defence spending, % of its GDP, by year; empty = hold the latest data figure.
  Schedule us_spending_pct;
  /// Public U.S. pressure on allies below a pledge, by year (0 none; 1 doubles what meeting a
  /// pledge is worth to them, times `pressure_scale`). Empty = none.
  Schedule pressure;
  /// Multiplies `pressure` (drawn per replicate): how much the U.S. demands add to a pledge's
  /// worth, in units of the pledge's own worth.
  sim::Uncertain pressure_scale = sim::Uncertain::fixed_at(1.0);
  /// U.S. troops in Europe by year, thousands; each host's stationed troops scale with it
  /// relative to the start year. Empty = constant.
  Schedule us_troops_in_europe;
  /// Probability that the U.S. defends an ally it has not written off, [0, 1].
  sim::Uncertain reliability = sim::Uncertain::fixed_at(0.8);
};

/// Reads `[model.policy]` and `[model.policy.troops]` (all keys optional; the default is the
/// Wales 2% with unconditional Article 5). Throws sim::ConfigError.
UsPolicy parse_us_policy(sim::config::Table& table);

/// The troop allocation the U.S. moves towards: every host keeps `min(floor, start)`; the rest of
/// `total` is shared among `eligible` hosts (1/0) in proportion to
/// `start + complier_seed * threat`. With no eligible host the target is the start allocation.
void troop_target(const Eigen::ArrayXd& start_thousands, const Eigen::ArrayXd& eligible,
                  const Eigen::ArrayXd& threat, const TroopRule& rule, double total_thousands,
                  Eigen::ArrayXd& target);

/// One year of reallocation: `troops += speed * (target - troops)`.
inline void move_troops(Eigen::ArrayXd& troops, const Eigen::ArrayXd& target, double speed) {
  troops += speed * (target - troops);
}

}  // namespace models
