#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>

#include "sim/analysis/abc_smc.h"
#include "sim/core/rng.h"

namespace {

namespace abc = sim::analysis;

/// Conjugate normal model: n observations with known sd sigma, summarised by their mean
/// (sufficient), so the simulated mean is mu + sigma / sqrt(n) * z. Noise is independent per
/// (generation, slot), as ABC's theory assumes.
struct NormalMean {
  double sigma = 1.0;
  int n = 10;
  double observed_mean = 0.8;
  std::uint64_t noise_seed = 99;

  abc::AbcProblem problem(double prior_mean, double prior_sd) const {
    abc::AbcProblem p;
    sim::Uncertain prior;
    prior.kind = sim::Uncertain::Kind::normal;
    prior.a = prior_mean;
    prior.b = prior_sd;
    p.priors = {prior};
    p.summaries = 1;
    p.simulate = [*this](std::size_t generation, std::int64_t first_slot,
                         std::span<const double> points, std::size_t count,
                         std::vector<double>& summaries, std::vector<double>& distances) {
      summaries.resize(count);
      distances.resize(count);
      for (std::size_t i = 0; i < count; ++i) {
        sim::RngStream rng(
            noise_seed, static_cast<std::uint64_t>(first_slot) + i,
            sim::sub_purpose(sim::purpose("test.noise"), static_cast<std::uint32_t>(generation)));
        summaries[i] = points[i] + sigma / std::sqrt(n) * rng.normal();
        distances[i] = std::abs(summaries[i] - observed_mean);
      }
    };
    return p;
  }
};

struct Moments {
  double mean = 0.0;
  double variance = 0.0;
};

Moments weighted_moments(const abc::AbcGeneration& g) {
  Moments m;
  for (std::size_t i = 0; i < g.weights.size(); ++i) m.mean += g.weights[i] * g.particles[i];
  for (std::size_t i = 0; i < g.weights.size(); ++i) {
    m.variance += g.weights[i] * (g.particles[i] - m.mean) * (g.particles[i] - m.mean);
  }
  return m;
}

bool same(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

}  // namespace

TEST_CASE("The distance is the weighted MAE or RMSE of scaled deviations", "[unit][abc]") {
  const std::vector<abc::AbcTarget> targets = {{1.0, 2.0, 1.0}, {10.0, 1.0, 3.0}};
  const std::vector<double> simulated = {3.0, 9.0};  // terms 1 and -1
  CHECK(abc::distance(abc::Distance::mae, targets, simulated) == 1.0);
  const std::vector<double> other = {5.0, 10.0};  // terms 2 and 0
  CHECK(abc::distance(abc::Distance::mae, targets, other) == 0.5);
  CHECK(abc::distance(abc::Distance::rmse, targets, other) == 1.0);
  const std::vector<double> missing = {NAN, 10.0};
  CHECK(std::isinf(abc::distance(abc::Distance::rmse, targets, missing)));
}

TEST_CASE("The weighted quantile is the smallest value reaching the cumulative weight",
          "[unit][abc]") {
  const std::vector<double> values = {4.0, 1.0, 3.0, 2.0};
  const std::vector<double> weights = {0.1, 0.2, 0.3, 0.4};
  CHECK(abc::weighted_quantile(values, weights, 0.5) == 2.0);   // 0.2, 0.6
  CHECK(abc::weighted_quantile(values, weights, 0.61) == 3.0);  // 0.9
  CHECK(abc::weighted_quantile(values, weights, 0.95) == 4.0);
}

TEST_CASE("ABC-SMC approaches the exact conjugate posterior as the tolerance shrinks",
          "[statistical][abc]") {
  const NormalMean model;
  const double prior_sd = 2.0;
  // Exact posterior of mu given the mean of n = 10 draws with sd 1 and a N(0, 2^2) prior.
  const double precision = 1.0 / (prior_sd * prior_sd) + model.n / (model.sigma * model.sigma);
  const double exact_variance = 1.0 / precision;
  const double exact_mean = exact_variance * model.n * model.observed_mean;
  abc::AbcSettings settings;
  settings.seed = 7;
  settings.population = 2000;
  settings.max_generations = 8;
  settings.min_acceptance = 0.01;
  std::vector<abc::AbcGeneration> generations;
  const abc::AbcStop stop =
      abc::run_abc_smc(model.problem(0.0, prior_sd), settings, generations, nullptr);
  CHECK(stop == abc::AbcStop::max_generations);
  REQUIRE(generations.size() == 8);
  for (std::size_t t = 2; t < generations.size(); ++t) {
    CHECK(generations[t].tolerance < generations[t - 1].tolerance);
  }
  // The ABC posterior is the exact one convolved with the acceptance window: its variance
  // exceeds the exact variance by about tolerance^2 / 3, which shrinks with the generations.
  const Moments early = weighted_moments(generations[2]);
  const Moments last = weighted_moments(generations.back());
  const double ess = generations.back().ess;
  CHECK(ess > 500);
  const double tolerance = generations.back().tolerance;
  INFO("tolerance " << tolerance << ", ESS " << ess << ", mean " << last.mean << " (exact "
                    << exact_mean << "), variance " << last.variance << " (exact " << exact_variance
                    << ")");
  CHECK(tolerance < 0.05);
  CHECK(std::abs(last.variance - exact_variance) < std::abs(early.variance - exact_variance));
  // Standard errors with the effective sample size: mean sd / sqrt(ESS), variance
  // var * sqrt(2 / ESS). Tolerance: 4 standard errors plus the window's variance bias.
  const double mean_se = std::sqrt(exact_variance / ess);
  CHECK(std::abs(last.mean - exact_mean) < 4 * mean_se);
  const double variance_se = exact_variance * std::sqrt(2.0 / ess);
  CHECK(std::abs(last.variance - exact_variance) < 4 * variance_se + tolerance * tolerance / 3);
}

TEST_CASE("ABC-SMC gives bit-identical generations for 1 and 2 threads and on resume",
          "[determinism][abc]") {
  const NormalMean model;
  abc::AbcSettings settings;
  settings.seed = 3;
  settings.population = 300;
  settings.max_generations = 5;
  settings.threads = 1;
  std::vector<abc::AbcGeneration> one;
  abc::run_abc_smc(model.problem(0.0, 2.0), settings, one, nullptr);
  settings.threads = 2;
  std::vector<abc::AbcGeneration> two;
  int observed = 0;
  abc::run_abc_smc(model.problem(0.0, 2.0), settings, two,
                   [&](const std::vector<abc::AbcGeneration>& so_far) {
                     CHECK(so_far.size() == static_cast<std::size_t>(++observed));
                   });
  CHECK(observed == 5);
  // Resume: three generations, then continue to five from what was kept.
  settings.max_generations = 3;
  std::vector<abc::AbcGeneration> resumed;
  abc::run_abc_smc(model.problem(0.0, 2.0), settings, resumed, nullptr);
  REQUIRE(resumed.size() == 3);
  settings.max_generations = 5;
  abc::run_abc_smc(model.problem(0.0, 2.0), settings, resumed, nullptr);
  REQUIRE(one.size() == 5);
  REQUIRE(two.size() == 5);
  REQUIRE(resumed.size() == 5);
  for (std::size_t t = 0; t < 5; ++t) {
    CHECK(same(one[t].particles, two[t].particles));
    CHECK(same(one[t].weights, two[t].weights));
    CHECK(same(one[t].distances, two[t].distances));
    CHECK(same(one[t].particles, resumed[t].particles));
    CHECK(same(one[t].weights, resumed[t].weights));
    CHECK(one[t].simulations == resumed[t].simulations);
  }
  // Generation 0 is the prior sample: equal weights, every particle accepted.
  CHECK(std::isinf(one[0].tolerance));
  CHECK(one[0].acceptance_rate == 1.0);
  CHECK(one[0].ess == Approx(300.0));
}

TEST_CASE("Particles outside the prior's support are never accepted", "[unit][abc]") {
  NormalMean model;
  model.observed_mean = 0.95;  // near the upper bound, so many perturbations leave the support
  abc::AbcProblem problem = model.problem(0.0, 1.0);
  problem.priors[0].kind = sim::Uncertain::Kind::uniform;
  problem.priors[0].a = 0.0;
  problem.priors[0].b = 1.0;
  abc::AbcSettings settings;
  settings.population = 200;
  settings.max_generations = 4;
  std::vector<abc::AbcGeneration> generations;
  abc::run_abc_smc(problem, settings, generations, nullptr);
  for (const abc::AbcGeneration& g : generations) {
    for (double x : g.particles) {
      CHECK(x >= 0.0);
      CHECK(x <= 1.0);
    }
  }
}

TEST_CASE("Stop rules: minimum tolerance, maximum simulations and minimum acceptance",
          "[unit][abc]") {
  const NormalMean model;
  abc::AbcSettings settings;
  settings.population = 100;
  settings.max_generations = 20;
  settings.min_tolerance = 0.1;
  std::vector<abc::AbcGeneration> generations;
  CHECK(abc::run_abc_smc(model.problem(0.0, 2.0), settings, generations, nullptr) ==
        abc::AbcStop::min_tolerance);
  CHECK(generations.back().tolerance <= 0.1);
  CHECK(generations[generations.size() - 2].tolerance > 0.1);

  settings.min_tolerance = 0.0;
  settings.max_simulations = 500;
  generations.clear();
  CHECK(abc::run_abc_smc(model.problem(0.0, 2.0), settings, generations, nullptr) ==
        abc::AbcStop::max_simulations);
  std::int64_t simulations = 0;
  for (const auto& g : generations) simulations += g.simulations;
  CHECK(simulations >= 500);
  CHECK(simulations - generations.back().simulations < 500);

  settings.max_simulations = 0;
  settings.min_acceptance = 0.3;
  generations.clear();
  CHECK(abc::run_abc_smc(model.problem(0.0, 2.0), settings, generations, nullptr) ==
        abc::AbcStop::min_acceptance);
  for (std::size_t t = 0; t + 1 < generations.size(); ++t) {
    CHECK(generations[t].acceptance_rate >= 0.3);
  }
}

TEST_CASE("Simulation-based calibration: the 90% interval covers the truth 80-97% of the time",
          "[statistical][abc]") {
  // Truth from the prior, data from the truth, calibrate with a small budget, repeat. The
  // count of covers is binomial(100, 0.9) when the posterior is calibrated: 80..97 is about
  // -3.3 / +2.3 standard errors (an ABC posterior with a finite tolerance is slightly wide, so
  // over-coverage is likelier than under-coverage).
  const int repetitions = 100;
  int covered = 0;
  sim::RngStream truth_rng(2024, 0, sim::purpose("test.sbc"));
  for (int repetition = 0; repetition < repetitions; ++repetition) {
    const double truth = 2.0 * truth_rng.normal();
    NormalMean model;
    model.observed_mean = truth + model.sigma / std::sqrt(model.n) * truth_rng.normal();
    model.noise_seed = 1000 + static_cast<std::uint64_t>(repetition);
    abc::AbcSettings settings;
    settings.seed = static_cast<std::uint64_t>(repetition);
    settings.population = 300;
    settings.max_generations = 6;
    std::vector<abc::AbcGeneration> generations;
    abc::run_abc_smc(model.problem(0.0, 2.0), settings, generations, nullptr);
    const abc::AbcGeneration& last = generations.back();
    const double low = abc::weighted_quantile(last.particles, last.weights, 0.05);
    const double high = abc::weighted_quantile(last.particles, last.weights, 0.95);
    if (low <= truth && truth <= high) ++covered;
  }
  INFO("covered " << covered << " of " << repetitions);
  CHECK(covered >= 80);
  CHECK(covered <= 97);
}
