#include "sim/config/uncertain.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "sim/config/parameter_log.h"

namespace sim {

double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

double normal_quantile(double p) {
  // Acklam's algorithm, refined by one Halley step.
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                 -2.759285104469687e+02, 1.383577518672690e+02,
                                 -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                 -1.556989798598866e+02, 6.680131188771972e+01,
                                 -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                 -2.400758277161838e+00, -2.549732539343734e+00,
                                 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                                 2.445134137142996e+00, 3.754408661907416e+00};
  if (p <= 0.0) return -INFINITY;
  if (p >= 1.0) return INFINITY;
  const double p_low = 0.02425;
  double x = 0.0;
  if (p < p_low) {
    const double q = std::sqrt(-2 * std::log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - p_low) {
    const double q = p - 0.5;
    const double r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    const double q = std::sqrt(-2 * std::log(1 - p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  const double e = normal_cdf(x) - p;
  const double u = e * std::sqrt(2 * M_PI) * std::exp(x * x / 2);
  return x - u / (1 + x * u / 2);
}

namespace {
/// Marsaglia-Tsang gamma(shape, 1) sampler.
double gamma_draw(RngStream& rng, double shape) {
  if (shape < 1.0) {
    const double boost = std::pow(rng.uniform_open(), 1.0 / shape);
    return gamma_draw(rng, shape + 1.0) * boost;
  }
  const double d = shape - 1.0 / 3.0;
  const double c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    double x = 0.0;
    double v = 0.0;
    do {
      x = rng.normal();
      v = 1.0 + c * x;
    } while (v <= 0.0);
    v = v * v * v;
    const double u = rng.uniform_open();
    if (std::log(u) < 0.5 * x * x + d - d * v + d * std::log(v)) return d * v;
  }
}

/// A gamma(shape, 1) draw kept also as its logarithm: for a small shape the draw itself can
/// underflow to 0 (U^(1/shape)), its logarithm cannot. `value` is bit for bit gamma_draw's.
struct GammaDraw {
  double value = 0.0;
  double log = 0.0;
};

GammaDraw gamma_draw_logged(RngStream& rng, double shape) {
  if (shape < 1.0) {
    const double u = rng.uniform_open();
    const double boost = std::pow(u, 1.0 / shape);
    const GammaDraw base = gamma_draw_logged(rng, shape + 1.0);
    return {base.value * boost, base.log + std::log(u) / shape};
  }
  const double value = gamma_draw(rng, shape);
  return {value, std::log(value)};
}

/// `value` moved just inside the open interval (lower, upper) when rounding put it on an end.
double inside_open(double value, double lower, double upper) {
  if (value <= lower) return std::nextafter(lower, upper);
  if (value >= upper) return std::nextafter(upper, lower);
  return value;
}

/// A beta(a, b) draw on (lower, upper): X / (X + Y) of two gamma draws; when one of them
/// underflowed (shapes well below 1, a U-shaped prior) the ratio comes from their logarithms.
double beta_draw(RngStream& rng, double a, double b, double lower, double upper) {
  const GammaDraw x = gamma_draw_logged(rng, a);
  const GammaDraw y = gamma_draw_logged(rng, b);
  const double share = x.value > 0.0 && y.value > 0.0 && std::isfinite(x.value + y.value)
                           ? x.value / (x.value + y.value)
                           : 1.0 / (1.0 + std::exp(y.log - x.log));
  // The beta's support is open: a draw rounded onto an end is moved just inside.
  return inside_open(lower + (upper - lower) * share, lower, upper);
}

/// Inverse-CDF draw from a normal truncated to [lower, upper]: one uniform per draw.
double truncated_normal(RngStream& rng, double mean, double sd, double lower, double upper) {
  const double p_low = lower > -1e299 ? normal_cdf((lower - mean) / sd) : 0.0;
  const double p_high = upper < 1e299 ? normal_cdf((upper - mean) / sd) : 1.0;
  const double p = p_low + (p_high - p_low) * rng.uniform_open();
  return std::clamp(mean + sd * normal_quantile(p), lower, upper);
}
}  // namespace

double Uncertain::draw(std::uint64_t seed, std::uint64_t replicate, RandomWordsRun* words) const {
  if (kind == Kind::fixed) return a;
  if (kind == Kind::posterior) {
    const auto column = static_cast<std::size_t>(a);
    const std::size_t particle = sample->particle_for(seed, replicate, words);
    return sample->values[particle * sample->keys.size() + column];
  }
  RngStream rng(seed, replicate, stream, words);
  return sample_from(rng);
}

double Uncertain::sample_from(RngStream& rng) const {
  switch (kind) {
    case Kind::normal:
      return truncated_normal(rng, a, b, lower, upper);
    case Kind::uniform:
      return a + (b - a) * rng.uniform();
    case Kind::triangular: {
      const double u = rng.uniform();
      const double split = (b - a) / (c - a);
      return u < split ? a + std::sqrt(u * (c - a) * (b - a))
                       : c - std::sqrt((1 - u) * (c - a) * (c - b));
    }
    case Kind::beta:
      return beta_draw(rng, a, b, lower, upper);
    case Kind::lognormal: {
      const double log_low = lower > 0 ? std::log(lower) : -1e300;
      const double log_high = upper < 1e299 ? std::log(upper) : 1e300;
      return std::exp(truncated_normal(rng, a, b, log_low, log_high));
    }
    case Kind::fixed:
    case Kind::posterior:
      break;
  }
  return a;
}

namespace {
/// Continued fraction of the regularised incomplete beta function (modified Lentz).
double beta_fraction(double a, double b, double x) {
  const double tiny = 1e-300;
  double c = 1.0;
  double d = 1.0 - (a + b) * x / (a + 1.0);
  d = 1.0 / (std::abs(d) < tiny ? tiny : d);
  double h = d;
  for (int m = 1; m <= 300; ++m) {
    const double m2 = 2.0 * m;
    double aa = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
    d = 1.0 + aa * d;
    d = 1.0 / (std::abs(d) < tiny ? tiny : d);
    c = 1.0 + aa / c;
    c = std::abs(c) < tiny ? tiny : c;
    h *= d * c;
    aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
    d = 1.0 + aa * d;
    d = 1.0 / (std::abs(d) < tiny ? tiny : d);
    c = 1.0 + aa / c;
    c = std::abs(c) < tiny ? tiny : c;
    const double step = d * c;
    h *= step;
    if (std::abs(step - 1.0) < 1e-15) break;
  }
  return h;
}

/// Regularised incomplete beta I_x(a, b).
double beta_cdf(double a, double b, double x) {
  if (x <= 0.0) return 0.0;
  if (x >= 1.0) return 1.0;
  const double front = std::exp(std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) +
                                a * std::log(x) + b * std::log1p(-x));
  if (x < (a + 1.0) / (a + b + 2.0)) return front * beta_fraction(a, b, x) / a;
  return 1.0 - front * beta_fraction(b, a, 1.0 - x) / b;
}

double truncated_normal_quantile(double p, double mean, double sd, double lower, double upper) {
  const double p_low = lower > -1e299 ? normal_cdf((lower - mean) / sd) : 0.0;
  const double p_high = upper < 1e299 ? normal_cdf((upper - mean) / sd) : 1.0;
  return std::clamp(mean + sd * normal_quantile(p_low + (p_high - p_low) * p), lower, upper);
}
}  // namespace

double Uncertain::quantile(double p) const {
  switch (kind) {
    case Kind::fixed:
      return a;
    case Kind::normal:
      return truncated_normal_quantile(p, a, b, lower, upper);
    case Kind::uniform:
      return a + (b - a) * p;
    case Kind::triangular: {
      const double split = (b - a) / (c - a);
      return p < split ? a + std::sqrt(p * (c - a) * (b - a))
                       : c - std::sqrt((1 - p) * (c - a) * (c - b));
    }
    case Kind::beta: {
      // Bisection on the CDF: 60 halvings reach double precision on [0, 1].
      double low = 0.0;
      double high = 1.0;
      for (int i = 0; i < 60; ++i) {
        const double mid = 0.5 * (low + high);
        (beta_cdf(a, b, mid) < p ? low : high) = mid;
      }
      return inside_open(lower + (upper - lower) * 0.5 * (low + high), lower, upper);
    }
    case Kind::lognormal: {
      const double log_low = lower > 0 ? std::log(lower) : -1e300;
      const double log_high = upper < 1e299 ? std::log(upper) : 1e300;
      return std::exp(truncated_normal_quantile(p, a, b, log_low, log_high));
    }
    case Kind::posterior: {
      // The weighted empirical quantile of this parameter's column.
      const auto column = static_cast<std::size_t>(a);
      const std::size_t width = sample->keys.size();
      std::vector<std::pair<double, double>> points;  // value, weight
      double previous = 0.0;
      for (std::size_t i = 0; i < sample->size(); ++i) {
        points.emplace_back(sample->values[i * width + column], sample->cumulative[i] - previous);
        previous = sample->cumulative[i];
      }
      std::sort(points.begin(), points.end());
      double total = 0.0;
      for (const auto& [value, weight] : points) {
        total += weight;
        if (total >= p * previous) return value;
      }
      return points.empty() ? a : points.back().first;
    }
  }
  return a;
}

double Uncertain::support_low() const {
  switch (kind) {
    case Kind::fixed:
    case Kind::uniform:
    case Kind::triangular:
      return a;
    case Kind::normal:
    case Kind::beta:
    case Kind::lognormal:
      return lower;
    case Kind::posterior:
      break;
  }
  return -1e300;
}

double Uncertain::support_high() const {
  switch (kind) {
    case Kind::fixed:
      return a;
    case Kind::uniform:
      return b;
    case Kind::triangular:
      return c;
    case Kind::normal:
    case Kind::beta:
    case Kind::lognormal:
      return upper;
    case Kind::posterior:
      break;
  }
  return 1e300;
}

double Uncertain::log_density(double x) const {
  if (!std::isfinite(x) || x < support_low() || x > support_high()) return -INFINITY;
  switch (kind) {
    case Kind::normal: {
      const double z = (x - a) / b;
      return -0.5 * z * z;
    }
    case Kind::uniform:
      return 0.0;
    case Kind::triangular: {
      const double density = x < b   ? 2 * (x - a) / ((c - a) * (b - a))
                             : x > b ? 2 * (c - x) / ((c - a) * (c - b))
                                     : 2 / (c - a);
      return density > 0 ? std::log(density) : -INFINITY;
    }
    case Kind::beta: {
      const double u = (x - lower) / (upper - lower);
      // The ends of the support count as outside it unless the density is finite there.
      if (u <= 0) return a == 1 ? (b - 1) * std::log1p(-u) : -INFINITY;
      if (u >= 1) return b == 1 ? (a - 1) * std::log(u) : -INFINITY;
      return (a - 1) * std::log(u) + (b - 1) * std::log1p(-u);
    }
    case Kind::lognormal: {
      if (x <= 0) return -INFINITY;
      const double z = (std::log(x) - a) / b;
      return -0.5 * z * z - std::log(x);
    }
    case Kind::fixed:
      return x == a ? 0.0 : -INFINITY;
    case Kind::posterior:
      break;
  }
  return -INFINITY;
}

const char* Uncertain::kind_name() const {
  static const char* names[] = {"fixed", "normal",    "uniform",  "triangular",
                                "beta",  "lognormal", "posterior"};
  return names[static_cast<int>(kind)];
}

std::size_t WeightedSample::particle_for(std::uint64_t seed, std::uint64_t replicate,
                                         RandomWordsRun* words) const {
  RngStream rng(seed, replicate, purpose("posterior"), words);
  const double u = rng.uniform();
  const auto found = std::upper_bound(cumulative.begin(), cumulative.end(), u);
  const auto index = static_cast<std::size_t>(found - cumulative.begin());
  return std::min(index, size() - 1);
}

void WeightedSample::finish() {
  double total = 0.0;
  for (double w : weights) {
    if (!(w >= 0.0) || !std::isfinite(w)) {
      throw std::invalid_argument("posterior weights must be finite and >= 0");
    }
    total += w;
  }
  if (!(total > 0.0)) throw std::invalid_argument("posterior weights sum to zero");
  cumulative.resize(weights.size());
  double running = 0.0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    running += weights[i];
    cumulative[i] = running / total;
  }
  if (!cumulative.empty()) cumulative.back() = 1.0;
}

double Uncertain::central() const {
  switch (kind) {
    case Kind::fixed:
      return a;
    case Kind::normal:
      return std::clamp(a, lower, upper);
    case Kind::uniform:
      return 0.5 * (a + b);
    case Kind::triangular:
      return (a + b + c) / 3.0;
    case Kind::beta:
      return lower + (upper - lower) * a / (a + b);
    case Kind::lognormal:
      return std::clamp(std::exp(a + 0.5 * b * b), lower, upper);
    case Kind::posterior: {
      const auto column = static_cast<std::size_t>(a);
      double mean = 0.0;
      double previous = 0.0;
      for (std::size_t i = 0; i < sample->size(); ++i) {
        mean +=
            (sample->cumulative[i] - previous) * sample->values[i * sample->keys.size() + column];
        previous = sample->cumulative[i];
      }
      return mean;
    }
  }
  return a;
}

namespace config {

namespace {
const std::vector<std::string> kDistributions = {"normal", "uniform", "triangular", "beta",
                                                 "lognormal"};

void require_within(Table& dist, std::string_view key, double value, Range range,
                    const std::string& why) {
  if (!range.contains(value)) {
    dist.fail(key, why, fmt::format("{}", value), range.describe());
  }
}
}  // namespace

namespace {
/// The posterior's answer for `key` of `table`, if the model build has a posterior naming it.
std::optional<Uncertain> from_posterior(Table& table, std::string_view key, Range range) {
  const std::shared_ptr<PosteriorBinding>& binding = table.origin().posterior;
  if (!binding) return std::nullopt;
  std::string dotted = table.dotted(key);
  const std::string prefix = "model.";
  if (dotted.rfind(prefix, 0) != 0) return std::nullopt;
  dotted = dotted.substr(prefix.size());
  const WeightedSample& sample = *binding->sample;
  const auto found = std::find(sample.keys.begin(), sample.keys.end(), dotted);
  if (found == sample.keys.end()) return std::nullopt;
  const auto column = static_cast<std::size_t>(found - sample.keys.begin());
  binding->used[column] = 1;
  if (std::find(binding->scenario_set.begin(), binding->scenario_set.end(), dotted) !=
      binding->scenario_set.end()) {
    return std::nullopt;
  }
  // A number with no place in any file was set by a sweep's design point or a calibration
  // particle: it wins. Any written value (a prior, a constant) is replaced by the posterior.
  const toml::node* written = table.node(key);
  if (written != nullptr && (written->is_integer() || written->is_floating_point()) &&
      table.position(key).line == 0) {
    return std::nullopt;
  }
  for (std::size_t i = 0; i < sample.size(); ++i) {
    const double value = sample.values[i * sample.keys.size() + column];
    if (!range.contains(value)) {
      throw ConfigError(fmt::format(
          "{}: posterior of '{}' holds {} (particle {}), outside the model's range (expected {})",
          sample.file, dotted, value, i, range.describe()));
    }
  }
  Uncertain result;
  result.kind = Uncertain::Kind::posterior;
  result.a = static_cast<double>(column);
  result.sample = binding->sample;
  // Logged like any drawn parameter, so --store-draws and `natosim params` show it.
  if (table.log() != nullptr)
    table.log()->add_uncertain(table.dotted(key), result, range.describe());
  return result;
}
}  // namespace

Uncertain uncertain(Table& table, std::string_view key, Range range) {
  // A written value the posterior replaces is still checked: a bad prior is a mistake either way.
  const std::optional<Uncertain> posterior = from_posterior(table, key, range);
  if (posterior && !table.has(key)) return *posterior;
  const toml::node* node = table.node(key);
  if (node == nullptr) table.fail(key, "missing required key", "nothing", range.describe());
  if (!node->is_table()) {
    Uncertain fixed = Uncertain::fixed_at(table.number(key, range));
    return posterior ? *posterior : fixed;
  }
  Table dist = table.table(key);
  Uncertain result;
  result.stream = purpose("param:" + table.dotted(key));
  const std::string name = dist.choice("dist", kDistributions);
  // The values a uniform or triangular may take: the parameter's range, open ends kept (a draw
  // can land exactly on low or high).
  Range bounded = range;
  bounded.low = std::max(range.low, -1e299);
  bounded.high = std::min(range.high, 1e299);
  const auto text = [](double value) { return fmt::format("{}", value); };
  if (name == "normal" || name == "lognormal") {
    const bool normal = name == "normal";
    result.kind = normal ? Uncertain::Kind::normal : Uncertain::Kind::lognormal;
    result.a = dist.number(normal ? "mean" : "mu");
    result.b = dist.number(normal ? "sd" : "sigma", Range::positive());
    result.lower = dist.number_or("lower", normal ? -1e300 : 0.0, Range::any());
    result.upper = dist.number_or("upper", 1e300, Range::any());
    if (result.lower >= result.upper) {
      dist.fail("upper", "truncation bounds are empty", text(result.upper),
                fmt::format("a number > lower = {}", result.lower));
    }
    // A draw can land on a truncation bound (draws are clamped onto it), except a lognormal's
    // lower bound 0, which exp() never reaches. An open end of the range excludes its bound.
    const bool lower_reachable = normal || result.lower > 0.0;
    if (range.low > -1e299 && (result.lower < range.low ||
                               (range.open_low && lower_reachable && result.lower == range.low))) {
      dist.fail("lower", "distribution can fall below the parameter's range",
                result.lower < -1e299 ? "no lower bound" : text(result.lower),
                fmt::format("lower {} {} (add a truncation bound)",
                            range.open_low && lower_reachable ? ">" : ">=", range.low));
    }
    if (range.high < 1e299 &&
        (result.upper > range.high || (range.open_high && result.upper == range.high))) {
      dist.fail("upper", "distribution can rise above the parameter's range",
                result.upper > 1e299 ? "no upper bound" : text(result.upper),
                fmt::format("upper {} {} (add a truncation bound)",
                            range.open_high ? "<" : "<=", range.high));
    }
    // In log space for a lognormal: its truncation is on log(x).
    const double centre = result.a;
    const double low =
        normal ? result.lower : (result.lower > 0.0 ? std::log(result.lower) : -INFINITY);
    const double high =
        normal ? result.upper : (result.upper < 1e299 ? std::log(result.upper) : INFINITY);
    if (low > centre + 8 * result.b || high < centre - 8 * result.b) {
      dist.fail("lower",
                normal ? "truncation interval lies more than 8 sd from the mean"
                       : "truncation interval lies more than 8 sigma from mu (in log space)",
                fmt::format("[{}, {}]", result.lower, result.upper),
                normal ? fmt::format("an interval near {}", centre)
                       : fmt::format("an interval near exp(mu) = {}", std::exp(centre)));
    }
    // exp() of the log-space draws must stay a positive finite number.
    if (!normal && (std::max(low, centre - 9 * result.b) < -700.0 ||
                    std::min(high, centre + 9 * result.b) > 700.0)) {
      dist.fail("sigma", "numerically degenerate: draws would underflow to 0 or overflow",
                fmt::format("mu = {}, sigma = {}", result.a, result.b),
                "mu +- 9 sigma within [-700, 700], or truncation bounds that keep it there");
    }
  } else if (name == "uniform") {
    result.kind = Uncertain::Kind::uniform;
    result.a = dist.number("low", bounded);
    result.b = dist.number("high", bounded);
    if (!(result.b > result.a)) {
      dist.fail(
          "high", "empty interval", text(result.b),
          fmt::format("a number > low = {} (a fixed value is written as a number)", result.a));
    }
  } else if (name == "triangular") {
    result.kind = Uncertain::Kind::triangular;
    result.a = dist.number("low", bounded);
    result.b = dist.number("mode", bounded);
    result.c = dist.number("high", bounded);
    if (!(result.a <= result.b && result.b <= result.c && result.a < result.c)) {
      dist.fail("mode", "need low <= mode <= high with low < high",
                fmt::format("low={}, mode={}, high={}", result.a, result.b, result.c),
                "ordered values");
    }
  } else {
    result.kind = Uncertain::Kind::beta;
    for (const char* shape : {"alpha", "beta"}) {
      const double value = dist.number(shape, Range::positive());
      // Below 1e-3 nearly every draw rounds onto an end of the support (the mass within 1e-16
      // of an end is about 1 - 1e-16^shape): a two-point distribution in disguise. Above 1e9
      // the gamma sampler's acceptance test loses its precision.
      if (value < 1e-3) {
        dist.fail(shape,
                  "numerically degenerate: nearly every draw would round onto an end of the "
                  "support",
                  text(value), "a shape >= 0.001");
      }
      if (value > 1e9) {
        dist.fail(shape, "numerically degenerate: too narrow for the sampler", text(value),
                  "a shape <= 1e9 (a fixed value is written as a number)");
      }
      (shape[0] == 'a' ? result.a : result.b) = value;
    }
    // The beta's support (lower, upper) is open (draws never land on an end), so its ends may
    // be the range's open ends.
    const Range closed = Range::between(bounded.low, bounded.high);
    result.lower = dist.number_or("lower", 0.0, closed);
    result.upper = dist.number_or("upper", 1.0, closed);
    if (result.upper <= result.lower) {
      dist.fail("upper", "empty support", text(result.upper),
                fmt::format("a number > lower = {}", result.lower));
    }
    require_within(dist, "lower", result.lower, closed, "support outside the parameter's range");
    require_within(dist, "upper", result.upper, closed, "support outside the parameter's range");
  }
  dist.finish();
  if (posterior) return *posterior;
  if (table.log() != nullptr)
    table.log()->add_uncertain(table.dotted(key), result, range.describe());
  return result;
}

Uncertain uncertain_or(Table& table, std::string_view key, double fallback, Range range) {
  if (!table.has(key)) {
    if (auto posterior = from_posterior(table, key, range)) return *posterior;
    table.node(key);
    return Uncertain::fixed_at(fallback);
  }
  return uncertain(table, key, range);
}

}  // namespace config
}  // namespace sim
