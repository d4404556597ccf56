#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "sim/analysis/abc_smc.h"
#include "sim/config/calibration.h"
#include "sim/engine/model.h"
#include "sim/mpi/world.h"

namespace sim::app {

/// The command line of `natosim calibrate`.
struct CalibrateArguments {
  std::string config;
  std::string output;
  int threads = 0;
  std::int64_t seed = -1;
  bool resume = false;
  bool force = false;
  bool quiet = false;
  std::string command_line;
  /// `--set KEY=VALUE` overrides of the study file, in order.
  std::vector<std::string> overrides;
};

/// Adds the `calibrate` subcommand (options bound to `arguments`) to `app`.
CLI::App* add_calibrate_command(CLI::App& app, CalibrateArguments& arguments);

/// Models a calibration builds at a time. The default calibration's last generation, at 4%
/// acceptance, began with a batch of about 25,700 proposals, and building them all at once
/// peaked at 3.96 GB (about 150 KB a model); 512 keep its peak near 90 MB and are still many
/// more than the threads.
inline constexpr std::size_t kModelsAtOnce = 512;

/// The simulator natosim calibrate hands to ABC-SMC: one model per particle (the scenario's
/// merged `[model]` table `base` with the calibrated keys set), K replicates each (common random
/// numbers, or replicates of its own per (generation, slot)), the targets' mean summaries and
/// the distance. A particle the model refuses gets distance +infinity. `study`, `spec`, `base`
/// and `registry` must outlive the simulator. At most `models_at_once` models are built at a
/// time (a batch is built and run that many at a time): the results do not depend on it, the
/// peak memory does.
analysis::AbcSimulator calibration_simulator(const StudySpec& study, const CalibrationSpec& spec,
                                             const toml::table& base, const ModelRegistry& registry,
                                             int threads, const mpi::World* world = nullptr,
                                             std::size_t models_at_once = kModelsAtOnce);

/// Runs ABC-SMC on a study's [calibration] and writes the calibration file (OUT.partial, then
/// renamed), checkpointing after each generation to OUT + ".checkpoint". Throws ConfigError,
/// OutputError, Interrupted (SIGINT/SIGTERM; the checkpoint stays for --resume). Under mpirun
/// (`world` distributed) every rank runs its share of each generation's runs and every rank
/// gets all the distances, so the ranks follow the same path; rank 0 alone writes.
int command_calibrate(const CalibrateArguments& arguments, const ModelRegistry& registry,
                      mpi::World* world = nullptr);

}  // namespace sim::app
