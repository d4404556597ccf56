#include "sim/config/sweep.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

#include "sim/config/csv.h"
#include "sim/config/design_point.h"
#include "sim/core/rng.h"

namespace sim {

namespace {

/// Reads design points from a CSV whose header names the swept keys ('#' lines are comments).
void read_points_file(const std::filesystem::path& file, SweepSpec& sweep) {
  const config::CsvFile csv(
      file, file.string(),
      config::CsvOptions{
          .comments = true, .trim = true, .max_rows = static_cast<std::size_t>(kMaxDesignPoints)});
  for (const std::string& key : csv.header()) {
    sweep.parameters.push_back(
        SweepParameter{key, {}, 0.0, 0.0, SourcePosition{csv.file(), csv.header_line(), 0}});
  }
  for (const config::CsvRow& row : csv.rows()) {
    std::vector<double> point;
    for (std::size_t i = 0; i < row.fields.size(); ++i) point.push_back(csv.number(row, i));
    sweep.points.push_back(std::move(point));
  }
}

}  // namespace

std::vector<std::vector<double>> grid_design(const std::vector<SweepParameter>& parameters) {
  std::vector<std::vector<double>> points = {{}};
  for (const SweepParameter& parameter : parameters) {
    std::vector<std::vector<double>> next;
    for (const auto& point : points) {
      for (double value : parameter.values) {
        next.push_back(point);
        next.back().push_back(value);
      }
    }
    points = std::move(next);
  }
  return points;
}

std::vector<std::vector<double>> latin_hypercube(const std::vector<SweepParameter>& parameters,
                                                 std::int64_t size, std::uint64_t seed) {
  const auto n = static_cast<std::size_t>(size);
  std::vector<std::vector<double>> points(n, std::vector<double>(parameters.size()));
  for (std::size_t p = 0; p < parameters.size(); ++p) {
    RngStream rng(seed, 0,
                  sub_purpose(purpose("sweep.latin_hypercube"), static_cast<std::uint32_t>(p)));
    std::vector<std::size_t> strata(n);
    std::iota(strata.begin(), strata.end(), std::size_t{0});
    // Fisher-Yates with our own stream: std::shuffle's algorithm is not fixed by the standard.
    for (std::size_t i = n; i > 1; --i) {
      const auto j = static_cast<std::size_t>(rng.uniform() * static_cast<double>(i));
      std::swap(strata[i - 1], strata[std::min(j, i - 1)]);
    }
    const double width = (parameters[p].high - parameters[p].low) / static_cast<double>(n);
    for (std::size_t i = 0; i < n; ++i) {
      const double offset = rng.uniform();
      points[i][p] = parameters[p].low + (static_cast<double>(strata[i]) + offset) * width;
    }
  }
  return points;
}

SweepSpec read_sweep(const StudySpec& study) {
  toml::table root = parse_study_root(study);
  auto origin = std::make_shared<const config::Origin>(config::Origin{study.file, study.folder});
  config::Table top(root, "", origin);
  if (!top.has("sweep")) {
    throw ConfigError(SourcePosition{study.file, 0, 0}, "sweep", "missing [sweep] table", "",
                      "a [sweep] table with design and [[sweep.parameter]] blocks");
  }
  config::Table table = top.table("sweep");
  SweepSpec sweep;
  const std::string design = table.choice("design", {"grid", "latin_hypercube", "points"});
  std::vector<std::string> names;
  for (const ScenarioSpec& scenario : study.scenarios) names.push_back(scenario.name);
  sweep.base_scenario = table.choice_or("base_scenario", names, names.front());
  if (design == "points") {
    sweep.design = SweepSpec::Design::points;
    read_points_file(table.existing_file("file"), sweep);
  } else {
    const bool grid = design == "grid";
    sweep.design = grid ? SweepSpec::Design::grid : SweepSpec::Design::latin_hypercube;
    if (!grid) {
      sweep.size = table.integer("points", 2, kMaxDesignPoints);
      sweep.seed = static_cast<std::uint64_t>(table.integer_or("seed", 1, 0, INT64_MAX));
    }
    for (config::Table& block : table.tables("parameter")) {
      SweepParameter parameter;
      parameter.key = block.string("key");
      parameter.position = block.position(grid ? "values" : "low");
      if (grid) {
        parameter.values = block.numbers("values", config::Range::any(), 1);
      } else {
        parameter.low = block.number("low");
        parameter.high = block.number("high");
        if (!(parameter.high > parameter.low)) {
          block.fail("high", "empty range", fmt::format("{}", parameter.high),
                     fmt::format("a number > low = {}", parameter.low));
        }
      }
      for (const SweepParameter& other : sweep.parameters) {
        if (other.key == parameter.key) {
          block.fail("key", "parameter swept twice", "\"" + parameter.key + "\"", "each key once");
        }
      }
      block.finish();
      sweep.parameters.push_back(std::move(parameter));
    }
    if (sweep.parameters.empty()) {
      table.fail("parameter", "no parameters", "none", "at least one [[sweep.parameter]]");
    }
    if (grid) {
      // The product is formed in floating point: it can exceed any integer type.
      double count = 1.0;
      std::string factors;
      for (const SweepParameter& parameter : sweep.parameters) {
        count *= static_cast<double>(parameter.values.size());
        factors += fmt::format("{}{}", factors.empty() ? "" : " x ", parameter.values.size());
      }
      if (count > static_cast<double>(kMaxDesignPoints)) {
        table.fail(
            "parameter", "grid too large",
            fmt::format("{:.0f} design points ({} values)", count, factors),
            fmt::format("at most {} design points, the design size limit", kMaxDesignPoints));
      }
    }
    sweep.points = grid ? grid_design(sweep.parameters)
                        : latin_hypercube(sweep.parameters, sweep.size, sweep.seed);
  }
  if (sweep.design != SweepSpec::Design::latin_hypercube) {
    sweep.size = static_cast<std::int64_t>(sweep.points.size());
  }
  table.finish();
  return sweep;
}

std::vector<BuiltScenario> build_design_points(const StudySpec& study, const SweepSpec& sweep,
                                               const ModelRegistry& registry) {
  std::size_t base = 0;
  while (base < study.scenarios.size() && study.scenarios[base].name != sweep.base_scenario) {
    ++base;
  }
  const toml::table model = merged_model_table(study, base);
  std::vector<PointKey> keys;
  for (const SweepParameter& parameter : sweep.parameters) {
    keys.push_back(PointKey{parameter.key, parameter.position});
  }
  std::vector<BuiltScenario> built;
  for (std::size_t i = 0; i < sweep.points.size(); ++i) {
    std::string description;
    for (std::size_t p = 0; p < sweep.parameters.size(); ++p) {
      description +=
          fmt::format("{}{} = {}", p ? ", " : "", sweep.parameters[p].key, sweep.points[i][p]);
    }
    const std::string name = fmt::format("dp{:04d}", i);
    std::unique_ptr<Model> instance = build_point_model(
        study, model, keys, sweep.points[i], registry, "(set by sweep design point " + name + ")");
    built.push_back(BuiltScenario{ScenarioSpec{name, description, name, ""}, std::move(instance)});
  }
  return built;
}

}  // namespace sim
