#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "sim/config/study.h"
#include "sim/engine/model.h"
#include "sim/mpi/world.h"

namespace sim::app {

/// Command-line arguments of `natosim sensitivity`.
struct SensitivityArguments {
  std::string config;
  std::string output;
  int threads = 0;
  std::int64_t seed = -1;
  std::vector<std::string> overrides;
  bool dry_run = false;
  bool force = false;
  bool quiet = false;
};

/// Adds the `sensitivity` subcommand and its options to `app`.
CLI::App* add_sensitivity_command(CLI::App& app, SensitivityArguments& arguments);

/// Runs a study's `[sensitivity]` analysis and writes the sensitivity file. `provenance` holds
/// the root attributes every natosim file carries (version, commit, command line, ...); `stop`
/// becomes true on SIGINT. Under mpirun (`world` distributed) every rank runs its share of the
/// runs and rank 0 alone writes. Returns the exit status; throws ConfigError, OutputError,
/// Interrupted.
int command_sensitivity(const SensitivityArguments& arguments, const ModelRegistry& registry,
                        const std::map<std::string, std::string>& provenance,
                        const std::atomic<bool>* stop, mpi::World* world = nullptr);

/// For `natosim validate`: checks the study's `[sensitivity]` table completely (keys, ranges,
/// outputs, the design's extreme values against the model) and returns a one-line summary, or
/// an empty string when the study has none. Throws ConfigError.
std::string check_sensitivity(const StudySpec& study, const ModelRegistry& registry);

}  // namespace sim::app
