#pragma once

#include <charconv>
#include <cstdint>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "sim/core/error.h"

namespace sim::app {

/// Adds the repeatable `--set KEY=VALUE` option to a command (run, sweep, sensitivity, params,
/// calibrate). Pass the collected strings to read_study(file, registry, overrides), which applies
/// them (sim/config/overrides.h) so they are validated exactly like the file.
inline CLI::Option* add_set_option(CLI::App* command, std::vector<std::string>& overrides) {
  return command->add_option(
      "--set", overrides,
      "Override a study-file value: KEY=VALUE with a dotted key from the file's root and a TOML "
      "value (repeatable), e.g. --set model.economy.volatility=0.02 --set study.replicates=100");
}

/// A command-line whole number, read strictly: decimal digits with an optional '-', nothing
/// else (no '+', spaces, fraction, exponent or 0x prefix), within [low, high]. A value outside
/// the range, even outside 64 bits, is refused, never clamped. Throws ConfigError
/// `command line: OPTION: problem, got TEXT (expected an integer in [low, high])` (exit 2).
inline std::int64_t parse_integer_argument(const std::string& text, const std::string& option,
                                           std::int64_t low, std::int64_t high) {
  const SourcePosition where{"command line", 0, 0};
  const std::string expected = fmt::format("an integer in [{}, {}]", low, high);
  const std::size_t start = !text.empty() && text.front() == '-' ? 1 : 0;
  const bool digits =
      text.size() > start && text.find_first_not_of("0123456789", start) == std::string::npos;
  if (!digits) throw ConfigError(where, option, "not an integer", "\"" + text + "\"", expected);
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < low || value > high) {
    throw ConfigError(where, option, "out of range", text, expected);
  }
  return value;
}

/// Adds an integer option read by parse_integer_argument into `target`.
template <typename T>
CLI::Option* add_integer_option(CLI::App* command, const std::string& name, T& target,
                                std::int64_t low, std::int64_t high,
                                const std::string& description) {
  const std::string option =
      name.substr(name.rfind(',') == std::string::npos ? 0 : name.rfind(',') + 1);
  return command
      ->add_option_function<std::string>(
          name,
          [&target, option, low, high](const std::string& text) {
            target = static_cast<T>(parse_integer_argument(text, option, low, high));
          },
          description)
      ->type_name("INT");
}

}  // namespace sim::app
