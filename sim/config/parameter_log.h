#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sim/config/uncertain.h"

namespace sim::config {

/// One value a model factory read from its `[model]` table.
struct LoggedParameter {
  /// Dotted key as in messages, e.g. `model.economy.volatility`.
  std::string key;
  /// The value as written (`0.3`, `"text"`, `an array`), or `default 0.3` when absent, or the
  /// distribution, e.g. `normal(mean=0.5, sd=0.1, lower=0, upper=1)`.
  std::string value;
  /// The valid range or type, e.g. `a number in [0, 1]`.
  std::string range;
  /// Set when read through config::uncertain as a distribution (not a fixed number).
  std::optional<Uncertain> uncertain;
};

/// Every parameter read through a Table that carries this log (and the tables taken from it),
/// in reading order; a key read twice keeps its first place and its last value.
struct ParameterLog {
  std::vector<LoggedParameter> entries;

  /// Adds or replaces the entry for `entry.key`.
  void add(LoggedParameter entry);
  /// Records a distribution read at `key` and drops the entries of its fields (`key.mean`, ...).
  void add_uncertain(const std::string& key, const Uncertain& value, const std::string& range);
  /// The distributions (non-fixed Uncertain parameters) in reading order.
  std::vector<const LoggedParameter*> uncertain() const;
};

/// A distribution as text, e.g. `normal(mean=0.5, sd=0.1, lower=0, upper=1)`.
std::string describe_uncertain(const Uncertain& value);

}  // namespace sim::config
