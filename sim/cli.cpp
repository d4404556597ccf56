#include "sim/cli.h"

#include <atomic>
#include <csignal>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "sim/app/calibrate.h"
#include "sim/app/merge.h"
#include "sim/app/params.h"
#include "sim/app/provenance.h"
#include "sim/app/run.h"
#include "sim/app/sensitivity.h"
#include "sim/config/calibration.h"
#include "sim/config/study.h"
#include "sim/config/sweep.h"
#include "sim/core/error.h"
#include "sim/core/heap.h"
#include "sim/io/calibration_file.h"
#include "sim/io/results_info.h"
#include "sim/io/shard_part.h"
#include "sim/mpi/world.h"

namespace sim {

namespace {

std::atomic<bool> g_stop{false};
/// The MPI ranks of this process (rank 0 of 1 without mpirun); set for the command's lifetime.
mpi::World* g_world = nullptr;

extern "C" void request_stop(int /*signal*/) { g_stop.store(true); }

/// Installs SIGINT/SIGTERM handlers for the lifetime of a run and restores the old ones after.
class StopOnSignal {
 public:
  StopOnSignal() {
    g_stop.store(false);
    previous_int_ = std::signal(SIGINT, request_stop);
    previous_term_ = std::signal(SIGTERM, request_stop);
  }
  ~StopOnSignal() {
    std::signal(SIGINT, previous_int_);
    std::signal(SIGTERM, previous_term_);
  }
  StopOnSignal(const StopOnSignal&) = delete;
  StopOnSignal& operator=(const StopOnSignal&) = delete;

 private:
  void (*previous_int_)(int) = SIG_DFL;
  void (*previous_term_)(int) = SIG_DFL;
};

int command_validate(const std::string& config, const ModelRegistry& registry) {
  StudySpec study = read_study(config, registry);
  std::vector<BuiltScenario> built = build_scenarios(study, registry);
  std::cout << fmt::format(
      "{}: valid study '{}' (model '{}', {} scenario{}, {} replicates, {}-{})\n", config,
      study.name, study.model, built.size(), built.size() == 1 ? "" : "s", study.replicates,
      study.start_year, study.start_year + study.years - 1);
  for (const BuiltScenario& scenario : built) {
    std::cout << fmt::format("  {:<28} {}\n", scenario.spec.name, scenario.spec.description);
  }
  if (study.has_sweep) {
    const SweepSpec sweep = read_sweep(study);
    const std::vector<BuiltScenario> points = build_design_points(study, sweep, registry);
    std::string keys;
    for (const SweepParameter& parameter : sweep.parameters) {
      keys += (keys.empty() ? "" : ", ") + parameter.key;
    }
    std::cout << fmt::format("  sweep: {} design points of scenario '{}' over {}\n", points.size(),
                             sweep.base_scenario, keys);
  }
  const std::string sensitivity = app::check_sensitivity(study, registry);
  if (!sensitivity.empty()) std::cout << "  " << sensitivity << "\n";
  if (study.has_calibration) {
    const CalibrationSpec calibration = read_calibration(study, registry);
    std::string keys;
    for (const CalibrationParameter& parameter : calibration.parameters) {
      keys += (keys.empty() ? "" : ", ") + parameter.key;
    }
    std::cout << fmt::format("  calibration: {} parameters ({}), {} targets, scenario '{}'\n",
                             calibration.parameters.size(), keys, calibration.targets.size(),
                             calibration.scenario);
  }
  return kExitOk;
}
}  // namespace

/// The command line's command, run on this rank.
int run_command(int argc, char** argv, const ModelRegistry& registry) {
  CLI::App app{
      "natosim: agent-based Monte Carlo simulation of alliance burden-sharing and "
      "deterrence under U.S. conditionality.\nSee README.md and docs/ for the model "
      "and the results schema."};
  app.set_version_flag("--version", app::version_text());
  app.require_subcommand(1);

  app::RunArguments run_args;
  for (int i = 0; i < argc; ++i) run_args.command_line += (i ? " " : "") + std::string(argv[i]);

  CLI::App* run = app.add_subcommand("run", "Run a study's scenarios and write a results file");
  app::add_run_options(run, run_args, "configs/baseline.toml");
  run->add_option("--scenario", run_args.scenarios,
                  "Run only these scenarios (repeatable; default: all)");
  run->add_flag("--store-draws", run_args.store_draws,
                "Also store each replicate's drawn value of every uncertain model parameter "
                "(draw_<key> over replicate), for scenario discovery (scripts/discover.py)");
  app::RunArguments sweep_args;
  sweep_args.command_line = run_args.command_line;
  CLI::App* sweep =
      app.add_subcommand("sweep", "Run a study's [sweep]: its base scenario at every design point");
  app::add_run_options(sweep, sweep_args,
                       "configs/threshold_sweep.toml (a study with a [sweep] table)");

  std::string validate_config;
  CLI::App* validate =
      app.add_subcommand("validate", "Check a study file completely without running it");
  validate->add_option("CONFIG", validate_config, "Study file (TOML)")->required();

  app::CalibrateArguments calibrate_args;
  calibrate_args.command_line = run_args.command_line;
  CLI::App* calibrate = app::add_calibrate_command(app, calibrate_args);

  std::string info_file;
  bool info_json = false;
  CLI::App* info = app.add_subcommand("info", "Describe what a results file holds");
  info->add_option("RESULTS", info_file,
                   "Results file (HDF5) written by natosim run, or a calibration file")
      ->required();
  info->add_flag("--json", info_json, "Machine-readable JSON instead of text");

  app::MergeArguments merge_args;
  merge_args.command_line = run_args.command_line;
  CLI::App* merge = app::add_merge_command(app, merge_args);

  app::SensitivityArguments sensitivity_args;
  CLI::App* sensitivity = app::add_sensitivity_command(app, sensitivity_args);
  app::ParamsArguments params_args;
  CLI::App* params = app::add_params_command(app, params_args);

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& success) {
    return app.exit(success);
  } catch (const CLI::ParseError& error) {
    app.exit(error);
    return kExitBadInput;
  } catch (const ConfigError& error) {
    // A number option refused by app::parse_integer_argument (sim/app/options.h).
    std::cerr << error.what() << "\n";
    return kExitBadInput;
  }

  if (g_world != nullptr && g_world->distributed()) {
    // run, sweep, calibrate and sensitivity spread over the ranks; rank 0 alone answers the rest.
    const bool shared =
        run->parsed() || sweep->parsed() || calibrate->parsed() || sensitivity->parsed();
    if (!shared && g_world->rank() != 0) return kExitOk;
  }

  try {
    // From the start of the command, so a signal while the study is read still ends in the
    // documented exit 130 (the run stops before its first block).
    if (run->parsed()) {
      StopOnSignal stop_on_signal;
      return app::command_run(run_args, registry, &g_stop, g_world);
    }
    if (sweep->parsed()) {
      StopOnSignal stop_on_signal;
      return app::command_sweep(sweep_args, registry, &g_stop, g_world);
    }
    if (merge->parsed()) {
      StopOnSignal stop_on_signal;
      return app::command_merge(merge_args, &g_stop);
    }
    if (validate->parsed()) return command_validate(validate_config, registry);
    if (params->parsed()) return app::command_params(params_args, registry);
    if (sensitivity->parsed()) {
      StopOnSignal stop_on_signal;
      return app::command_sensitivity(sensitivity_args, registry,
                                      app::tool_provenance(run_args.command_line), &g_stop,
                                      g_world);
    }
    if (calibrate->parsed()) return app::command_calibrate(calibrate_args, registry, g_world);
    if (info->parsed()) {
      std::cout << (io::is_calibration_file(info_file)
                        ? io::describe_calibration(info_file, info_json)
                    : io::is_shard_part(info_file) ? io::describe_shard_part(info_file)
                                                   : io::describe_results(info_file, info_json));
      return kExitOk;
    }
  } catch (const ConfigError& error) {
    // The message is already `FILE:LINE:COL: key: problem, got X (expected Y)`.
    std::cerr << error.what() << "\n";
    return kExitBadInput;
  } catch (const OutputError& error) {
    std::cerr << "error: " << error.what() << "\n";
    return kExitOutput;
  } catch (const Interrupted& error) {
    std::cerr << "\n" << error.what() << "\n";
    return kExitInterrupted;
  } catch (const std::exception& error) {
    std::cerr << "internal error: " << error.what() << "\n";
    return kExitInternal;
  }
  return kExitOk;
}

int run_cli(int argc, char** argv, const ModelRegistry& registry) {
  // Before any thread (MPI's, the workers') allocates.
  grow_heaps_in_huge_pages();
  std::optional<mpi::World> world;
  try {
    world.emplace(&argc, &argv);
  } catch (const std::runtime_error& error) {
    std::cerr << "error: " << error.what() << "\n";
    return kExitBadInput;
  }
  // Ranks other than 0 keep quiet: rank 0 reports for the job. Their output is shown only when
  // one of them fails on its own, mid-run (a model error on its blocks).
  std::ostringstream quiet_output;
  std::streambuf* real_cerr = std::cerr.rdbuf();
  std::streambuf* real_cout = std::cout.rdbuf();
  if (world->rank() != 0) {
    std::cerr.rdbuf(quiet_output.rdbuf());
    std::cout.rdbuf(quiet_output.rdbuf());
  }
  g_world = &*world;
  int status = kExitInternal;
  try {
    status = run_command(argc, argv, registry);
  } catch (...) {
    g_world = nullptr;
    std::cerr.rdbuf(real_cerr);
    std::cout.rdbuf(real_cout);
    throw;
  }
  g_world = nullptr;
  std::cerr.rdbuf(real_cerr);
  std::cout.rdbuf(real_cout);
  // Before the run every rank meets the same problems as rank 0, which reports them.
  if (status != kExitOk && world->rank() != 0 && world->in_run()) {
    std::istringstream lines(quiet_output.str());
    for (std::string line; std::getline(lines, line);) {
      if (!line.empty()) std::cerr << "rank " << world->rank() << ": " << line << "\n";
    }
  }
  world->finish(status);
  return status;
}

}  // namespace sim
