#include "models/threat/threat.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace models {

ThreatParams parse_threat(sim::config::Table& table, const AllianceData& data) {
  using sim::config::Range;
  using sim::config::uncertain_or;
  ThreatParams p;
  p.base = uncertain_or(table, "base", p.base.central(), Range::between(0.01, 10.0));
  p.distance_weight = uncertain_or(table, "distance_weight", p.distance_weight.central(),
                                   Range::between(0.0, 10.0));
  p.distance_scale_km =
      table.number_or("distance_scale_km", p.distance_scale_km, Range::between(1.0, 1e5));
  p.border_weight =
      uncertain_or(table, "border_weight", p.border_weight.central(), Range::between(0.0, 10.0));
  if (table.has("adversary_path")) {
    p.adversary_path = parse_schedule(table, "adversary_path", Range::between(0.0, 100.0));
  } else {
    table.node("adversary_path");
  }
  p.adversary_scale = uncertain_or(table, "adversary_scale", p.adversary_scale.central(),
                                   Range::between(0.0, 100.0));
  p.event_decay =
      uncertain_or(table, "event_decay", p.event_decay.central(), Range{0.0, 1.0, false, true});
  p.event_spillover = table.number_or("event_spillover", p.event_spillover, Range::unit());
  if (auto events = table.table_if("events")) {
    for (const std::string& name : events->keys()) {
      sim::config::Table t = events->table(name);
      ThreatEvent e;
      e.name = name;
      e.year = static_cast<int>(t.integer("year", 1900, 2200));
      e.size = sim::config::uncertain(t, "size", Range::between(0.0, 100.0));
      e.reach_km = t.number_or("reach_km", e.reach_km, Range{0.0, 1e5, true, false});
      e.until = static_cast<int>(t.integer_or("until", e.year, e.year, 2200));
      if (t.has("members")) {
        for (const std::string& code : t.strings("members")) {
          const auto index = data.find(code);
          if (!index) t.fail("members", "unknown ISO code", "\"" + code + "\"", "a member's code");
          e.members.push_back(*index);
        }
      }
      t.finish();
      if (!e.size.is_fixed() || e.size.central() > 0.0) p.events.push_back(std::move(e));
      if (p.events.size() > kMaxThreatEvents) {
        events->fail(name, "too many threat events", std::to_string(p.events.size()),
                     "at most " + std::to_string(kMaxThreatEvents));
      }
    }
    events->finish();
  }
  return p;
}

ThreatDrawn draw_threat(const ThreatParams& p, std::uint64_t seed, std::uint64_t replicate,
                        sim::RandomWordsRun* words) {
  ThreatDrawn d;
  d.base = p.base.draw(seed, replicate, words);
  d.distance_weight = p.distance_weight.draw(seed, replicate, words);
  d.border_weight = p.border_weight.draw(seed, replicate, words);
  d.adversary_scale = p.adversary_scale.draw(seed, replicate, words);
  d.event_decay = p.event_decay.draw(seed, replicate, words);
  for (std::size_t e = 0; e < p.events.size(); ++e)
    d.event_size[e] = p.events[e].size.draw(seed, replicate, words);
  return d;
}

Eigen::ArrayXd geographic_exposure(const AllianceData& data, const ThreatParams& params,
                                   const ThreatDrawn& drawn) {
  Eigen::ArrayXd exposure(static_cast<Eigen::Index>(data.size()));
  for (std::size_t i = 0; i < data.size(); ++i) {
    const MemberData& m = data.members[i];
    exposure(static_cast<Eigen::Index>(i)) =
        drawn.base +
        drawn.distance_weight * std::exp(-m.distance_to_moscow_km / params.distance_scale_km) +
        drawn.border_weight * static_cast<double>(m.adversary_borders());
  }
  return exposure;
}

Eigen::ArrayXd event_reach(const AllianceData& data, const ThreatEvent& event) {
  const auto n = static_cast<Eigen::Index>(data.size());
  Eigen::ArrayXd reached = Eigen::ArrayXd::Constant(n, event.members.empty() ? 1.0 : 0.0);
  for (std::size_t m : event.members) reached(static_cast<Eigen::Index>(m)) = 1.0;
  double nearest = std::numeric_limits<double>::infinity();
  for (Eigen::Index i = 0; i < n; ++i) {
    if (reached(i) != 0.0) {
      nearest = std::min(nearest, data.members[static_cast<std::size_t>(i)].distance_to_moscow_km);
    }
  }
  Eigen::ArrayXd increment = Eigen::ArrayXd::Zero(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    if (reached(i) == 0.0) continue;
    const double distance = data.members[static_cast<std::size_t>(i)].distance_to_moscow_km;
    increment(i) = std::exp(-(distance - nearest) / event.reach_km);
  }
  return increment;
}

void update_threat(Eigen::ArrayXd& threat, Eigen::ArrayXd& event, const Eigen::ArrayXd& exposure,
                   double adversary, double decay) {
  event *= decay;
  threat = exposure * adversary + event;
}

void raise_event_threat(Eigen::ArrayXd& event, std::size_t target, double amount, double spillover,
                        const Eigen::MatrixXd& proximity) {
  const auto t = static_cast<Eigen::Index>(target);
  const double largest = proximity.col(t).maxCoeff();
  if (largest > 0.0) event += (amount * spillover / largest) * proximity.col(t).array();
  event(t) += amount;
}

}  // namespace models
