#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include <Eigen/Dense>

#include "models/data/alliance_data.h"
#include "sim/config/toml_reader.h"
#include "sim/config/uncertain.h"
#include "sim/core/rng.h"

namespace models {

/// Beliefs about the U.S., each a Beta(a, b) per member: `reliability` (the U.S. defends an ally
/// it has not written off) and `enforcement` (the U.S. withholds defence from a non-complier
/// under conditional Article 5). Updated yearly by discounted counting:
/// `a <- forgetting * a + weight * x`, `b <- forgetting * b + weight * (1 - x)`.
struct BeliefParams {
  /// Prior mean of reliability, [0, 1]; drawn per replicate.
  sim::Uncertain reliability_prior = sim::Uncertain::fixed_at(0.8);
  /// Prior strength (a + b) of a member that joined `full_strength_years` or more before the
  /// start; newer members' priors are proportionally weaker, never below `min_prior_strength`.
  double prior_strength = 10.0;
  double full_strength_years = 10.0;
  double min_prior_strength = 2.0;
  /// Prior mean of enforcement; unset = the policy's enforcement probability (the announcement
  /// is believed on average).
  std::optional<sim::Uncertain> enforcement_prior;
  double enforcement_prior_strength = 4.0;
  /// Share of past evidence kept per year, (0, 1].
  double forgetting = 0.9;
  /// Weight of one year's observation.
  double signal_weight = 1.0;
};

/// Reads `[model.beliefs]` (all keys optional). Throws sim::ConfigError.
BeliefParams parse_beliefs(sim::config::Table& table);

/// Per-member Beta beliefs (structure of arrays).
struct BeliefState {
  Eigen::ArrayXd reliability_a;
  Eigen::ArrayXd reliability_b;
  Eigen::ArrayXd enforcement_a;
  Eigen::ArrayXd enforcement_b;

  double reliability(std::size_t i) const {
    const auto k = static_cast<Eigen::Index>(i);
    return reliability_a(k) / (reliability_a(k) + reliability_b(k));
  }
  double enforcement(std::size_t i) const {
    const auto k = static_cast<Eigen::Index>(i);
    return enforcement_a(k) / (enforcement_a(k) + enforcement_b(k));
  }
};

/// Prior strength of a member that joined in `joined_year`, for a run starting in `start_year`.
double prior_strength(const BeliefParams& params, int joined_year, int start_year);

/// Sets the priors: reliability mean `reliability_mean`, enforcement mean `enforcement_mean`.
void init_beliefs(BeliefState& beliefs, const AllianceData& data, const BeliefParams& params,
                  int start_year, double reliability_mean, double enforcement_mean);

/// One year's observations. One uniform per member (one 32-bit word) is drawn from `rng` every
/// year (whatever the
/// policy, so streams stay aligned across scenarios). A member `i` that is non-compliant
/// (`compliant(i) == 0`) under conditional Article 5 is written off when `u_i < enforcement_true`
/// and then learns nothing new about reliability; otherwise it observes, like every other member,
/// `x = [u' < reliability_true]` with `u'` = `u_i` rescaled to [0, 1) above the enforcement cut
/// (`u_i` itself for compliers), so enforcement 0 reproduces the status quo exactly. Under
/// conditional Article 5 with at least one non-complier, each non-complier's draw `[u_i <
/// enforcement_true]` says whether the U.S. signalled that it would withhold defence, and every
/// member observes the share of non-compliers so treated. Members listed in `skip` (value 1) are
/// not updated (the patron). Returns that public share, or NaN when there was no non-complier under
/// conditional Article 5.
double update_beliefs(BeliefState& beliefs, const BeliefParams& params,
                      const Eigen::ArrayXd& compliant, const Eigen::ArrayXd& skip, bool conditional,
                      double reliability_true, double enforcement_true, sim::RngStream& rng,
                      Eigen::ArrayXd& uniforms);

/// The attack hook's way to update beliefs from what the U.S. actually did for an attacked ally:
/// `defended` 1 or 0, counted with `weight` pseudo-observations in member `i`'s reliability.
inline void observe_us_response(BeliefState& beliefs, std::size_t i, double defended,
                                double weight) {
  const auto k = static_cast<Eigen::Index>(i);
  beliefs.reliability_a(k) += weight * defended;
  beliefs.reliability_b(k) += weight * (1.0 - defended);
}

/// The attack hook's way to update beliefs about enforcement: the U.S. withheld defence from an
/// attacked non-complier under conditional Article 5 (`enforced` 1) or defended it (0), counted
/// with `weight` pseudo-observations in member `i`'s enforcement belief.
inline void observe_us_enforcement(BeliefState& beliefs, std::size_t i, double enforced,
                                   double weight) {
  const auto k = static_cast<Eigen::Index>(i);
  beliefs.enforcement_a(k) += weight * enforced;
  beliefs.enforcement_b(k) += weight * (1.0 - enforced);
}

}  // namespace models
