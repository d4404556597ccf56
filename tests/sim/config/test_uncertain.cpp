#include <catch2/catch.hpp>

#include <cmath>

#include "sim/config/uncertain.h"
#include "sim/core/rng.h"

namespace {

sim::Uncertain parse(const std::string& value, sim::config::Range range) {
  static std::vector<toml::table> keep;  // Tables must outlive the parsed view.
  keep.push_back(sim::config::parse_text("x = " + value, "t.toml"));
  auto origin = std::make_shared<const sim::config::Origin>(sim::config::Origin{"t.toml", "."});
  sim::config::Table table(keep.back(), "p", origin);
  sim::Uncertain result = sim::config::uncertain(table, "x", range);
  table.finish();
  return result;
}

struct Sample {
  double mean = 0.0;
  double variance = 0.0;
  double min = 1e300;
  double max = -1e300;
};

Sample sample(const sim::Uncertain& u, int n) {
  Sample s;
  double sum = 0.0;
  double sum_sq = 0.0;
  for (int r = 0; r < n; ++r) {
    const double x = u.draw(11, static_cast<std::uint64_t>(r));
    sum += x;
    sum_sq += x * x;
    s.min = std::min(s.min, x);
    s.max = std::max(s.max, x);
  }
  s.mean = sum / n;
  s.variance = sum_sq / n - s.mean * s.mean;
  return s;
}

}  // namespace

TEST_CASE("A plain number is a fixed parameter", "[unit][uncertain]") {
  sim::Uncertain u = parse("0.25", sim::config::Range::unit());
  CHECK(u.is_fixed());
  CHECK(u.draw(1, 0) == 0.25);
  CHECK(u.draw(1, 99) == 0.25);
}

TEST_CASE("The normal quantile inverts the normal CDF", "[unit][uncertain]") {
  for (double p : {1e-10, 0.001, 0.02425, 0.1, 0.5, 0.8, 0.97575, 0.999999}) {
    CHECK(sim::normal_cdf(sim::normal_quantile(p)) == Approx(p).epsilon(1e-10));
  }
  CHECK(sim::normal_quantile(0.975) == Approx(1.959963984540054).epsilon(1e-12));
}

TEST_CASE("Each distribution draws with its stated moments and support",
          "[statistical][uncertain]") {
  const int n = 20000;
  // Tolerances: 4 standard errors of the sample mean.
  SECTION("normal") {
    Sample s = sample(parse("{dist = \"normal\", mean = 2, sd = 0.5}", {}), n);
    CHECK(std::abs(s.mean - 2.0) < 4 * 0.5 / std::sqrt(n));
    CHECK(s.variance == Approx(0.25).epsilon(0.05));
  }
  SECTION("truncated normal stays inside its bounds") {
    Sample s = sample(parse("{dist = \"normal\", mean = 0, sd = 1, lower = 0, upper = 1}",
                            sim::config::Range::unit()),
                      n);
    CHECK(s.min >= 0.0);
    CHECK(s.max <= 1.0);
    // Mean of N(0,1) truncated to [0,1]: (phi(0) - phi(1)) / (Phi(1) - Phi(0)) = 0.4599.
    CHECK(std::abs(s.mean - 0.45986) < 4 * 0.2831 / std::sqrt(n));
  }
  SECTION("uniform") {
    Sample s = sample(parse("{dist = \"uniform\", low = 1, high = 3}", {}), n);
    CHECK(s.min >= 1.0);
    CHECK(s.max < 3.0);
    CHECK(std::abs(s.mean - 2.0) < 4 * std::sqrt(4.0 / 12.0 / n));
  }
  SECTION("triangular") {
    Sample s = sample(parse("{dist = \"triangular\", low = 0, mode = 1, high = 4}", {}), n);
    // Mean (0+1+4)/3, variance (a^2+b^2+c^2-ab-ac-bc)/18 = 13/18.
    CHECK(std::abs(s.mean - 5.0 / 3.0) < 4 * std::sqrt(13.0 / 18.0 / n));
    CHECK(s.variance == Approx(13.0 / 18.0).epsilon(0.05));
  }
  SECTION("beta on a scaled support") {
    Sample s = sample(parse("{dist = \"beta\", alpha = 2, beta = 6, lower = 0, upper = 0.5}",
                            sim::config::Range::unit()),
                      n);
    // Mean 0.5 * 2/8; sd of Beta(2,6) = sqrt(12/(64*9)) = 0.1443, scaled by 0.5.
    CHECK(std::abs(s.mean - 0.125) < 4 * 0.0722 / std::sqrt(n));
    CHECK(s.max <= 0.5);
  }
  SECTION("lognormal") {
    Sample s = sample(
        parse("{dist = \"lognormal\", mu = 0, sigma = 0.25}", sim::config::Range::positive()), n);
    const double mean = std::exp(0.25 * 0.25 / 2);
    const double sd = mean * std::sqrt(std::exp(0.0625) - 1);
    CHECK(std::abs(s.mean - mean) < 4 * sd / std::sqrt(n));
    CHECK(s.min > 0.0);
  }
}

TEST_CASE("A parameter's draws depend on its name, not on other parameters", "[unit][uncertain]") {
  sim::Uncertain a = parse("{dist = \"uniform\", low = 0, high = 1}", {});
  sim::Uncertain b = parse("{dist = \"uniform\", low = 0, high = 1}", {});
  // Same dotted key (p.x) -> same stream -> same draws: adding other parameters shifts nothing.
  for (std::uint64_t r = 0; r < 10; ++r) CHECK(a.draw(5, r) == b.draw(5, r));
  CHECK(a.draw(5, 0) != a.draw(5, 1));
  CHECK(a.draw(5, 0) != a.draw(6, 0));
}

TEST_CASE("Each distribution's quantile inverts its CDF", "[unit][uncertain]") {
  const sim::Uncertain uniform =
      parse("{dist = \"uniform\", low = 2, high = 6}", sim::config::Range::any());
  CHECK(uniform.quantile(0.25) == Approx(3.0));
  const sim::Uncertain normal =
      parse("{dist = \"normal\", mean = 1, sd = 2}", sim::config::Range::any());
  CHECK(normal.quantile(0.975) == Approx(1 + 2 * 1.959963984540054));
  // Truncated at the mean: the median of the upper half is the 75 % point of the full normal.
  const sim::Uncertain half =
      parse("{dist = \"normal\", mean = 0, sd = 1, lower = 0}", sim::config::Range::any());
  CHECK(half.quantile(0.5) == Approx(sim::normal_quantile(0.75)));
  const sim::Uncertain triangle =
      parse("{dist = \"triangular\", low = 0, mode = 0, high = 1}", sim::config::Range::any());
  CHECK(triangle.quantile(0.75) == Approx(0.5));  // F(x) = 1 - (1 - x)^2
  // Beta(2, 1) has F(x) = x^2 on its support [1, 3]: quantile 1 + 2 sqrt(p).
  const sim::Uncertain beta = parse("{dist = \"beta\", alpha = 2, beta = 1, lower = 1, upper = 3}",
                                    sim::config::Range::any());
  CHECK(beta.quantile(0.36) == Approx(1 + 2 * 0.6).epsilon(1e-9));
  const sim::Uncertain logn =
      parse("{dist = \"lognormal\", mu = 0.5, sigma = 0.3}", sim::config::Range::positive());
  CHECK(logn.quantile(0.5) == Approx(std::exp(0.5)));
  CHECK(sim::Uncertain::fixed_at(4.0).quantile(0.1) == 4.0);
}

TEST_CASE("Prior densities and supports of every distribution", "[unit][uncertain]") {
  const sim::Uncertain normal =
      parse("{dist = \"normal\", mean = 1, sd = 2, lower = -3}", sim::config::Range::any());
  CHECK(normal.support_low() == -3.0);
  CHECK(normal.support_high() == 1e300);
  CHECK(normal.log_density(1.0) == 0.0);
  CHECK(normal.log_density(3.0) == -0.5);  // one sd above the mean
  CHECK(normal.log_density(-3.5) == -INFINITY);
  const sim::Uncertain uniform =
      parse("{dist = \"uniform\", low = 2, high = 4}", sim::config::Range::any());
  CHECK(uniform.log_density(3.0) == 0.0);
  CHECK(uniform.log_density(4.5) == -INFINITY);
  const sim::Uncertain triangular =
      parse("{dist = \"triangular\", low = 0, mode = 1, high = 3}", sim::config::Range::any());
  CHECK(std::exp(triangular.log_density(1.0)) == Approx(2.0 / 3.0));
  CHECK(std::exp(triangular.log_density(0.5)) == Approx(1.0 / 3.0));
  CHECK(std::exp(triangular.log_density(2.0)) == Approx(1.0 / 3.0));
  const sim::Uncertain beta = parse("{dist = \"beta\", alpha = 2, beta = 3, lower = 0, upper = 2}",
                                    sim::config::Range::any());
  // (u^(a-1) (1-u)^(b-1)) at u = 0.25: 0.25 x 0.75^2.
  CHECK(beta.log_density(0.5) == Approx(std::log(0.25 * 0.75 * 0.75)));
  CHECK(beta.log_density(0.0) == -INFINITY);
  const sim::Uncertain lognormal =
      parse("{dist = \"lognormal\", mu = 0, sigma = 1}", sim::config::Range::any());
  CHECK(lognormal.log_density(1.0) == 0.0);
  CHECK(lognormal.log_density(std::exp(1.0)) == Approx(-0.5 - 1.0));
}

TEST_CASE("draw is sample_from on the parameter's own stream", "[unit][uncertain]") {
  const sim::Uncertain u =
      parse("{dist = \"beta\", alpha = 2, beta = 5}", sim::config::Range::unit());
  for (std::uint64_t r = 0; r < 20; ++r) {
    sim::RngStream rng(5, r, u.stream);
    CHECK(u.draw(5, r) == u.sample_from(rng));
  }
}

TEST_CASE("A posterior parameter takes the whole particle chosen by weight",
          "[statistical][uncertain]") {
  auto sample = std::make_shared<sim::WeightedSample>();
  sample->keys = {"a", "b"};
  sample->values = {1, 10, 2, 20, 3, 30};
  sample->weights = {0.5, 0.3, 0.2};
  sample->finish();
  sim::Uncertain a;
  a.kind = sim::Uncertain::Kind::posterior;
  a.sample = sample;
  sim::Uncertain b = a;
  b.a = 1;
  CHECK(a.central() == Approx(1 * 0.5 + 2 * 0.3 + 3 * 0.2));
  const int n = 20000;
  int counts[3] = {0, 0, 0};
  for (int r = 0; r < n; ++r) {
    const double x = a.draw(3, static_cast<std::uint64_t>(r));
    CHECK(b.draw(3, static_cast<std::uint64_t>(r)) == 10 * x);  // the same particle
    ++counts[static_cast<int>(x) - 1];
  }
  // Binomial counts: 4 standard errors (sqrt(n p (1-p)) <= 71) is far beyond chance.
  CHECK(std::abs(counts[0] - 0.5 * n) < 4 * 71);
  CHECK(std::abs(counts[1] - 0.3 * n) < 4 * 65);
  CHECK(std::abs(counts[2] - 0.2 * n) < 4 * 57);
}

namespace {
std::string refusal(const std::string& value, sim::config::Range range) {
  try {
    parse(value, range);
  } catch (const sim::ConfigError& error) {
    return error.what();
  }
  return "accepted";
}
}  // namespace

TEST_CASE("A distribution's support must honour the open ends of the parameter's range",
          "[unit][uncertain]") {
  const sim::config::Range open{0.0, 1.0, true, true};
  CHECK(refusal(R"({dist = "uniform", low = 0, high = 0})", open) ==
        "t.toml:1:30: p.x.low: out of range, got 0 (expected a number in (0, 1))");
  CHECK(refusal(R"({dist = "uniform", low = 0.2, high = 0.2})", open) ==
        "t.toml:1:42: p.x.high: empty interval, got 0.2 (expected a number > low = 0.2 (a fixed "
        "value is written as a number))");
  CHECK(refusal(R"({dist = "triangular", low = 0.1, mode = 0.5, high = 1})", open) ==
        "t.toml:1:57: p.x.high: out of range, got 1 (expected a number in (0, 1))");
  CHECK(refusal(R"({dist = "normal", mean = 0.5, sd = 0.1, lower = 0, upper = 0.9})", open) ==
        "t.toml:1:53: p.x.lower: distribution can fall below the parameter's range, got 0 "
        "(expected lower > 0 (add a truncation bound))");
  // A closed end still accepts its bound; a beta's open support may reach an open end.
  CHECK(refusal(R"({dist = "normal", mean = 0.5, sd = 0.1, lower = 0, upper = 1})",
                sim::config::Range::unit()) == "accepted");
  CHECK(refusal(R"({dist = "beta", alpha = 2, beta = 2})", open) == "accepted");
  CHECK(refusal(R"({dist = "lognormal", mu = -2, sigma = 0.5, upper = 0.9})", open) == "accepted");
}

TEST_CASE("A U-shaped beta prior draws inside its open support, and degenerate shapes are refused",
          "[unit][uncertain]") {
  const sim::config::Range open{0.0, 1.0, true, true};
  const sim::Uncertain u = parse(R"({dist = "beta", alpha = 1e-3, beta = 1e-3})", open);
  int low = 0;
  for (std::uint64_t r = 0; r < 2000; ++r) {
    const double x = u.draw(5, r);
    REQUIRE(std::isfinite(x));
    REQUIRE(x > 0.0);
    REQUIRE(x < 1.0);
    low += x < 0.5 ? 1 : 0;
  }
  // Symmetric: half the draws near each end; 2000 draws give sd 22, so 5 sd is 110.
  CHECK(std::abs(low - 1000) < 110);
  CHECK(refusal(R"({dist = "beta", alpha = 1e-300, beta = 1e-300})", open) ==
        "t.toml:1:29: p.x.alpha: numerically degenerate: nearly every draw would round onto an "
        "end of the support, got 1e-300 (expected a shape >= 0.001)");
  CHECK(refusal(R"({dist = "beta", alpha = 2, beta = 1e12})", open) ==
        "t.toml:1:39: p.x.beta: numerically degenerate: too narrow for the sampler, got "
        "1000000000000 (expected a shape <= 1e9 (a fixed value is written as a number))");
}

TEST_CASE("A lognormal truncated far from its centre or out of double range is refused",
          "[unit][uncertain]") {
  CHECK(refusal(R"({dist = "lognormal", mu = 0, sigma = 0.01, lower = 2.5, upper = 3})",
                sim::config::Range::positive()) ==
        "t.toml:1:56: p.x.lower: truncation interval lies more than 8 sigma from mu (in log "
        "space), got [2.5, 3] (expected an interval near exp(mu) = 1)");
  CHECK(refusal(R"({dist = "lognormal", mu = 800, sigma = 1})", sim::config::Range::positive()) ==
        "t.toml:1:44: p.x.sigma: numerically degenerate: draws would underflow to 0 or overflow, "
        "got mu = 800, sigma = 1 (expected mu +- 9 sigma within [-700, 700], or truncation "
        "bounds that keep it there)");
}
