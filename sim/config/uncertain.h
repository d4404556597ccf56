#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sim/config/toml_reader.h"
#include "sim/core/rng.h"

namespace sim {

/// A weighted joint sample of parameters (an ABC-SMC posterior): `values[i * keys.size() + k]`
/// is particle i's value of key k; `cumulative` holds the running sums of the normalised weights.
struct WeightedSample {
  /// Where it came from (the calibration file), for messages.
  std::string file;
  /// The model the sample was calibrated for.
  std::string model;
  /// Dotted `[model]` keys, e.g. "policy.enforcement_probability".
  std::vector<std::string> keys;
  std::vector<double> values;
  std::vector<double> weights;
  std::vector<double> cumulative;

  std::size_t size() const { return weights.size(); }
  /// The particle replicate `replicate` uses: weighted resampling with one uniform from the
  /// stream (seed, replicate, "posterior"), shared by every key so correlations are kept.
  /// `words`: as Uncertain::draw's.
  std::size_t particle_for(std::uint64_t seed, std::uint64_t replicate,
                           RandomWordsRun* words = nullptr) const;
  /// Builds `cumulative` from `weights` (normalised). Throws std::invalid_argument when the
  /// weights are negative, not finite or sum to zero.
  void finish();
};

/// A model parameter that is either a fixed number or a distribution drawn once per replicate
/// from its own random stream (keyed by the parameter's dotted name), so adding an uncertain
/// parameter never shifts another's draws and replicate r sees the same draw in every scenario.
struct Uncertain {
  enum class Kind { fixed, normal, uniform, triangular, beta, lognormal, posterior };
  Kind kind = Kind::fixed;
  /// fixed: value; normal: mean, sd; uniform: low, high; triangular: low, mode, high;
  /// beta: alpha, beta (on [lower, upper]); lognormal: mu, sigma of log(x); posterior: the
  /// column of `sample` (in `a`).
  double a = 0.0;
  double b = 0.0;
  double c = 0.0;
  /// Truncation bounds (normal, lognormal) or the support (beta; default [0, 1]).
  double lower = -1e300;
  double upper = 1e300;
  StreamPurpose stream{};
  /// posterior: the shared weighted sample this parameter is one column of.
  std::shared_ptr<const WeightedSample> sample = nullptr;

  static Uncertain fixed_at(double value) { return Uncertain{Kind::fixed, value}; }
  bool is_fixed() const { return kind == Kind::fixed; }
  /// The value for one replicate. Deterministic in (seed, replicate); `words` is the run's
  /// store of random words (RunContext::words), which changes no value.
  double draw(std::uint64_t seed, std::uint64_t replicate, RandomWordsRun* words = nullptr) const;
  /// The inverse CDF at probability p in (0, 1): the value with P(X <= value) = p (truncation
  /// respected). Fixed parameters return their value. Used by sensitivity designs.
  double quantile(double p) const;
  /// The distribution's central value (mean; fixed value) for documentation and dry runs.
  double central() const;
  /// One draw from `rng` (a prior draw in ABC-SMC). Not for `posterior`.
  double sample_from(RngStream& rng) const;
  /// Log density at x up to an additive constant; -infinity outside the support.
  double log_density(double x) const;
  /// The support [low, high] (infinite ends as -/+1e300).
  double support_low() const;
  double support_high() const;
  /// Kind as written in configs ("normal", "uniform", ...).
  const char* kind_name() const;
};

/// Standard normal CDF and its inverse (Acklam's rational approximation with one Newton step;
/// absolute error below 1e-12 on (1e-300, 1 - 1e-16)).
double normal_cdf(double x);
double normal_quantile(double p);

namespace config {
/// Reads `key` as a number or as a distribution table
/// `{dist = "normal", mean = .., sd = .., lower = .., upper = ..}` (also "uniform" low/high,
/// "triangular" low/mode/high, "beta" alpha/beta[/lower/upper], "lognormal"
/// mu/sigma[/lower/upper]). Every value the distribution can produce must lie in `range`.
Uncertain uncertain(Table& table, std::string_view key, Range range);
Uncertain uncertain_or(Table& table, std::string_view key, double fallback, Range range);

/// A posterior whose keys config::uncertain answers with draws from it (see Origin::posterior
/// in toml_reader.h): for a table at path "model.x", key "y" is looked up as "x.y". The keys it
/// answered are recorded in `used` so the caller can reject keys the model never read.
struct PosteriorBinding {
  std::shared_ptr<const WeightedSample> sample = nullptr;
  /// Set by uncertain(): which of sample->keys the model read (one flag per key).
  std::vector<char> used;
  /// Dotted keys (relative to [model]) a scenario's [scenario.set] wrote: their values win.
  std::vector<std::string> scenario_set = {};
};
}  // namespace config

}  // namespace sim
