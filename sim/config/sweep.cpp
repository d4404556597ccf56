#include "sim/config/sweep.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numeric>
#include <sstream>

#include <fmt/format.h>

#include "sim/config/design_point.h"
#include "sim/core/rng.h"

namespace sim {

namespace {

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream stream(text);
  while (std::getline(stream, part, separator)) parts.push_back(part);
  if (!text.empty() && text.back() == separator) parts.emplace_back();
  return parts;
}

std::string trim(const std::string& text) {
  const auto begin = text.find_first_not_of(" \t\r");
  if (begin == std::string::npos) return "";
  return text.substr(begin, text.find_last_not_of(" \t\r") - begin + 1);
}

/// Reads design points from a CSV whose header names the swept keys.
void read_points_file(const std::filesystem::path& file, SweepSpec& sweep) {
  std::ifstream stream(file);
  std::string line;
  int line_number = 0;
  const std::string name = file.string();
  while (std::getline(stream, line)) {
    ++line_number;
    if (trim(line).empty() || trim(line)[0] == '#') continue;
    const std::vector<std::string> cells = split(line, ',');
    if (sweep.parameters.empty()) {
      for (const std::string& cell : cells) {
        if (trim(cell).empty()) {
          throw ConfigError(SourcePosition{name, line_number, 1}, "header", "empty column name",
                            "\"" + line + "\"", "dotted model keys separated by commas");
        }
        sweep.parameters.push_back(
            SweepParameter{trim(cell), {}, 0.0, 0.0, SourcePosition{name, line_number, 1}});
      }
      continue;
    }
    if (cells.size() != sweep.parameters.size()) {
      throw ConfigError(SourcePosition{name, line_number, 1}, "row", "wrong number of values",
                        std::to_string(cells.size()),
                        std::to_string(sweep.parameters.size()) + " values as in the header");
    }
    std::vector<double> point;
    int column = 1;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      const std::string cell = trim(cells[i]);
      std::size_t used = 0;
      double value = 0.0;
      try {
        value = std::stod(cell, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != cell.size() || cell.empty() || !std::isfinite(value)) {
        throw ConfigError(SourcePosition{name, line_number, column}, sweep.parameters[i].key,
                          "not a number", "\"" + cell + "\"", "a finite number");
      }
      point.push_back(value);
      column += static_cast<int>(cells[i].size()) + 1;
    }
    sweep.points.push_back(std::move(point));
  }
  if (sweep.parameters.empty() || sweep.points.empty()) {
    throw ConfigError(SourcePosition{name, line_number, 1}, "", "no design points", "",
                      "a header of dotted model keys and at least one row of numbers");
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
  toml::table root = config::parse_text(study.text, study.file);
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
      sweep.size = table.integer("points", 2, 100000);
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
