#include <catch2/catch.hpp>

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "sim/core/error.h"
#include "sim/io/h5_file.h"
#include "sim/io/output_path.h"
#include "sim/io/results_info.h"
#include "sim/io/results_reader.h"
#include "sim/io/results_schema.h"
#include "sim/io/results_writer.h"
#include "tests/sim/io/sample_results.h"

namespace fs = std::filesystem;
using sim::Level;
using sim::OutputError;
using sim::Results;
using sim::io::describe_results;
using sim::io::read_results;
using sim::io::write_results;
using sim::io::testing::make_sample_results;
using sim::io::testing::SampleOptions;

namespace {

class TempDir {
 public:
  TempDir() {
    static int counter = 0;
    path_ = fs::temp_directory_path() / ("natosim_results_test_" + std::to_string(::getpid()) +
                                         "_" + std::to_string(counter++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string file_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Exact equality where NaN equals NaN (missing cells must stay missing).
bool same_values(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!(a[i] == b[i] || (std::isnan(a[i]) && std::isnan(b[i])))) return false;
  }
  return true;
}

void check_same_results(const Results& a, const Results& b) {
  CHECK(a.scenarios == b.scenarios);
  CHECK(a.scenario_dimension == b.scenario_dimension);
  REQUIRE(a.design_parameters.size() == b.design_parameters.size());
  for (std::size_t p = 0; p < a.design_parameters.size(); ++p) {
    CHECK(a.design_parameters[p].key == b.design_parameters[p].key);
    CHECK(a.design_parameters[p].values == b.design_parameters[p].values);
  }
  CHECK(a.scenario_descriptions == b.scenario_descriptions);
  CHECK(a.scenario_labels == b.scenario_labels);
  CHECK(a.scenario_groups == b.scenario_groups);
  CHECK(a.member_axis == b.member_axis);
  CHECK(a.member_axis_long_name == b.member_axis_long_name);
  CHECK(a.time_axis == b.time_axis);
  CHECK(a.time_axis_long_name == b.time_axis_long_name);
  CHECK(a.years == b.years);
  CHECK(a.members == b.members);
  CHECK(a.member_names == b.member_names);
  CHECK(a.quantile_levels == b.quantile_levels);
  CHECK(a.replicates == b.replicates);
  CHECK(a.seed == b.seed);
  CHECK(a.reference_scenario == b.reference_scenario);
  CHECK(a.has_trajectories == b.has_trajectories);
  CHECK(a.attributes == b.attributes);
  REQUIRE(a.variables.size() == b.variables.size());
  REQUIRE(a.summaries.size() == b.summaries.size());
  for (std::size_t v = 0; v < a.variables.size(); ++v) {
    INFO("variable " << a.variables[v].name);
    CHECK(a.variables[v].name == b.variables[v].name);
    CHECK(a.variables[v].units == b.variables[v].units);
    CHECK(a.variables[v].long_name == b.variables[v].long_name);
    CHECK(a.variables[v].level == b.variables[v].level);
    CHECK(a.variables[v].binary == b.variables[v].binary);
    CHECK(a.variables[v].may_be_missing == b.variables[v].may_be_missing);
    const sim::VariableSummary& x = a.summaries[v];
    const sim::VariableSummary& y = b.summaries[v];
    CHECK(same_values(x.mean, y.mean));
    CHECK(same_values(x.sd, y.sd));
    CHECK(same_values(x.mcse, y.mcse));
    CHECK(same_values(x.min, y.min));
    CHECK(same_values(x.max, y.max));
    CHECK(same_values(x.quantiles, y.quantiles));
    CHECK(x.count == y.count);
    CHECK(same_values(x.wilson_low, y.wilson_low));
    CHECK(same_values(x.wilson_high, y.wilson_high));
  }
  REQUIRE(a.differences.size() == b.differences.size());
  for (std::size_t v = 0; v < a.differences.size(); ++v) {
    CHECK(same_values(a.differences[v].mean, b.differences[v].mean));
    CHECK(same_values(a.differences[v].mcse, b.differences[v].mcse));
    CHECK(same_values(a.differences[v].ci_low, b.differences[v].ci_low));
    CHECK(same_values(a.differences[v].ci_high, b.differences[v].ci_high));
  }
  REQUIRE(a.trajectories.size() == b.trajectories.size());
  for (std::size_t v = 0; v < a.trajectories.size(); ++v) {
    CHECK(same_values(a.trajectories[v], b.trajectories[v]));
  }
  REQUIRE(a.event_columns.size() == b.event_columns.size());
  for (std::size_t c = 0; c < a.event_columns.size(); ++c) {
    CHECK(a.event_columns[c].name == b.event_columns[c].name);
    CHECK(a.event_columns[c].units == b.event_columns[c].units);
    CHECK(a.event_columns[c].long_name == b.event_columns[c].long_name);
    CHECK(a.event_columns[c].categories == b.event_columns[c].categories);
  }
  REQUIRE(a.event_values.size() == b.event_values.size());
  for (std::size_t c = 0; c < a.event_values.size(); ++c) {
    CHECK(same_values(a.event_values[c], b.event_values[c]));
  }
}

}  // namespace

TEST_CASE("Results written and read back are equal in every value and attribute", "[unit][io]") {
  TempDir dir;
  const fs::path out = dir.path() / "study.h5";
  const Results written = make_sample_results();
  write_results(written, out, false);
  CHECK(fs::exists(out));
  CHECK_FALSE(fs::exists(sim::io::partial_path(out)));
  const Results read = read_results(out);
  check_same_results(written, read);
  // Spot checks that the fixture exercises what it claims to.
  CHECK(read.variables[1].binary);
  CHECK(read.variables[0].may_be_missing);
  CHECK(read.variables[2].level == Level::global);
  CHECK(read.summaries[0].count[4] == 0);
  CHECK(std::isnan(read.summaries[0].mean[4]));
  CHECK(read.event_values[4] == std::vector<double>{0, 1, 2, 1, 1});
  CHECK(read.event_columns[4].categories ==
        std::vector<std::string>{"budget_cut", "spending_surge", "free_riding"});
}

TEST_CASE("Results without events, trajectories, reference or quantiles round trip", "[unit][io]") {
  TempDir dir;
  SECTION("zero events keep the event columns") {
    SampleOptions options;
    options.zero_events = true;
    const Results written = make_sample_results(options);
    write_results(written, dir.path() / "zero.h5", false);
    const Results read = read_results(dir.path() / "zero.h5");
    check_same_results(written, read);
    CHECK(read.event_columns.size() == 6);
    CHECK(read.event_values[0].empty());
  }
  SECTION("a bare study") {
    SampleOptions options;
    options.events = false;
    options.trajectories = false;
    options.reference = false;
    options.quantiles = false;
    const Results written = make_sample_results(options);
    write_results(written, dir.path() / "bare.h5", false);
    const Results read = read_results(dir.path() / "bare.h5");
    check_same_results(written, read);
    CHECK(read.reference_scenario == -1);
    CHECK(read.event_columns.empty());
  }
  SECTION("a parameter sweep") {
    SampleOptions options;
    options.sweep = true;
    options.reference = false;
    const Results written = make_sample_results(options);
    write_results(written, dir.path() / "sweep.h5", false);
    const Results read = read_results(dir.path() / "sweep.h5");
    check_same_results(written, read);
    CHECK(read.scenario_dimension == "design_point");
    REQUIRE(read.design_parameters.size() == 2);
    CHECK(read.design_parameters[0].key == "model.drift");
    CHECK(read.design_parameters[0].values == std::vector<double>{0.1, 0.3});
    CHECK(read.design_parameters[1].key == "threat_growth");
    CHECK(read.design_parameters[1].values == std::vector<double>{0.0, 0.05});
    const std::string text = describe_results(dir.path() / "sweep.h5", false);
    CHECK(text.find("design points:      2") != std::string::npos);
    CHECK(text.find("swept parameter:    model.drift (0.1 to 0.3)") != std::string::npos);
    const std::string json = describe_results(dir.path() / "sweep.h5", true);
    CHECK(json.find("\"swept_parameters\": [{\"key\": \"model.drift\", \"values\": [0.1, 0.3]}") !=
          std::string::npos);
  }
  SECTION("a reference without differences") {
    Results written = make_sample_results();
    written.differences.clear();
    write_results(written, dir.path() / "reference.h5", false);
    check_same_results(written, read_results(dir.path() / "reference.h5"));
  }
}

TEST_CASE("The same results give byte-identical files", "[unit][io][determinism]") {
  TempDir dir;
  const Results results = make_sample_results();
  write_results(results, dir.path() / "a.h5", false);
  write_results(results, dir.path() / "b.h5", false);
  CHECK(file_bytes(dir.path() / "a.h5") == file_bytes(dir.path() / "b.h5"));
}

TEST_CASE("An existing output is kept byte for byte unless forced", "[unit][io]") {
  TempDir dir;
  const fs::path out = dir.path() / "study.h5";
  Results results = make_sample_results();
  write_results(results, out, false);
  const std::string before = file_bytes(out);
  results.seed = 99;
  CHECK_THROWS_MATCHES(write_results(results, out, false), OutputError,
                       Catch::Message(out.string() + " exists; pass --force to overwrite it"));
  CHECK(file_bytes(out) == before);
  CHECK_FALSE(fs::exists(sim::io::partial_path(out)));
  write_results(results, out, true);
  CHECK(read_results(out).seed == 99);
  CHECK_FALSE(fs::exists(sim::io::partial_path(out)));
}

TEST_CASE("The output path is checked before any work", "[unit][io]") {
  using sim::io::kFileType;
  TempDir dir;
  const fs::path out = dir.path() / "study.h5";
  CHECK_NOTHROW(sim::io::check_output_path(out, false, kFileType));
  write_results(make_sample_results(), out, false);
  CHECK_THROWS_MATCHES(sim::io::check_output_path(out, false, kFileType), OutputError,
                       Catch::Message(out.string() + " exists; pass --force to overwrite it"));
  CHECK_NOTHROW(sim::io::check_output_path(out, true, kFileType));
  const fs::path nowhere = dir.path() / "missing" / "study.h5";
  CHECK_THROWS_MATCHES(
      sim::io::check_output_path(nowhere, true, kFileType), OutputError,
      Catch::Message(nowhere.string() + ": folder " + (dir.path() / "missing").string() +
                     " does not exist; create it first"));
  CHECK_THROWS_MATCHES(
      sim::io::check_output_path(dir.path(), true, kFileType), OutputError,
      Catch::Message(dir.path().string() + " is a folder; give a file name for the results"));
  // root may write anywhere, so the permission check is only observable for other users.
  if (::geteuid() != 0) {
    const fs::path locked = dir.path() / "locked";
    fs::create_directories(locked);
    fs::permissions(locked, fs::perms::owner_read | fs::perms::owner_exec);
    CHECK_THROWS_MATCHES(sim::io::check_output_path(locked / "study.h5", false, kFileType),
                         OutputError,
                         Catch::Message((locked / "study.h5").string() + ": folder " +
                                        locked.string() + " is not writable"));
    fs::permissions(locked, fs::perms::owner_all);
  }
}

TEST_CASE("Inconsistent results are rejected before the disk is touched", "[unit][io]") {
  TempDir dir;
  const fs::path out = dir.path() / "study.h5";
  Results results = make_sample_results();
  results.summaries[0].mean.pop_back();
  CHECK_THROWS_MATCHES(write_results(results, out, false), std::invalid_argument,
                       Catch::Message("results: defence_spending_share_mean has 17 values, "
                                      "expected 18 (scenarios x years x members)"));
  CHECK_FALSE(fs::exists(out));
  CHECK_FALSE(fs::exists(sim::io::partial_path(out)));

  Results trajectories = make_sample_results();
  trajectories.trajectories[2].push_back(1.0);
  CHECK_THROWS_MATCHES(write_results(trajectories, out, false), std::invalid_argument,
                       Catch::Message("results: trajectory of alliance_spending_usd_bn has 25 "
                                      "values, expected 24 (scenarios x replicates x years)"));
  Results events = make_sample_results();
  events.event_values[4][0] = 3.0;
  CHECK_THROWS_MATCHES(write_results(events, out, false), std::invalid_argument,
                       Catch::Message("results: event column 'kind' holds 3, expected an "
                                      "integer in [0, 2]"));
  Results clash = make_sample_results();
  clash.variables[2].name = "year";
  CHECK_THROWS_MATCHES(write_results(clash, out, false), std::invalid_argument,
                       Catch::Message("results: two datasets would be named 'year'; rename the "
                                      "variable or event column"));
  Results reserved = make_sample_results();
  reserved.attributes["seed"] = "1";
  CHECK_THROWS_MATCHES(write_results(reserved, out, false), std::invalid_argument,
                       Catch::Message("results: attribute key 'seed' is empty or reserved for "
                                      "the writer"));
  CHECK_FALSE(fs::exists(out));
  CHECK_FALSE(fs::exists(sim::io::partial_path(out)));
}

TEST_CASE("A partial file left by a crash is replaced", "[unit][io]") {
  TempDir dir;
  const fs::path out = dir.path() / "study.h5";
  std::ofstream(sim::io::partial_path(out)) << "left over by a crash\n";
  write_results(make_sample_results(), out, false);
  CHECK_FALSE(fs::exists(sim::io::partial_path(out)));
  CHECK(read_results(out).scenarios == std::vector<std::string>{"baseline", "surge"});
}

TEST_CASE("With --force only a natosim file of the same kind is replaced, never a non-regular file",
          "[unit][io]") {
  using sim::io::kFileType;
  TempDir dir;
  const fs::path config = dir.path() / "study.toml";
  std::ofstream(config) << "[study]\n";
  CHECK_THROWS_MATCHES(
      sim::io::check_output_path(config, true, kFileType), OutputError,
      Catch::Message(config.string() + " is not a natosim file; --force replaces only a natosim "
                                       "results file (remove it yourself if you mean to replace "
                                       "it)"));
  const fs::path results = dir.path() / "r.h5";
  write_results(make_sample_results(), results, false);
  CHECK_THROWS_MATCHES(
      sim::io::check_output_path(results, true, "natosim_calibration"), OutputError,
      Catch::Message(results.string() + " is a natosim results file; --force replaces only a "
                                        "natosim calibration file (remove it yourself if you mean "
                                        "to replace it)"));
  // A device, a FIFO and a symbolic link are refused with or without --force.
  const fs::path null_device = "/dev/null";
  for (const bool force : {false, true}) {
    CHECK_THROWS_MATCHES(sim::io::check_output_path(null_device, force, kFileType), OutputError,
                         Catch::Message("/dev/null is not a regular file (a device, FIFO or "
                                        "socket); natosim never replaces one, --force or not"));
  }
  const fs::path fifo = dir.path() / "fifo.h5";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  CHECK_THROWS_MATCHES(sim::io::check_output_path(fifo, true, kFileType), OutputError,
                       Catch::Message(fifo.string() + " is not a regular file (a device, FIFO or "
                                                      "socket); natosim never replaces one, "
                                                      "--force or not"));
  const fs::path link = dir.path() / "link.h5";
  fs::create_symlink(results, link);
  CHECK_THROWS_MATCHES(sim::io::check_output_path(link, true, kFileType), OutputError,
                       Catch::Message(link.string() + " is a symbolic link; natosim writes only a "
                                                      "new path or a regular file it wrote (give "
                                                      "the link's target, or another name)"));
  // The write itself applies the policy again before its rename.
  CHECK_THROWS_AS(write_results(make_sample_results(), config, true), OutputError);
  CHECK(file_bytes(config) == "[study]\n");
  CHECK_FALSE(fs::exists(sim::io::partial_path(config)));
}

TEST_CASE("One run at a time holds an output path, and the lock goes with its holder",
          "[unit][io]") {
  TempDir dir;
  const fs::path out = dir.path() / "study.h5";
  {
    const sim::io::OutputLock held = sim::io::lock_output(out, false, sim::io::kFileType);
    CHECK(fs::exists(out.string() + ".lock"));
    CHECK_THROWS_MATCHES(
        sim::io::lock_output(out, false, sim::io::kFileType), OutputError,
        Catch::Message(out.string() + ": another natosim run (pid " + std::to_string(::getpid()) +
                       ") is writing this file; wait for it to finish or choose another output"));
  }
  CHECK_FALSE(fs::exists(out.string() + ".lock"));
  CHECK_NOTHROW(sim::io::lock_output(out, false, sim::io::kFileType));
}

TEST_CASE("Partial files of dead processes are removed, a live process's kept", "[unit][io]") {
  TempDir dir;
  const fs::path out = dir.path() / "study.h5";
  // pid 2^22 + 1 is above Linux's pid_max limit (4194304), so no process has it.
  const fs::path dead = out.string() + ".4194305.partial";
  const fs::path old_style = out.string() + ".partial";
  const fs::path live = out.string() + ".1.partial";  // init is always alive
  const fs::path unrelated = out.string() + ".notes.partial";
  for (const fs::path& file : {dead, old_style, live, unrelated}) std::ofstream(file) << "x\n";
  { const sim::io::OutputLock held = sim::io::lock_output(out, false, sim::io::kFileType); }
  CHECK_FALSE(fs::exists(dead));
  CHECK_FALSE(fs::exists(old_style));
  CHECK(fs::exists(live));
  CHECK(fs::exists(unrelated));
}

TEST_CASE("A stop request while writing leaves nothing under the name and throws Interrupted",
          "[unit][io]") {
  TempDir dir;
  const fs::path out = dir.path() / "study.h5";
  const std::atomic<bool> stop{true};
  CHECK_THROWS_AS(write_results(make_sample_results(), out, false, &stop), sim::Interrupted);
  CHECK_FALSE(fs::exists(out));
  CHECK_FALSE(fs::exists(sim::io::partial_path(out)));
}

TEST_CASE("A failure in the middle of writing leaves neither the output nor the partial file",
          "[unit][io]") {
  TempDir dir;
  const fs::path out = dir.path() / "study.h5";
  // Cap the size of files this process may write: HDF5's writes then fail with EFBIG part way
  // through (SIGXFSZ is ignored so the process survives).
  rlimit saved{};
  REQUIRE(::getrlimit(RLIMIT_FSIZE, &saved) == 0);
  const auto previous_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit capped = saved;
  capped.rlim_cur = 16 * 1024;
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &capped) == 0);
  bool threw_output_error = false;
  try {
    write_results(make_sample_results(), out, false);
  } catch (const OutputError& error) {
    threw_output_error = true;
    INFO(error.what());
    CHECK(std::string(error.what()).find(sim::io::partial_path(out).string()) == 0);
  }
  ::setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, previous_handler);
  CHECK(threw_output_error);
  CHECK_FALSE(fs::exists(out));
  CHECK_FALSE(fs::exists(sim::io::partial_path(out)));
}

TEST_CASE("Files that are not natosim results are refused with a clear message", "[unit][io]") {
  TempDir dir;
  const fs::path text = dir.path() / "notes.h5";
  std::ofstream(text) << "just text\n";
  CHECK_THROWS_MATCHES(
      read_results(text), OutputError,
      Catch::Message(text.string() + ": not a natosim results file (not an HDF5 file)"));
  const fs::path missing = dir.path() / "missing.h5";
  CHECK_THROWS_MATCHES(read_results(missing), OutputError,
                       Catch::Message(missing.string() + ": no such file"));

  const fs::path other = dir.path() / "other.h5";
  {
    sim::io::H5File file = sim::io::H5File::create(other);
    file.write_string_attribute("file_type", "openmc_statepoint");
    file.close();
  }
  CHECK_THROWS_MATCHES(
      read_results(other), OutputError,
      Catch::Message(other.string() + ": not a natosim results file (no root "
                                      "attribute file_type = \"natosim_results\")"));
  CHECK_THROWS_AS(describe_results(other, true), OutputError);

  const fs::path future = dir.path() / "future.h5";
  {
    sim::io::H5File file = sim::io::H5File::create(future);
    file.write_string_attribute("file_type", "natosim_results");
    file.write_string_attribute("schema_version", "2.0");
    file.close();
  }
  CHECK_THROWS_MATCHES(
      read_results(future), OutputError,
      Catch::Message(future.string() + ": schema version 2.0 is not supported (this natosim reads "
                                       "1.x); use a natosim release that writes schema 2.0"));
}

TEST_CASE("The description names the study, its axes and its variables", "[unit][io]") {
  TempDir dir;
  const fs::path out = dir.path() / "study.h5";
  write_results(make_sample_results(), out, false);
  const std::string text = describe_results(out, false);
  INFO(text);
  for (const char* fact :
       {"sample_study", "schema version:     1.0", "natosim version:    0.1.0", "0123456789ab",
        "2025-01-02T03:04:05Z", "seed:               18446744073709551557", "replicates:         4",
        "baseline  Current spending plans [reference]",
        "surge     All members reach 3% of GDP by 2027", "reference scenario: baseline",
        "2025-2027 (3 years)", "3 (DE FR PL)",
        "defence_spending_share    Defence spending as a share of GDP [1] (member-level, may be "
        "missing)",
        "Total alliance defence spending [USD bn] (global-level)", "(member-level, binary)",
        "trajectories:       yes",
        "events:             5 (columns: scenario, replicate, year, member, kind, size_usd_bn)"}) {
    CHECK(text.find(fact) != std::string::npos);
  }
  const std::string json = describe_results(out, true);
  INFO(json);
  for (const char* fact :
       {"\"schema_version\": \"1.0\"", "\"study_name\": \"sample_study\"",
        "\"seed\": 18446744073709551557", "\"replicates\": 4",
        "\"reference_scenario\": \"baseline\"", "\"members\": [\"DE\", \"FR\", \"PL\"]",
        "\"has_trajectories\": true", "\"event_count\": 5",
        "\"config_text\": \"[study]\\nname = \\\"sample \\\\\\\"quoted\\\\\\\"\\\"\\n\\tseed = "
        "7\\n\""}) {
    CHECK(json.find(fact) != std::string::npos);
  }
  CHECK(json.front() == '{');
  CHECK(json.substr(json.size() - 2) == "}\n");
}
