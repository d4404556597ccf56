#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "sim/engine/model.h"
#include "sim/io/results_writer.h"
#include "sim/mpi/world.h"

namespace sim::app {

/// The command line of `natosim run` and `natosim sweep`.
struct RunArguments {
  std::string config;
  std::string output;
  std::int64_t replicates = 0;
  int threads = 0;
  std::int64_t seed = -1;
  std::vector<std::string> scenarios;
  bool trajectories = false;
  bool no_events = false;
  bool force = false;
  bool quiet = false;
  bool dry_run = false;
  std::int64_t max_output_mib = 4096;
  int compression = io::kDefaultCompression;
  std::string command_line;
  std::vector<std::string> overrides;
  bool store_draws = false;
  bool resume = false;
  bool checkpoint_every_block = false;
  bool no_checkpoint = false;
  double checkpoint_seconds = 60.0;
  /// `--shard I/N`, empty when the run is whole.
  std::string shard;
};

/// Adds the options `run` and `sweep` share to `command`; `example` names a study file for --help.
void add_run_options(CLI::App* command, RunArguments& arguments, const char* example);

/// `natosim run CONFIG`: the study's (selected) scenarios, written as the run goes; with
/// `--shard I/N` one part for `natosim merge`; with `--resume` the rest of a killed run; under
/// mpirun (`world` distributed) spread over the ranks. `stop` becomes true on SIGINT/SIGTERM.
/// Returns the exit status; throws ConfigError, OutputError, Interrupted.
int command_run(const RunArguments& args, const ModelRegistry& registry,
                const std::atomic<bool>* stop, mpi::World* world);

/// `natosim sweep CONFIG`: the study's [sweep] design points, as command_run runs scenarios.
int command_sweep(const RunArguments& args, const ModelRegistry& registry,
                  const std::atomic<bool>* stop, mpi::World* world);

}  // namespace sim::app
