#include "sim/app/run.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <functional>
#include <iostream>
#include <optional>
#include <tuple>

#include <fmt/format.h>
#include <tbb/info.h>

#include "sim/app/options.h"
#include "sim/app/plan.h"
#include "sim/app/provenance.h"
#include "sim/cli.h"
#include "sim/config/parameter_log.h"
#include "sim/config/study.h"
#include "sim/config/sweep.h"
#include "sim/core/error.h"
#include "sim/engine/progress.h"
#include "sim/engine/runner.h"
#include "sim/io/output_path.h"
#include "sim/io/results_schema.h"
#include "sim/io/run_checkpoint.h"
#include "sim/io/shard_part.h"
#include "sim/mpi/distributed_run.h"

namespace sim::app {

namespace {

/// The command's stop flag and MPI ranks, for the lifetime of command_run or command_sweep.
const std::atomic<bool>* g_stop = nullptr;
mpi::World* g_world = nullptr;

class CommandScope {
 public:
  CommandScope(const std::atomic<bool>* stop, mpi::World* world) {
    g_stop = stop;
    g_world = world;
  }
  CommandScope(const CommandScope&) = delete;
  CommandScope& operator=(const CommandScope&) = delete;
  ~CommandScope() {
    g_stop = nullptr;
    g_world = nullptr;
  }
};

/// `--shard I/N` read: shard I (0-based) of N.
struct ShardChoice {
  std::int64_t index = 0;
  std::int64_t count = 1;
};

ShardChoice parse_shard(const std::string& text) {
  const auto fail = [&](const std::string& problem) {
    throw ConfigError(SourcePosition{"command line", 0, 0}, "--shard", problem, "\"" + text + "\"",
                      "I/N with N >= 1 and 0 <= I < N, e.g. 0/4");
  };
  const auto slash = text.find('/');
  if (slash == std::string::npos) fail("not of the form I/N");
  ShardChoice choice;
  const auto number = [&](const std::string& part, std::int64_t& value) {
    if (part.empty() || part.size() > 12 ||
        part.find_first_not_of("0123456789") != std::string::npos) {
      fail("not of the form I/N");
    }
    value = std::stoll(part);
  };
  number(text.substr(0, slash), choice.index);
  number(text.substr(slash + 1), choice.count);
  if (choice.count < 1) fail("N must be at least 1");
  if (choice.index >= choice.count) fail("I must be below N (shards are numbered from 0)");
  return choice;
}

/// What a run's results depend on, besides the thread count: a resume or a merge of shards is
/// refused unless all of it is the same.
io::RunIdentity run_identity(const RunArguments& args, const StudySpec& study,
                             const std::vector<ScenarioRun>& runs, int reference,
                             const RunOptions& options) {
  std::string scenario_names;
  for (const ScenarioRun& run : runs) {
    scenario_names += (scenario_names.empty() ? "" : ",") + run.name;
  }
  std::string overrides;
  for (const std::string& text : study.overrides) {
    overrides += (overrides.empty() ? "" : "\n") + text;
  }
  std::string base_digests = study.base_sha256;
  for (std::size_t i = 1; i < study.bases.size(); ++i) base_digests += "," + study.bases[i].sha256;
  return {{"command", reference == -2 ? "sweep" : "run"},
          {"config", study.sha256},
          {"base config", base_digests},
          {"--set overrides", overrides},
          {"seed", std::to_string(study.seed)},
          {"replicates", std::to_string(study.replicates)},
          {"scenarios", scenario_names},
          {"--trajectories", args.trajectories ? "yes" : "no"},
          {"--no-events", args.no_events ? "yes" : "no"},
          {"--compression", std::to_string(args.compression)},
          {"--store-draws", args.store_draws ? "yes" : "no"},
          {"block size", std::to_string(options.block_size)},
          {"binary", io::executable_sha256()}};
}

RunOptions run_options(const RunArguments& args, const StudySpec& study, int threads,
                       int reference) {
  RunOptions options;
  options.seed = study.seed;
  options.replicates = study.replicates;
  options.start_year = study.start_year;
  options.years = study.years;
  options.threads = threads;
  options.trajectories = args.trajectories;
  options.events = !args.no_events;
  options.reference = std::max(reference, -1);
  options.stop = g_stop;
  return options;
}

/// Tells the other MPI ranks whether rank 0 starts the run: "go" once every check passed, "stop"
/// (from the destructor) when it returns or throws before that, so no rank waits for ever.
class StartSignal {
 public:
  explicit StartSignal(mpi::World* world) : world_(world) {}
  StartSignal(const StartSignal&) = delete;
  StartSignal& operator=(const StartSignal&) = delete;
  ~StartSignal() {
    if (world_ != nullptr && !sent_) world_->broadcast(0);
  }
  void go() {
    if (world_ != nullptr && !sent_) world_->broadcast(1);
    sent_ = true;
  }

 private:
  mpi::World* world_;
  bool sent_ = false;
};

/// A rank other than 0 under mpirun: waits for rank 0's checks, then runs its share of the
/// blocks and sends them to rank 0, which writes the file.
int execute_worker_rank(const RunArguments& args, const StudySpec& study,
                        const std::vector<ScenarioRun>& runs, int reference) {
  const int threads = args.threads > 0 ? args.threads : tbb::info::default_concurrency();
  const RunOptions options = run_options(args, study, threads, reference);
  if (g_world->broadcast(0) == 0) return kExitOk;  // rank 0 refused or stopped: it says why
  g_world->abort_on_failure();
  mpi::run_study_distributed(*g_world, runs, options, nullptr);
  g_world->done();
  return kExitOk;
}

/// `run --shard I/N`: runs the shard's slice of the blocks and writes its part (docs/OUTPUT.md,
/// "Shards and merge").
int run_shard(const RunArguments& args, const ShardChoice& shard, const std::filesystem::path& out,
              const std::vector<ScenarioRun>& runs, const RunOptions& options,
              const io::RunIdentity& identity, const std::function<void(Results&)>& annotate) {
  const std::int64_t blocks = study_blocks(options);
  if (shard.count > blocks) {
    throw ConfigError(
        SourcePosition{"command line", 0, 0}, "--shard", "more shards than blocks of replicates",
        args.shard,
        fmt::format("N <= {} (the study's blocks of {} replicates)", blocks, options.block_size));
  }
  io::ShardHeader header;
  header.identity = identity;
  header.shard = shard.index;
  header.shards = shard.count;
  std::tie(header.first_block, header.end_block) =
      io::shard_blocks(shard.index, shard.count, blocks);
  header.blocks = blocks;
  header.block_size = options.block_size;
  header.compression = args.compression;
  header.layout = study_layout(runs, options);
  annotate(header.layout);
  io::ShardPartWriter part(out, args.force, header);
  const std::int64_t first = header.first_block * options.block_size;
  const std::int64_t last = std::min(header.end_block * options.block_size, options.replicates);
  if (!args.quiet) {
    std::cerr << fmt::format(
        "shard {} of {} of study '{}': blocks {}-{} of {} (replicates {}-{} of {}) x {} "
        "scenario{} on {} thread{}; part {}\n",
        shard.index, shard.count, header.layout.attributes["study_name"], header.first_block,
        header.end_block - 1, blocks, first, last - 1, options.replicates, runs.size(),
        runs.size() == 1 ? "" : "s", options.threads, options.threads == 1 ? "" : "s",
        out.string());
  }
  const auto scenarios = static_cast<std::int64_t>(runs.size());
  const std::int64_t total = (last - first) * scenarios;
  std::int64_t done = 0;
  produce_study_items(runs, options, block_range(header.first_block, header.end_block),
                      [&](std::int64_t item, std::vector<unsigned char>&& bytes) {
                        part.add_item(item, bytes);
                        const std::int64_t block = item / scenarios;
                        done += std::min(options.block_size,
                                         options.replicates - block * options.block_size);
                        if (options.progress) options.progress(done, total);
                      });
  if (g_stop != nullptr && g_stop->load()) throw Interrupted();
  part.commit();
  std::cout << "part: " << out.string() << "\n";
  return kExitOk;
}

/// Runs built scenarios (a study's or a sweep's design points) and writes the results file.
/// `reference` is the reference scenario's index, -1 for none, -2 for a sweep.
int execute(const RunArguments& args, const StudySpec& study, std::vector<ScenarioRun> runs,
            int reference, const std::function<void(Results&)>& annotate) {
  namespace fs = std::filesystem;
  std::optional<ShardChoice> shard;
  if (!args.shard.empty()) shard = parse_shard(args.shard);
  const bool distributed = g_world != nullptr && g_world->distributed();
  if (distributed) {
    // Under mpirun the ranks share one run; a killed MPI job is started again.
    const char* refused = args.resume                   ? "--resume"
                          : args.checkpoint_every_block ? "--checkpoint"
                          : shard                       ? "--shard"
                                                        : nullptr;
    if (refused != nullptr) {
      throw ConfigError(SourcePosition{"command line", 0, 0}, refused, "not available under mpirun",
                        refused,
                        "the option without mpirun (MPI ranks share one run, without checkpoints)");
    }
    if (g_world->rank() != 0) return execute_worker_rank(args, study, runs, reference);
  }
  StartSignal start_signal(distributed ? g_world : nullptr);
  const fs::path output = !args.output.empty() ? fs::path(args.output)
                          : shard ? fs::path("results") / fmt::format("{}_part{}of{}", study.name,
                                                                      shard->index, shard->count)
                                  : fs::path("results") / (study.name + ".h5");
  const fs::path checkpoint_folder = io::checkpoint_path(output);
  std::error_code error;
  if (args.resume && !args.dry_run && !fs::exists(checkpoint_folder, error)) {
    if (fs::exists(output, error)) {
      throw OutputError(output.string() + " is complete (there is no checkpoint " +
                        checkpoint_folder.string() + "); nothing to resume");
    }
    throw OutputError(checkpoint_folder.string() +
                      ": no checkpoint to resume from (the run never started, or ran with "
                      "--no-checkpoint); run the command without --resume");
  }

  const int threads = args.threads > 0 ? args.threads : tbb::info::default_concurrency();
  const app::Plan plan =
      app::estimate(runs.front().model->schema(), runs.size(), study.replicates, study.years,
                    args.trajectories, reference >= 0, threads, args.compression);
  const auto print_plan = [&] {
    std::cerr << fmt::format(
        "study '{}': {} {}{} x {} replicates = {} runs of {} years on {} thread{}{}\n"
        "expected results file {} (about {}), peak memory about {}{}\n",
        study.name, runs.size(), reference == -2 ? "design point" : "scenario",
        runs.size() == 1 ? "" : "s", study.replicates, plan.runs, study.years, threads,
        threads == 1 ? "" : "s",
        distributed ? fmt::format(" x {} MPI ranks", g_world->size()) : std::string(),
        output.string(), app::human_bytes(plan.file_bytes), app::human_bytes(plan.memory_bytes),
        distributed ? " per rank" : "");
  };
  if (args.dry_run) {
    print_plan();
    if (shard) {
      std::cerr << "(the whole run's file; a part holds about 10 kB per replicate and scenario "
                   "without --trajectories: docs/OUTPUT.md, \"Shards and merge\")\n";
    }
    return kExitOk;
  }
  const double limit_bytes = static_cast<double>(args.max_output_mib) * 1024.0 * 1024.0;
  if (!shard && plan.file_bytes > limit_bytes && !args.force) {
    throw OutputError(
        fmt::format("the results file would be about {}, above the limit of {} (--max-output-mib); "
                    "pass --force to run anyway, or use fewer replicates or no --trajectories",
                    app::human_bytes(plan.file_bytes), app::human_bytes(limit_bytes)));
  }

  if (args.output.empty()) std::filesystem::create_directories(output.parent_path());
  const io::OutputLock output_lock =
      io::lock_output(output, args.force, shard ? io::kShardPartFileType : io::kFileType);
  // Checked under the lock: a checkpoint of a run still going is that run's, not an old one.
  // A checkpoint folder without a state holds no finished block: nothing to keep or resume.
  const bool checkpoint_saved = !shard && fs::exists(checkpoint_folder / "state", error);
  if (!args.resume && checkpoint_saved && !args.force) {
    throw OutputError(checkpoint_folder.string() +
                      " exists (an interrupted run); add --resume to the same command to finish "
                      "it, or --force to start over");
  }
  if (!args.resume && !shard) fs::remove_all(checkpoint_folder, error);

  RunOptions options = run_options(args, study, threads, reference);
  ProgressBar progress(stderr, !args.quiet);
  options.progress = [&progress](std::int64_t done, std::int64_t total) {
    progress.update(done, total);
  };

  // The file is written as the run goes (docs/OUTPUT.md, "Writing"); what the runner does not
  // know (provenance, labels, draws, swept parameters) goes into its header first.
  io::WriterOptions writing;
  writing.compression = args.compression;
  writing.stop = g_stop;
  writing.annotate = [&](Results& layout) {
    layout.attributes.merge(app::tool_provenance(args.command_line));
    layout.attributes.merge(study_provenance(study));
    layout.attributes["threads"] = std::to_string(threads);
    if (distributed) layout.attributes["mpi_ranks"] = std::to_string(g_world->size());
    if (options.resume != nullptr) {
      layout.attributes["resumed_after_blocks"] = std::to_string(options.resume->blocks);
    }
    annotate(layout);
  };
  const io::RunIdentity identity = run_identity(args, study, runs, reference, options);
  if (shard) {
    return run_shard(args, *shard, output, runs, options, identity, writing.annotate);
  }
  io::ResultsFileWriter writer(output, args.force, std::move(writing));

  // Resuming is refused unless every input that shapes the results is the same.
  std::optional<io::CheckpointingSink> checkpoint;
  if (args.resume) {
    checkpoint.emplace(io::CheckpointingSink::resume(writer, checkpoint_folder, identity));
    options.resume = checkpoint->saved();
    if (!args.quiet) {
      std::cerr << (options.resume != nullptr
                        ? fmt::format("resuming after {} finished block{} from {}\n",
                                      options.resume->blocks,
                                      options.resume->blocks == 1 ? "" : "s",
                                      checkpoint_folder.string())
                        : fmt::format("{} holds no finished block yet: starting from the first\n",
                                      checkpoint_folder.string()));
    }
  } else if (!args.no_checkpoint && !distributed) {
    checkpoint.emplace(writer, checkpoint_folder, identity);
  }
  std::int64_t blocks_saved = options.resume != nullptr ? options.resume->blocks : 0;
  if (checkpoint) {
    auto last_save = std::chrono::steady_clock::now();
    options.checkpoint_due = [&, last_save](std::int64_t) mutable {
      const auto now = std::chrono::steady_clock::now();
      if (!args.checkpoint_every_block &&
          std::chrono::duration<double>(now - last_save).count() < args.checkpoint_seconds) {
        return false;
      }
      last_save = now;
      return true;
    };
    options.checkpoint = [&](const RunCheckpoint& state) {
      checkpoint->save(state);
      blocks_saved = state.blocks;
    };
  }
  ResultsSink& sink = checkpoint ? static_cast<ResultsSink&>(*checkpoint) : writer;
  // After every check that can refuse the run, so that a refusal is one line.
  if (!args.quiet) print_plan();

  const auto start = std::chrono::steady_clock::now();
  try {
    if (distributed) {
      start_signal.go();
      g_world->abort_on_failure();
      mpi::run_study_distributed(*g_world, runs, options, &sink);
      g_world->done();
    } else {
      run_study(runs, options, sink);
    }
    progress.finish();
    if (g_stop != nullptr && g_stop->load()) throw Interrupted();
  } catch (const Interrupted&) {
    if (checkpoint && blocks_saved == 0) checkpoint->discard();  // nothing worth keeping
    if (checkpoint && blocks_saved > 0) {
      std::cerr << fmt::format(
          "\n{} keeps {} finished block{} of {} replicates: add --resume to the same command "
          "to finish the run",
          checkpoint_folder.string(), blocks_saved, blocks_saved == 1 ? "" : "s",
          options.block_size);
    }
    throw;
  } catch (...) {
    if (checkpoint && blocks_saved == 0) checkpoint->discard();
    throw;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  writer.commit();
  if (checkpoint) checkpoint->discard();
  if (!args.quiet) {
    std::cerr << fmt::format("done: {} runs in {:.1f} s\n", plan.runs, seconds);
  }
  std::cout << "results: " << output.string() << "\n";
  return kExitOk;
}

/// Applies the command line's --replicates and --seed to a study.
void apply_overrides(const RunArguments& args, StudySpec& study) {
  if (args.replicates > 0) study.replicates = args.replicates;
  if (args.seed >= 0) study.seed = static_cast<std::uint64_t>(args.seed);
}

/// Each replicate's draw of every uncertain parameter the selected scenarios' models read
/// (replaying Uncertain::draw with the study seed, exactly as the models do).
std::vector<Results::ParameterDraws> parameter_draws(const StudySpec& study,
                                                     const std::vector<BuiltScenario>& built,
                                                     const std::vector<std::string>& selected) {
  std::vector<const BuiltScenario*> scenarios;
  for (const std::string& name : selected) {
    for (const BuiltScenario& scenario : built) {
      if (scenario.spec.name == name) scenarios.push_back(&scenario);
    }
  }
  std::vector<std::string> keys;
  for (const BuiltScenario* scenario : scenarios) {
    for (const config::LoggedParameter* entry : scenario->parameters->uncertain()) {
      if (std::find(keys.begin(), keys.end(), entry->key) == keys.end()) keys.push_back(entry->key);
    }
  }
  const auto replicates = static_cast<std::size_t>(study.replicates);
  std::vector<Results::ParameterDraws> result;
  for (const std::string& key : keys) {
    Results::ParameterDraws draws;
    draws.key = key.substr(std::string("model.").size());
    std::vector<std::vector<double>> per_scenario;
    for (const BuiltScenario* scenario : scenarios) {
      std::vector<double> values(replicates, NAN);
      for (const config::LoggedParameter& entry : scenario->parameters->entries) {
        if (entry.key != key) continue;
        if (draws.distribution.empty()) draws.distribution = entry.value;
        for (std::size_t r = 0; r < replicates; ++r) {
          values[r] =
              entry.uncertain
                  ? entry.uncertain->draw(study.seed, r)
                  : std::strtod(entry.value.c_str() + (entry.value.starts_with("default ") ? 8 : 0),
                                nullptr);
        }
      }
      per_scenario.push_back(std::move(values));
    }
    draws.per_scenario =
        std::any_of(per_scenario.begin(), per_scenario.end(), [&](const std::vector<double>& v) {
          return !std::equal(
              v.begin(), v.end(), per_scenario.front().begin(),
              [](double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); });
        });
    for (std::size_t s = 0; s < (draws.per_scenario ? per_scenario.size() : 1); ++s) {
      draws.values.insert(draws.values.end(), per_scenario[s].begin(), per_scenario[s].end());
    }
    result.push_back(std::move(draws));
  }
  return result;
}

}  // namespace

void add_run_options(CLI::App* command, RunArguments& arguments, const char* example) {
  command->add_option("CONFIG", arguments.config, std::string("Study file (TOML), e.g. ") + example)
      ->required()
      ->check(CLI::ExistingFile);
  command->add_option("-o,--output", arguments.output,
                      "Results file to write (default: results/<study name>.h5)");
  app::add_integer_option(command, "--replicates", arguments.replicates, 1, 100'000'000,
                          "Monte Carlo replicates per scenario (default: the study's)");
  app::add_threads_option(command, arguments.threads);
  app::add_seed_option(command, arguments.seed);
  command->add_flag(
      "--trajectories", arguments.trajectories,
      "Also store every replicate's values (the file grows with replicates, memory does not)");
  command->add_flag("--no-events", arguments.no_events,
                    "Do not write the event table (it grows with replicates and attack rates)");
  command->add_flag("--force", arguments.force,
                    "Overwrite the results file if it exists; run even above --max-output-mib");
  app::add_integer_option(command, "--max-output-mib", arguments.max_output_mib, 1, INT64_MAX,
                          "Refuse (without --force) a run whose results file would exceed this "
                          "size in MiB (default 4096)");
  command->add_flag("-q,--quiet", arguments.quiet,
                    "No progress bar or messages, only the result path");
  command->add_flag("--dry-run", arguments.dry_run,
                    "Print the number of runs and the expected file size and memory, then stop");
  app::add_integer_option(command, "--compression", arguments.compression, 0, 9,
                          "gzip level of trajectories and events, 0 (none) to 9 (default 1)");
  app::add_set_option(command, arguments.overrides);
  CLI::Option* resume =
      command->add_flag("--resume", arguments.resume,
                        "Finish an interrupted run from its checkpoint (OUT.checkpoint): repeat "
                        "the command with --resume added");
  CLI::Option* every_block =
      command->add_flag("--checkpoint", arguments.checkpoint_every_block,
                        "Save a checkpoint after every block of replicates (default: every "
                        "--checkpoint-every seconds)");
  command
      ->add_option("--checkpoint-every", arguments.checkpoint_seconds,
                   "Seconds between checkpoints (default 60: a run shorter than that saves "
                   "none unless interrupted)")
      ->check(CLI::Range(0.0, 1e9));
  CLI::Option* no_checkpoint = command
                                   ->add_flag("--no-checkpoint", arguments.no_checkpoint,
                                              "Keep no checkpoint (a killed run cannot be resumed)")
                                   ->excludes(resume)
                                   ->excludes(every_block);
  command
      ->add_option("--shard", arguments.shard,
                   "Run only shard I of N (0-based) of the replicate blocks and write a part "
                   "for `natosim merge` (a cluster job array; see README, \"Scaling out\")")
      ->excludes(resume)
      ->excludes(every_block)
      ->excludes(no_checkpoint);
}

int command_run(const RunArguments& args, const ModelRegistry& registry,
                const std::atomic<bool>* stop, mpi::World* world) {
  const CommandScope scope(stop, world);
  StudySpec study = read_study(args.config, registry, args.overrides);
  apply_overrides(args, study);
  for (const std::string& name : args.scenarios) {
    const bool known = std::any_of(study.scenarios.begin(), study.scenarios.end(),
                                   [&](const ScenarioSpec& s) { return s.name == name; });
    if (!known) {
      std::string names;
      for (const ScenarioSpec& s : study.scenarios) names += (names.empty() ? "" : ", ") + s.name;
      throw ConfigError(SourcePosition{"command line", 0, 0}, "--scenario", "unknown scenario",
                        "\"" + name + "\"", "one of: " + names);
    }
  }
  std::vector<BuiltScenario> built = build_scenarios(study, registry);
  std::vector<ScenarioRun> runs;
  int reference = -1;
  for (const BuiltScenario& scenario : built) {
    const bool selected =
        args.scenarios.empty() || std::find(args.scenarios.begin(), args.scenarios.end(),
                                            scenario.spec.name) != args.scenarios.end();
    if (!selected) continue;
    if (scenario.spec.name == study.reference) reference = static_cast<int>(runs.size());
    runs.push_back(
        ScenarioRun{scenario.spec.name, scenario.spec.description, scenario.model.get()});
  }
  if (!study.reference.empty() && reference < 0 && !args.quiet) {
    std::cerr << fmt::format(
        "note: reference scenario '{}' is not selected; no paired differences are written\n",
        study.reference);
  }
  return execute(args, study, std::move(runs), reference, [&](Results& results) {
    // The scenarios' labels and groups, in the order they were run.
    for (const std::string& name : results.scenarios) {
      const auto spec = std::find_if(study.scenarios.begin(), study.scenarios.end(),
                                     [&](const ScenarioSpec& s) { return s.name == name; });
      results.scenario_labels.push_back(spec != study.scenarios.end() ? spec->label : name);
      results.scenario_groups.push_back(spec != study.scenarios.end() ? spec->group : "");
    }
    if (args.store_draws) results.draws = parameter_draws(study, built, results.scenarios);
  });
}

int command_sweep(const RunArguments& args, const ModelRegistry& registry,
                  const std::atomic<bool>* stop, mpi::World* world) {
  const CommandScope scope(stop, world);
  StudySpec study = read_study(args.config, registry, args.overrides);
  apply_overrides(args, study);
  const SweepSpec sweep = read_sweep(study);
  std::vector<BuiltScenario> built = build_design_points(study, sweep, registry);
  std::vector<ScenarioRun> runs;
  runs.reserve(built.size());
  for (const BuiltScenario& point : built) {
    runs.push_back(ScenarioRun{point.spec.name, point.spec.description, point.model.get()});
  }
  const char* designs[] = {"grid", "latin_hypercube", "points"};
  return execute(args, study, std::move(runs), -2, [&](Results& results) {
    results.scenario_dimension = "design_point";
    for (std::size_t p = 0; p < sweep.parameters.size(); ++p) {
      Results::DesignParameter parameter{sweep.parameters[p].key, {}};
      for (const auto& point : sweep.points) parameter.values.push_back(point[p]);
      results.design_parameters.push_back(std::move(parameter));
    }
    results.attributes["sweep_design"] = designs[static_cast<int>(sweep.design)];
    results.attributes["sweep_base_scenario"] = sweep.base_scenario;
    if (sweep.design == SweepSpec::Design::latin_hypercube) {
      results.attributes["sweep_seed"] = std::to_string(sweep.seed);
    }
  });
}

}  // namespace sim::app
