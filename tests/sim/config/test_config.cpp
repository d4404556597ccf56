#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>

#include "sim/config/input_file.h"
#include "sim/config/study.h"
#include "tests/toy/toy_models.h"

namespace {

sim::ModelRegistry toy_registry() {
  sim::ModelRegistry registry;
  toy::register_toy_models(registry);
  return registry;
}

/// Reads and builds a study from text; returns the ConfigError message or "" when valid.
std::string problem_with(const std::string& text) {
  const sim::ModelRegistry registry = toy_registry();
  try {
    sim::StudySpec study = sim::read_study_text(text, "study.toml", NATOSIM_SOURCE_DIR, registry);
    sim::build_scenarios(study, registry);
  } catch (const sim::ConfigError& error) {
    return error.what();
  }
  return "";
}

const std::string kValid = R"([study]
name = "toy"
model = "random_walk"
seed = 7
replicates = 10
years = 3

[model]
members = 2
drift = 0.1

[[scenario]]
name = "a"

[[scenario]]
name = "b"
[scenario.set]
drift = 0.2
)";

}  // namespace

TEST_CASE("A valid study reads with its settings and scenarios", "[unit][config]") {
  const sim::ModelRegistry registry = toy_registry();
  sim::StudySpec study = sim::read_study_text(kValid, "study.toml", ".", registry);
  CHECK(study.name == "toy");
  CHECK(study.model == "random_walk");
  CHECK(study.seed == 7);
  CHECK(study.replicates == 10);
  CHECK(study.start_year == 2025);
  CHECK(study.years == 3);
  REQUIRE(study.scenarios.size() == 2);
  CHECK(study.scenarios[1].name == "b");
  // label defaults to the name, group to "".
  CHECK(study.scenarios[1].label == "b");
  CHECK(study.scenarios[1].group.empty());
  CHECK(study.text == kValid);
  auto built = sim::build_scenarios(study, registry);
  CHECK(built.size() == 2);
  CHECK(built[0].model->schema().members.size() == 2);
}

TEST_CASE("A scenario's label and group are read beside its name", "[unit][config]") {
  const sim::ModelRegistry registry = toy_registry();
  std::string text = kValid;
  text.replace(text.find("name = \"b\"\n"), 11,
               "name = \"b\"\nlabel = \"Drift 0.2\"\ngroup = \"drifting\"\n");
  sim::StudySpec study = sim::read_study_text(text, "study.toml", ".", registry);
  REQUIRE(study.scenarios.size() == 2);
  CHECK(study.scenarios[0].label == "a");
  CHECK(study.scenarios[0].group.empty());
  CHECK(study.scenarios[1].label == "Drift 0.2");
  CHECK(study.scenarios[1].group == "drifting");
}

TEST_CASE("SHA-256 matches the FIPS 180-4 examples", "[unit][config]") {
  CHECK(sim::sha256_hex("abc") ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sim::sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sim::sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST_CASE("SHA-256 given piece by piece matches the FIPS 180-4 million-a example",
          "[unit][config]") {
  const std::string million(1'000'000, 'a');
  const std::string expected = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
  CHECK(sim::sha256_hex(million) == expected);
  // Pieces that straddle the 64-byte blocks in every way: 1, 55, 56, 63, 64, 65 bytes, ...
  sim::Sha256 hash;
  const std::array<std::size_t, 8> sizes = {1, 55, 56, 63, 64, 65, 1000, 65536};
  std::size_t given = 0;
  for (std::size_t k = 0; given < million.size(); ++k) {
    const std::size_t size = std::min(sizes[k % sizes.size()], million.size() - given);
    hash.update(million.data() + given, size);
    given += size;
  }
  CHECK(hash.hex() == expected);
}

TEST_CASE("Scenario overrides merge into the base model and keep their position",
          "[unit][config]") {
  std::string text = kValid;
  text.replace(text.find("drift = 0.2"), 11, "drift = \"x\"");
  CHECK(problem_with(text) ==
        "study.toml:18:9: model.drift: wrong type (set by scenario 'b'), got \"x\" (expected a "
        "number in [-10, 10])");
}

TEST_CASE("Each bad config gives one line naming file, position, key and expectation",
          "[unit][config]") {
  struct Case {
    std::string description;
    std::string from;
    std::string to;
    std::string message;
  };
  // Each case edits the valid study in one place.
  const std::vector<Case> cases = {
      {"unknown key in [study]", "seed = 7", "seed = 7\nreplicats = 5",
       "study.toml:5:13: study.replicats: unknown key, got 5 (expected one of: description, "
       "extends, model, "
       "name, reference, replicates, seed, start_year, years)"},
      {"unknown key in [model]", "members = 2", "members = 2\nvolatilty = 2.0",
       "study.toml:10:13: model.volatilty: unknown key, got 2 (expected one of: axes, drift, "
       "events, fail_replicate, maybe_missing, maybe_scale, maybe_value, members, mode, start, "
       "starts_file, threshold, volatility)"},
      {"wrong type", "replicates = 10", "replicates = \"ten\"",
       "study.toml:5:14: study.replicates: wrong type, got \"ten\" (expected an integer in [1, "
       "100000000])"},
      {"float where an integer is needed", "replicates = 10", "replicates = 10.5",
       "study.toml:5:14: study.replicates: wrong type, got 10.5 (expected an integer in [1, "
       "100000000])"},
      {"out of range", "years = 3", "years = 0",
       "study.toml:6:9: study.years: out of range, got 0 (expected an integer in [1, 500])"},
      {"negative volatility", "members = 2", "members = 2\nvolatility = -1",
       "study.toml:10:14: model.volatility: out of range, got -1 (expected a number > 0)"},
      {"too many members", "members = 2", "members = 40",
       "study.toml:9:11: model.members: out of range, got 40 (expected an integer in [1, 26])"},
      {"unknown choice", "members = 2", "members = 2\nmode = \"geometric\"",
       "study.toml:10:8: model.mode: unknown value, got \"geometric\" (expected one of "
       "\"additive\", \"multiplicative\")"},
      {"unknown model", "model = \"random_walk\"", "model = \"alliance\"",
       "study.toml:3:9: study.model: unknown value, got \"alliance\" (expected one of \"counter\", "
       "\"gauss\", \"random_walk\")"},
      {"duplicate scenario name", "name = \"b\"", "name = \"a\"",
       "study.toml:16:8: scenario[1].name: duplicate scenario name, got \"a\" (expected a name no "
       "other [[scenario]] uses)"},
      {"invalid scenario name", "name = \"b\"", "name = \"b c\"",
       "study.toml:16:8: scenario[1].name: invalid scenario name, got \"b c\" (expected letters, "
       "digits, '_', '-' or '.', starting with a letter or digit)"},
      {"unknown reference", "years = 3", "years = 3\nreference = \"c\"",
       "study.toml:7:13: study.reference: no scenario has this name, got \"c\" (expected one of: "
       "a, b)"},
      {"missing data file", "members = 2", "members = 2\nstarts_file = \"no/such.csv\"",
       "study.toml:10:15: model.starts_file: cannot open file, got \"no/such.csv\" (expected a "
       "readable file (relative paths start at the config's folder " NATOSIM_SOURCE_DIR "))"},
      {"missing [model]", "[model]", "[modle]",
       "study.toml:1:1: model: missing required key, got nothing (expected a value)"},
      {"distribution with unknown kind", "drift = 0.1",
       "drift = {dist = \"gaussian\", mean = 0, sd = 1}",
       "study.toml:10:17: model.drift.dist: unknown value, got \"gaussian\" (expected one of "
       "\"normal\", \"uniform\", \"triangular\", \"beta\", \"lognormal\")"},
      {"distribution reaching outside the range", "drift = 0.1",
       "drift = {dist = \"normal\", mean = 0, sd = 1}",
       "study.toml:10:9: model.drift.lower: distribution can fall below the parameter's range, "
       "got no lower bound (expected lower >= -10 (add a truncation bound))"},
      {"uniform with empty interval", "drift = 0.1",
       "drift = {dist = \"uniform\", low = 1, high = 0}",
       "study.toml:10:44: model.drift.high: empty interval, got 0 (expected a number > low = 1 (a "
       "fixed value is written as a number))"},
      {"syntax error", "years = 3", "years = = 3",
       "study.toml:6:9: TOML syntax: Error while parsing value: could not determine value "
       "type"},
      {"unknown top-level table", "[model]", "[extra]\nx = 1\n\n[model]",
       "study.toml:8:1: extra: unknown key, got a table (expected one of: calibration, model, "
       "scenario, sensitivity, study, sweep)"},
      {"scenario without a name", "name = \"b\"", "description = \"no name\"",
       "study.toml:15:1: scenario[1].name: missing required key, got nothing (expected a value)"},
  };
  REQUIRE(cases.size() >= 15);
  for (const Case& bad : cases) {
    std::string text = kValid;
    const auto at = text.rfind(bad.from);
    REQUIRE(at != std::string::npos);
    text.replace(at, bad.from.size(), bad.to);
    INFO(bad.description);
    CHECK(problem_with(text) == bad.message);
  }
}

TEST_CASE("Every value read records its key, so finish() accepts a fully read table",
          "[unit][config]") {
  CHECK(problem_with(kValid).empty());
}

TEST_CASE("A config file that does not exist is reported by name", "[unit][config]") {
  const sim::ModelRegistry registry = toy_registry();
  try {
    sim::read_study("/no/such/study.toml", registry);
    FAIL("no error");
  } catch (const sim::ConfigError& error) {
    CHECK(std::string(error.what()) ==
          "/no/such/study.toml: cannot open config file, got \"/no/such/study.toml\" (expected a "
          "readable config file)");
  }
}

TEST_CASE("A study that extends another takes its model table as the base of its own",
          "[unit][config]") {
  const std::filesystem::path folder =
      std::filesystem::temp_directory_path() / "natosim_extends_test";
  std::filesystem::create_directories(folder / "base");
  std::ofstream(folder / "base" / "starts.txt") << "1.5\n2.5\n";
  std::ofstream(folder / "base" / "parent.toml") << R"([study]
model = "random_walk"
[model]
members = 2
drift = 0.1
volatility = 0.5
starts_file = "starts.txt"
)";
  const std::string child = R"([study]
model = "random_walk"
extends = "base/parent.toml"
replicates = 5
[model]
volatility = 2.0
[[scenario]]
name = "a"
[[scenario]]
name = "b"
[scenario.set]
drift = 0.3
)";
  const sim::ModelRegistry registry = toy_registry();
  const sim::StudySpec study =
      sim::read_study_text(child, (folder / "child.toml").string(), folder, registry);
  CHECK(study.base_file == (folder / "base" / "parent.toml").string());
  CHECK(study.base_text.find("members = 2") != std::string::npos);
  // The base's relative data path resolves from the base's folder.
  const toml::table model = sim::merged_model_table(study, 1);
  CHECK(model["members"].value<std::int64_t>() == 2);
  CHECK(model["volatility"].value<double>() == 2.0);
  CHECK(model["drift"].value<double>() == 0.3);
  CHECK(sim::build_scenarios(study, registry).size() == 2);

  std::string missing = child;
  missing.replace(missing.find("base/parent.toml"), 16, "base/nothing.toml");
  try {
    sim::read_study_text(missing, "child.toml", folder, registry);
    FAIL("no error");
  } catch (const sim::ConfigError& error) {
    CHECK(std::string(error.what()) ==
          "child.toml:3:11: study.extends: cannot open file, got \"base/nothing.toml\" (expected a "
          "readable file (relative paths start at the config's folder " +
              folder.string() + "))");
  }
  std::filesystem::remove_all(folder);
}

TEST_CASE(
    "An extends chain is followed to its end, and self-extension, cycles and long chains are "
    "refused",
    "[unit][config]") {
  const std::filesystem::path folder =
      std::filesystem::temp_directory_path() / "natosim_extends_chain_test";
  std::filesystem::create_directories(folder);
  const sim::ModelRegistry registry = toy_registry();
  const auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(folder / name) << text;
  };
  const auto error_of = [&](const std::string& name) -> std::string {
    try {
      sim::read_study(folder / name, registry);
    } catch (const sim::ConfigError& error) {
      return error.what();
    }
    return "accepted";
  };
  write("root.toml", "[study]\nmodel = \"random_walk\"\n[model]\nmembers = 2\ndrift = 0.1\n");
  write("middle.toml", "[study]\nextends = \"root.toml\"\n[model]\ndrift = 0.2\n");
  write("top.toml", "[study]\nmodel = \"random_walk\"\nextends = \"middle.toml\"\n");
  const sim::StudySpec study = sim::read_study(folder / "top.toml", registry);
  REQUIRE(study.bases.size() == 2);
  CHECK(study.base_file == (folder / "middle.toml").string());
  const toml::table model = sim::merged_model_table(study, 0);
  CHECK(model["members"].value<std::int64_t>() == 2);  // from the base's base
  CHECK(model["drift"].value<double>() == 0.2);        // the nearer file wins
  CHECK(sim::study_provenance(study).at("base_config_file_2") == (folder / "root.toml").string());

  // Joined piece by piece: GCC 12 raises a false -Wrestrict on `string + "literal"` chains.
  const auto join = [](std::initializer_list<std::string> parts) {
    std::string text;
    for (const std::string& part : parts) text.append(part);
    return text;
  };
  const std::string f = folder.string();
  write("self.toml", "[study]\nmodel = \"random_walk\"\nextends = \"self.toml\"\n[model]\n");
  CHECK(error_of("self.toml") ==
        join({f, "/self.toml:3:11: study.extends: a study cannot extend itself, got \"", f,
              "/self.toml\" (expected another study file)"}));
  write("a.toml", "[study]\nmodel = \"random_walk\"\nextends = \"b.toml\"\n[model]\n");
  write("b.toml", "[study]\nextends = \"a.toml\"\n[model]\n");
  CHECK(error_of("a.toml") ==
        join({f, "/b.toml:2:11: study.extends: extends cycle, got ", f, "/a.toml -> ", f,
              "/b.toml -> ", f, "/a.toml (expected a chain of files that ends)"}));
  for (int i = 0; i < 9; ++i) {
    write(join({"c", std::to_string(i), ".toml"}),
          join({"[study]\nmodel = \"random_walk\"\nextends = \"c", std::to_string(i + 1),
                ".toml\"\n[model]\n"}));
  }
  write("c9.toml", "[study]\nmodel = \"random_walk\"\n[model]\nmembers = 2\n");
  CHECK(error_of("c0.toml") == join({f,
                                     "/c8.toml:3:11: study.extends: too many levels of "
                                     "extends, got more than 8 files (expected at most 8 "
                                     "files in a chain)"}));
  std::filesystem::remove_all(folder);
}

TEST_CASE("Frozen inputs are read and found once, and checked again after the freeze",
          "[unit][config]") {
  const std::filesystem::path folder =
      std::filesystem::temp_directory_path() / "natosim_frozen_inputs_test";
  std::filesystem::remove_all(folder);
  std::filesystem::create_directories(folder);
  const std::filesystem::path file = folder / "values.csv";
  const auto write = [&](const std::string& text) { std::ofstream(file) << text; };
  const auto read = [&] { return sim::config::read_input_file(file, "values.csv", "data file"); };
  toml::table root = sim::config::parse_text("data = \"values.csv\"", "c.toml");
  auto origin =
      std::make_shared<const sim::config::Origin>(sim::config::Origin{"c.toml", folder.string()});
  const auto find = [&] {
    sim::config::Table table(root, "model", origin);
    return table.existing_file("data");
  };
  const std::string missing =
      "c.toml:1:8: model.data: cannot open file, got \"values.csv\" (expected a readable file "
      "(relative paths start at the config's folder " +
      folder.string() + "))";

  write("first");
  CHECK(read() == "first");  // not frozen: nothing kept
  write("second");
  CHECK(read() == "second");
  {
    const sim::config::FrozenInputs frozen;
    CHECK(sim::config::frozen_inputs_epoch() != 0);
    CHECK(read() == "second");
    CHECK(find() == folder / "values.csv");
    write("third");
    std::filesystem::remove(file);
    {
      const sim::config::FrozenInputs nested;  // the same freeze
      CHECK(read() == "second");
      CHECK(find() == folder / "values.csv");
    }
    CHECK(read() == "second");
    CHECK(find() == folder / "values.csv");
  }
  CHECK(sim::config::frozen_inputs_epoch() == 0);
  CHECK_THROWS_WITH(find(), missing);
  write("fourth");
  {
    // A new freeze trusts nothing from the last one.
    const sim::config::FrozenInputs frozen;
    CHECK(read() == "fourth");
    std::filesystem::remove(file);
    CHECK_THROWS_WITH(find(), missing);
  }
  std::filesystem::remove_all(folder);
}
