#include <catch2/catch.hpp>

#include <cmath>

#include "sim/analysis/abc_smc.h"
#include "sim/app/calibrate.h"
#include "sim/config/calibration.h"
#include "tests/toy/toy_models.h"

namespace {

// The toy gauss model records x = mean + z each year (z standard normal); the target is the
// mean of x over 10 years: a normal with variance 1/10 around `mean`. With one replicate per
// particle and no common random numbers this is the textbook conjugate model.
const std::string kStudy = R"([study]
model = "gauss"
seed = 21
start_year = 2020
years = 10

[model]
sd = 1.0

[calibration]
population = 1500
replicates = 1
common_random_numbers = false
max_generations = 8
min_acceptance = 0.01

[[calibration.parameter]]
key = "mean"
prior = {dist = "normal", mean = 0.0, sd = 2.0, lower = -40, upper = 40}

[[calibration.target]]
variable = "x"
years = [2020, 2029]
value = 0.8
)";

}  // namespace

TEST_CASE("natosim calibrate's simulator recovers the conjugate posterior of the toy model",
          "[statistical][abc][calibration]") {
  const sim::ModelRegistry registry = toy::toy_registry();
  const sim::StudySpec study = sim::read_study_text(kStudy, "cal.toml", ".", registry);
  sim::CalibrationSpec spec = sim::read_calibration(study, registry);
  REQUIRE(spec.targets.size() == 1);
  CHECK(spec.targets[0].output.label == "x@2020-2029:mean");
  const toml::table base = sim::merged_model_table(study, spec.scenario_index);
  sim::analysis::AbcProblem problem;
  problem.priors = {spec.parameters[0].prior};
  problem.summaries = 1;
  problem.simulate = sim::app::calibration_simulator(study, spec, base, registry, 2);
  std::vector<sim::analysis::AbcGeneration> generations;
  sim::analysis::run_abc_smc(problem, spec.abc, generations, nullptr);
  REQUIRE(generations.size() == 8);

  // Exact posterior: prior N(0, 4), one observation 0.8 of N(mean, 1/10).
  const double exact_variance = 1.0 / (1.0 / 4.0 + 10.0);
  const double exact_mean = exact_variance * 10.0 * 0.8;
  const sim::analysis::AbcGeneration& last = generations.back();
  double mean = 0.0;
  for (std::size_t i = 0; i < last.weights.size(); ++i) mean += last.weights[i] * last.particles[i];
  double variance = 0.0;
  for (std::size_t i = 0; i < last.weights.size(); ++i) {
    variance += last.weights[i] * (last.particles[i] - mean) * (last.particles[i] - mean);
  }
  INFO("tolerance " << last.tolerance << ", ESS " << last.ess << ", mean " << mean << " (exact "
                    << exact_mean << "), variance " << variance << " (exact " << exact_variance
                    << ")");
  // 4 standard errors from the effective sample size, plus the acceptance window's variance
  // (about tolerance^2 / 3).
  CHECK(std::abs(mean - exact_mean) < 4 * std::sqrt(exact_variance / last.ess));
  CHECK(std::abs(variance - exact_variance) <
        4 * exact_variance * std::sqrt(2.0 / last.ess) + last.tolerance * last.tolerance / 3);
  CHECK(last.tolerance < 0.05);
}

TEST_CASE("Calibration results do not depend on how many models are built at once",
          "[unit][abc][calibration]") {
  // A batch is built and run a part at a time (peak memory): each particle's summaries must
  // still come from its own values and slot, with or without common random numbers.
  const sim::ModelRegistry registry = toy::toy_registry();
  const sim::StudySpec study = sim::read_study_text(kStudy, "cal.toml", ".", registry);
  sim::CalibrationSpec spec = sim::read_calibration(study, registry);
  spec.replicates = 3;
  const toml::table base = sim::merged_model_table(study, spec.scenario_index);
  constexpr std::size_t kCount = 50;
  std::vector<double> points(kCount);
  for (std::size_t i = 0; i < kCount; ++i) points[i] = -2.0 + 0.1 * static_cast<double>(i);
  for (const bool common : {false, true}) {
    spec.common_random_numbers = common;
    std::vector<double> summaries_whole;
    std::vector<double> distances_whole;
    sim::app::calibration_simulator(study, spec, base, registry, 2, nullptr, 1000)(
        2, 17, points, kCount, summaries_whole, distances_whole);
    std::vector<double> summaries_parts;
    std::vector<double> distances_parts;
    sim::app::calibration_simulator(study, spec, base, registry, 2, nullptr, 7)(
        2, 17, points, kCount, summaries_parts, distances_parts);
    INFO("common random numbers: " << common);
    REQUIRE(summaries_whole.size() == kCount);
    CHECK(summaries_parts == summaries_whole);
    CHECK(distances_parts == distances_whole);
    for (double summary : summaries_whole) CHECK(std::isfinite(summary));
    // Without common random numbers each particle has replicates of its own: the summaries are
    // not the points shifted by one draw.
    if (!common) {
      CHECK(std::abs((summaries_whole[1] - summaries_whole[0]) -
                     (summaries_whole[2] - summaries_whole[1])) > 1e-6);
    }
  }
}
