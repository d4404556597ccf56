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

/// `--threads N`, 1 to 1024 (default: all cores), shared by every command that runs a study.
template <typename T>
CLI::Option* add_threads_option(CLI::App* command, T& target) {
  return add_integer_option(command, "--threads", target, 1, 1024,
                            "Worker threads (default: all cores)");
}

/// `--seed S`. A seed is a TOML integer in a study file and --set: the same range here,
/// [0, 2^63 - 1], which every natosim file's unsigned 64-bit `seed` attribute records exactly.
template <typename T>
CLI::Option* add_seed_option(CLI::App* command, T& target) {
  return add_integer_option(command, "--seed", target, 0, INT64_MAX,
                            "Study seed, 0 to 9223372036854775807 (default: the study's)");
}

}  // namespace sim::app
