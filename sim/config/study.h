#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sim/engine/model.h"

namespace sim {

namespace config {
struct ParameterLog;  // sim/config/parameter_log.h
}

/// One `[[scenario]]` block: a name and the overrides (`[scenario.set]`) it applies to `[model]`.
struct ScenarioSpec {
  std::string name;
  std::string description;
  /// `label`: a human-readable name for figures and tables (defaults to `name`).
  std::string label;
  /// `group`: scenarios that belong together in figures and tables, e.g. "5%" (default "").
  std::string group;
};

/// The most files an `extends` chain may hold (the study's base, the base's base, ...).
inline constexpr std::size_t kMaxExtendsDepth = 8;

/// One file of a study's `extends` chain, as read.
struct BaseConfig {
  std::string file;
  std::string text;
  std::string sha256;
};

/// A validated study file: `[study]` settings, the base `[model]` table and the scenarios.
struct StudySpec {
  std::string file;
  std::filesystem::path folder;
  /// The config file's text, verbatim, and its SHA-256 (hex).
  std::string text;
  std::string sha256;
  /// `study.extends`: the file whose `[model]` table is the base of this one's (empty if none),
  /// as resolved, with its text and SHA-256.
  std::string base_file;
  std::string base_text;
  std::string base_sha256;
  /// The whole `extends` chain, the direct base first: each file's `[model]` is the base of the
  /// one before it. Cycles and chains longer than kMaxExtendsDepth are refused.
  std::vector<BaseConfig> bases;

  std::string name;
  std::string description;
  std::string model;
  std::uint64_t seed = 1;
  std::int64_t replicates = 1000;
  int start_year = 2025;
  int years = 20;
  /// Name of the reference scenario for paired differences; empty for none.
  std::string reference;
  std::vector<ScenarioSpec> scenarios;
  /// The file has a `[sweep]` table (read by read_sweep in sim/config/sweep.h).
  bool has_sweep = false;
  /// Command-line `--set KEY=VALUE` overrides applied on top of the file (in order).
  std::vector<std::string> overrides;
  /// The file has a `[calibration]` table (read by read_calibration in sim/config/calibration.h).
  bool has_calibration = false;

  StudySettings settings() const { return StudySettings{seed, start_year, years}; }
};

/// One scenario's model, ready to run.
struct BuiltScenario {
  ScenarioSpec spec;
  std::unique_ptr<Model> model;
  /// Every `[model]` parameter the factory read (values, ranges, distributions).
  std::shared_ptr<config::ParameterLog> parameters = nullptr;
};

/// Reads and checks `[study]` and the scenario list of a study file, with `--set` overrides
/// (sim/config/overrides.h) applied on top. Throws ConfigError.
StudySpec read_study(const std::filesystem::path& file, const ModelRegistry& registry,
                     const std::vector<std::string>& overrides = {});
/// Same, from text (tests); `file` names it in messages and `folder` resolves data paths.
StudySpec read_study_text(const std::string& text, const std::string& file,
                          const std::filesystem::path& folder, const ModelRegistry& registry,
                          const std::vector<std::string>& overrides = {});

/// The study file's parsed root table with its `--set` overrides applied. Every reader of the
/// study's tables ([model], [sweep], [sensitivity], ...) starts from this.
toml::table parse_study_root(const StudySpec& study);

/// Builds every scenario's model: `[model]` deep-merged with the scenario's `set` table, handed
/// to the registered factory, then checked for unknown keys. Also checks that all scenarios share
/// one schema. Throws ConfigError on the first problem; nothing is run.
std::vector<BuiltScenario> build_scenarios(const StudySpec& study, const ModelRegistry& registry);

/// The `[model]` table of scenario `index` (its `set` overrides merged in), with every value
/// keeping its source position.
toml::table merged_model_table(const StudySpec& study, std::size_t index);

/// The key under which merged_model_table lists the dotted paths a scenario's [scenario.set]
/// wrote (relative to [model]); build_model takes it out. Not a key a file can write.
inline constexpr const char* kScenarioSetPaths = "(scenario set)";

/// Builds one model from a (merged) `[model]` table and rejects keys the factory did not read.
/// `note` is appended to error messages, e.g. "(set by scenario 'x')". A `posterior = "FILE"`
/// key (a natosim calibration file, relative to the study's folder) makes every parameter it
/// names drawn jointly from that posterior; a posterior of another model, or naming a key the
/// model does not read as an uncertain parameter, is a ConfigError "FILE: problem".
/// `log`, when given, records every parameter read (sim/config/parameter_log.h).
std::unique_ptr<Model> build_model(const StudySpec& study, const toml::table& model,
                                   const ModelRegistry& registry, const std::string& note,
                                   std::shared_ptr<config::ParameterLog> log = nullptr);

/// The provenance every natosim file records about its study: config_file, config_text,
/// config_sha256, base_config_file/text/sha256 (when it extends another file; the files further
/// down the chain as base_config_file_2/..., base_config_text_2/..., ...), study_name,
/// study_description, model; plus `overrides` (the --set values, one per line) when given.
std::map<std::string, std::string> study_provenance(const StudySpec& study);

/// SHA-256 (FIPS 180-4) of bytes given piece by piece, so that a large file is hashed without
/// being held in memory.
class Sha256 {
 public:
  void update(const char* data, std::size_t size);
  /// Lower-case hex digest of everything given; the object is spent.
  std::string hex();

 private:
  void compress();
  std::array<std::uint32_t, 8> state_ = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                         0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  std::array<unsigned char, 64> block_{};
  std::size_t filled_ = 0;
  std::uint64_t bytes_ = 0;
};

/// Lower-case hex SHA-256 of `data` (FIPS 180-4).
std::string sha256_hex(const std::string& data);

}  // namespace sim
