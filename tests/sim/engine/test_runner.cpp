#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>

#include "sim/config/study.h"
#include "sim/core/error.h"
#include "sim/engine/runner.h"
#include "sim/io/h5_file.h"
#include "sim/io/results_info.h"
#include "sim/io/results_reader.h"
#include "sim/io/results_writer.h"
#include "sim/mpi/distributed_run.h"
#include "sim/tally/moments.h"
#include "tests/toy/toy_models.h"

namespace {

const std::string kStudy = R"([study]
model = "random_walk"
seed = 2025
replicates = 150
years = 4

[model]
members = 3
drift = {dist = "uniform", low = 0.0, high = 0.2}
threshold = 1.0

[[scenario]]
name = "low"

[[scenario]]
name = "same_as_low"

[[scenario]]
name = "high"
[scenario.set]
drift = {dist = "uniform", low = 0.1, high = 0.3}
)";

struct Study {
  sim::ModelRegistry registry;
  sim::StudySpec spec;
  std::vector<sim::BuiltScenario> built;
  std::vector<sim::ScenarioRun> runs;

  explicit Study(const std::string& text) {
    toy::register_toy_models(registry);
    spec = sim::read_study_text(text, "study.toml", ".", registry);
    built = sim::build_scenarios(spec, registry);
    for (const auto& scenario : built) {
      runs.push_back({scenario.spec.name, scenario.spec.description, scenario.model.get()});
    }
  }

  sim::RunOptions options(int threads) const {
    sim::RunOptions options;
    options.seed = spec.seed;
    options.replicates = spec.replicates;
    options.years = spec.years;
    options.threads = threads;
    options.trajectories = true;
    options.reference = 0;
    return options;
  }
};

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  // memcmp on an empty vector's null data() is undefined (UBSan says so).
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
}

void require_identical(const sim::Results& a, const sim::Results& b) {
  REQUIRE(a.summaries.size() == b.summaries.size());
  for (std::size_t v = 0; v < a.summaries.size(); ++v) {
    INFO("variable " << a.variables[v].name);
    const auto& x = a.summaries[v];
    const auto& y = b.summaries[v];
    CHECK(same_bits(x.mean, y.mean));
    CHECK(same_bits(x.sd, y.sd));
    CHECK(same_bits(x.mcse, y.mcse));
    CHECK(same_bits(x.min, y.min));
    CHECK(same_bits(x.max, y.max));
    CHECK(same_bits(x.quantiles, y.quantiles));
    CHECK(x.count == y.count);
    CHECK(same_bits(x.wilson_low, y.wilson_low));
    CHECK(same_bits(a.differences[v].mean, b.differences[v].mean));
    CHECK(same_bits(a.differences[v].mcse, b.differences[v].mcse));
    CHECK(same_bits(a.trajectories[v], b.trajectories[v]));
  }
  REQUIRE(a.event_values.size() == b.event_values.size());
  for (std::size_t c = 0; c < a.event_values.size(); ++c) {
    CHECK(same_bits(a.event_values[c], b.event_values[c]));
  }
}

}  // namespace

TEST_CASE("Results are bit-identical for 1, 2 and 7 threads", "[determinism][engine]") {
  Study study(kStudy);
  const sim::Results one = sim::run_study(study.runs, study.options(1));
  const sim::Results two = sim::run_study(study.runs, study.options(2));
  const sim::Results seven = sim::run_study(study.runs, study.options(7));
  require_identical(one, two);
  require_identical(one, seven);
}

TEST_CASE("The AVX2 and the portable summarise pass give the same bits", "[determinism][engine]") {
  // Each vector lane must do the portable build's arithmetic. A wide study too (26 members, 8
  // years: ten tiles of 64 cells, with whole lines and a remainder), with spread values, 0/1
  // flags, values missing on odd replicates and a scenario equal to the reference (constant
  // differences). In blocks of 64 every tile holds values missing on odd replicates; in blocks
  // of 2 those never vary (one value present), so the tiles take the unmasked loops too.
  if (!sim::summarise_has_wide_vectors()) {
    WARN("this processor has no AVX2: both runs take the portable build");
  }
  std::string wide_study = kStudy;
  wide_study.replace(wide_study.find("members = 3"), 11, "members = 26");
  wide_study.replace(wide_study.find("years = 4"), 9, "years = 8");
  for (const std::string& text : {kStudy, wide_study}) {
    for (const std::int64_t block_size : {64, 2}) {
      INFO("block size " << block_size);
      Study study(text);
      sim::RunOptions wide = study.options(2);
      wide.block_size = block_size;
      sim::RunOptions portable = wide;
      portable.wide_vectors = false;
      require_identical(sim::run_study(study.runs, wide), sim::run_study(study.runs, portable));
    }
  }
}

TEST_CASE("Scenarios reading the reference's random words give the results of making their own",
          "[determinism][engine]") {
  // 40 years: each member's walk refills its stream more than once. The scenarios "same_as_low"
  // and "high" read the reference's words; "high" draws its drift from another distribution of
  // the same stream. Blocks of 64 and of 2, one thread and two.
  std::string long_study = kStudy;
  long_study.replace(long_study.find("years = 4"), 9, "years = 40");
  Study study(long_study);
  for (const std::int64_t block_size : {64, 2}) {
    for (const int threads : {1, 2}) {
      INFO("block size " << block_size << ", threads " << threads);
      sim::RunOptions shared = study.options(threads);
      shared.block_size = block_size;
      sim::RunOptions own = shared;
      own.share_random_words = false;
      require_identical(sim::run_study(study.runs, shared), sim::run_study(study.runs, own));
    }
  }
}

TEST_CASE("Statistics of the replicate index are the exact known values", "[unit][engine]") {
  Study study(R"([study]
model = "counter"
replicates = 300
years = 2
[model]
)");
  sim::RunOptions options = study.options(2);
  options.reference = -1;
  options.trajectories = false;
  const sim::Results results = sim::run_study(study.runs, options);
  const sim::VariableSummary& index = results.summaries[0];
  REQUIRE(index.mean.size() == 2);
  // Values 0..299: mean 149.5, sample variance n(n+1)/12 = 7525.
  CHECK(index.mean[0] == Approx(149.5).epsilon(1e-14));
  CHECK(index.sd[0] == Approx(std::sqrt(7525.0)).epsilon(1e-13));
  CHECK(index.mcse[0] == Approx(std::sqrt(7525.0 / 300)).epsilon(1e-13));
  CHECK(index.min[0] == 0.0);
  CHECK(index.max[0] == 299.0);
  CHECK(index.count[0] == 300);
  // Nearest-rank quantiles floor(q * 299): 14, 74, 149, 224, 284 (integers < 512 are exact).
  const std::vector<double> expected = {14, 74, 149, 224, 284};
  for (std::size_t q = 0; q < 5; ++q) CHECK(index.quantiles[q] == expected[q]);
  const sim::VariableSummary& even = results.summaries[1];
  CHECK(even.mean[1] == Approx(0.5).epsilon(1e-14));
  CHECK(even.wilson_low[1] == Approx(0.44375).epsilon(1e-4));
  CHECK(even.wilson_high[1] == Approx(0.55625).epsilon(1e-4));
}

TEST_CASE("Replicate r sees the same draws in every scenario (common random numbers)",
          "[determinism][engine]") {
  Study study(kStudy);
  const sim::Results results = sim::run_study(study.runs, study.options(2));
  const std::size_t level = 0;
  const auto& same = results.differences[level];
  const std::size_t members = 3;
  const std::size_t years = 4;
  for (std::size_t cell = 0; cell < years * members; ++cell) {
    // Scenario 1 equals the reference: every paired difference is exactly zero.
    CHECK(same.mean[years * members + cell] == 0.0);
    CHECK(same.mcse[years * members + cell] == 0.0);
  }
  // Scenario 2 draws drift from U(0.1, 0.3) with the same uniform as U(0, 0.2): drift is larger
  // by exactly 0.1, so after year y the level is larger by 0.1 (y + 1), replicate by replicate.
  for (std::size_t y = 0; y < years; ++y) {
    for (std::size_t m = 0; m < members; ++m) {
      const std::size_t cell = (2 * years + y) * members + m;
      CHECK(same.mean[cell] == Approx(0.1 * static_cast<double>(y + 1)).epsilon(1e-9));
      CHECK(same.mcse[cell] < 1e-12);
    }
  }
}

TEST_CASE("The event table agrees with the trajectories it came from", "[unit][engine]") {
  Study study(kStudy);
  const sim::Results results = sim::run_study(study.runs, study.options(2));
  const std::size_t members = 3;
  const std::size_t years = 4;
  const std::size_t replicates = 150;
  std::size_t crossings = 0;
  const std::vector<double>& flag = results.trajectories[1];
  for (std::size_t s = 0; s < 3; ++s) {
    for (std::size_t r = 0; r < replicates; ++r) {
      for (std::size_t y = 0; y < years; ++y) {
        for (std::size_t m = 0; m < members; ++m) {
          const double now = flag[((s * replicates + r) * years + y) * members + m];
          const double before =
              y == 0 ? 0.0 : flag[((s * replicates + r) * years + y - 1) * members + m];
          crossings += (now == 1.0 && before == 0.0) ? 1 : 0;
        }
      }
    }
  }
  REQUIRE(results.event_columns.size() == 5);
  CHECK(results.event_columns[0].name == "scenario");
  CHECK(results.event_values[0].size() == crossings);
  CHECK(std::is_sorted(results.event_values[0].begin(), results.event_values[0].end()));
  // In replicate order within a scenario, whoever ran which replicates (the reference's block
  // runs in parts that other threads may take).
  const std::vector<double>& scenario = results.event_values[0];
  const std::vector<double>& replicate = results.event_values[1];
  std::size_t out_of_order = 0;
  for (std::size_t row = 1; row < scenario.size(); ++row) {
    out_of_order +=
        scenario[row] == scenario[row - 1] && replicate[row] < replicate[row - 1] ? 1 : 0;
  }
  CHECK(out_of_order == 0);
  for (double year : results.event_values[2]) {
    CHECK(year >= 2025);
    CHECK(year <= 2028);
  }
}

TEST_CASE("A model that names its own axes gets them in the results file and its description",
          "[unit][engine][io]") {
  // The engine knows no "member" or "year": the random walk here calls them walker and step.
  std::string text = kStudy;
  text.replace(text.find("threshold = 1.0"), 15,
               "threshold = 1.0\naxes = {member = \"walker\", time = \"step\"}");
  Study study(text);
  const sim::Results results = sim::run_study(study.runs, study.options(2));
  CHECK(results.member_axis == "walker");
  CHECK(results.time_axis == "step");
  REQUIRE(results.event_columns.size() == 5);
  CHECK(results.event_columns[2].name == "step");
  CHECK(results.event_columns[3].name == "walker");

  const std::filesystem::path out = std::filesystem::temp_directory_path() /
                                    ("natosim_runner_axes_" + std::to_string(::getpid()) + ".h5");
  std::filesystem::remove(out);
  sim::io::write_results(results, out, false);
  {
    const sim::io::H5File file = sim::io::H5File::open_read_only(out);
    for (const char* name : {"walker", "step", "walker_name", "event_step", "event_walker"}) {
      INFO(name);
      CHECK(file.has_dataset(name));
    }
    for (const char* name : {"member", "year", "member_name", "event_year"}) {
      INFO(name);
      CHECK_FALSE(file.has_dataset(name));
    }
    CHECK(file.read_string_attribute("member_dimension") == "walker");
    CHECK(file.read_string_attribute("time_dimension") == "step");
    CHECK(file.open_dataset("walker_name").read_string_attribute("long_name") == "walker name");
    CHECK(file.open_dataset("step").read_string_attribute("long_name") == "step");
    CHECK(file.open_dataset("event_step").read_string_attribute("units") == "step");
  }
  const sim::Results read = sim::io::read_results(out);
  CHECK(read.member_axis == "walker");
  CHECK(read.member_axis_long_name == "walker code");
  CHECK(read.time_axis == "step");
  CHECK(read.time_axis_long_name == "step");
  CHECK(read.members == results.members);
  CHECK(read.member_names == results.member_names);
  CHECK(read.years == results.years);
  REQUIRE(read.event_values.size() == results.event_values.size());
  CHECK(read.event_values[2] == results.event_values[2]);
  CHECK(read.summaries[0].mean == results.summaries[0].mean);

  const std::string description = sim::io::describe_results(out, false);
  INFO(description);
  CHECK(description.find("steps:              2025-2028 (4 steps)") != std::string::npos);
  CHECK(description.find("walkers:            3 (AA BB CC)") != std::string::npos);
  CHECK(description.find("columns: scenario, replicate, step, walker, value") != std::string::npos);
  const std::string json = sim::io::describe_results(out, true);
  INFO(json);
  CHECK(json.find("\"member_dimension\": \"walker\"") != std::string::npos);
  CHECK(json.find("\"time_dimension\": \"step\"") != std::string::npos);
  std::filesystem::remove(out);
}

TEST_CASE("A missing-able variable counts only its present values", "[unit][engine]") {
  Study study(kStudy);
  const sim::Results results = sim::run_study(study.runs, study.options(1));
  // "maybe" is NaN on odd replicates: 75 of 150 remain.
  CHECK(results.summaries[2].count[0] == 75);
  CHECK(results.summaries[0].count[0] == 150);
}

TEST_CASE("A stop request ends the run with Interrupted", "[unit][engine]") {
  Study study(kStudy);
  std::atomic<bool> stop{true};
  sim::RunOptions options = study.options(2);
  options.stop = &stop;
  CHECK_THROWS_AS(sim::run_study(study.runs, options), sim::Interrupted);
}

TEST_CASE("A study's timings are its phases within its wall time, untouched when it throws",
          "[unit][engine]") {
  Study study(kStudy);
  sim::RunOptions options = study.options(2);
  sim::StudyTimings timings{-1.0, -1.0, -1.0, -1.0, -1.0};
  options.timings = &timings;
  const auto start = std::chrono::steady_clock::now();
  sim::run_study(study.runs, options);
  const double whole =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (const double phase : {timings.setup, timings.last_fold, timings.summaries, timings.finish}) {
    CHECK(phase >= 0.0);
  }
  CHECK(timings.blocks > 0.0);
  CHECK(timings.setup + timings.blocks + timings.last_fold + timings.summaries + timings.finish <=
        whole);

  sim::StudyTimings untouched{-1.0, -1.0, -1.0, -1.0, -1.0};
  options.timings = &untouched;
  std::atomic<bool> stop{true};
  options.stop = &stop;
  CHECK_THROWS_AS(sim::run_study(study.runs, options), sim::Interrupted);
  CHECK(untouched.setup == -1.0);
  CHECK(untouched.blocks == -1.0);
}

TEST_CASE("Progress reaches the total number of runs", "[unit][engine]") {
  Study study(kStudy);
  sim::RunOptions options = study.options(2);
  std::int64_t last = 0;
  std::int64_t total = 0;
  options.progress = [&](std::int64_t done, std::int64_t all) {
    CHECK(done > last);
    last = done;
    total = all;
  };
  sim::run_study(study.runs, options);
  CHECK(last == 450);
  CHECK(total == 450);
}

TEST_CASE("Paired differences are narrower than unpaired ones under common random numbers",
          "[statistical][engine]") {
  Study study(R"([study]
model = "random_walk"
seed = 8
replicates = 400
years = 5
reference = "calm"
[model]
members = 2
volatility = 1.0
[[scenario]]
name = "calm"
[[scenario]]
name = "volatile"
[scenario.set]
volatility = 1.2
)");
  const sim::Results results = sim::run_study(study.runs, study.options(2));
  const sim::VariableSummary& level = results.summaries[0];
  const sim::VariableDifference& difference = results.differences[0];
  const std::size_t cells = 5 * 2;
  for (std::size_t cell = 0; cell < cells; ++cell) {
    const double unpaired = std::sqrt(level.mcse[cell] * level.mcse[cell] +
                                      level.mcse[cells + cell] * level.mcse[cells + cell]);
    // The same normals drive both scenarios, so the paired difference is 0.2 times one walk:
    // its standard error is about 0.2 / sqrt(1 + 1.44) = 0.13 of the unpaired one.
    CHECK(difference.mcse[cells + cell] < 0.2 * unpaired);
    CHECK(difference.ci_high[cells + cell] - difference.ci_low[cells + cell] < 2 * 1.96 * unpaired);
    CHECK(difference.mean[cells + cell] ==
          Approx(level.mean[cells + cell] - level.mean[cell]).margin(1e-12));
  }
}

TEST_CASE("Engine quantiles equal exact nearest-rank quantiles of the trajectories",
          "[unit][engine]") {
  Study study(kStudy);
  const sim::Results results = sim::run_study(study.runs, study.options(2));
  const std::size_t replicates = 150;
  const std::size_t per_replicate = 4 * 3;  // years x members
  for (std::size_t v : {std::size_t{0}, std::size_t{1}}) {
    const auto& trajectory = results.trajectories[v];
    const auto& quantiles = results.summaries[v].quantiles;
    for (std::size_t s = 0; s < 3; ++s) {
      for (std::size_t k = 0; k < per_replicate; ++k) {
        std::vector<double> values;
        for (std::size_t r = 0; r < replicates; ++r) {
          values.push_back(trajectory[(s * replicates + r) * per_replicate + k]);
        }
        std::sort(values.begin(), values.end());
        const std::size_t cell = s * per_replicate + k;
        for (std::size_t q = 0; q < 5; ++q) {
          const double level = results.quantile_levels[q];
          const double exact = values[static_cast<std::size_t>(std::floor(level * 149.0))];
          INFO("variable " << v << " cell " << cell << " q " << level);
          CHECK(std::abs(quantiles[cell * 5 + q] - exact) <= std::abs(exact) / 256.0);
        }
      }
    }
  }
}

namespace {

/// Checks every cell of `study` run in blocks of 64 against tally::moments_of on each block's
/// present values, merged block after block, and its paired differences likewise on value minus
/// the reference's (the first scenario's) value: bit for bit.
void check_block_moments(const Study& study) {
  sim::RunOptions options = study.options(2);
  options.block_size = 64;  // 150 replicates: blocks of 64, 64 and 22
  const sim::Results results = sim::run_study(study.runs, options);
  const auto replicates = static_cast<std::size_t>(options.replicates);
  const auto block = static_cast<std::size_t>(options.block_size);
  const std::size_t scenarios = study.runs.size();
  const auto same = [](double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; };
  for (std::size_t v = 0; v < results.variables.size(); ++v) {
    // Years x members (or years) per replicate: the summaries' cells of one scenario.
    const std::size_t cells = results.cells(results.variables[v]) / scenarios;
    const std::size_t per_replicate = cells;
    const auto& trajectory = results.trajectories[v];
    const auto value = [&](std::size_t s, std::size_t r, std::size_t k) {
      return trajectory[(s * replicates + r) * per_replicate + k];
    };
    for (std::size_t s = 0; s < scenarios; ++s) {
      for (std::size_t k = 0; k < cells; ++k) {
        sim::tally::Moments merged;
        sim::tally::Moments paired;
        for (std::size_t first = 0; first < replicates; first += block) {
          std::vector<double> column;
          std::vector<double> differences;
          for (std::size_t r = first; r < std::min(first + block, replicates); ++r) {
            if (!std::isnan(value(s, r, k))) column.push_back(value(s, r, k));
            const double difference = value(s, r, k) - value(0, r, k);
            if (!std::isnan(difference)) differences.push_back(difference);
          }
          merged.merge(sim::tally::moments_of(column.data(), column.size()));
          paired.merge(sim::tally::moments_of(differences.data(), differences.size()));
        }
        INFO("variable " << results.variables[v].name << " scenario " << s << " cell " << k);
        const std::size_t cell = s * cells + k;
        const sim::VariableSummary& summary = results.summaries[v];
        // A cell with no value has no mean, spread or extremes (NaN).
        const double nan = std::numeric_limits<double>::quiet_NaN();
        const bool empty = merged.n == 0;
        CHECK(summary.count[cell] == merged.n);
        CHECK(same(summary.mean[cell], empty ? nan : merged.mean));
        CHECK(same(summary.sd[cell], empty ? nan : merged.sd()));
        CHECK(same(summary.min[cell], empty ? nan : merged.min));
        CHECK(same(summary.max[cell], empty ? nan : merged.max));
        if (s > 0) {
          CHECK(same(results.differences[v].mean[cell], paired.n > 0 ? paired.mean : nan));
          CHECK(same(results.differences[v].mcse[cell], paired.mcse()));
        }
      }
    }
  }
}

}  // namespace

TEST_CASE("Moments and paired differences are each block's column moments merged in block order",
          "[unit][engine]") {
  // The runner summarises tiles of cells replicate by replicate; each cell must still see
  // exactly tally::moments_of on its block's present values, merged block after block, and the
  // paired differences likewise: for a spread variable, a 0/1 flag, a variable missing on odd
  // replicates and a global one.
  check_block_moments(Study(kStudy));
}

TEST_CASE("Paired differences that the blocks' counts and extremes fix are those of the values",
          "[unit][engine]") {
  // The summarise pass sets a line of cells' differences without reading them when each cell's
  // are fixed by the two blocks' counts and extremes: either block has no value (none), or both
  // are constant and one block has every value (one value, present where the other block's
  // are). "maybe" here is constant within blocks of 64 and not between them, missing on all,
  // odd, even or no replicates; with 8 members its first year fills a whole line of 8 cells.
  // Against a reference with every value and one missing on odd replicates, each case, and the
  // ones that look alike but are not fixed (both blocks missing values): bit for bit.
  for (const std::string reference : {"none", "odd"}) {
    std::string text = R"([study]
model = "random_walk"
seed = 2025
replicates = 150
years = 4

[model]
members = 8
threshold = 1.0
maybe_value = "step"
)";
    text += "maybe_missing = \"" + reference + "\"\n\n[[scenario]]\nname = \"reference\"\n";
    for (const std::string missing : {"none", "odd", "even", "all"}) {
      text += "\n[[scenario]]\nname = \"" + missing + "\"\n[scenario.set]\nmaybe_missing = \"" +
              missing + "\"\nmaybe_scale = 3.5\n";
    }
    text += "\n[[scenario]]\nname = \"level\"\n[scenario.set]\nmaybe_value = \"level\"\n";
    INFO("reference missing on " << reference << " replicates");
    check_block_moments(Study(text));
  }
}

TEST_CASE("A scenario's statistics are the same whichever number of scenarios shares its study",
          "[unit][engine]") {
  // The fold takes 4, 3, 2 or 1 blocks of a scenario at a time, by the number of scenarios
  // (runner_footprint), and folds a batch's last block from where it was summarised. None of it
  // may show: the reference's and another scenario's statistics and paired differences are the
  // same, bit for bit, in studies of 2, 12, 20 and 40 scenarios (the others copies).
  const auto study_text = [](std::size_t scenarios) {
    std::string text = kStudy.substr(0, kStudy.find("[[scenario]]"));
    text +=
        "[[scenario]]\nname = \"low\"\n\n[[scenario]]\nname = \"high\"\n[scenario.set]\n"
        "drift = {dist = \"uniform\", low = 0.1, high = 0.3}\n";
    for (std::size_t s = 2; s < scenarios; ++s) {
      text += "\n[[scenario]]\nname = \"copy" + std::to_string(s) + "\"\n";
    }
    return text;
  };
  // Scenario `scenario`'s part of a field laid out scenario after scenario.
  const auto slice = [](const std::vector<double>& values, std::size_t scenarios,
                        std::size_t scenario) {
    const std::size_t per_scenario = values.size() / scenarios;
    const auto first = values.begin() + static_cast<std::ptrdiff_t>(scenario * per_scenario);
    return std::vector<double>(first, first + static_cast<std::ptrdiff_t>(per_scenario));
  };
  std::optional<sim::Results> two;
  const std::map<std::size_t, std::size_t> batch_of = {{2, 4}, {12, 3}, {20, 2}, {40, 1}};
  for (const auto& [scenarios, batch] : batch_of) {
    CHECK(sim::runner_footprint(scenarios, true, 2, false).blocks_per_batch == batch);
    Study study(study_text(scenarios));
    REQUIRE(study.runs.size() == scenarios);
    sim::RunOptions options = study.options(2);
    options.block_size = 8;  // 150 replicates: 19 blocks, batches ending all along
    options.trajectories = false;
    sim::Results results = sim::run_study(study.runs, options);
    if (!two) {
      two = std::move(results);
      continue;
    }
    INFO(scenarios << " scenarios");
    for (std::size_t v = 0; v < results.summaries.size(); ++v) {
      INFO("variable " << results.variables[v].name);
      const sim::VariableSummary& x = two->summaries[v];
      const sim::VariableSummary& y = results.summaries[v];
      for (std::size_t s = 0; s < 2; ++s) {
        for (const auto field : {&sim::VariableSummary::mean, &sim::VariableSummary::sd,
                                 &sim::VariableSummary::mcse, &sim::VariableSummary::min,
                                 &sim::VariableSummary::max, &sim::VariableSummary::quantiles}) {
          CHECK(same_bits(slice(x.*field, 2, s), slice(y.*field, scenarios, s)));
        }
        const std::size_t cells = x.count.size() / 2;
        CHECK(std::equal(x.count.begin() + static_cast<std::ptrdiff_t>(s * cells),
                         x.count.begin() + static_cast<std::ptrdiff_t>((s + 1) * cells),
                         y.count.begin() + static_cast<std::ptrdiff_t>(s * cells)));
        CHECK(same_bits(slice(two->differences[v].mean, 2, s),
                        slice(results.differences[v].mean, scenarios, s)));
        CHECK(same_bits(slice(two->differences[v].mcse, 2, s),
                        slice(results.differences[v].mcse, scenarios, s)));
      }
    }
  }
}

TEST_CASE("A model that throws stops the run with its exception and leaks nothing",
          "[unit][engine]") {
  // Under the asan preset, LeakSanitizer checks that the chunks in flight are freed.
  std::string text = kStudy;
  text.replace(text.find("threshold = 1.0"), 15, "threshold = 1.0\nfail_replicate = 77");
  Study study(text);
  CHECK_THROWS_WITH(sim::run_study(study.runs, study.options(2)), "toy model failed on purpose");
}

namespace {
/// Records a global variable between two member-level ones; leaves `unset_variable` NaN.
class InterleavedModel : public sim::Model {
 public:
  InterleavedModel(std::size_t unset_variable, sim::Level middle_level)
      : unset_variable_(unset_variable) {
    schema_.members = {"AA", "BB", "CC"};
    schema_.member_names = {"A", "B", "C"};
    schema_.variables = {{"first", "1", "first", sim::Level::member},
                         {"middle", "1", "middle", middle_level},
                         {"last", "1", "last", sim::Level::member}};
  }
  const sim::ModelSchema& schema() const override { return schema_; }
  void run(const sim::RunContext& context, sim::RunRecorder& recorder) const override {
    for (int y = 0; y < context.years; ++y) {
      for (std::size_t v = 0; v < schema_.variables.size(); ++v) {
        if (v == unset_variable_) continue;
        if (schema_.variables[v].level == sim::Level::global) {
          recorder.set_global(v, y, 1.0);
        } else {
          for (std::size_t m = 0; m < schema_.members.size(); ++m) recorder.set(v, y, m, 1.0);
        }
      }
    }
  }

 private:
  std::size_t unset_variable_;
  sim::ModelSchema schema_;
};

sim::RunOptions small_run() {
  sim::RunOptions options;
  options.seed = 1;
  options.replicates = 4;
  options.years = 2;
  options.threads = 1;
  return options;
}
}  // namespace

TEST_CASE("An unset variable is named right when member and global variables interleave",
          "[unit][engine]") {
  // The last member-level variable sits before the global one in a year's slots.
  const InterleavedModel model(2, sim::Level::global);
  const std::vector<sim::ScenarioRun> runs = {{"only", "", &model}};
  CHECK_THROWS_WITH(sim::run_study(runs, small_run()),
                    Catch::StartsWith("model left variable 'last' unset or not finite"));
  const InterleavedModel global_unset(1, sim::Level::global);
  const std::vector<sim::ScenarioRun> global_runs = {{"only", "", &global_unset}};
  CHECK_THROWS_WITH(sim::run_study(global_runs, small_run()),
                    Catch::StartsWith("model left variable 'middle' unset or not finite"));
}

namespace {
/// Writes every year of replicates below `full_replicates`, only the first year of the others.
class StopsEarlyModel : public sim::Model {
 public:
  explicit StopsEarlyModel(std::uint64_t full_replicates) : full_replicates_(full_replicates) {
    schema_.members = {"AA", "BB"};
    schema_.member_names = {"A", "B"};
    schema_.variables = {{"level", "1", "level", sim::Level::member},
                         {"total", "1", "total", sim::Level::global}};
  }
  const sim::ModelSchema& schema() const override { return schema_; }
  void run(const sim::RunContext& context, sim::RunRecorder& recorder) const override {
    const int years = context.replicate < full_replicates_ ? context.years : 1;
    for (int y = 0; y < years; ++y) {
      recorder.set(0, y, 0, 1.0);
      recorder.set(0, y, 1, 2.0);
      recorder.set_global(1, y, 3.0);
    }
  }

 private:
  std::uint64_t full_replicates_;
  sim::ModelSchema schema_;
};
}  // namespace

TEST_CASE("A run that stops writing early is caught, not read from the block's earlier runs",
          "[unit][engine]") {
  // One thread and blocks of two: replicates 2 and 3 reuse the rows replicates 0 and 1 filled.
  const StopsEarlyModel model(3);
  const std::vector<sim::ScenarioRun> runs = {{"only", "", &model}};
  sim::RunOptions options = small_run();
  options.years = 3;
  options.block_size = 2;
  CHECK_THROWS_WITH(sim::run_study(runs, options),
                    Catch::StartsWith("model left variable 'level' unset or not finite") &&
                        Catch::EndsWith("replicate 3)"));
}

TEST_CASE("A recorder's values read NaN until written, whichever year is written first",
          "[unit][engine]") {
  const StopsEarlyModel model(0);
  sim::RunRecorder recorder(model.schema(), 4);
  const std::size_t size = recorder.values().size();
  std::vector<double> block(size, 7.0);  // an earlier run's values
  recorder.clear_into(block);
  recorder.set_global(1, 2, 5.0);  // year 2 first, then year 0
  recorder.set(0, 0, 1, 3.0);
  recorder.finish();
  const auto written = [&](std::size_t index) {
    return index == 2 * recorder.stride() + recorder.offset(1) || index == recorder.offset(0) + 1;
  };
  for (std::size_t i = 0; i < size; ++i) {
    INFO("value " << i);
    CHECK((written(i) ? !std::isnan(block[i]) : std::isnan(block[i])));
  }
  CHECK(block[2 * recorder.stride() + recorder.offset(1)] == 5.0);
  CHECK(block[recorder.offset(0) + 1] == 3.0);
  // The next run into the same buffer: only year 0 written, so years 1-3 read NaN again.
  recorder.clear_into(block);
  recorder.set(0, 0, 0, 4.0);
  const std::span<const double> values = recorder.values();
  CHECK(values[0] == 4.0);
  CHECK(std::count_if(values.begin(), values.end(), [](double v) { return std::isnan(v); }) ==
        static_cast<std::ptrdiff_t>(size - 1));
}

TEST_CASE("Scenarios whose schemas differ in more than their sizes are refused", "[unit][engine]") {
  const InterleavedModel global_middle(99, sim::Level::global);
  const InterleavedModel member_middle(99, sim::Level::member);
  const std::vector<sim::ScenarioRun> runs = {{"a", "", &global_middle}, {"b", "", &member_middle}};
  CHECK_THROWS_WITH(sim::run_study(runs, small_run()),
                    "scenario 'b' records a different schema from scenario 'a'");
}

TEST_CASE("A recorder refuses writes outside its schema", "[unit][engine]") {
  const InterleavedModel model(99, sim::Level::global);
  sim::RunRecorder recorder(model.schema(), 2);
  CHECK_NOTHROW(recorder.set(0, 1, 2, 1.0));
  CHECK_THROWS_AS(recorder.set(0, 2, 0, 1.0), std::out_of_range);      // year past the run
  CHECK_THROWS_AS(recorder.set(0, -1, 0, 1.0), std::out_of_range);     // negative year
  CHECK_THROWS_AS(recorder.set(0, 0, 3, 1.0), std::out_of_range);      // member past the axis
  CHECK_THROWS_AS(recorder.set(1, 0, 0, 1.0), std::out_of_range);      // a global as a member row
  CHECK_THROWS_AS(recorder.set_global(0, 0, 1.0), std::out_of_range);  // a member as a global
  CHECK_THROWS_AS(recorder.set_global(3, 0, 1.0), std::out_of_range);  // no such variable
  CHECK_THROWS_AS(recorder.member_row(5, 0), std::out_of_range);
}

TEST_CASE("A recorder given a buffer writes there, unset values NaN, and refuses a wrong size",
          "[unit][engine]") {
  const InterleavedModel model(99, sim::Level::global);
  sim::RunRecorder recorder(model.schema(), 2);
  const std::size_t size = recorder.values().size();
  std::vector<double> block(2 * size, 7.0);
  recorder.clear_into(std::span<double>(block.data() + size, size));
  recorder.set(0, 1, 2, 1.5);
  CHECK(recorder.values().data() == block.data() + size);
  CHECK(block[size + recorder.stride() + recorder.offset(0) + 2] == 1.5);
  CHECK(std::count_if(block.begin() + static_cast<std::ptrdiff_t>(size), block.end(),
                      [](double value) { return std::isnan(value); }) ==
        static_cast<std::ptrdiff_t>(size - 1));
  // The row before is not touched.
  CHECK(std::all_of(block.begin(), block.begin() + static_cast<std::ptrdiff_t>(size),
                    [](double value) { return value == 7.0; }));
  CHECK_THROWS_AS(recorder.clear_into(std::span<double>(block.data(), size - 1)), std::logic_error);
  // Back to its own buffer.
  recorder.clear();
  CHECK(recorder.values().data() != block.data() + size);
  CHECK(std::isnan(recorder.values()[0]));
}

TEST_CASE("One replicate gives no spread estimate (sd and MCSE and the paired interval are NaN)",
          "[unit][engine]") {
  Study study(kStudy);
  sim::RunOptions options = study.options(1);
  options.replicates = 1;
  const sim::Results results = sim::run_study(study.runs, options);
  for (std::size_t v = 0; v < results.summaries.size(); ++v) {
    INFO("variable " << results.variables[v].name);
    for (std::size_t i = 0; i < results.summaries[v].mean.size(); ++i) {
      CHECK(std::isfinite(results.summaries[v].mean[i]));
      CHECK(std::isnan(results.summaries[v].sd[i]));
      CHECK(std::isnan(results.summaries[v].mcse[i]));
    }
    // Scenario 0 is the reference: its difference with itself is exactly 0, interval [0, 0].
    const std::size_t per_scenario = results.differences[v].mean.size() / study.runs.size();
    for (std::size_t i = 0; i < per_scenario; ++i) {
      CHECK(results.differences[v].mcse[i] == 0.0);
    }
    for (std::size_t i = per_scenario; i < results.differences[v].mean.size(); ++i) {
      CHECK(std::isnan(results.differences[v].mcse[i]));
      CHECK(std::isnan(results.differences[v].ci_low[i]));
      CHECK(std::isnan(results.differences[v].ci_high[i]));
    }
  }
}

namespace {

// Records what a sink is handed, in order.
class RecordingSink final : public sim::ResultsSink {
 public:
  void begin(const sim::Results& given, std::int64_t replicates_per_block) override {
    calls.push_back("begin");
    layout = given;
    block_size = replicates_per_block;
  }
  void encode(sim::ResultsBlock& block) const override {
    block.encoded.assign(1, std::vector<unsigned char>{static_cast<unsigned char>(block.scenario)});
  }
  void add_block(const sim::ResultsBlock& block) override {
    calls.push_back("block " + std::to_string(block.first_replicate) + " s" +
                    std::to_string(block.scenario));
    encoded_ok = encoded_ok && block.encoded.size() == 1 &&
                 block.encoded[0][0] == static_cast<unsigned char>(block.scenario);
  }
  void finish(sim::Results summaries) override {
    calls.push_back("finish");
    variables_summarised = summaries.summaries.size();
  }

  std::vector<std::string> calls;
  sim::Results layout;
  std::int64_t block_size = 0;
  bool encoded_ok = true;
  std::size_t variables_summarised = 0;
};

}  // namespace

TEST_CASE("A sink gets the layout then every block in the fixed merge order then the summaries",
          "[determinism][engine]") {
  Study study(kStudy);
  sim::RunOptions options = study.options(7);
  options.reference = 2;
  options.replicates = 130;
  RecordingSink sink;
  sim::run_study(study.runs, options, sink);
  // Blocks of 64 replicates; within a block the reference scenario (2) comes first.
  const std::vector<std::string> expected = {
      "begin",       "block 0 s2",   "block 0 s0",   "block 0 s1",   "block 64 s2", "block 64 s0",
      "block 64 s1", "block 128 s2", "block 128 s0", "block 128 s1", "finish"};
  CHECK(sink.calls == expected);
  CHECK(sink.block_size == 64);
  CHECK(sink.encoded_ok);
  CHECK(sink.layout.summaries.empty());
  CHECK(sink.layout.trajectories.empty());
  CHECK(sink.layout.reference_scenario == 2);
  CHECK(sink.variables_summarised == sink.layout.variables.size());
}

TEST_CASE("A run resumed from any whole block gives the uninterrupted run's statistics",
          "[determinism][engine]") {
  Study study(kStudy);
  sim::RunOptions options = study.options(3);
  options.block_size = 16;  // 150 replicates: 10 blocks, the last one short
  const sim::Results whole = sim::run_study(study.runs, options);

  std::vector<sim::RunCheckpoint> saved;
  sim::RunOptions saving = options;
  saving.checkpoint_due = [](std::int64_t) { return true; };
  saving.checkpoint = [&](const sim::RunCheckpoint& state) { saved.push_back(state); };
  require_identical(whole, sim::run_study(study.runs, saving));
  // One state after every whole block but the last (the run finishes right after it).
  REQUIRE(saved.size() == 9);
  for (std::size_t k = 0; k < saved.size(); ++k) CHECK(saved[k].blocks == std::int64_t(k + 1));

  for (const std::size_t k : {std::size_t{0}, std::size_t{4}, std::size_t{8}}) {
    INFO("resumed after " << saved[k].blocks << " blocks");
    sim::RunOptions resuming = options;
    resuming.threads = 2;
    resuming.resume = &saved[k];
    RecordingSink sink;
    sim::run_study(study.runs, resuming, sink);
    // Only the blocks after the checkpoint reach the sink (the caller replays the rest)...
    CHECK(sink.calls.size() == 2 + 3 * (10 - static_cast<std::size_t>(saved[k].blocks)));
    CHECK(sink.calls[1] == "block " + std::to_string(16 * saved[k].blocks) + " s0");
    // ...and the statistics are those of the whole run, bit for bit.
    sim::Results resumed = sim::run_study(study.runs, resuming);
    for (std::size_t v = 0; v < whole.summaries.size(); ++v) {
      INFO("variable " << whole.variables[v].name);
      CHECK(same_bits(whole.summaries[v].mean, resumed.summaries[v].mean));
      CHECK(same_bits(whole.summaries[v].sd, resumed.summaries[v].sd));
      CHECK(same_bits(whole.summaries[v].min, resumed.summaries[v].min));
      CHECK(same_bits(whole.summaries[v].quantiles, resumed.summaries[v].quantiles));
      CHECK(whole.summaries[v].count == resumed.summaries[v].count);
      CHECK(same_bits(whole.differences[v].mean, resumed.differences[v].mean));
      CHECK(same_bits(whole.differences[v].mcse, resumed.differences[v].mcse));
    }
  }
}

TEST_CASE("A checkpoint of another study is refused before any block runs", "[unit][engine]") {
  Study study(kStudy);
  sim::RunOptions options = study.options(2);
  options.block_size = 16;
  std::vector<sim::RunCheckpoint> saved;
  options.checkpoint_due = [](std::int64_t) { return true; };
  options.checkpoint = [&](const sim::RunCheckpoint& state) { saved.push_back(state); };
  sim::run_study(study.runs, options);
  REQUIRE(!saved.empty());

  // The checkpoint is read into the totals before the pipeline starts (the totals are
  // otherwise made lazily, by the first fold): a refused one costs no block's work.
  std::int64_t reports = 0;
  const auto count_reports = [&](std::int64_t /*done*/, std::int64_t /*total*/) { ++reports; };
  sim::RunOptions other = study.options(2);
  other.block_size = 16;
  other.years = 3;  // fewer cells than the checkpoint holds
  other.resume = &saved.front();
  other.progress = count_reports;
  CHECK_THROWS_WITH(sim::run_study(study.runs, other), Catch::Contains("do not fit"));
  sim::RunCheckpoint damaged = saved.front();
  damaged.tally.pop_back();
  sim::RunOptions same = study.options(2);
  same.block_size = 16;
  same.resume = &damaged;
  same.progress = count_reports;
  CHECK_THROWS_WITH(sim::run_study(study.runs, same), Catch::Contains("do not fit"));
  sim::RunCheckpoint beyond = saved.front();
  beyond.blocks = 11;
  same.resume = &beyond;
  CHECK_THROWS_WITH(sim::run_study(study.runs, same), Catch::Contains("past the study's last"));
  CHECK(reports == 0);
}

TEST_CASE("Items produced in slices and folded in order give run_study's results bit for bit",
          "[determinism][engine]") {
  Study study(kStudy);
  sim::RunOptions options = study.options(3);
  options.block_size = 16;  // 10 blocks
  options.reference = 1;
  const sim::Results whole = sim::run_study(study.runs, options);
  REQUIRE(sim::study_blocks(options) == 10);

  // Three slices, as three shards or ranks would run them, each with its own thread count.
  std::map<std::int64_t, std::vector<unsigned char>> items;
  const std::int64_t bounds[] = {0, 3, 7, 10};
  for (int slice = 0; slice < 3; ++slice) {
    sim::RunOptions producing = options;
    producing.threads = slice + 1;
    std::int64_t previous = -1;
    sim::produce_study_items(study.runs, producing,
                             sim::block_range(bounds[slice], bounds[slice + 1]),
                             [&](std::int64_t item, std::vector<unsigned char>&& bytes) {
                               CHECK(item > previous);  // handed over in order
                               previous = item;
                               items[item] = std::move(bytes);
                             });
  }
  REQUIRE(items.size() == 30);
  REQUIRE(items.begin()->first == 0);
  REQUIRE(items.rbegin()->first == 29);

  std::vector<std::string> names;
  std::vector<std::string> descriptions;
  for (const auto& run : study.runs) {
    names.push_back(run.name);
    descriptions.push_back(run.description);
  }
  const sim::ModelSchema& schema = study.runs.front().model->schema();
  const auto collect = [&](const sim::ItemSource& next) {
    sim::Results folded;
    struct Collector final : sim::ResultsSink {
      sim::Results& out;
      explicit Collector(sim::Results& target) : out(target) {}
      void begin(const sim::Results& layout, std::int64_t) override {
        out = layout;
        out.trajectories.resize(layout.variables.size());
        out.event_values.resize(layout.event_columns.size());
      }
      void add_block(const sim::ResultsBlock& block) override { blocks.push_back(block); }
      void finish(sim::Results summaries) override {
        out.summaries = std::move(summaries.summaries);
        out.differences = std::move(summaries.differences);
      }
      std::vector<sim::ResultsBlock> blocks;
    } collector(folded);
    sim::fold_study_items(schema, names, descriptions, options, next, collector);
    return std::make_pair(folded, collector.blocks);
  };
  const auto [folded, blocks] = collect([&](std::int64_t item) { return items.at(item); });
  for (std::size_t v = 0; v < whole.summaries.size(); ++v) {
    INFO("variable " << whole.variables[v].name);
    CHECK(same_bits(whole.summaries[v].mean, folded.summaries[v].mean));
    CHECK(same_bits(whole.summaries[v].sd, folded.summaries[v].sd));
    CHECK(same_bits(whole.summaries[v].max, folded.summaries[v].max));
    CHECK(same_bits(whole.summaries[v].quantiles, folded.summaries[v].quantiles));
    CHECK(whole.summaries[v].count == folded.summaries[v].count);
    CHECK(same_bits(whole.differences[v].mean, folded.differences[v].mean));
    CHECK(same_bits(whole.differences[v].ci_high, folded.differences[v].ci_high));
  }
  // The sink sees every block in the merge order with its trajectories and events.
  REQUIRE(blocks.size() == 30);
  CHECK(blocks[0].scenario == 1);
  CHECK(blocks[1].scenario == 0);
  CHECK(blocks[29].first_replicate == 144);
  CHECK(blocks[29].replicates == 6);
  std::size_t events = 0;
  for (const auto& block : blocks) events += block.events.empty() ? 0 : block.events[0].size();
  CHECK(events == (whole.event_values.empty() ? 0 : whole.event_values[0].size()));

  // A damaged or misplaced item is refused, naming the item.
  CHECK_THROWS_WITH(collect([&](std::int64_t item) { return items.at(item == 5 ? 6 : item); }),
                    Catch::Contains("item 5 does not fit this study"));
  CHECK_THROWS_WITH(collect([&](std::int64_t item) {
                      std::vector<unsigned char> bytes = items.at(item);
                      if (item == 7) bytes.resize(bytes.size() / 2);
                      return bytes;
                    }),
                    Catch::Contains("item 7 does not fit this study"));
  // A cell whose shape disagrees with its moments (an unknown shape, or "no values" for a cell
  // that counts some) is refused too: the fold would otherwise take other cells' buckets. The
  // item: index, cells, count, then the moments (count + 40 bytes a cell), then the shapes.
  const std::size_t cells = 4 * 10;  // years x (3 + 3 + 3 member values + 1 global)
  const std::size_t shapes_at = 3 * 8 + 8 + cells * sizeof(sim::tally::Moments) + 8;
  const std::vector<unsigned char>& item4 = items.at(4);
  std::uint64_t shape_count = 0;
  std::memcpy(&shape_count, item4.data() + shapes_at - 8, sizeof shape_count);
  REQUIRE(shape_count == cells);
  for (const unsigned char shape : {std::uint8_t{7}, std::uint8_t{0}}) {
    INFO("shape " << int{shape});
    CHECK_THROWS_WITH(collect([&](std::int64_t item) {
                        std::vector<unsigned char> bytes = items.at(item);
                        if (item == 4) bytes[shapes_at] = shape;  // cell 0: level, year 0
                        return bytes;
                      }),
                      Catch::Contains("item 4 does not fit this study: a cell's values do not fit "
                                      "its moments"));
  }
}

TEST_CASE("MPI block owners cover every rank and give rank 0 one block in 2R - 1",
          "[unit][engine]") {
  CHECK(sim::mpi::block_owner(5, 1) == 0);
  for (int ranks = 2; ranks <= 9; ++ranks) {
    std::vector<std::int64_t> owned(static_cast<std::size_t>(ranks), 0);
    const std::int64_t blocks = 100 * (2 * ranks - 1);
    for (std::int64_t block = 0; block < blocks; ++block) {
      const int owner = sim::mpi::block_owner(block, ranks);
      REQUIRE(owner >= 0);
      REQUIRE(owner < ranks);
      ++owned[static_cast<std::size_t>(owner)];
    }
    CHECK(owned[0] == 100);
    for (int rank = 1; rank < ranks; ++rank) CHECK(owned[static_cast<std::size_t>(rank)] == 200);
  }
}

TEST_CASE("At most 32 summarised chunks wait to be folded, in batches of up to four blocks",
          "[unit][engine]") {
  // A batch's last block is folded where it was summarised: blocks_per_batch - 1 wait per
  // scenario, as many blocks a batch as 32 waiting chunks allow, at most four.
  const std::map<std::size_t, std::size_t> batch_of = {{1, 4},  {5, 4},  {8, 4},  {9, 4},
                                                       {10, 4}, {11, 3}, {16, 3}, {17, 2},
                                                       {32, 2}, {33, 1}, {200, 1}};
  for (const auto& [scenarios, batch] : batch_of) {
    for (const bool paired : {false, true}) {
      for (const int threads : {1, 2, 16}) {
        INFO(scenarios << " scenarios, paired " << paired << ", " << threads << " threads");
        const sim::RunnerFootprint footprint =
            sim::runner_footprint(scenarios, paired, threads, false);
        CHECK(footprint.blocks_per_batch == batch);
        CHECK(footprint.pending_chunks == (batch - 1) * scenarios);
        CHECK(footprint.pending_chunks <= 32);
      }
    }
  }
}

TEST_CASE("The runner keeps every thread fed, with fewer spare items when they hold trajectories",
          "[unit][engine]") {
  for (const bool paired : {false, true}) {
    for (const std::size_t scenarios : {std::size_t{1}, std::size_t{5}, std::size_t{16}}) {
      // One thread runs one item at a time: nothing to overlap.
      CHECK(sim::runner_footprint(scenarios, paired, 1, false).items_in_flight == 1);
      CHECK(sim::runner_footprint(scenarios, paired, 1, true).items_in_flight == 1);
      for (const int threads : {2, 4, 16}) {
        const sim::RunnerFootprint summaries =
            sim::runner_footprint(scenarios, paired, threads, false);
        const sim::RunnerFootprint trajectories =
            sim::runner_footprint(scenarios, paired, threads, true);
        const std::size_t per_item = paired ? scenarios : 1;
        CHECK(summaries.scenarios_per_item == per_item);
        // Enough items for every thread, plus at least one being folded.
        const std::size_t busy = (static_cast<std::size_t>(threads) + per_item - 1) / per_item;
        CHECK(trajectories.items_in_flight >= busy + 1);
        // Items finish out of order and are folded in order: spare ones keep threads working,
        // but an item holding its blocks' trajectories is dear, so those runs keep fewer.
        CHECK(summaries.items_in_flight > trajectories.items_in_flight);
        // The raw buffers follow: one a thread, and the reference's one an item.
        CHECK(summaries.raw_buffers ==
              static_cast<std::size_t>(threads) + (paired ? summaries.items_in_flight : 0));
      }
    }
  }
}

namespace {

/// Runs that use their run memo (sim::RunMemo) as a model would: the keeping run files its
/// replicate index under the replicate (its key) and records it; a reading run records what the
/// memo holds under its own replicate, NaN when nothing. `kept` also says which runs keep.
class MemoProbe final : public sim::Model {
 public:
  MemoProbe() {
    schema_.members = {"XX"};
    schema_.member_names = {"Only member"};
    schema_.variables = {
        {"read", "1", "replicate index read from the memo", sim::Level::global, false, true},
        {"kept", "1", "1 if this run kept the memo", sim::Level::global, true, false}};
  }
  const sim::ModelSchema& schema() const override { return schema_; }
  void run(const sim::RunContext& context, sim::RunRecorder& recorder) const override {
    const std::array<double, 1> key{static_cast<double>(context.replicate)};
    double read = std::numeric_limits<double>::quiet_NaN();
    if (context.memo != nullptr && context.keep_memo) {
      context.memo->file(&kKind, this, key);
      context.memo->append(key);
      read = key[0];
    } else if (context.memo != nullptr && context.memo->kind() == &kKind &&
               context.memo->filed_under(key) && context.memo->values().size() == 1) {
      read = context.memo->values()[0];
    }
    for (int y = 0; y < context.years; ++y) {
      recorder.set_global(0, y, read);
      recorder.set_global(1, y, context.keep_memo ? 1.0 : 0.0);
    }
  }

 private:
  static constexpr char kKind = 0;
  sim::ModelSchema schema_;
};

}  // namespace

TEST_CASE("A run memo holds what was filed, under the key it was filed under", "[unit][engine]") {
  sim::RunMemo memo;
  CHECK(memo.kind() == nullptr);
  CHECK(memo.filed_under({}));
  const char kind = 0;
  const int source = 0;
  const std::array<double, 2> key{0.5, -0.0};
  memo.file(&kind, &source, key);
  memo.append(std::array<double, 3>{1.0, 2.0, 3.0});
  memo.append(std::array<double, 1>{4.0});
  CHECK(memo.kind() == &kind);
  CHECK(memo.source() == &source);
  CHECK(memo.values().size() == 4);
  CHECK(memo.values()[3] == 4.0);
  CHECK(memo.filed_under(key));
  // Bit for bit: +0 is not -0, and a key of another length is another key.
  CHECK(!memo.filed_under(std::array<double, 2>{0.5, 0.0}));
  CHECK(!memo.filed_under(std::array<double, 1>{0.5}));
  // Filing again starts afresh; clearing forgets all.
  memo.file(&kind, &source, std::array<double, 1>{7.0});
  CHECK(memo.values().empty());
  CHECK(memo.filed_under(std::array<double, 1>{7.0}));
  memo.append(std::array<double, 1>{8.0});
  memo.clear();
  CHECK(memo.kind() == nullptr);
  CHECK(memo.source() == nullptr);
  CHECK(memo.values().empty());
}

TEST_CASE("In a paired study every other scenario's run reads what the reference's run kept",
          "[unit][engine]") {
  // The reference's run of each replicate keeps a memo and the others' runs of the same
  // replicate read it, whatever the block size and thread count: 150 replicates in blocks of
  // 64 (a last one of 22) and of 2, on 1 and 2 threads. Without a reference, or with sharing
  // off, no run has a memo.
  const MemoProbe probe;
  const std::vector<sim::ScenarioRun> runs{
      {"reference", "", &probe}, {"first", "", &probe}, {"second", "", &probe}};
  constexpr std::int64_t kReplicates = 150;
  constexpr int kYears = 3;
  for (const std::int64_t block_size : {64, 2}) {
    for (const int threads : {1, 2}) {
      for (const bool share : {true, false}) {
        for (const int reference : {0, -1}) {
          INFO("block size " << block_size << ", threads " << threads << ", sharing " << share
                             << ", reference " << reference);
          sim::RunOptions options;
          options.seed = 5;
          options.replicates = kReplicates;
          options.years = kYears;
          options.threads = threads;
          options.block_size = block_size;
          options.reference = reference;
          options.trajectories = true;
          options.share_run_memos = share;
          const sim::Results results = sim::run_study(runs, options);
          const bool memos = share && reference == 0;
          const std::vector<double>& read = results.trajectories[0];
          const std::vector<double>& kept = results.trajectories[1];
          REQUIRE(read.size() == runs.size() * kReplicates * kYears);
          std::size_t wrong = 0;
          for (std::size_t s = 0; s < runs.size(); ++s) {
            for (std::size_t r = 0; r < kReplicates; ++r) {
              for (std::size_t y = 0; y < kYears; ++y) {
                const std::size_t at = (s * kReplicates + r) * kYears + y;
                const bool keeps = memos && s == 0;
                wrong += kept[at] == (keeps ? 1.0 : 0.0) ? 0 : 1;
                wrong += memos ? (read[at] == static_cast<double>(r) ? 0 : 1)
                               : (std::isnan(read[at]) ? 0 : 1);
              }
            }
          }
          CHECK(wrong == 0);
        }
      }
    }
  }
}
