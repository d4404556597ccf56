#pragma once

#include <cstdint>
#include <string>

#include "sim/config/toml_reader.h"
#include "sim/core/rng.h"

namespace sim {

/// A model parameter that is either a fixed number or a distribution drawn once per replicate
/// from its own random stream (keyed by the parameter's dotted name), so adding an uncertain
/// parameter never shifts another's draws and replicate r sees the same draw in every scenario.
struct Uncertain {
  enum class Kind { fixed, normal, uniform, triangular, beta, lognormal };
  Kind kind = Kind::fixed;
  /// fixed: value; normal: mean, sd; uniform: low, high; triangular: low, mode, high;
  /// beta: alpha, beta (on [lower, upper]); lognormal: mu, sigma of log(x).
  double a = 0.0;
  double b = 0.0;
  double c = 0.0;
  /// Truncation bounds (normal, lognormal) or the support (beta; default [0, 1]).
  double lower = -1e300;
  double upper = 1e300;
  StreamPurpose stream{};

  static Uncertain fixed_at(double value) { return Uncertain{Kind::fixed, value}; }
  bool is_fixed() const { return kind == Kind::fixed; }
  /// The value for one replicate. Deterministic in (seed, replicate).
  double draw(std::uint64_t seed, std::uint64_t replicate) const;
  /// The inverse CDF at probability p in (0, 1): the value with P(X <= value) = p (truncation
  /// respected). Fixed parameters return their value. Used by sensitivity designs.
  double quantile(double p) const;
  /// The distribution's central value (mean; fixed value) for documentation and dry runs.
  double central() const;
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
}  // namespace config

}  // namespace sim
