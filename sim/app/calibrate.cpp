#include "sim/app/calibrate.h"

#include "sim/app/options.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <optional>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <tbb/blocked_range.h>
#include <tbb/info.h>
#include <tbb/parallel_for.h>

#include "sim/config/calibration.h"
#include "sim/core/build_info.h"
#include "sim/io/calibration_file.h"
#include "sim/io/output_path.h"

namespace sim::app {

namespace fs = std::filesystem;

namespace {

std::atomic<bool> g_calibration_stop{false};
extern "C" void stop_calibration(int /*signal*/) { g_calibration_stop.store(true); }

/// SIGINT/SIGTERM ask the calibration to stop at the next batch; the old handlers come back
/// afterwards.
struct SignalScope {
  SignalScope() {
    g_calibration_stop.store(false);
    old_int = std::signal(SIGINT, stop_calibration);
    old_term = std::signal(SIGTERM, stop_calibration);
  }
  ~SignalScope() {
    std::signal(SIGINT, old_int);
    std::signal(SIGTERM, old_term);
  }
  SignalScope(const SignalScope&) = delete;
  SignalScope& operator=(const SignalScope&) = delete;
  void (*old_int)(int) = SIG_DFL;
  void (*old_term)(int) = SIG_DFL;
};

}  // namespace

analysis::AbcSimulator calibration_simulator(const StudySpec& study, const CalibrationSpec& spec,
                                             const toml::table& base, const ModelRegistry& registry,
                                             int threads, const mpi::World* world,
                                             std::size_t models_at_once) {
  std::vector<analysis::OutputSpec> outputs;
  std::vector<analysis::AbcTarget> targets;
  for (const CalibrationTarget& target : spec.targets) {
    outputs.push_back(target.output);
    targets.push_back(target.target);
  }
  const std::vector<PointKey> keys = spec.keys();
  auto builder = std::make_shared<const PointModelBuilder>(study, base, keys, registry);
  models_at_once = std::max<std::size_t>(models_at_once, 1);
  return [&study, &spec, threads, world, outputs, targets, builder, models_at_once](
             std::size_t generation, std::int64_t first_slot, std::span<const double> points,
             std::size_t count, std::vector<double>& summaries, std::vector<double>& distances) {
    const std::size_t d = spec.parameters.size();
    const std::size_t m = outputs.size();
    summaries.assign(count * m, NAN);
    distances.assign(count, INFINITY);
    // A batch of proposals can be tens of thousands when few are accepted, and a built model
    // holds over a hundred kilobytes: they are built and run a part at a time, so that memory
    // stays bounded. A particle's runs depend only on its values and its slot, not on the
    // others built with it.
    std::vector<std::unique_ptr<Model>> models;
    for (std::size_t first = 0; first < count; first += models_at_once) {
      const std::size_t part = std::min(models_at_once, count - first);
      models.clear();  // the last part's models go before the next are built
      models.resize(part);
      tbb::parallel_for(tbb::blocked_range<std::size_t>(0, part), [&](const auto& range) {
        for (std::size_t i = range.begin(); i < range.end(); ++i) {
          try {
            models[i] =
                builder->build(points.subspan((first + i) * d, d), "(calibration particle)");
          } catch (const ConfigError&) {
            // The model refuses this combination of values (a cross-parameter check): the
            // particle is rejected like one outside the prior's support.
            models[i] = nullptr;
          }
        }
      });
      std::vector<const Model*> built;
      std::vector<std::size_t> index;
      analysis::EvaluateOptions options;
      options.seed = study.seed;
      options.start_year = study.start_year;
      options.years = study.years;
      options.replicates = spec.replicates;
      options.threads = threads;
      options.stop = &g_calibration_stop;  // set only while command_calibrate runs
      options.world = world;
      for (std::size_t i = 0; i < part; ++i) {
        if (!models[i]) continue;
        built.push_back(models[i].get());
        index.push_back(first + i);
        if (!spec.common_random_numbers) {
          // Replicates of their own per (generation, slot): 2^40 run ids per generation.
          const auto slot = static_cast<std::uint64_t>(first_slot) + first + i;
          options.first_replicate.push_back((static_cast<std::uint64_t>(generation + 1) << 40) +
                                            slot * static_cast<std::uint64_t>(spec.replicates));
        }
      }
      const analysis::Evaluation result = analysis::evaluate(built, outputs, options);
      for (std::size_t b = 0; b < built.size(); ++b) {
        const std::size_t i = index[b];
        for (std::size_t k = 0; k < m; ++k) summaries[i * m + k] = result.mean(b, k);
        distances[i] = analysis::distance(spec.distance, targets,
                                          std::span<const double>(summaries).subspan(i * m, m));
      }
    }
  };
}

namespace {

io::CalibrationData describe_run(const StudySpec& study, const CalibrationSpec& spec,
                                 const CalibrateArguments& arguments, int threads) {
  io::CalibrationData data;
  data.model = study.model;
  data.population = spec.abc.population;
  data.seed = study.seed;
  for (const CalibrationParameter& parameter : spec.parameters) {
    data.parameters.push_back(parameter.key);
    data.priors.push_back(parameter.prior_text);
  }
  for (const CalibrationTarget& target : spec.targets) {
    data.targets.push_back(target.output.label);
    data.observed.push_back(target.target.observed);
    data.scales.push_back(target.target.scale);
    data.weights.push_back(target.target.weight);
  }
  auto& a = data.attributes;
  a["natosim_version"] = build_info::version;
  a["git_commit"] = build_info::git_commit;
  a["build_type"] = build_info::build_type;
  a["compiler"] = build_info::compiler;
  a["created_utc"] = fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(std::time(nullptr)));
  a["command_line"] = arguments.command_line;
  a["config_file"] = study.file;
  a["config_text"] = study.text;
  a["config_sha256"] = study.sha256;
  if (!study.base_file.empty()) {
    a["base_config_file"] = study.base_file;
    a["base_config_text"] = study.base_text;
    a["base_config_sha256"] = study.base_sha256;
  }
  a["study_name"] = study.name;
  a["scenario"] = spec.scenario;
  a["start_year"] = std::to_string(study.start_year);
  a["years"] = std::to_string(study.years);
  a["replicates"] = std::to_string(spec.replicates);
  a["common_random_numbers"] = spec.common_random_numbers ? "true" : "false";
  a["distance"] = spec.distance == analysis::Distance::mae ? "mae" : "rmse";
  a["quantile"] = fmt::format("{}", spec.abc.quantile);
  a["min_tolerance"] = fmt::format("{}", spec.abc.min_tolerance);
  a["min_acceptance"] = fmt::format("{}", spec.abc.min_acceptance);
  a["max_generations"] = std::to_string(spec.abc.max_generations);
  a["max_simulations"] = std::to_string(spec.abc.max_simulations);
  a["threads"] = std::to_string(threads);
  return data;
}

}  // namespace

CLI::App* add_calibrate_command(CLI::App& app, CalibrateArguments& arguments) {
  CLI::App* command = app.add_subcommand(
      "calibrate", "Estimate a study's [calibration] parameters from data with ABC-SMC");
  command->add_option("CONFIG", arguments.config, "Study file (TOML) with a [calibration] table")
      ->required()
      ->check(CLI::ExistingFile);
  command->add_option("-o,--output", arguments.output,
                      "Calibration file to write (default: results/<study name>_calibration.h5)");
  add_threads_option(command, arguments.threads);
  add_seed_option(command, arguments.seed);
  command->add_flag("--resume", arguments.resume,
                    "Continue an interrupted run from its checkpoint (OUT.checkpoint)");
  command->add_flag("--force", arguments.force,
                    "Overwrite the output; without --resume, discard an old checkpoint");
  command->add_flag("-q,--quiet", arguments.quiet, "No progress lines, only the result path");
  add_set_option(command, arguments.overrides);
  return command;
}

int command_calibrate(const CalibrateArguments& arguments, const ModelRegistry& registry,
                      mpi::World* world) {
  StudySpec study = read_study(arguments.config, registry, arguments.overrides);
  if (arguments.seed >= 0) study.seed = static_cast<std::uint64_t>(arguments.seed);
  CalibrationSpec spec = read_calibration(study, registry);
  spec.abc.seed = study.seed;
  const int threads = arguments.threads > 0 ? arguments.threads : tbb::info::default_concurrency();
  spec.abc.threads = threads;

  const fs::path output = arguments.output.empty()
                              ? fs::path("results") / (study.name + "_calibration.h5")
                              : fs::path(arguments.output);
  if (arguments.output.empty()) fs::create_directories(output.parent_path());
  // Under mpirun rank 0 alone writes (and removes); every rank reads a checkpoint to resume.
  const bool writes = world == nullptr || world->rank() == 0;
  std::optional<io::OutputLock> output_lock;
  if (writes) {
    output_lock.emplace(io::lock_output(output, arguments.force, io::kCalibrationFileType));
  }
  const fs::path checkpoint = fs::path(output.string() + ".checkpoint");

  io::CalibrationData data = describe_run(study, spec, arguments, threads);
  std::error_code error;
  if (fs::exists(checkpoint, error)) {
    if (arguments.resume) {
      io::CalibrationData saved = io::read_calibration(checkpoint);
      if (saved.attributes["config_sha256"] != study.sha256 ||
          saved.attributes["base_config_sha256"] != study.base_sha256 || saved.seed != study.seed ||
          saved.parameters != data.parameters || saved.targets != data.targets ||
          saved.population != data.population) {
        throw OutputError(checkpoint.string() +
                          " was written for another config or seed; pass --force without "
                          "--resume to start over");
      }
      data.generations = std::move(saved.generations);
      if (!arguments.quiet) {
        std::cerr << fmt::format("resuming after generation {} from {}\n",
                                 data.generations.size() - 1, checkpoint.string());
      }
    } else if (arguments.force) {
      if (writes) fs::remove(checkpoint);
    } else {
      throw OutputError(checkpoint.string() +
                        " exists (an interrupted calibration); pass --resume to continue it or "
                        "--force to start over");
    }
  } else if (arguments.resume && !arguments.quiet) {
    std::cerr << fmt::format("no checkpoint {}: starting from generation 0\n", checkpoint.string());
  }

  const toml::table base = merged_model_table(study, spec.scenario_index);
  analysis::AbcProblem problem;
  for (const CalibrationParameter& parameter : spec.parameters) {
    problem.priors.push_back(parameter.prior);
  }
  problem.summaries = spec.targets.size();
  problem.simulate = calibration_simulator(study, spec, base, registry, threads, world);
  if (world != nullptr) world->abort_on_failure();  // a failing rank must end the whole job

  if (!arguments.quiet) {
    std::cerr << fmt::format(
        "calibration '{}': {} parameter{}, {} target{}, population {} x {} replicates of {} "
        "years, up to {} generations on {} thread{}\n",
        study.name, spec.parameters.size(), spec.parameters.size() == 1 ? "" : "s",
        spec.targets.size(), spec.targets.size() == 1 ? "" : "s", spec.abc.population,
        spec.replicates, study.years, spec.abc.max_generations, threads, threads == 1 ? "" : "s");
  }
  SignalScope signals;
  const auto start = std::chrono::steady_clock::now();
  auto last = start;
  const std::size_t resumed = data.generations.size();
  const analysis::AbcObserver observer =
      [&](const std::vector<analysis::AbcGeneration>& generations) {
        data.generations = generations;
        if (writes) io::write_calibration_checkpoint(data, checkpoint);
        const auto now = std::chrono::steady_clock::now();
        const double seconds = std::chrono::duration<double>(now - last).count();
        const double elapsed = std::chrono::duration<double>(now - start).count();
        last = now;
        if (arguments.quiet) return;
        const analysis::AbcGeneration& g = generations.back();
        std::int64_t total = 0;
        for (const analysis::AbcGeneration& each : generations) total += each.simulations;
        const double per_generation = elapsed / static_cast<double>(generations.size() - resumed);
        const auto left =
            static_cast<double>(spec.abc.max_generations) - static_cast<double>(generations.size());
        std::cerr << fmt::format(
            "generation {}: tolerance {:.6g}, acceptance {:.3f}, ESS {:.1f}, simulations {} "
            "(total {}), {:.1f} s, ETA <= {:.0f} s\n",
            generations.size() - 1, g.tolerance, g.acceptance_rate, g.ess, g.simulations, total,
            seconds, per_generation * left);
      };
  analysis::AbcStop stop = analysis::AbcStop::max_generations;
  try {
    stop = analysis::run_abc_smc(problem, spec.abc, data.generations, observer);
  } catch (const Interrupted&) {
    if (fs::exists(checkpoint, error)) {
      std::cerr << fmt::format("\nthe finished generations are kept in {}; continue with --resume",
                               checkpoint.string());
    }
    throw;
  }
  data.stop_reason = analysis::stop_name(stop);
  if (!writes) return 0;
  io::write_calibration(data, output, arguments.force, &g_calibration_stop);
  fs::remove(checkpoint, error);
  if (!arguments.quiet) {
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::cerr << fmt::format("done: {} generations in {:.1f} s, stopped by {}\n",
                             data.generations.size(), seconds, data.stop_reason);
  }
  std::cout << "calibration: " << output.string() << "\n";
  return 0;
}

}  // namespace sim::app
