#include <catch2/catch.hpp>

#include <array>
#include <atomic>
#include <cmath>
#include <cstring>

#include "sim/analysis/evaluate.h"
#include "sim/config/design_point.h"
#include "sim/config/study.h"
#include "sim/core/error.h"
#include "tests/toy/toy_models.h"

namespace {

const std::string kGaussStudy = R"([study]
model = "gauss"
seed = 11
start_year = 2030
years = 5

[model]
mean = 0.5
sd = 2.0
slope = 2.0
)";

const std::string kWalkStudy = R"([study]
model = "random_walk"
seed = 3
years = 4

[model]
members = 3
drift = {dist = "normal", mean = 0.0, sd = 0.5, lower = -10, upper = 10}
volatility = 0.7
)";

/// Reads one output spec from TOML text `{...}` given as `output = {...}`.
sim::analysis::OutputSpec output_from(const std::string& text, const sim::ModelSchema& schema,
                                      const sim::StudySettings& settings) {
  toml::table root = sim::config::parse_text(text, "o.toml");
  auto origin = std::make_shared<const sim::config::Origin>(sim::config::Origin{"o.toml", "."});
  sim::config::Table top(root, "", origin);
  sim::config::Table table = top.table("output");
  sim::analysis::OutputSpec spec = sim::analysis::read_output(table, schema, settings);
  table.finish();
  return spec;
}

std::string output_error(const std::string& text, const sim::ModelSchema& schema,
                         const sim::StudySettings& settings) {
  try {
    output_from(text, schema, settings);
  } catch (const sim::ConfigError& error) {
    return error.what();
  }
  return "no error";
}

struct Points {
  sim::StudySpec study;
  std::vector<std::unique_ptr<sim::Model>> owned;
  std::vector<const sim::Model*> models;
};

/// Builds one model per value of `key` from the study's base scenario.
Points build_points(const std::string& text, const std::string& key,
                    const std::vector<double>& values, const sim::ModelRegistry& registry) {
  Points points{sim::read_study_text(text, "s.toml", ".", registry), {}, {}};
  const std::vector<sim::PointKey> keys = {{key, {"s.toml", 1, 1}}};
  for (double value : values) {
    const double one[] = {value};
    points.owned.push_back(sim::build_point_model(points.study, 0, keys, one, registry, ""));
    points.models.push_back(points.owned.back().get());
  }
  return points;
}

sim::analysis::EvaluateOptions options_for(const sim::StudySpec& study, std::int64_t replicates,
                                           int threads) {
  sim::analysis::EvaluateOptions options;
  options.seed = study.seed;
  options.start_year = study.start_year;
  options.years = study.years;
  options.replicates = replicates;
  options.threads = threads;
  return options;
}

}  // namespace

TEST_CASE("Outputs extract exactly the recorded values of a toy model with known values",
          "[unit][evaluate]") {
  const sim::ModelRegistry registry = toy::toy_registry();
  Points points = build_points(kGaussStudy, "slope", {2.0}, registry);
  const sim::ModelSchema& schema = points.models.front()->schema();
  const sim::StudySettings settings = points.study.settings();
  std::vector<sim::analysis::OutputSpec> outputs = {
      output_from(R"(output = {variable = "trend", member = "BB", year = 2032})", schema, settings),
      output_from(R"(output = {variable = "trend", member = "AA", years = [2030, 2034]})", schema,
                  settings),
      output_from(
          R"(output = {variable = "trend", member = "AA", years = [2030, 2034], aggregate = "sum"})",
          schema, settings),
      output_from(
          R"(output = {variable = "trend", member = "BB", years = [2031, 2033], aggregate = "max"})",
          schema, settings),
      output_from(
          R"(output = {variable = "trend", member = "AA", years = [2030, 2032], aggregate = "last"})",
          schema, settings),
      output_from(R"(output = {variable = "x", year = 2031})", schema, settings),
  };
  CHECK(outputs[0].label == "trend[BB]@2032");
  CHECK(outputs[2].label == "trend[AA]@2030-2034:sum");
  CHECK(outputs[5].label == "x@2031");
  const sim::analysis::Evaluation result =
      sim::analysis::evaluate(points.models, outputs, options_for(points.study, 3, 2));
  REQUIRE(result.values.size() == 3 * outputs.size());
  for (std::size_t r = 0; r < 3; ++r) {
    CHECK(result.at(0, r, 0) == 2.0 * 3 + 1);                    // year index 2, member BB
    CHECK(result.at(0, r, 1) == 2.0 * (1 + 2 + 3 + 4 + 5) / 5);  // mean over five years
    CHECK(result.at(0, r, 2) == 2.0 * (1 + 2 + 3 + 4 + 5));
    CHECK(result.at(0, r, 3) == 2.0 * 4 + 1);
    CHECK(result.at(0, r, 4) == 2.0 * 3);
    // x in year index 1 is mean + sd * (second normal of the replicate's "toy.gauss" stream).
    sim::RngStream rng(11, r, sim::purpose("toy.gauss"));
    rng.normal();
    CHECK(result.at(0, r, 5) == 0.5 + 2.0 * rng.normal());
  }
  CHECK(result.mean(0, 1) == 6.0);
}

TEST_CASE("Evaluation is bit-identical for 1, 2 and 7 threads", "[determinism][evaluate]") {
  const sim::ModelRegistry registry = toy::toy_registry();
  Points points = build_points(kWalkStudy, "volatility", {0.2, 0.7, 1.5}, registry);
  const sim::ModelSchema& schema = points.models.front()->schema();
  const sim::StudySettings settings = points.study.settings();
  const std::vector<sim::analysis::OutputSpec> outputs = {
      output_from(R"(output = {variable = "level", member = "BB", year = 2027})", schema, settings),
      output_from(R"(output = {variable = "total", years = [2025, 2028]})", schema, settings),
      output_from(
          R"(output = {variable = "maybe", member = "AA", years = [2025, 2028], aggregate = "max"})",
          schema, settings),
  };
  const auto one =
      sim::analysis::evaluate(points.models, outputs, options_for(points.study, 37, 1));
  const auto two =
      sim::analysis::evaluate(points.models, outputs, options_for(points.study, 37, 2));
  const auto seven =
      sim::analysis::evaluate(points.models, outputs, options_for(points.study, 37, 7));
  REQUIRE(one.values.size() == 3 * 37 * 3);
  CHECK(std::memcmp(one.values.data(), two.values.data(), one.values.size() * sizeof(double)) == 0);
  CHECK(std::memcmp(one.values.data(), seven.values.data(), one.values.size() * sizeof(double)) ==
        0);
  // The values are real runs: replicates differ, and "maybe" is missing on odd replicates.
  CHECK(one.at(1, 0, 0) != one.at(1, 1, 0));
  CHECK(std::isnan(one.at(1, 1, 2)));
  CHECK_FALSE(std::isnan(one.at(1, 2, 2)));
}

TEST_CASE("Every point runs replicate r with the same random numbers", "[unit][evaluate]") {
  const sim::ModelRegistry registry = toy::toy_registry();
  Points points = build_points(kGaussStudy, "mean", {0.0, 5.0, -3.0}, registry);
  const sim::ModelSchema& schema = points.models.front()->schema();
  const std::vector<sim::analysis::OutputSpec> outputs = {
      output_from(R"(output = {variable = "x", year = 2033})", schema, points.study.settings())};
  const auto result =
      sim::analysis::evaluate(points.models, outputs, options_for(points.study, 20, 2));
  for (std::size_t r = 0; r < 20; ++r) {
    // x = mean + 2 z with the same z at every point: the differences are the means' exactly
    // up to one rounding.
    CHECK(result.at(1, r, 0) - result.at(0, r, 0) == Approx(5.0).margin(1e-12));
    CHECK(result.at(2, r, 0) - result.at(0, r, 0) == Approx(-3.0).margin(1e-12));
  }
  CHECK(result.at(0, 0, 0) != result.at(0, 1, 0));
}

TEST_CASE("A run that throws propagates out of evaluate, and a stop request interrupts it",
          "[unit][evaluate]") {
  const sim::ModelRegistry registry = toy::toy_registry();
  Points points =
      build_points(kWalkStudy + "fail_replicate = 5\n", "volatility", {0.5, 1.0}, registry);
  const std::vector<sim::analysis::OutputSpec> outputs = {
      sim::analysis::make_output(points.models.front()->schema(), points.study.settings(), "total",
                                 "", 2025, 2025, sim::analysis::Aggregate::at, {}, "output")};
  CHECK_THROWS_WITH(
      sim::analysis::evaluate(points.models, outputs, options_for(points.study, 8, 2)),
      "toy model failed on purpose");
  std::atomic<bool> stop{true};
  sim::analysis::EvaluateOptions options = options_for(points.study, 8, 2);
  options.stop = &stop;
  CHECK_THROWS_AS(sim::analysis::evaluate(points.models, outputs, options), sim::Interrupted);
}

TEST_CASE("Progress is reported as runs done out of runs in total", "[unit][evaluate]") {
  const sim::ModelRegistry registry = toy::toy_registry();
  Points points = build_points(kGaussStudy, "mean", std::vector<double>(300, 1.0), registry);
  const std::vector<sim::analysis::OutputSpec> outputs = {
      sim::analysis::make_output(points.models.front()->schema(), points.study.settings(), "x", "",
                                 2030, 2030, sim::analysis::Aggregate::at, {}, "output")};
  sim::analysis::EvaluateOptions options = options_for(points.study, 10, 2);
  std::vector<std::int64_t> done;
  options.progress = [&](std::int64_t runs, std::int64_t total) {
    CHECK(total == 3000);
    done.push_back(runs);
  };
  sim::analysis::evaluate(points.models, outputs, options);
  CHECK(done == std::vector<std::int64_t>{2048, 3000});
}

TEST_CASE("Bad output specs name the key, the problem and what was expected", "[unit][evaluate]") {
  const sim::ModelRegistry registry = toy::toy_registry();
  Points points = build_points(kGaussStudy, "mean", {0.0}, registry);
  const sim::ModelSchema& schema = points.models.front()->schema();
  const sim::StudySettings settings = points.study.settings();
  CHECK(output_error(R"(output = {variable = "y", year = 2030})", schema, settings) ==
        "o.toml:1:22: output.variable: unknown variable, got \"y\" (expected one of: trend, x)");
  CHECK(output_error(R"(output = {variable = "trend", member = "ZZ", year = 2030})", schema,
                     settings) ==
        "o.toml:1:40: output.member: unknown member, got \"ZZ\" (expected one of: AA, BB)");
  CHECK(output_error(R"(output = {variable = "trend", year = 2030})", schema, settings) ==
        "o.toml:1:22: output.variable: variable has one value per member: name the member, got "
        "\"trend\" without a member (expected a member such as \"AA\")");
  CHECK(
      output_error(R"(output = {variable = "x", member = "AA", year = 2030})", schema, settings) ==
      "o.toml:1:36: output.member: variable is alliance-level: it has no member, got member "
      "\"AA\" (expected no member for \"x\")");
  CHECK(output_error(R"(output = {variable = "x", year = 2040})", schema, settings) ==
        "o.toml:1:34: output.year: out of range, got 2040 (expected an integer in [2030, 2034])");
  CHECK(output_error(R"(output = {variable = "x", years = [2029, 2031]})", schema, settings) ==
        "o.toml:1:35: output.years[0]: out of range, got 2029 (expected a number in [2030, 2034])");
  CHECK(output_error(R"(output = {variable = "x", years = [2031, 2030]})", schema, settings) ==
        "o.toml:1:35: output.years: not a year range, got 2 values (expected [first, last] whole "
        "years, first <= last)");
}

TEST_CASE("A point's bad value is reported at the key that set it", "[unit][evaluate]") {
  const sim::ModelRegistry registry = toy::toy_registry();
  const sim::StudySpec study = sim::read_study_text(kGaussStudy, "s.toml", ".", registry);
  const std::vector<sim::PointKey> keys = {{"sd", {"c.toml", 7, 3}}};
  const double value[] = {-1.0};
  CHECK_THROWS_WITH(sim::build_point_model(study, 0, keys, value, registry, "(particle 4)"),
                    "c.toml:7:3: model.sd: out of range (particle 4), got -1 (expected a number "
                    "> 0)");
}

TEST_CASE("A point builder's models are build_point_model's, whatever points came before",
          "[unit][evaluate]") {
  // Each thread keeps its copy of the base with the last point's keys set: a point's model must
  // not depend on which points that thread built before it, nor on a point that failed.
  const sim::ModelRegistry registry = toy::toy_registry();
  const sim::StudySpec study = sim::read_study_text(kGaussStudy, "s.toml", ".", registry);
  const std::vector<sim::PointKey> keys = {{"slope", {"c.toml", 2, 1}}, {"sd", {"c.toml", 3, 1}}};
  const sim::PointModelBuilder builder(study, sim::merged_model_table(study, 0), keys, registry);
  const std::vector<std::array<double, 2>> points = {{3.0, 1.0}, {-1.5, 0.5}, {0.25, 4.0}};
  std::vector<std::unique_ptr<sim::Model>> fresh;
  std::vector<std::unique_ptr<sim::Model>> built;
  for (const auto& point : points) {
    fresh.push_back(sim::build_point_model(study, 0, keys, point, registry, ""));
    const double bad[] = {point[0], -1.0};
    CHECK_THROWS_WITH(builder.build(bad, "(particle 4)"),
                      "c.toml:3:1: model.sd: out of range (particle 4), got -1 (expected a number "
                      "> 0)");
    built.push_back(builder.build(point, ""));
  }
  sim::StudySettings settings = study.settings();
  const std::vector<sim::analysis::OutputSpec> outputs = {
      output_from(R"(output = {variable = "trend", member = "BB", year = 2032})",
                  built.front()->schema(), settings),
      output_from(R"(output = {variable = "x", years = [2030, 2034]})", built.front()->schema(),
                  settings)};
  const auto pointers = [](const std::vector<std::unique_ptr<sim::Model>>& models) {
    std::vector<const sim::Model*> result;
    for (const auto& model : models) result.push_back(model.get());
    return result;
  };
  const sim::analysis::Evaluation expected =
      sim::analysis::evaluate(pointers(fresh), outputs, options_for(study, 20, 1));
  const sim::analysis::Evaluation got =
      sim::analysis::evaluate(pointers(built), outputs, options_for(study, 20, 1));
  for (std::size_t p = 0; p < points.size(); ++p) {
    for (std::size_t k = 0; k < outputs.size(); ++k) CHECK(got.mean(p, k) == expected.mean(p, k));
  }
  // The points differ in their outputs, so a builder that ignored its values would fail above.
  CHECK(expected.mean(0, 1) != expected.mean(1, 1));
}
