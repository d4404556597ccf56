#pragma once

#include <string_view>
#include <utility>
#include <vector>

#include "sim/config/toml_reader.h"

namespace models {

/// A piecewise-linear function of the calendar year through (year, value) points, flat before
/// the first point and after the last. An empty schedule has no value (see `empty()`).
class Schedule {
 public:
  Schedule() = default;
  /// `points` sorted by strictly increasing year (parse_schedule checks this).
  explicit Schedule(std::vector<std::pair<int, double>> points);

  bool empty() const { return points_.empty(); }
  const std::vector<std::pair<int, double>>& points() const { return points_; }
  /// The value in `year` (linear between points, flat outside). Precondition: not empty.
  double at(int year) const;

 private:
  std::vector<std::pair<int, double>> points_;
};

/// Reads `key` as an array of [year, value] pairs, e.g. `[[2025, 2.0], [2035, 3.5]]`: years
/// integers in [1900, 2200], strictly increasing; values in `range`; at least one pair. A plain
/// number is a constant schedule (what a sweep over the key sets).
/// Throws sim::ConfigError naming the offending element.
Schedule parse_schedule(sim::config::Table& table, std::string_view key, sim::config::Range range);

}  // namespace models
