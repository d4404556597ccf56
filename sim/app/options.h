#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

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

}  // namespace sim::app
