#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

#include "sim/config/sweep.h"
#include "sim/engine/runner.h"
#include "tests/toy/toy_models.h"

namespace {

sim::ModelRegistry toy_registry() {
  sim::ModelRegistry registry;
  toy::register_toy_models(registry);
  return registry;
}

const std::string kSweepStudy = R"([study]
model = "random_walk"
seed = 5
replicates = 70
years = 3

[model]
members = 2
drift = 0.1
volatility = 1.0

[[scenario]]
name = "base"

[sweep]
design = "grid"
[[sweep.parameter]]
key = "drift"
values = [0.0, 0.1, 0.2]
[[sweep.parameter]]
key = "volatility"
values = [0.5, 1.0]
)";

}  // namespace

TEST_CASE("A grid design holds every combination once, first parameter slowest", "[unit][sweep]") {
  const sim::ModelRegistry registry = toy_registry();
  const sim::StudySpec study = sim::read_study_text(kSweepStudy, "s.toml", ".", registry);
  const sim::SweepSpec sweep = sim::read_sweep(study);
  REQUIRE(sweep.points.size() == 6);
  const std::vector<std::vector<double>> expected = {{0.0, 0.5}, {0.0, 1.0}, {0.1, 0.5},
                                                     {0.1, 1.0}, {0.2, 0.5}, {0.2, 1.0}};
  CHECK(sweep.points == expected);
}

TEST_CASE("A Latin hypercube puts exactly one point in each stratum of each parameter",
          "[unit][sweep]") {
  std::vector<sim::SweepParameter> parameters = {
      {"a", {}, 0.0, 1.0, {}}, {"b", {}, 1.5, 5.0, {}}, {"c", {}, -2.0, 2.0, {}}};
  for (std::int64_t size : {1, 7, 50}) {
    const auto points = sim::latin_hypercube(parameters, size, 11);
    REQUIRE(points.size() == static_cast<std::size_t>(size));
    for (std::size_t p = 0; p < parameters.size(); ++p) {
      std::set<std::int64_t> strata;
      const double width = (parameters[p].high - parameters[p].low) / static_cast<double>(size);
      for (const auto& point : points) {
        const double value = point[p];
        CHECK(value >= parameters[p].low);
        CHECK(value < parameters[p].high);
        strata.insert(static_cast<std::int64_t>(std::floor((value - parameters[p].low) / width)));
      }
      CHECK(strata.size() == static_cast<std::size_t>(size));
    }
  }
  CHECK(sim::latin_hypercube(parameters, 9, 3) == sim::latin_hypercube(parameters, 9, 3));
  CHECK(sim::latin_hypercube(parameters, 9, 3) != sim::latin_hypercube(parameters, 9, 4));
}

TEST_CASE("A design point equal to the base config reproduces the base run bit for bit",
          "[determinism][sweep]") {
  const sim::ModelRegistry registry = toy_registry();
  const sim::StudySpec study = sim::read_study_text(kSweepStudy, "s.toml", ".", registry);
  const sim::SweepSpec sweep = sim::read_sweep(study);
  auto points = sim::build_design_points(study, sweep, registry);
  auto base = sim::build_scenarios(study, registry);
  sim::RunOptions options;
  options.seed = study.seed;
  options.replicates = study.replicates;
  options.years = study.years;
  options.trajectories = true;
  // Design point 3 is (drift 0.1, volatility 1.0): the base config.
  CHECK(points[3].spec.description == "drift = 0.1, volatility = 1");
  const sim::Results from_sweep = sim::run_study({{"dp", "", points[3].model.get()}}, options);
  const sim::Results from_base = sim::run_study({{"base", "", base[0].model.get()}}, options);
  for (std::size_t v = 0; v < from_base.summaries.size(); ++v) {
    const auto& a = from_sweep.trajectories[v];
    const auto& b = from_base.trajectories[v];
    REQUIRE(a.size() == b.size());
    CHECK(std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
  }
}

TEST_CASE("Bad sweeps are reported with their position", "[unit][sweep]") {
  const sim::ModelRegistry registry = toy_registry();
  auto problem = [&](const std::string& text) -> std::string {
    try {
      const sim::StudySpec study = sim::read_study_text(text, "s.toml", ".", registry);
      const sim::SweepSpec sweep = sim::read_sweep(study);
      sim::build_design_points(study, sweep, registry);
    } catch (const sim::ConfigError& error) {
      return error.what();
    }
    return "";
  };
  std::string text = kSweepStudy;
  text.replace(text.find("design = \"grid\""), 15, "design = \"random\"");
  CHECK(problem(text) ==
        "s.toml:16:10: sweep.design: unknown value, got \"random\" (expected one of \"grid\", "
        "\"latin_hypercube\", \"points\")");
  text = kSweepStudy;
  text.replace(text.find("values = [0.5, 1.0]"), 19, "values = [0.5, -1.0]");
  CHECK(problem(text) ==
        "s.toml:22:10: model.volatility: out of range (set by sweep design point dp0001), got -1 "
        "(expected a number > 0)");
  text = kSweepStudy;
  text.replace(text.find("key = \"volatility\""), 18, "key = \"drift\"");
  CHECK(problem(text) ==
        "s.toml:21:7: sweep.parameter[1].key: parameter swept twice, got \"drift\" (expected each "
        "key once)");
}

TEST_CASE("Design points can come from a CSV whose header names the keys", "[unit][sweep]") {
  const std::filesystem::path folder = std::filesystem::temp_directory_path() / "natosim_points";
  std::filesystem::create_directories(folder);
  std::ofstream(folder / "points.csv") << "# drift and volatility to try\n"
                                          "drift, volatility\n"
                                          "0.0, 0.5\n"
                                          "0.25,1.5\n";
  std::string text = kSweepStudy.substr(0, kSweepStudy.find("[sweep]"));
  text += "[sweep]\ndesign = \"points\"\nfile = \"points.csv\"\n";
  const sim::ModelRegistry registry = toy_registry();
  const sim::StudySpec study = sim::read_study_text(text, "s.toml", folder, registry);
  const sim::SweepSpec sweep = sim::read_sweep(study);
  REQUIRE(sweep.parameters.size() == 2);
  CHECK(sweep.parameters[1].key == "volatility");
  const std::vector<std::vector<double>> expected = {{0.0, 0.5}, {0.25, 1.5}};
  CHECK(sweep.points == expected);
  CHECK(sim::build_design_points(study, sweep, registry).size() == 2);

  std::ofstream(folder / "points.csv") << "drift,volatility\n0.1,abc\n";
  try {
    sim::read_sweep(study);
    FAIL("no error");
  } catch (const sim::ConfigError& error) {
    CHECK(std::string(error.what()) == (folder / "points.csv").string() +
                                           ":2: volatility: not a number, got \"abc\" (expected "
                                           "a finite number)");
  }
  std::filesystem::remove_all(folder);
}
