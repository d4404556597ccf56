// natosim benchmark: throughput, parallel efficiency, engine overhead and peak memory.
// A program, not a test: it prints numbers for the notes and never fails on them.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "scripts/bench_floor.h"
#include "scripts/bench_stats.h"
#include "sim/config/study.h"
#include "sim/core/error.h"
#include "sim/core/heap.h"
#include "sim/core/page_arena.h"
#include "sim/engine/runner.h"

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/// CPU seconds used by the whole process so far (every thread, user + system).
double process_cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + 1e-9 * static_cast<double>(now.tv_nsec);
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

/// Index of the study's reference scenario among `loaded.runs`, -1 for none.
int reference_of(const Loaded& loaded) {
  for (std::size_t i = 0; i < loaded.runs.size(); ++i) {
    if (loaded.runs[i].name == loaded.study.reference) return static_cast<int>(i);
  }
  return -1;
}

/// Whether runs may take the AVX2 build of the summarise pass (false with --portable).
bool wide_vectors = true;
/// Whether a paired study's scenarios read the reference's random words (false with
/// --no-shared-words).
bool share_random_words = true;
/// Whether they read what the reference's run kept for them (RunMemo; false with
/// --no-shared-memos).
bool share_run_memos = true;
/// glibc's default growth of its heaps rather than natosim's (--default-heap-growth).
bool default_heap_growth = false;

sim::RunOptions options_for(const Loaded& loaded, std::int64_t replicates, int threads) {
  sim::RunOptions options;
  options.wide_vectors = wide_vectors;
  options.share_random_words = share_random_words;
  options.share_run_memos = share_run_memos;
  options.reference = reference_of(loaded);
  options.seed = loaded.study.seed;
  options.replicates = replicates;
  options.start_year = loaded.study.start_year;
  options.years = loaded.study.years;
  options.threads = threads;
  return options;
}

struct Timing {
  double wall_seconds = 0.0;
  double cpu_seconds = 0.0;
  /// Of cpu_seconds, in the kernel (mostly the first touch of memory).
  double system_seconds = 0.0;
  /// Page faults without I/O (first touches of memory): a count, which the host's load does
  /// not change, where the system time they cost varies many times over on a shared machine.
  long page_faults = 0;
};

/// Page faults without I/O of the whole process so far.
long process_page_faults() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_minflt;
}

/// System CPU seconds of the whole process so far.
double process_system_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_stime.tv_sec) +
         1e-6 * static_cast<double>(usage.ru_stime.tv_usec);
}

/// Wall and process CPU seconds for the engine to run `replicates` of each of `runs`.
Timing time_runs(const std::vector<sim::ScenarioRun>& runs, sim::RunOptions options) {
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = process_cpu_seconds();
  const double system_start = process_system_seconds();
  const long faults_start = process_page_faults();
  sim::Results results = sim::run_study(runs, options);
  const Timing timing{seconds_since(start), process_cpu_seconds() - cpu_start,
                      process_system_seconds() - system_start,
                      process_page_faults() - faults_start};
  if (results.summaries.empty()) std::abort();
  return timing;
}

/// The least wall and the least CPU time of `repeat` runs of `measure`.
template <class Measure>
Timing least_of(int repeat, const Measure& measure) {
  Timing best = measure();
  for (int k = 1; k < repeat; ++k) {
    const Timing next = measure();
    best.wall_seconds = std::min(best.wall_seconds, next.wall_seconds);
    best.cpu_seconds = std::min(best.cpu_seconds, next.cpu_seconds);
  }
  return best;
}

/// Seconds for the engine to run `replicates` of every scenario.
Timing time_engine(const Loaded& loaded, std::int64_t replicates, int threads, bool events = true,
                   sim::StudyTimings* timings = nullptr) {
  sim::RunOptions options = options_for(loaded, replicates, threads);
  options.events = events;
  options.timings = timings;
  return time_runs(loaded.runs, options);
}

/// CPU ns per member-year of `copies` identical scenarios (the study's first), the first the
/// reference unless `paired` is false (then no paired differences): how the engine's cost grows
/// with scenarios, the model's work held fixed.
struct CopiesCost {
  /// CPU ns per member-year, user + system.
  double ns = 0.0;
  /// Of which system (kernel) time.
  double system_ns = 0.0;
};
CopiesCost copies_cost(const Loaded& loaded, std::int64_t replicates, int copies,
                       bool paired = true) {
  std::vector<sim::ScenarioRun> runs;
  for (int i = 0; i < copies; ++i) {
    runs.push_back({fmt::format("copy{}", i), "", loaded.runs.front().model});
  }
  sim::RunOptions options = options_for(loaded, replicates, 1);
  options.reference = paired ? 0 : -1;
  const Timing timing = time_runs(runs, options);
  const double member_years = static_cast<double>(replicates) * copies * loaded.study.years *
                              static_cast<double>(runs.front().model->schema().members.size());
  return {1e9 * timing.cpu_seconds / member_years, 1e9 * timing.system_seconds / member_years};
}
double copies_cpu_ns(const Loaded& loaded, std::int64_t replicates, int copies,
                     bool paired = true) {
  return copies_cost(loaded, replicates, copies, paired).ns;
}

/// --scaling R: how the cost per member-year grows from one scenario to 16, R rounds in this
/// process, each round timing every kind once. Each round begins with an untimed study of 16
/// copies at the larger size and times the others from the largest memory to the smallest, so
/// that each reuses pages the one before it freed: on the virtual machines we measure on, a
/// page the guest has left free for about two seconds costs 10-30 times as much to touch again
/// (--first-touch; docs/MODEL.md, Speed), which a study that needs more memory than the one
/// before it would pay in the middle of a round. Per round: the ratio at the same replicates per
/// scenario, and the ratio of the slopes between two sizes (a cost per member-year with each
/// study's fixed cost taken out). Prints the median of each over the rounds with a 90%
/// distribution-free interval: the rounds' own spread, which says whether this host can tell 5%
/// apart at all.
///
/// `matched`: the copies at the one scenario's two sizes, so that every study's scenarios run the
/// same replicates each. By default the copies run a quarter of the one scenario's replicates
/// each (the studies then hold about as many member-years), so costs a scenario pays as its
/// first thousands of replicates arrive (its quantile sketches' buckets and pages growing, then
/// levelling off) could weigh differently on the two sides; matched, they cannot. Measured on 6
/// December 2026 the two gave the same picture (16 unpaired copies -0.1% to +3.4% matched in three
/// runs, +1.9% to +2.4% by default). Matched, one scenario is also timed before the copies, each
/// size's cost the mean of the two: a round takes about a minute, and the host's speed drifts
/// within it. (The copies then follow a smaller study, so they may pay for pages the host took
/// back; the user-time ratios do not count that.)
int run_scaling(const Loaded& loaded, std::int64_t replicates, int rounds, bool matched) {
  // The copies at c and 4c replicates each, one scenario at 4c and 16c: the same replicates a
  // scenario at 4c. Matched: the copies at 4c and 16c each too.
  const std::int64_t small_one = 4 * std::max<std::int64_t>(replicates / 8, 64);
  const std::int64_t large_one = 4 * small_one;
  const std::int64_t small_copies = matched ? small_one : small_one / 4;
  const std::int64_t large_copies = matched ? large_one : small_one;
  copies_cpu_ns(loaded, small_one, 1);  // untimed: the model's first runs
  // Slope between a size and four times it: (4 * large - small) / 3 in ns per member-year.
  const auto slope = [](double small, double large) { return (4.0 * large - small) / 3.0; };
  // Ratios per round, [0] with the kernel's time (user + system), [1] user time only.
  std::array<std::vector<double>, 2> same_paired;
  std::array<std::vector<double>, 2> same_unpaired;
  std::array<std::vector<double>, 2> slope_paired;
  std::array<std::vector<double>, 2> slope_unpaired;
  std::array<std::vector<double>, 2> slope_paired_unpaired;
  fmt::print(
      "ns CPU per member-year (of which system); one scenario at {} and {} replicates, 16 "
      "copies at {} and {} each\n",
      small_one, large_one, small_copies, large_copies);
  for (int r = 0; r < rounds; ++r) {
    // Untimed: the largest study of the round first (its memory is the most of any).
    copies_cpu_ns(loaded, large_copies, 16);
    // Matched: one scenario timed before the copies too, and each size's cost the mean of the
    // two, so that a host whose speed drifts through the round biases neither side.
    const CopiesCost one_large_before = matched ? copies_cost(loaded, large_one, 1) : CopiesCost{};
    const CopiesCost one_small_before = matched ? copies_cost(loaded, small_one, 1) : CopiesCost{};
    const CopiesCost paired_large = copies_cost(loaded, large_copies, 16);
    const CopiesCost paired_small = copies_cost(loaded, small_copies, 16);
    const CopiesCost unpaired_large = copies_cost(loaded, large_copies, 16, false);
    const CopiesCost unpaired_small = copies_cost(loaded, small_copies, 16, false);
    const auto mean_with = [&](const CopiesCost& before, const CopiesCost& after) {
      return matched
                 ? CopiesCost{(before.ns + after.ns) / 2, (before.system_ns + after.system_ns) / 2}
                 : after;
    };
    const CopiesCost one_large = mean_with(one_large_before, copies_cost(loaded, large_one, 1));
    const CopiesCost one_small = mean_with(one_small_before, copies_cost(loaded, small_one, 1));
    for (std::size_t user_only = 0; user_only < 2; ++user_only) {
      const auto ns = [&](const CopiesCost& cost) {
        return user_only == 1 ? cost.ns - cost.system_ns : cost.ns;
      };
      // The same replicates per scenario: 16 copies at large_copies, one scenario at the size
      // equal to it (small_one by default, large_one matched).
      const CopiesCost& one_same = matched ? one_large : one_small;
      same_paired[user_only].push_back(ns(paired_large) / ns(one_same));
      same_unpaired[user_only].push_back(ns(unpaired_large) / ns(one_same));
      const double one_slope = slope(ns(one_small), ns(one_large));
      slope_paired[user_only].push_back(slope(ns(paired_small), ns(paired_large)) / one_slope);
      slope_unpaired[user_only].push_back(slope(ns(unpaired_small), ns(unpaired_large)) /
                                          one_slope);
      slope_paired_unpaired[user_only].push_back(slope(ns(paired_small), ns(paired_large)) /
                                                 slope(ns(unpaired_small), ns(unpaired_large)));
    }
    const auto pair = [](const CopiesCost& small, const CopiesCost& large) {
      return fmt::format("{:6.1f} ({:4.1f}) {:6.1f} ({:4.1f})", small.ns, small.system_ns, large.ns,
                         large.system_ns);
    };
    fmt::print("round {:2}: one {}  16 paired {}  16 unpaired {}\n", r + 1,
               pair(one_small, one_large), pair(paired_small, paired_large),
               pair(unpaired_small, unpaired_large));
  }
  const auto show = [](const std::string& what, const std::vector<double>& ratios) {
    const bench::MedianInterval m = bench::median_interval(ratios);
    fmt::print("  {:<52}: median {:+6.1f} %, {:.0f}% interval {:+6.1f} % to {:+6.1f} %\n", what,
               100.0 * (m.median - 1.0), 100.0 * m.coverage, 100.0 * (m.low - 1.0),
               100.0 * (m.high - 1.0));
  };
  fmt::print("16 copies against one scenario, over {} rounds (the rounds' own ratios):\n", rounds);
  for (std::size_t user_only = 0; user_only < 2; ++user_only) {
    const std::string time = user_only == 1 ? ", user time" : "";
    show("same replicates a scenario, paired" + time, same_paired[user_only]);
    show("same replicates a scenario, no reference" + time, same_unpaired[user_only]);
    show("slope (fixed cost out), paired" + time, slope_paired[user_only]);
    show("slope (fixed cost out), no reference" + time, slope_unpaired[user_only]);
    show("slope, paired against no reference" + time, slope_paired_unpaired[user_only]);
  }
  return 0;
}

/// --first-touch: CPU milliseconds to touch a 2 MiB huge page of fresh memory for the first
/// time, in 256 MiB mapped the way the runner maps its buffers (sim::HugeBuffer), after pauses
/// of 0.5 s and 3 s since the last such memory was freed. Where the memory is the machine's own,
/// both should be about the time to zero 2 MiB; on a virtual machine whose host takes back
/// memory the guest has freed (after about two seconds on ours), the second is the host backing
/// the page anew.
int run_first_touch() {
  constexpr std::size_t kPage = std::size_t{2} << 20;
  constexpr std::size_t kBytes = std::size_t{256} << 20;
  const auto touch = [&] {
    const sim::HugeBuffer buffer(kBytes);
    const double start = process_cpu_seconds();
    for (std::size_t at = 0; at < kBytes; at += kPage) {
      *reinterpret_cast<volatile std::byte*>(buffer.data() + at) = std::byte{1};
    }
    return 1e3 * (process_cpu_seconds() - start) / static_cast<double>(kBytes / kPage);
  };
  fmt::print("first touch of a 2 MiB page (ms CPU), {} pages a time:\n", kBytes / kPage);
  fmt::print("  {:<25} : {:6.3f}\n", "fresh process", touch());
  for (const double pause : {0.5, 3.0, 0.5, 3.0}) {
    usleep(static_cast<useconds_t>(pause * 1e6));
    fmt::print("  {:<25} : {:6.3f}\n", fmt::format("after {:.1f} s with it freed", pause), touch());
  }
  return 0;
}

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

/// Each round's own 2-thread efficiencies (see run_efficiency).
struct EfficiencyRounds {
  std::vector<double> by_wall;
  std::vector<double> by_cpu;
  std::vector<double> by_user;
  /// The models alone: the host's own ceiling for two threads.
  std::vector<double> ceiling;
  std::array<std::vector<double>, 2> faults;  // 2 threads, 1 thread
  /// The studies' phases on 2 threads and on 1.
  std::array<std::vector<sim::StudyTimings>, 2> phases;
};

EfficiencyRounds time_efficiency_rounds(const Loaded& loaded, std::int64_t replicates, int rounds,
                                        bool print_rounds) {
  time_engine(loaded, std::min<std::int64_t>(replicates, 200), 2);  // untimed
  EfficiencyRounds out;
  const std::int64_t alone_replicates = std::max<std::int64_t>(replicates / 4, 50);
  for (int r = 0; r < rounds; ++r) {
    time_engine(loaded, replicates, 2);
    const Timing two = time_engine(loaded, replicates, 2, true, &out.phases[0].emplace_back());
    const Timing one = time_engine(loaded, replicates, 1, true, &out.phases[1].emplace_back());
    const double alone = time_models_alone(loaded, alone_replicates).wall_seconds;
    const auto pair_start = std::chrono::steady_clock::now();
    std::thread other([&] { time_models_alone(loaded, alone_replicates); });
    time_models_alone(loaded, alone_replicates);
    other.join();
    out.ceiling.push_back(alone / seconds_since(pair_start));
    out.faults[0].push_back(static_cast<double>(two.page_faults));
    out.faults[1].push_back(static_cast<double>(one.page_faults));
    out.by_wall.push_back(one.wall_seconds / (2.0 * two.wall_seconds));
    out.by_cpu.push_back(one.cpu_seconds / two.cpu_seconds);
    out.by_user.push_back((one.cpu_seconds - one.system_seconds) /
                          (two.cpu_seconds - two.system_seconds));
    if (!print_rounds) continue;
    fmt::print(
        "round {:2}: 1 thread {:.3f} / {:.3f} / {:.3f}  2 threads {:.3f} / {:.3f} / {:.3f}  "
        "efficiency by wall {:5.1f} % (models alone {:5.1f} %)\n",
        r + 1, one.wall_seconds, one.cpu_seconds, one.system_seconds, two.wall_seconds,
        two.cpu_seconds, two.system_seconds, 100.0 * out.by_wall.back(),
        100.0 * out.ceiling.back());
  }
  return out;
}

/// --efficiency R: the study on 1 and 2 threads in R rounds in this process, and per round the
/// 2-thread efficiency by wall time (1-thread wall over twice the 2-thread wall), by CPU time
/// (user + system of 1 thread over that of 2) and by user time alone; then each one's median
/// over the rounds with a 90% distribution-free interval. A round's own ratio is not biased by
/// the host's load changing between rounds. Each round begins with an untimed 2-thread study,
/// then times 2 threads, then 1: the 2-thread study holds more memory (more items in flight),
/// and right after a smaller study it would touch pages the host has taken back (see
/// run_scaling), which is the host's cost, not the threads'. Each round also times the models
/// alone on one thread and on two at once, each thread the same runs (no engine, nothing
/// shared): the host's own ceiling for two threads in that round. Last, where the studies' wall
/// time went (sim::StudyTimings): the parts that run on one thread cap the efficiency whatever
/// the host.
int run_efficiency(const Loaded& loaded, std::int64_t replicates, int rounds) {
  fmt::print("study {}, {} scenarios, {} replicates; seconds (wall / CPU / of which system):\n",
             loaded.study.name, loaded.runs.size(), replicates);
  const EfficiencyRounds measured = time_efficiency_rounds(loaded, replicates, rounds, true);
  const auto show = [](const char* what, const std::vector<double>& values) {
    const bench::MedianInterval m = bench::median_interval(values);
    fmt::print("  {:<24}: median {:5.1f} %, {:.0f}% interval {:5.1f} % to {:5.1f} %\n", what,
               100.0 * m.median, 100.0 * m.coverage, 100.0 * m.low, 100.0 * m.high);
  };
  fmt::print("2-thread efficiency over {} rounds (the rounds' own ratios):\n", rounds);
  show("by wall time", measured.by_wall);
  show("by CPU time", measured.by_cpu);
  show("by user time", measured.by_user);
  show("models alone (the host's)", measured.ceiling);
  // The second thread's own memory is a fixed cost of the 2-thread study; on a host whose first
  // touches are dear it is much of what the 2-thread study loses.
  fmt::print("page faults a study (medians): 2 threads {:.0f}, 1 thread {:.0f}\n",
             bench::median_interval(measured.faults[0]).median,
             bench::median_interval(measured.faults[1]).median);
  // Medians over the rounds, phase by phase.
  const auto median_of = [&](std::size_t threads_index, double sim::StudyTimings::*phase) {
    std::vector<double> values;
    for (const sim::StudyTimings& timings : measured.phases[threads_index]) {
      values.push_back(timings.*phase);
    }
    return bench::median_interval(values).median;
  };
  fmt::print("where the study's wall time went (ms, medians over the rounds):\n");
  fmt::print("  {:<10} {:>8} {:>8} {:>10} {:>10} {:>8}\n", "", "setup", "blocks", "last fold",
             "summaries", "finish");
  std::array<std::array<double, 5>, 2> ms{};
  for (std::size_t t = 0; t < 2; ++t) {
    std::size_t k = 0;
    for (double sim::StudyTimings::*phase :
         {&sim::StudyTimings::setup, &sim::StudyTimings::blocks, &sim::StudyTimings::last_fold,
          &sim::StudyTimings::summaries, &sim::StudyTimings::finish}) {
      ms[t][k++] = 1e3 * median_of(t, phase);
    }
    fmt::print("  {:<10} {:8.1f} {:8.1f} {:10.1f} {:10.1f} {:8.1f}\n",
               t == 0 ? "2 threads" : "1 thread", ms[t][0], ms[t][1], ms[t][2], ms[t][3], ms[t][4]);
  }
  // The 1-thread study's wall time over twice the 2-thread one's, had its blocks taken exactly
  // half as long on 2 threads and everything else as measured.
  const double one_wall = ms[1][0] + ms[1][1] + ms[1][2] + ms[1][3] + ms[1][4];
  const double two_rest = ms[0][0] + ms[0][2] + ms[0][3] + ms[0][4];
  fmt::print(
      "  the blocks' part alone: {:.1f} % efficiency by wall; with it twice as fast on 2 threads\n"
      "  and the rest as above, the study's would be {:.1f} % (what its one-thread parts leave)\n",
      100.0 * ms[1][1] / (2.0 * ms[0][1]), 100.0 * one_wall / (2.0 * (two_rest + ms[1][1] / 2.0)));
  return 0;
}

/// This process's peak resident memory in KiB (VmHWM: the high-water mark of its own address
/// space, which starts afresh at exec; ru_maxrss would also count the memory of the parent it
/// was forked from).
long peak_resident_kib() {
  std::FILE* status = std::fopen("/proc/self/status", "r");
  if (status == nullptr) return -1;
  char line[256];
  long kib = -1;
  while (std::fgets(line, sizeof line, status) != nullptr) {
    if (std::sscanf(line, "VmHWM: %ld kB", &kib) == 1) break;
  }
  std::fclose(status);
  return kib;
}

/// What this bench prints when run again in a child process with `args` (a probe: a fresh
/// process, so its memory and timings start afresh); nothing when the child fails.
std::optional<std::string> child_report(const std::string& self,
                                        const std::vector<std::string>& args) {
  std::vector<char*> argv{const_cast<char*>(self.c_str())};
  // First, so that the child knows it before it reads its probe.
  if (!wide_vectors) argv.push_back(const_cast<char*>("--portable"));
  if (!share_random_words) argv.push_back(const_cast<char*>("--no-shared-words"));
  if (!share_run_memos) argv.push_back(const_cast<char*>("--no-shared-memos"));
  if (default_heap_growth) argv.push_back(const_cast<char*>("--default-heap-growth"));
  for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  int pipe_ends[2];
  if (pipe(pipe_ends) != 0) return std::nullopt;
  const pid_t child = fork();
  if (child == 0) {
    dup2(pipe_ends[1], STDOUT_FILENO);
    close(pipe_ends[0]);
    close(pipe_ends[1]);
    execv(self.c_str(), argv.data());
    std::_Exit(127);
  }
  close(pipe_ends[1]);
  std::string report;
  char buffer[256];
  for (ssize_t got = 0; (got = read(pipe_ends[0], buffer, sizeof buffer)) > 0;) {
    report.append(buffer, static_cast<std::size_t>(got));
  }
  close(pipe_ends[0]);
  int status = 0;
  waitpid(child, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return std::nullopt;
  return report;
}

/// Peak resident memory (MiB) of a child process that runs `replicates` of every scenario,
/// keeping the event table or not; the child reports its own peak. -1 when the child fails.
double peak_memory_mib(const std::string& self, const std::string& config, std::int64_t replicates,
                       bool events) {
  const std::optional<std::string> report = child_report(
      self,
      {events ? "--memory-probe" : "--memory-probe-no-events", std::to_string(replicates), config});
  const long kib = report ? std::atol(report->c_str()) : -1;
  return kib > 0 ? static_cast<double>(kib) / 1024.0 : -1.0;
}

/// This executable's path, for the child processes that measure memory and cold runs.
std::string own_path(const char* argv0) {
  char path[4096];
  const ssize_t length = readlink("/proc/self/exe", path, sizeof path - 1);
  return length > 0 ? std::string(path, static_cast<std::size_t>(length)) : std::string(argv0);
}

/// CPU ns per member-year of one study run in a fresh child process (`kind`: "end-to-end" for
/// the study on one thread, "copies-C" for C copies of its first scenario), as `natosim run`
/// pays it: the study's memory is touched for the first time, where a second run in the same
/// process would reuse what the first left in the heap. -1 when the child fails.
double cold_cpu_ns(const std::string& self, const std::string& config, const std::string& kind,
                   std::int64_t replicates) {
  const std::optional<std::string> report =
      child_report(self, {"--cold-probe", kind, std::to_string(replicates), config});
  const double ns = report ? std::atof(report->c_str()) : -1.0;
  return ns > 0.0 ? ns : -1.0;
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
  options.wide_vectors = wide_vectors;
  const auto start = std::chrono::steady_clock::now();
  sim::run_study({{"null", "", &model}}, options);
  return 1e6 * seconds_since(start) / (static_cast<double>(replicates) * years);
}

}  // namespace

int main(int argc, char** argv) {
  // As natosim runs (sim::grow_heaps_in_huge_pages), unless asked to measure glibc's default;
  // before the options below, some of which run a probe at once.
  default_heap_growth = std::any_of(argv + 1, argv + argc, [](const char* arg) {
    return std::string_view(arg) == "--default-heap-growth";
  });
  if (!default_heap_growth) sim::grow_heaps_in_huge_pages();
  std::string config = "configs/baseline.toml";
  std::int64_t replicates = 2000;
  bool memory = true;
  int repeat = 3;
  bool model_alone_only = false;
  int copies_only = 0;
  bool copies_paired = true;
  bool end_to_end_only = false;
  int scaling_rounds = 0;
  bool matched = false;
  int efficiency_rounds = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--portable") {
      wide_vectors = false;
      continue;
    }
    if (arg == "--no-shared-words") {
      share_random_words = false;
      continue;
    }
    if (arg == "--default-heap-growth") continue;  // read above
    if (arg == "--no-shared-memos") {
      share_run_memos = false;
      continue;
    }
    if ((arg == "--memory-probe" || arg == "--memory-probe-no-events") && i + 2 < argc) {
      Loaded loaded;
      load(loaded, argv[i + 2]);
      time_engine(loaded, std::atoll(argv[i + 1]), 2, arg == "--memory-probe");
      std::printf("%ld\n", peak_resident_kib());
      return 0;
    }
    if (arg == "--cold-probe" && i + 3 < argc) {
      Loaded loaded;
      load(loaded, argv[i + 3]);
      const std::string kind = argv[i + 1];
      const std::int64_t probe_replicates = std::atoll(argv[i + 2]);
      if (kind.rfind("copies-", 0) == 0) {
        std::printf("%.3f\n", copies_cpu_ns(loaded, probe_replicates, std::atoi(kind.c_str() + 7)));
        return 0;
      }
      const double member_years =
          static_cast<double>(probe_replicates) * static_cast<double>(loaded.runs.size()) *
          loaded.study.years *
          static_cast<double>(loaded.runs.front().model->schema().members.size());
      std::printf("%.3f\n",
                  1e9 * time_engine(loaded, probe_replicates, 1).cpu_seconds / member_years);
      return 0;
    }
    if (arg == "--replicates" && i + 1 < argc) {
      replicates = std::atoll(argv[++i]);
    } else if (arg == "--repeat" && i + 1 < argc) {
      repeat = std::max(1, std::atoi(argv[++i]));
    } else if (arg == "--no-memory") {
      memory = false;
    } else if (arg == "--model-alone") {
      model_alone_only = true;
    } else if (arg == "--end-to-end") {
      end_to_end_only = true;
    } else if (arg == "--copies" && i + 1 < argc) {
      copies_only = std::max(1, std::atoi(argv[++i]));
    } else if (arg == "--unpaired") {
      copies_paired = false;
    } else if (arg == "--first-touch") {
      return run_first_touch();
    } else if (arg == "--efficiency" && i + 1 < argc) {
      efficiency_rounds = std::max(1, std::atoi(argv[++i]));
    } else if (arg == "--matched") {
      matched = true;
    } else if (arg == "--scaling" && i + 1 < argc) {
      scaling_rounds = std::max(1, std::atoi(argv[++i]));
    } else if (arg == "-h" || arg == "--help") {
      std::puts(
          "usage: natosim_bench [CONFIG] [--replicates N] [--repeat K] [--no-memory]\n"
          "                     [--model-alone] [--copies C [--unpaired]]\n"
          "                     [--end-to-end] [--scaling R [--matched]] [--efficiency R]\n"
          "                     [--first-touch] [--portable] [--no-shared-words]\n"
          "                     [--no-shared-memos] [--default-heap-growth]\n"
          "Times the study's scenarios on 1 and 2 threads (summaries only), the models alone,\n"
          "and the peak memory of 1,000 vs 100,000 replicates (summaries only, then with the\n"
          "event table). Then CPU time per member-year against the floor kernel (the arithmetic\n"
          "a member-year needs, built with the same flags): the models alone, end to end, one\n"
          "scenario against 16 copies of it (paired differences on, and in this process also\n"
          "off, which splits their cost from the scenarios'), and the 2-thread efficiency\n"
          "by wall and by CPU time (the least of K runs each, then in 6 rounds that each time\n"
          "both, as --efficiency does, with the host's own ceiling). Every other timing is the\n"
          "least of K runs (the machines are shared: other work only ever adds time).\n"
          "The "
          "end-to-end, 1-scenario and 16-copy measures are\n"
          "taken twice: in this process (runs after the first reuse its heap) and each run in a\n"
          "fresh child process, as `natosim run` pays it (the study's memory touched for the "
          "first\n"
          "time). The fresh runs are also taken at a second size (N / 4 end to end, N for the\n"
          "copies), which splits each into a fixed cost per study and a cost per member-year\n"
          "(the slope). Every kind is measured once a round, in turn; the in-process ratios\n"
          "are given both ways: least against least, and the median of each round's own ratio\n"
          "(which a change of the host's load between rounds does not bias). --model-alone\n"
          "times the models alone and nothing else (for a profiler); --copies C times C copies\n"
          "of the first scenario (the first the reference; with --unpaired none, so no paired\n"
          "differences), N / 4 replicates each, and nothing else; --end-to-end times the study\n"
          "end to end on one thread and nothing else.\n"
          "--scaling R times one scenario against 16 copies (with and without a reference) in R\n"
          "rounds in this process, the copies at N / 8 and N / 2 replicates each, one scenario\n"
          "at N / 2 and 2N, and nothing else: per round the ratio at the same replicates a\n"
          "scenario and the ratio of the slopes, with CPU time (user + system) and user time\n"
          "alone (without the first touch of memory); then each one's median over the rounds\n"
          "with a 90% distribution-free interval (R >= 8 for a useful one). With --matched the\n"
          "copies run the one scenario's two sizes (N / 2 and 2N each), so that every study runs\n"
          "the same replicates a scenario; one scenario is timed before and after the copies;\n"
          "a round takes about a minute at N = 4000. Either way it also gives the paired copies'\n"
          "slope against the unpaired ones' (what the paired differences add).\n"
          "--efficiency R times the study on 1 and 2 threads in R rounds in this process, and\n"
          "nothing else: per round the 2-thread efficiency by wall, CPU and user time, and the\n"
          "host's own (the models alone on one thread and on two at once, nothing shared), then\n"
          "each one's median over the rounds with a 90% distribution-free interval; last, where\n"
          "the studies' wall time went (setup, blocks, last fold, summaries, finish) and the\n"
          "efficiency their one-thread parts leave.\n"
          "--first-touch times the first touch of a 2 MiB page of fresh memory, in a fresh\n"
          "process and after 0.5 s and 3 s with the memory freed, and nothing else: on a virtual\n"
          "machine whose host takes freed memory back, the latter is many times the former.\n"
          "--portable runs every study with the portable build of the summarise pass, not its\n"
          "AVX2 build (same results; this shows what the wider instructions save).\n"
          "--no-shared-words makes every scenario of a paired study make its own random words,\n"
          "rather than read those of the reference's run of the replicate (same results; this\n"
          "shows what sharing them saves).\n"
          "--no-shared-memos makes every scenario of a paired study work out what the model\n"
          "lets it read from the reference's run of the replicate (the alliance model: its GDP\n"
          "path) rather than read it (same results; this shows what reading it saves).\n"
          "--default-heap-growth leaves glibc's heaps growing about 128 KiB at a time, where\n"
          "natosim has them grow 4 MiB at a time (sim::grow_heaps_in_huge_pages; same results;\n"
          "this shows what the worker threads' heaps cost when their pages are 4 KiB).\n"
          "Run it as scripts/bench.sh does, with GLIBC_TUNABLES=glibc.malloc.hugetlb=1 (glibc's\n"
          "heap in huge pages, as scripts/run.sh runs a study); it says which heap it had.\n"
          "Default CONFIG: configs/baseline.toml, N = 2000, K = 3.");
      return 0;
    } else {
      config = arg;
    }
  }
  if (!copies_paired && copies_only == 0) {
    std::fputs("natosim_bench: --unpaired goes with --copies C (see --help)\n", stderr);
    return 2;
  }
  if (matched && scaling_rounds == 0) {
    std::fputs("natosim_bench: --matched goes with --scaling R (see --help)\n", stderr);
    return 2;
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
    if (scaling_rounds > 0) return run_scaling(loaded, replicates, scaling_rounds, matched);
    if (efficiency_rounds > 0) return run_efficiency(loaded, replicates, efficiency_rounds);
    if (copies_only > 0) {
      const std::int64_t copies_replicates = std::max<std::int64_t>(replicates / 4, 100);
      copies_cpu_ns(loaded, std::min<std::int64_t>(copies_replicates, 100), copies_only,
                    copies_paired);
      double least = std::numeric_limits<double>::infinity();
      double least_user = least;
      for (int k = 0; k < repeat; ++k) {
        const CopiesCost cost = copies_cost(loaded, copies_replicates, copies_only, copies_paired);
        least = std::min(least, cost.ns);
        least_user = std::min(least_user, cost.ns - cost.system_ns);
      }
      fmt::print(
          "{} copies{}, {} replicates each: {:.1f} ns CPU per member-year (user time {:.1f})\n",
          copies_only, copies_paired ? "" : " (no reference)", copies_replicates, least,
          least_user);
      return 0;
    }
    time_engine(loaded, std::min<std::int64_t>(replicates, 200), 2);  // warm-up
    if (end_to_end_only) {
      const Timing least = least_of(repeat, [&] { return time_engine(loaded, replicates, 1); });
      fmt::print("end to end, 1 thread, {} replicates: {:.1f} ns CPU per member-year\n", replicates,
                 1e9 * least.cpu_seconds / (run_years * members));
      return 0;
    }

    const Timing timing = least_of(repeat, [&] { return time_models_alone(loaded, replicates); });
    const double alone = timing.wall_seconds;
    const Timing one_timing = least_of(repeat, [&] { return time_engine(loaded, replicates, 1); });
    const Timing two_timing = least_of(repeat, [&] { return time_engine(loaded, replicates, 2); });
    const double one = one_timing.wall_seconds;
    const double two = two_timing.wall_seconds;
    fmt::print("study {} ({} scenarios, {} members, {} years), {} replicates per scenario\n",
               loaded.study.name, loaded.runs.size(), schema.members.size(), loaded.study.years,
               replicates);
    const char* tunables = std::getenv("GLIBC_TUNABLES");
    fmt::print("heap: {}{}\n",
               tunables != nullptr &&
                       std::string(tunables).find("glibc.malloc.hugetlb=1") != std::string::npos
                   ? "glibc.malloc.hugetlb=1 (huge pages, as scripts/run.sh and scripts/bench.sh)"
                   : "glibc's default (scripts/run.sh and scripts/bench.sh set "
                     "GLIBC_TUNABLES=glibc.malloc.hugetlb=1)",
               default_heap_growth ? "; heaps grown as glibc does (--default-heap-growth)"
                                   : "; heaps grown 4 MiB at a time, as natosim");
    fmt::print("summarise pass: {}\n", !wide_vectors ? "portable build (--portable)"
                                       : sim::summarise_has_wide_vectors()
                                           ? "AVX2 build"
                                           : "portable build (no AVX2 here)");
    fmt::print("random words: {}\n", share_random_words
                                         ? "a paired study's scenarios read the reference's"
                                         : "each scenario makes its own (--no-shared-words)");
    fmt::print("run memos: {}\n", share_run_memos
                                      ? "a paired study's scenarios read what the reference's "
                                        "run kept for them"
                                      : "each scenario works out its own (--no-shared-memos)");
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

    // CPU time per member-year (user + system of the whole process: steady on a shared
    // machine), against the floor kernel built with the same flags. Each round measures every
    // kind once, in turn, so that a busy spell on a shared machine hits them alike; each kind's
    // least over the rounds is reported, and the floor kernel's spread says how busy it was.
    const double member_years = run_years * members;
    const std::int64_t copies_replicates = std::max<std::int64_t>(replicates / 4, 100);
    struct Least {
      double least = std::numeric_limits<double>::infinity();
      double most = 0.0;
      /// Every round's value, for ratios within a round.
      std::vector<double> rounds;
      void add(double value) {
        least = std::min(least, value);
        most = std::max(most, value);
        rounds.push_back(value);
      }
    };
    // The median over rounds of f(round): a ratio of two kinds taken in the same round is not
    // biased by the host's load changing between rounds, as a ratio of two least values can be.
    const auto median_over_rounds = [&](const auto& f) {
      std::vector<double> values;
      for (int k = 0; k < repeat; ++k) values.push_back(f(static_cast<std::size_t>(k)));
      return bench::median_interval(std::move(values)).median;
    };
    Least floor_kernel;
    Least alone_per;
    Least end_to_end;
    Least one_scenario;
    Least sixteen;
    Least sixteen_unpaired;
    Least cold_end_to_end;
    Least cold_one;
    Least cold_sixteen;
    // The same kinds fresh at a second size (a quarter of the end-to-end replicates, four times
    // the copies'), for the split into a fixed cost per study and a cost per member-year.
    Least cold_end_to_end_small;
    Least cold_one_large;
    Least cold_sixteen_large;
    const std::int64_t end_to_end_small = std::max<std::int64_t>(replicates / 4, 100);
    const std::int64_t copies_large = 4 * copies_replicates;
    const std::string binary = own_path(argv[0]);
    const auto cold = [&](Least& into, const std::string& kind, std::int64_t count) {
      const double ns = cold_cpu_ns(binary, config, kind, count);
      if (ns < 0.0)
        throw std::runtime_error("natosim_bench: the cold-run child failed (" + kind + ")");
      into.add(ns);
    };
    for (int k = 0; k < repeat; ++k) {
      floor_kernel.add(bench::floor_kernel(2000).cpu_ns_per_member_year);
      alone_per.add(1e9 * time_models_alone(loaded, replicates).cpu_seconds / member_years);
      end_to_end.add(1e9 * time_engine(loaded, replicates, 1).cpu_seconds / member_years);
      one_scenario.add(copies_cpu_ns(loaded, copies_replicates, 1));
      // Untimed first: a study of 16 scenarios right after smaller ones grows the process's heap
      // (about a fifth more CPU time per member-year than the next one, 4 December 2026), which
      // is the fresh processes' measure below, not this one's (a heap its size, reused).
      copies_cpu_ns(loaded, copies_replicates, 16);
      sixteen.add(copies_cpu_ns(loaded, copies_replicates, 16));
      sixteen_unpaired.add(copies_cpu_ns(loaded, copies_replicates, 16, false));
      cold(cold_end_to_end, "end-to-end", replicates);
      cold(cold_one, "copies-1", copies_replicates);
      cold(cold_sixteen, "copies-16", copies_replicates);
      cold(cold_end_to_end_small, "end-to-end", end_to_end_small);
      cold(cold_one_large, "copies-1", copies_large);
      cold(cold_sixteen_large, "copies-16", copies_large);
    }
    const double floor_ns = floor_kernel.least;
    const double alone_ns = std::min(alone_per.least, 1e9 * timing.cpu_seconds / member_years);
    const double end_to_end_ns =
        std::min(end_to_end.least, 1e9 * one_timing.cpu_seconds / member_years);
    const double one_scenario_ns = one_scenario.least;
    const double sixteen_ns = sixteen.least;
    fmt::print("\nCPU time per member-year (ns; x = ratio to the floor kernel):\n");
    fmt::print(
        "  floor kernel (perf-floor.cpp's arithmetic)   : {:7.1f}  (its {} rounds spread x{:.2f}: "
        "{})\n",
        floor_ns, repeat, floor_kernel.most / floor_ns,
        floor_kernel.most / floor_ns > 1.1 ? "a busy machine, ratios uncertain; rerun"
                                           : "a quiet machine");
    fmt::print("  model alone                                  : {:7.1f}  x{:.2f}\n", alone_ns,
               alone_ns / floor_ns);
    fmt::print("  engine + model, {} scenarios, 1 thread        : {:7.1f}  x{:.2f}\n",
               loaded.runs.size(), end_to_end_ns, end_to_end_ns / floor_ns);
    fmt::print("  engine + model, 1 scenario (reference only)  : {:7.1f}  x{:.2f}\n",
               one_scenario_ns, one_scenario_ns / floor_ns);
    fmt::print(
        "  engine + model, 16 copies of it              : {:7.1f}  x{:.2f}  ({:+.1f} % vs 1)\n",
        sixteen_ns, sixteen_ns / floor_ns, 100.0 * (sixteen_ns / one_scenario_ns - 1.0));
    fmt::print(
        "  16 copies without a reference (unpaired)     : {:7.1f}  x{:.2f}  ({:+.1f} % vs 1)\n",
        sixteen_unpaired.least, sixteen_unpaired.least / floor_ns,
        100.0 * (sixteen_unpaired.least / one_scenario_ns - 1.0));
    fmt::print(
        "  2 threads: wall efficiency {:.1f} %, CPU efficiency {:.1f} % (CPU 1 thread / CPU 2 "
        "threads; least of {} runs each)\n",
        100.0 * one / (2.0 * two), 100.0 * one_timing.cpu_seconds / two_timing.cpu_seconds, repeat);
    {
      // The least of K runs of each thread count compares runs apart in time, which a change of
      // the host's load biases; --efficiency's rounds each time both, and the host's own ceiling.
      constexpr int kRounds = 6;
      const EfficiencyRounds rounds = time_efficiency_rounds(loaded, replicates, kRounds, false);
      const auto median = [](const std::vector<double>& values) {
        return 100.0 * bench::median_interval(values).median;
      };
      const bench::MedianInterval wall = bench::median_interval(rounds.by_wall);
      fmt::print(
          "  2 threads, {} rounds each timing both (--efficiency): by wall {:.1f} % [{:.1f}, "
          "{:.1f}], by CPU {:.1f} %, by user time {:.1f} %; the host's own, the models alone on "
          "two threads at once, {:.1f} %\n",
          kRounds, 100.0 * wall.median, 100.0 * wall.low, 100.0 * wall.high, median(rounds.by_cpu),
          median(rounds.by_user), median(rounds.ceiling));
    }
    fmt::print(
        "The same, each run in a fresh process (as `natosim run` pays it: the study's memory is\n"
        "touched for the first time; above, runs after the first reuse the process's heap):\n");
    fmt::print("  engine + model, {} scenarios, 1 thread        : {:7.1f}  x{:.2f}\n",
               loaded.runs.size(), cold_end_to_end.least, cold_end_to_end.least / floor_ns);
    fmt::print("  engine + model, 1 scenario (reference only)  : {:7.1f}  x{:.2f}\n",
               cold_one.least, cold_one.least / floor_ns);
    fmt::print(
        "  engine + model, 16 copies of it              : {:7.1f}  x{:.2f}  ({:+.1f} % vs 1)\n",
        cold_sixteen.least, cold_sixteen.least / floor_ns,
        100.0 * (cold_sixteen.least / cold_one.least - 1.0));
    // Seconds of a fresh study from its ns per member-year; the slope between two sizes is the
    // cost per member-year, the rest at the smaller size the study's fixed cost (start-up and
    // the first touch of its memory, which grows only with the logarithm of the replicates).
    const double year_members = loaded.study.years * members;
    const auto split = [&](const Least& small, std::int64_t small_count, const Least& large,
                           std::int64_t large_count, double scenarios) {
      const double small_years = static_cast<double>(small_count) * scenarios * year_members;
      const double large_years = static_cast<double>(large_count) * scenarios * year_members;
      const double per =
          (large.least * large_years - small.least * small_years) / (large_years - small_years);
      const double fixed_ms = 1e-6 * (small.least - per) * small_years;
      return std::pair<double, double>{per, fixed_ms};
    };
    const auto [end_to_end_per, end_to_end_fixed] =
        split(cold_end_to_end_small, end_to_end_small, cold_end_to_end, replicates,
              static_cast<double>(loaded.runs.size()));
    const auto [one_per, one_fixed] =
        split(cold_one, copies_replicates, cold_one_large, copies_large, 1.0);
    const auto [sixteen_per, sixteen_fixed] =
        split(cold_sixteen, copies_replicates, cold_sixteen_large, copies_large, 16.0);
    fmt::print(
        "Split (fresh processes at two sizes: {} and {} replicates end to end, {} and {} for the\n"
        "copies): the cost per member-year is the slope between them, the fixed cost the rest:\n",
        end_to_end_small, replicates, copies_replicates, copies_large);
    fmt::print(
        "  engine + model, {} scenarios, 1 thread        : {:7.1f}  x{:.2f}  + {:.0f} ms a study\n",
        loaded.runs.size(), end_to_end_per, end_to_end_per / floor_ns, end_to_end_fixed);
    fmt::print(
        "  engine + model, 1 scenario (reference only)  : {:7.1f}  x{:.2f}  + {:.0f} ms a study\n",
        one_per, one_per / floor_ns, one_fixed);
    fmt::print(
        "  engine + model, 16 copies of it              : {:7.1f}  x{:.2f}  ({:+.1f} % vs 1) + "
        "{:.0f} "
        "ms a study\n",
        sixteen_per, sixteen_per / floor_ns, 100.0 * (sixteen_per / one_per - 1.0), sixteen_fixed);
    // Not for the slopes: one round's slope is a difference of two single runs, far noisier
    // than the difference of the two sizes' least values above.
    const double alone_ratio = median_over_rounds(
        [&](std::size_t k) { return alone_per.rounds[k] / floor_kernel.rounds[k]; });
    const double end_to_end_ratio = median_over_rounds(
        [&](std::size_t k) { return end_to_end.rounds[k] / floor_kernel.rounds[k]; });
    const double sixteen_vs_one = median_over_rounds(
        [&](std::size_t k) { return sixteen.rounds[k] / one_scenario.rounds[k]; });
    const double unpaired_vs_one = median_over_rounds(
        [&](std::size_t k) { return sixteen_unpaired.rounds[k] / one_scenario.rounds[k]; });
    fmt::print(
        "Within a round, in this process (the median over the {} rounds of each round's own\n"
        "ratio, which a change of the host's load between rounds does not bias): model alone\n"
        "x{:.2f}, end to end x{:.2f}, 16 copies vs 1 {:+.1f} % ({:+.1f} % without a reference)\n",
        repeat, alone_ratio, end_to_end_ratio, 100.0 * (sixteen_vs_one - 1.0),
        100.0 * (unpaired_vs_one - 1.0));
    if (memory) {
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
