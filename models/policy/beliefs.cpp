#include "models/policy/beliefs.h"

#include <algorithm>
#include <limits>

namespace models {

BeliefParams parse_beliefs(sim::config::Table& table) {
  using sim::config::Range;
  BeliefParams p;
  p.reliability_prior = sim::config::uncertain_or(table, "reliability_prior",
                                                  p.reliability_prior.central(), Range::unit());
  p.prior_strength = table.number_or("prior_strength", p.prior_strength, Range::positive());
  p.full_strength_years =
      table.number_or("full_strength_years", p.full_strength_years, Range::positive());
  p.min_prior_strength = table.number_or("min_prior_strength", p.min_prior_strength,
                                         Range{0.0, p.prior_strength, true, false});
  if (table.has("enforcement_prior")) {
    p.enforcement_prior = sim::config::uncertain(table, "enforcement_prior", Range::unit());
  } else {
    table.node("enforcement_prior");
  }
  p.enforcement_prior_strength = table.number_or("enforcement_prior_strength",
                                                 p.enforcement_prior_strength, Range::positive());
  p.forgetting = table.number_or("forgetting", p.forgetting, Range{0.0, 1.0, true, false});
  p.signal_weight = table.number_or("signal_weight", p.signal_weight, Range::non_negative());
  return p;
}

double prior_strength(const BeliefParams& params, int joined_year, int start_year) {
  const double years = static_cast<double>(start_year - joined_year);
  return std::clamp(params.prior_strength * years / params.full_strength_years,
                    params.min_prior_strength, params.prior_strength);
}

void init_beliefs(BeliefState& beliefs, const AllianceData& data, const BeliefParams& params,
                  int start_year, double reliability_mean, double enforcement_mean) {
  const auto n = static_cast<Eigen::Index>(data.size());
  beliefs.reliability_a.resize(n);
  beliefs.reliability_b.resize(n);
  beliefs.enforcement_a.resize(n);
  beliefs.enforcement_b.resize(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const double strength =
        prior_strength(params, data.members[static_cast<std::size_t>(i)].joined_year, start_year);
    beliefs.reliability_a(i) = strength * reliability_mean;
    beliefs.reliability_b(i) = strength * (1.0 - reliability_mean);
    const double scale = params.enforcement_prior_strength * strength / params.prior_strength;
    beliefs.enforcement_a(i) = scale * enforcement_mean;
    beliefs.enforcement_b(i) = scale * (1.0 - enforcement_mean);
  }
}

double update_beliefs(BeliefState& beliefs, const BeliefParams& params,
                      const Eigen::ArrayXd& compliant, const Eigen::ArrayXd& skip, bool conditional,
                      double reliability_true, double enforcement_true, sim::RngStream& rng,
                      Eigen::ArrayXd& uniforms) {
  const Eigen::Index n = compliant.size();
  // 32-bit resolution is ample for a Bernoulli draw and costs half the words of uniform().
  for (Eigen::Index i = 0; i < n; ++i) {
    uniforms(i) = (static_cast<double>(rng.next_u32()) + 0.5) * 0x1.0p-32;
  }
  const double keep = params.forgetting;
  const double w = params.signal_weight;
  int noncompliers = 0;
  int withheld = 0;
  for (Eigen::Index i = 0; i < n; ++i) {
    if (skip(i) != 0.0) continue;
    beliefs.reliability_a(i) *= keep;
    beliefs.reliability_b(i) *= keep;
    beliefs.enforcement_a(i) *= keep;
    beliefs.enforcement_b(i) *= keep;
    // A non-complier under conditional Article 5 first learns whether the U.S. withholds its
    // guarantee; if it does not, the same uniform, rescaled, is the ordinary reliability signal,
    // so enforcement 0 gives the status quo's beliefs exactly.
    double u = uniforms(i);
    if (conditional && compliant(i) == 0.0) {
      ++noncompliers;
      if (u < enforcement_true) {
        ++withheld;
        continue;
      }
      if (enforcement_true > 0.0) u = (u - enforcement_true) / (1.0 - enforcement_true);
    }
    const double x = u < reliability_true ? 1.0 : 0.0;
    beliefs.reliability_a(i) += w * x;
    beliefs.reliability_b(i) += w * (1.0 - x);
  }
  if (noncompliers == 0) return std::numeric_limits<double>::quiet_NaN();
  const double share = static_cast<double>(withheld) / static_cast<double>(noncompliers);
  for (Eigen::Index i = 0; i < n; ++i) {
    if (skip(i) != 0.0) continue;
    beliefs.enforcement_a(i) += w * share;
    beliefs.enforcement_b(i) += w * (1.0 - share);
  }
  return share;
}

}  // namespace models
