#include "models/common/schedule.h"

#include "models/common/csv.h"

#include <fmt/format.h>

namespace models {

Schedule::Schedule(std::vector<std::pair<int, double>> points) : points_(std::move(points)) {}

double Schedule::at(int year) const {
  if (year <= points_.front().first) return points_.front().second;
  if (year >= points_.back().first) return points_.back().second;
  std::size_t i = 1;
  while (points_[i].first < year) ++i;
  const auto& [y0, v0] = points_[i - 1];
  const auto& [y1, v1] = points_[i];
  const double weight = static_cast<double>(year - y0) / static_cast<double>(y1 - y0);
  return v0 + weight * (v1 - v0);
}

Schedule parse_schedule(sim::config::Table& table, std::string_view key, sim::config::Range range) {
  const std::string expected =
      "a number (constant), a CSV file (year, value, source) or an array of [year, value] "
      "pairs with "
      "increasing years, each value " +
      range.describe();
  const toml::node* node = table.node(key);
  if (node == nullptr) table.fail(key, "missing required key", "nothing", expected);
  // A plain number is a constant schedule: what a sweep sets.
  if (node->is_integer() || node->is_floating_point()) {
    return Schedule({{1900, table.number(key, range)}});
  }
  // A string is a CSV file (path relative to the config) with columns year, value, source: the
  // data stay in configs/data with their sources, the config only points at them.
  if (node->is_string()) {
    const std::filesystem::path file = table.existing_file(key);
    const CsvFile csv(file, file.lexically_normal().string());
    const std::size_t c_year = csv.column("year");
    const std::size_t c_value = csv.column("value");
    csv.column("source");
    std::vector<std::pair<int, double>> points;
    for (const CsvRow& row : csv.rows()) {
      const int year = csv.integer_in(row, c_year, 1900, 2200);
      if (!points.empty() && year <= points.back().first) {
        csv.fail(row, c_year, "years must increase", std::to_string(year),
                 "a year > " + std::to_string(points.back().first));
      }
      const double value = csv.number_in(row, c_value, range.low, range.high);
      if (!range.contains(value)) {
        csv.fail(row, c_value, "out of range", fmt::format("{}", value), range.describe());
      }
      points.emplace_back(year, value);
    }
    if (points.empty()) {
      throw sim::ConfigError(table.position(key), table.dotted(key), "the file has no rows",
                             csv.file(), "at least one year, value row");
    }
    return Schedule(std::move(points));
  }
  const toml::array* array = node->as_array();
  if (array == nullptr || array->empty()) {
    table.fail(key, "wrong type", sim::config::describe_node(*node), expected);
  }
  std::vector<std::pair<int, double>> points;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const std::string element = fmt::format("{}[{}]", key, i);
    const toml::array* pair = array->get(i)->as_array();
    if (pair == nullptr || pair->size() != 2) {
      throw sim::ConfigError(table.position(key), table.dotted(element), "not a [year, value] pair",
                             sim::config::describe_node(*array->get(i)), expected);
    }
    auto year = pair->get(0)->value_exact<std::int64_t>();
    if (!year || *year < 1900 || *year > 2200) {
      throw sim::ConfigError(table.position(key), table.dotted(element + "[0]"), "invalid year",
                             sim::config::describe_node(*pair->get(0)),
                             "an integer year in [1900, 2200]");
    }
    double value = 0.0;
    if (auto integer = pair->get(1)->value_exact<std::int64_t>()) {
      value = static_cast<double>(*integer);
    } else if (auto floating = pair->get(1)->value_exact<double>()) {
      value = *floating;
    } else {
      throw sim::ConfigError(table.position(key), table.dotted(element + "[1]"), "wrong type",
                             sim::config::describe_node(*pair->get(1)), range.describe());
    }
    if (!range.contains(value)) {
      throw sim::ConfigError(table.position(key), table.dotted(element + "[1]"), "out of range",
                             sim::config::describe_node(*pair->get(1)), range.describe());
    }
    if (!points.empty() && *year <= points.back().first) {
      throw sim::ConfigError(table.position(key), table.dotted(element + "[0]"),
                             "years not increasing", std::to_string(*year),
                             fmt::format("a year after {}", points.back().first));
    }
    points.emplace_back(static_cast<int>(*year), value);
  }
  return Schedule(std::move(points));
}

}  // namespace models
