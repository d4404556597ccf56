#pragma once

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <toml++/toml.h>

#include "models/alliance/alliance_model.h"
#include "models/data/alliance_data.h"
#include "sim/config/toml_reader.h"

namespace models::testing {

/// The repository's configs folder.
inline std::filesystem::path configs_dir() {
  return std::filesystem::path(NATOSIM_SOURCE_DIR) / "configs";
}

/// The data files shipped in configs/data.
inline DataFiles shipped_files() {
  DataFiles files;
  const auto data = configs_dir() / "data";
  files.defence_share = data / "defence_share.csv";
  files.gdp = data / "gdp_usd.csv";
  files.gdp_real = data / "gdp_real.csv";
  files.gov_debt = data / "gov_debt.csv";
  files.geography = data / "geography.csv";
  files.contiguity = data / "contiguity.csv";
  files.exempt = {"IS"};
  return files;
}

inline const AllianceData& shipped_data() {
  static const std::shared_ptr<const AllianceData> data = load_alliance_data(shipped_files());
  return *data;
}

/// The [model.data] block pointing at configs/data (paths relative to configs/).
inline std::string data_block() {
  return "[model.data]\n"
         "defence_share = \"data/defence_share.csv\"\n"
         "gdp = \"data/gdp_usd.csv\"\n"
         "gdp_real = \"data/gdp_real.csv\"\n"
         "gov_debt = \"data/gov_debt.csv\"\n"
         "geography = \"data/geography.csv\"\n"
         "contiguity = \"data/contiguity.csv\"\n";
}

/// A config::Table over parsed TOML text whose relative paths resolve from configs/. Keeps the
/// parsed document alive.
struct TomlTable {
  explicit TomlTable(const std::string& text, const std::string& path = "model")
      : root(sim::config::parse_text(text, "test.toml")),
        table(*root[path].as_table(), path,
              std::make_shared<const sim::config::Origin>(
                  sim::config::Origin{"test.toml", configs_dir()})) {}
  toml::table root;
  sim::config::Table table;
};

/// Builds the alliance model from `[model]` TOML text (without [model.data], which is added).
inline std::unique_ptr<AllianceModel> make_model(const std::string& model_text, int years = 20,
                                                 int start_year = 2025) {
  TomlTable toml("[model]\n" + data_block() + model_text);
  const sim::StudySettings settings{1, start_year, years};
  auto model = std::make_unique<AllianceModel>(parse_alliance(toml.table, settings), settings);
  toml.table.finish();
  return model;
}

/// The `[model]` table of configs/baseline.toml with `overrides` (TOML text relative to
/// [model], e.g. "policy.conditional_article5 = true") deep-merged into it, as a scenario's
/// [scenario.set] would be, and the model built from it (without the posterior: the priors).
inline std::unique_ptr<AllianceModel> make_baseline_model(const std::string& overrides = "",
                                                          int years = 20, int start_year = 2025) {
  toml::table root = sim::config::parse_file(configs_dir() / "baseline.toml");
  toml::table& model = *root["model"].as_table();
  // Mechanism tests run on the priors' central values, not on the calibration's posterior.
  model.erase("posterior");
  sim::config::merge_into(model, sim::config::parse_text(overrides, "overrides.toml"));
  sim::config::Table table(model, "model",
                           std::make_shared<const sim::config::Origin>(
                               sim::config::Origin{"baseline.toml", configs_dir()}));
  const sim::StudySettings settings{20250624, start_year, years};
  auto built = std::make_unique<AllianceModel>(parse_alliance(table, settings), settings);
  table.finish();
  return built;
}

/// A view of one run's recorded values.
struct Recorded {
  const sim::RunRecorder& recorder;
  const std::vector<double>& values;
  double member(models::Recorded variable, int year, std::size_t member) const {
    return values[static_cast<std::size_t>(year) * recorder.stride() +
                  recorder.offset(static_cast<std::size_t>(variable)) + member];
  }
  double global(models::Recorded variable, int year) const {
    return values[static_cast<std::size_t>(year) * recorder.stride() +
                  recorder.offset(static_cast<std::size_t>(variable))];
  }
};

/// All recorded values of `replicates` runs (replicates 0..n-1, `seed`), one recorder's values
/// per replicate.
inline std::vector<std::vector<double>> run_replicates(const AllianceModel& model, int replicates,
                                                       std::uint64_t seed, int years = 20,
                                                       int start_year = 2025) {
  std::vector<std::vector<double>> out;
  sim::RunRecorder recorder(model.schema(), years);
  for (int r = 0; r < replicates; ++r) {
    recorder.clear();
    model.run(sim::RunContext{seed, static_cast<std::uint64_t>(r), start_year, years}, recorder);
    out.emplace_back(recorder.values().begin(), recorder.values().end());
  }
  return out;
}

/// One number per replicate, `f` of its recorded values: replicates 0..n-1 of `seed`.
inline std::vector<double> per_replicate(const AllianceModel& model, int replicates,
                                         std::uint64_t seed, int years, int start_year,
                                         const std::function<double(const Recorded&)>& f) {
  sim::RunRecorder recorder(model.schema(), years);
  std::vector<double> out;
  for (const auto& values : run_replicates(model, replicates, seed, years, start_year)) {
    out.push_back(f(Recorded{recorder, values}));
  }
  return out;
}

/// Writes `text` to a fresh file in the temporary directory and returns its path.
inline std::filesystem::path write_temp(const std::string& name, const std::string& text) {
  const auto dir = std::filesystem::temp_directory_path() / "natosim_test_models";
  std::filesystem::create_directories(dir);
  const auto path = dir / name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

/// Reads a whole file.
inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream stream(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(stream), std::istreambuf_iterator<char>());
}

/// Mean and standard error of a sample (one value per replicate).
struct Summary {
  double mean = 0.0;
  double se = 0.0;
};

inline Summary summarise(const std::vector<double>& x) {
  double sum = 0.0;
  for (double v : x) sum += v;
  const double mean = sum / static_cast<double>(x.size());
  double ss = 0.0;
  for (double v : x) ss += (v - mean) * (v - mean);
  const double sd = std::sqrt(ss / static_cast<double>(x.size() - 1));
  return {mean, sd / std::sqrt(static_cast<double>(x.size()))};
}

/// Replicate-by-replicate difference a - b (paired by common random numbers).
inline std::vector<double> difference(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<double> d;
  for (std::size_t r = 0; r < a.size(); ++r) d.push_back(a[r] - b[r]);
  return d;
}

}  // namespace models::testing
