#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/config/study.h"

namespace sim {

/// The most design points a sweep may have (grid, Latin hypercube or points file); checked
/// before the points are built.
inline constexpr std::int64_t kMaxDesignPoints = 100'000;

/// One varied parameter of a sweep: a dotted key inside `[model]` and its values or range.
struct SweepParameter {
  std::string key;
  /// Grid: the values to take. Latin hypercube: empty.
  std::vector<double> values;
  /// Latin hypercube: the range sampled.
  double low = 0.0;
  double high = 0.0;
  /// Where the values come from, for messages about a design point's value.
  SourcePosition position;
};

/// A sweep: a base scenario and design points, each overriding the swept keys with numbers.
struct SweepSpec {
  enum class Design { grid, latin_hypercube, points };
  Design design = Design::grid;
  std::string base_scenario;
  std::vector<SweepParameter> parameters;
  /// [point][parameter] values, in design order.
  std::vector<std::vector<double>> points;
  /// Latin hypercube seed and size (for provenance).
  std::uint64_t seed = 0;
  std::int64_t size = 0;
};

/// Reads the `[sweep]` table of a study file: `design = "grid" | "latin_hypercube" | "points"`,
/// `base_scenario`, `[[sweep.parameter]]` blocks (`key` and `values` for a grid; `key`, `low` and
/// `high` for a Latin hypercube with `points` and `seed`), or `file = "points.csv"` whose header
/// names the keys. Throws ConfigError; a study without `[sweep]` is an error too.
SweepSpec read_sweep(const StudySpec& study);

/// Full factorial of the parameters' values, the first parameter varying slowest.
std::vector<std::vector<double>> grid_design(const std::vector<SweepParameter>& parameters);

/// A Latin hypercube of `size` points over the parameters' [low, high] ranges: each parameter's
/// range is cut into `size` equal strata and every stratum holds exactly one point. Deterministic
/// in `seed`.
std::vector<std::vector<double>> latin_hypercube(const std::vector<SweepParameter>& parameters,
                                                 std::int64_t size, std::uint64_t seed);

/// Builds one model per design point: the base scenario's `[model]` table with each swept key set
/// to the point's value. Names the points `dp0000`, `dp0001`, ...
std::vector<BuiltScenario> build_design_points(const StudySpec& study, const SweepSpec& sweep,
                                               const ModelRegistry& registry);

}  // namespace sim
