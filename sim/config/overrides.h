#pragma once

#include <string>
#include <vector>

#include <toml++/toml.h>

namespace sim::config {

/// Applies command-line overrides `KEY=VALUE` (`--set`, repeatable, in order) to a parsed study
/// file: KEY is a dotted path from the file's root (`model.economy.volatility`,
/// `study.replicates`), VALUE any TOML value (`0.3`, `[1, 2]`, `{dist = "uniform", low = 0,
/// high = 1}`, `"text"`; a bare word without TOML syntax is taken as a string). Missing tables
/// on the path are created. Each value's source is named `--set KEY=VALUE`, so a later check
/// that rejects it reports `--set KEY=VALUE: key: problem, got X (expected Y)`. Throws
/// ConfigError for a malformed override.
void apply_overrides(toml::table& root, const std::vector<std::string>& overrides);

}  // namespace sim::config
