#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include <Eigen/Dense>

#include "models/common/schedule.h"
#include "models/data/alliance_data.h"
#include "sim/config/toml_reader.h"
#include "sim/config/uncertain.h"

namespace models {

/// A dated event that raises perceived threat (Crimea 2014, the full-scale invasion 2022): each
/// member's event threat rises by `size * exp(-(d_i - d_min) / reach_km)` in `year`, d_i being the
/// distance from its capital to Moscow and d_min the smallest such distance among the members
/// reached (`members`, all when empty); it stays at that size until `until` and then decays
/// with the other event threat.
struct ThreatEvent {
  std::string name;
  int year = 2014;
  /// Threat units at the nearest capital reached; may be a distribution (drawn per replicate).
  sim::Uncertain size = sim::Uncertain::fixed_at(0.0);
  double reach_km = 1000.0;
  /// Last year the event's threat is held at full size (a war that goes on); it decays after.
  /// Equal to `year` for a one-off event.
  int until = 2014;
  /// Member indices reached; empty = every member.
  std::vector<std::size_t> members;
};

/// Threat perception: `threat[i,t] = exposure[i] * capability(t) + event[i,t]`, where
/// capability(t) is the adversary's capability index (its path x per-replicate scale x drawn
/// level / central level, so an adversary without forces is no threat)
/// with `exposure[i] = base + distance_weight * exp(-distance_to_moscow / distance_scale) +
/// border_weight * land_borders` (borders with mainland Russia, Kaliningrad, Belarus) and events
/// decaying by `event_decay` per year. Dimensionless index; about 1 for a Baltic state in 2025.
struct ThreatParams {
  sim::Uncertain base = sim::Uncertain::fixed_at(0.3);
  sim::Uncertain distance_weight = sim::Uncertain::fixed_at(1.0);
  /// km.
  double distance_scale_km = 1000.0;
  /// Per land border with mainland Russia, Kaliningrad or Belarus.
  sim::Uncertain border_weight = sim::Uncertain::fixed_at(0.25);
  /// The adversary's capability index by year (1 = 2025).
  Schedule adversary_path = Schedule({{2025, 1.0}});
  /// Per-replicate multiplier of the adversary path.
  sim::Uncertain adversary_scale = sim::Uncertain::fixed_at(1.0);
  /// Share of the event threat that survives a year, in [0, 1).
  sim::Uncertain event_decay = sim::Uncertain::fixed_at(0.7);
  /// Share of an event's threat felt by a member at spatial weight 1 to the target (see
  /// raise_event_threat).
  double event_spillover = 0.5;
  /// Dated threat events (`[model.threat.events.NAME]`; size 0 switches one off), at most
  /// kMaxThreatEvents.
  std::vector<ThreatEvent> events;
};

/// Most dated threat events a model takes (their draws live in a fixed array: no allocation).
inline constexpr std::size_t kMaxThreatEvents = 16;

/// One replicate's draws of the threat parameters.
struct ThreatDrawn {
  double base = 0.3;
  double distance_weight = 1.0;
  double border_weight = 0.25;
  double adversary_scale = 1.0;
  double event_decay = 0.7;
  /// Size of each event in `ThreatParams::events`' order.
  std::array<double, kMaxThreatEvents> event_size{};
};

/// Reads `[model.threat]` (all keys optional). Throws sim::ConfigError.
ThreatParams parse_threat(sim::config::Table& table, const AllianceData& data);

/// Per-member share of an event's size it reaches: 1 at the nearest capital reached,
/// `exp(-(d_i - d_min) / reach_km)` elsewhere, 0 outside `members` (see ThreatEvent).
Eigen::ArrayXd event_reach(const AllianceData& data, const ThreatEvent& event);
ThreatDrawn draw_threat(const ThreatParams& params, std::uint64_t seed, std::uint64_t replicate,
                        sim::RandomWordsRun* words = nullptr);

/// Geographic exposure per member (the bracket in the threat formula).
Eigen::ArrayXd geographic_exposure(const AllianceData& data, const ThreatParams& params,
                                   const ThreatDrawn& drawn);

/// This year's threat: `exposure * adversary * scale + event` (into `threat`), after decaying
/// `event` by `decay` (call once per simulated year, before the budget step).
void update_threat(Eigen::ArrayXd& threat, Eigen::ArrayXd& event, const Eigen::ArrayXd& exposure,
                   double adversary, double decay);

/// The attack hook's way to raise threat: adds `amount` to the target's event threat and
/// `amount * spillover * proximity(j, target) / max_j proximity(j, target)` to every other member
/// j (`proximity`: symmetric, zero diagonal, see SpatialStructure).
void raise_event_threat(Eigen::ArrayXd& event, std::size_t target, double amount, double spillover,
                        const Eigen::MatrixXd& proximity);

}  // namespace models
