// natosim benchmark: throughput, parallel efficiency, engine overhead and peak memory.
// A program, not a test: it prints numbers for the notes and never fails on them.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>

#include <fmt/format.h>

#include "sim/config/study.h"
#include "sim/core/error.h"
#include "sim/engine/runner.h"

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/// CPU seconds used by the calling thread so far: on a shared machine, steadier than wall time.
double thread_cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + 1e-9 * static_cast<double>(now.tv_nsec);
}

struct Loaded {
  sim::ModelRegistry registry;
  sim::StudySpec study;
  std::vector<sim::BuiltScenario> built;
  std::vector<sim::ScenarioRun> runs;
};

void load(Loaded& loaded, const std::string& config) {
  sim::register_builtin_models(loaded.registry);
  loaded.study = sim::read_study(config, loaded.registry);
  loaded.built = sim::build_scenarios(loaded.study, loaded.registry);
  for (const auto& scenario : loaded.built) {
    loaded.runs.push_back({scenario.spec.name, scenario.spec.description, scenario.model.get()});
  }
}

sim::RunOptions options_for(const Loaded& loaded, std::int64_t replicates, int threads) {
  sim::RunOptions options;
  options.seed = loaded.study.seed;
  options.replicates = replicates;
  options.start_year = loaded.study.start_year;
  options.years = loaded.study.years;
  options.threads = threads;
  return options;
}

/// Seconds for the engine to run `replicates` of every scenario.
double time_engine(const Loaded& loaded, std::int64_t replicates, int threads, bool events = true) {
  sim::RunOptions options = options_for(loaded, replicates, threads);
  options.events = events;
  const auto start = std::chrono::steady_clock::now();
  sim::Results results = sim::run_study(loaded.runs, options);
  const double elapsed = seconds_since(start);
  if (results.summaries.empty()) std::abort();
  return elapsed;
}

struct Timing {
  double wall_seconds = 0.0;
  double cpu_seconds = 0.0;
};

/// Wall and CPU seconds for the models alone (no statistics), one thread, same runs.
Timing time_models_alone(const Loaded& loaded, std::int64_t replicates) {
  const sim::ModelSchema& schema = loaded.runs.front().model->schema();
  sim::RunRecorder recorder(schema, loaded.study.years);
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = thread_cpu_seconds();
  double checksum = 0.0;
  for (const auto& run : loaded.runs) {
    for (std::int64_t r = 0; r < replicates; ++r) {
      recorder.clear();
      sim::RunContext context{loaded.study.seed, static_cast<std::uint64_t>(r),
                              loaded.study.start_year, loaded.study.years};
      run.model->run(context, recorder);
      checksum += recorder.values()[0];
    }
  }
  const Timing timing{seconds_since(start), thread_cpu_seconds() - cpu_start};
  if (checksum == 42.4242) std::puts("");  // keep the loop observable
  return timing;
}

/// Peak resident memory (MiB) of a child process that runs `replicates` of every scenario,
/// keeping the event table or not.
double peak_memory_mib(const std::string& self, const std::string& config, std::int64_t replicates,
                       bool events) {
  const pid_t child = fork();
  if (child == 0) {
    execl(self.c_str(), self.c_str(), events ? "--memory-probe" : "--memory-probe-no-events",
          std::to_string(replicates).c_str(), config.c_str(), static_cast<char*>(nullptr));
    std::_Exit(127);
  }
  int status = 0;
  rusage usage{};
  wait4(child, &status, 0, &usage);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return -1.0;
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

/// A model that does nothing but record one value a year: what remains is the engine's own cost
/// (scheduling, recording, statistics, reduction).
class NullModel final : public sim::Model {
 public:
  NullModel() {
    schema_.members = {"XX"};
    schema_.member_names = {"nobody"};
    schema_.variables = {{"value", "1", "a constant", sim::Level::global, false, false}};
  }
  const sim::ModelSchema& schema() const override { return schema_; }
  void run(const sim::RunContext& context, sim::RunRecorder& recorder) const override {
    for (int y = 0; y < context.years; ++y) {
      recorder.set_global(0, y, static_cast<double>(context.replicate % 7));
    }
  }

 private:
  sim::ModelSchema schema_;
};

/// Microseconds of engine time per run-year with the null model (1 thread).
double null_model_overhead_us(std::int64_t replicates, int years) {
  const NullModel model;
  sim::RunOptions options;
  options.replicates = replicates;
  options.years = years;
  options.threads = 1;
  const auto start = std::chrono::steady_clock::now();
  sim::run_study({{"null", "", &model}}, options);
  return 1e6 * seconds_since(start) / (static_cast<double>(replicates) * years);
}

}  // namespace

int main(int argc, char** argv) {
  std::string config = "configs/baseline.toml";
  std::int64_t replicates = 2000;
  bool memory = true;
  bool model_alone_only = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if ((arg == "--memory-probe" || arg == "--memory-probe-no-events") && i + 2 < argc) {
      Loaded loaded;
      load(loaded, argv[i + 2]);
      time_engine(loaded, std::atoll(argv[i + 1]), 2, arg == "--memory-probe");
      return 0;
    }
    if (arg == "--replicates" && i + 1 < argc) {
      replicates = std::atoll(argv[++i]);
    } else if (arg == "--no-memory") {
      memory = false;
    } else if (arg == "--model-alone") {
      model_alone_only = true;
    } else if (arg == "-h" || arg == "--help") {
      std::puts(
          "usage: natosim_bench [CONFIG] [--replicates N] [--no-memory] [--model-alone]\n"
          "Times the study's scenarios on 1 and 2 threads (summaries only), the models alone,\n"
          "and the peak memory of 1,000 vs 100,000 replicates (summaries only, then with the\n"
          "event table). --model-alone times the models alone and nothing else (for a profiler).\n"
          "Default CONFIG: configs/baseline.toml, N = 2000.");
      return 0;
    } else {
      config = arg;
    }
  }
  try {
    Loaded loaded;
    load(loaded, config);
    const sim::ModelSchema& schema = loaded.runs.front().model->schema();
    const double members = static_cast<double>(schema.members.size());
    const double run_years = static_cast<double>(replicates) *
                             static_cast<double>(loaded.runs.size()) * loaded.study.years;
    const auto print_alone = [&](const Timing& alone) {
      const double runs = run_years / loaded.study.years;
      fmt::print(
          "model alone, 1 thread      : {:10.0f} run-years/s  {:8.2f} us per replicate  "
          "({:.2f} us CPU, {:.1f} ns CPU per member-year)\n",
          run_years / alone.wall_seconds, 1e6 * alone.wall_seconds / runs,
          1e6 * alone.cpu_seconds / runs, 1e9 * alone.cpu_seconds / (run_years * members));
    };
    if (model_alone_only) {
      time_models_alone(loaded, std::min<std::int64_t>(replicates, 200));  // warm-up
      print_alone(time_models_alone(loaded, replicates));
      return 0;
    }
    time_engine(loaded, std::min<std::int64_t>(replicates, 200), 2);  // warm-up

    const Timing timing = time_models_alone(loaded, replicates);
    const double alone = timing.wall_seconds;
    const double one = time_engine(loaded, replicates, 1);
    const double two = time_engine(loaded, replicates, 2);
    fmt::print("study {} ({} scenarios, {} members, {} years), {} replicates per scenario\n",
               loaded.study.name, loaded.runs.size(), schema.members.size(), loaded.study.years,
               replicates);
    print_alone(timing);
    fmt::print(
        "engine + model, 1 thread   : {:10.0f} run-years/s  {:8.2f} us per replicate  "
        "{:.2f} M member-years/s per core\n",
        run_years / one, 1e6 * one / (run_years / loaded.study.years),
        run_years * members / one / 1e6);
    fmt::print("engine + model, 2 threads  : {:10.0f} run-years/s\n", run_years / two);
    fmt::print("parallel efficiency (2 thr): {:10.1f} %\n", 100.0 * one / (2.0 * two));
    fmt::print("engine alone (null model)  : {:10.3f} us per run-year (1 value recorded a year)\n",
               null_model_overhead_us(200000, loaded.study.years));
    fmt::print(
        "engine overhead, this model: {:10.3f} us per run-year ({:.1f} ns per recorded "
        "value)\n",
        1e6 * (one - alone) / run_years,
        1e9 * (one - alone) / run_years /
            static_cast<double>(sim::RunRecorder(schema, 1).values().size()));
    if (memory) {
      const std::string self = "/proc/self/exe";
      char path[4096];
      const ssize_t length = readlink(self.c_str(), path, sizeof path - 1);
      const std::string binary =
          length > 0 ? std::string(path, static_cast<std::size_t>(length)) : std::string(argv[0]);
      for (const bool events : {false, true}) {
        const double small = peak_memory_mib(binary, config, 1000, events);
        const double large = peak_memory_mib(binary, config, 100000, events);
        const char* what = events ? "with the event table" : "summaries only";
        fmt::print(
            "peak memory, {:<21}: {:8.1f} MiB for 1,000 replicates, {:8.1f} MiB for "
            "100,000 ({:+.1f} %)\n",
            what, small, large, 100.0 * (large - small) / small);
      }
    }
  } catch (const std::exception& error) {
    std::fprintf(stderr, "natosim_bench: %s\n", error.what());
    return 2;
  }
  return 0;
}
