#include "sim/config/study.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <set>
#include <system_error>

#include <fmt/format.h>

#include "sim/config/input_file.h"
#include "sim/config/overrides.h"
#include "sim/config/parameter_log.h"
#include "sim/config/toml_reader.h"
#include "sim/config/uncertain.h"
#include "sim/io/calibration_file.h"

namespace sim {

namespace {

/// Letters, digits, '_', '-' or '.', starting with a letter or digit. (Checked by hand: GCC 12
/// raises false -Wmaybe-uninitialized warnings inside std::regex under ASan.)
bool valid_name(const std::string& name) {
  auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  if (name.empty() || !alnum(name.front())) return false;
  return std::all_of(name.begin(), name.end(),
                     [&](char c) { return alnum(c) || c == '_' || c == '-' || c == '.'; });
}

/// Moves `overrides` into `base` so that every moved value keeps its source position.
void merge_moving(toml::table& base, toml::table& overrides) {
  for (auto&& [key, value] : overrides) {
    toml::node* existing = base.get(key);
    if (existing != nullptr && existing->is_table() && value.is_table()) {
      merge_moving(*existing->as_table(), *value.as_table());
    } else {
      base.insert_or_assign(key, std::move(value));
    }
  }
}

std::string read_text(const std::filesystem::path& file) {
  return config::read_input_file(file, file.string(), "config file");
}

/// The identity of a file for cycle detection (its absolute, normalised path).
std::filesystem::path identity(const std::filesystem::path& file) {
  std::error_code error;
  std::filesystem::path path = std::filesystem::weakly_canonical(file, error);
  if (error) path = std::filesystem::absolute(file, error).lexically_normal();
  return path;
}

/// Follows `extends` from the study's [study] table to the end of the chain, reading every
/// file once. Errors are reported at the `extends` key that names the offending file.
void read_extends_chain(config::Table& study, const std::string& file, StudySpec& spec) {
  std::vector<std::filesystem::path> seen = {identity(file)};
  std::string chain = file;
  // The tables of the bases read so far, kept alive for the Table views over them.
  std::vector<std::unique_ptr<toml::table>> roots;
  std::vector<std::unique_ptr<config::Table>> tables;
  config::Table* holder = &study;
  std::filesystem::path next = study.existing_file("extends");
  for (;;) {
    const std::string shown = next.lexically_normal().string();
    chain += " -> " + shown;
    const auto id = identity(next);
    if (id == seen.back()) {
      holder->fail("extends", "a study cannot extend itself", "\"" + shown + "\"",
                   "another study file");
    }
    if (std::find(seen.begin(), seen.end(), id) != seen.end()) {
      holder->fail("extends", "extends cycle", chain, "a chain of files that ends");
    }
    if (spec.bases.size() == kMaxExtendsDepth) {
      holder->fail("extends", "too many levels of extends",
                   fmt::format("more than {} files", kMaxExtendsDepth),
                   fmt::format("at most {} files in a chain", kMaxExtendsDepth));
    }
    seen.push_back(id);
    BaseConfig base{next.string(), read_text(next), ""};
    base.sha256 = sha256_hex(base.text);
    auto root = std::make_unique<toml::table>(config::parse_text(base.text, base.file));
    const toml::node* extends = (*root)["study"]["extends"].node();
    if (!(*root)["model"].is_table() && extends == nullptr) {
      holder->fail("extends", "the file has no [model] table", "\"" + base.file + "\"",
                   "a study file with a [model] table");
    }
    spec.bases.push_back(std::move(base));
    if (extends == nullptr) break;
    std::filesystem::path folder = next.parent_path();
    if (folder.empty()) folder = ".";
    auto origin =
        std::make_shared<const config::Origin>(config::Origin{spec.bases.back().file, folder});
    config::Table top(*root, "", origin);
    tables.push_back(std::make_unique<config::Table>(top.table("study")));
    roots.push_back(std::move(root));
    holder = tables.back().get();
    next = holder->existing_file("extends");
  }
  spec.base_file = spec.bases.front().file;
  spec.base_text = spec.bases.front().text;
  spec.base_sha256 = spec.bases.front().sha256;
}

}  // namespace

toml::table parse_study_root(const StudySpec& study) {
  toml::table root = config::parse_text(study.text, study.file);
  config::apply_overrides(root, study.overrides);
  return root;
}

StudySpec read_study_text(const std::string& text, const std::string& file,
                          const std::filesystem::path& folder, const ModelRegistry& registry,
                          const std::vector<std::string>& overrides) {
  StudySpec spec;
  spec.file = file;
  spec.folder = folder;
  spec.text = text;
  spec.sha256 = sha256_hex(text);
  spec.overrides = overrides;

  toml::table root = parse_study_root(spec);
  auto origin = std::make_shared<const config::Origin>(config::Origin{file, folder});
  config::Table top(root, "", origin);

  config::Table study = top.table("study");
  spec.name = study.string_or("name", std::filesystem::path(file).stem().string());
  spec.description = study.string_or("description", "");
  std::vector<std::string> models = registry.names();
  spec.model = models.size() == 1 ? study.choice_or("model", models, models.front())
                                  : study.choice("model", models);
  spec.seed = static_cast<std::uint64_t>(study.integer_or("seed", 1, 0, INT64_MAX));
  spec.replicates = study.integer_or("replicates", 1000, 1, 100'000'000);
  spec.start_year = static_cast<int>(study.integer_or("start_year", 2025, 1900, 2200));
  spec.years = static_cast<int>(study.integer_or("years", 20, 1, 500));
  spec.reference = study.string_or("reference", "");
  if (study.has("extends")) {
    read_extends_chain(study, file, spec);
  } else {
    study.node("extends");
  }
  study.finish();

  // The base model table must exist even when empty, so a misspelt [modle] is caught; a study
  // that extends another may add nothing to its [model].
  if (spec.base_file.empty() || top.has("model")) {
    top.table("model");
  } else {
    top.node("model");
  }

  if (top.has("scenario")) {
    std::set<std::string> seen;
    for (config::Table& block : top.tables("scenario")) {
      ScenarioSpec scenario;
      scenario.name = block.string("name");
      if (!valid_name(scenario.name)) {
        block.fail("name", "invalid scenario name", "\"" + scenario.name + "\"",
                   "letters, digits, '_', '-' or '.', starting with a letter or digit");
      }
      if (!seen.insert(scenario.name).second) {
        block.fail("name", "duplicate scenario name", "\"" + scenario.name + "\"",
                   "a name no other [[scenario]] uses");
      }
      scenario.description = block.string_or("description", "");
      scenario.label = block.string_or("label", scenario.name);
      scenario.group = block.string_or("group", "");
      if (block.has("set")) block.table("set");
      block.node("set");
      block.finish();
      spec.scenarios.push_back(std::move(scenario));
    }
  } else {
    top.node("scenario");
    spec.scenarios.push_back(ScenarioSpec{"base", "the [model] table as written", "base", ""});
  }

  const bool reference_known =
      std::any_of(spec.scenarios.begin(), spec.scenarios.end(),
                  [&](const ScenarioSpec& s) { return s.name == spec.reference; });
  if (!spec.reference.empty() && !reference_known) {
    std::string names;
    for (const auto& s : spec.scenarios) names += (names.empty() ? "" : ", ") + s.name;
    study.fail("reference", "no scenario has this name", "\"" + spec.reference + "\"",
               "one of: " + names);
  }
  spec.has_sweep = top.node("sweep") != nullptr;  // read by read_sweep (sim/config/sweep.h)
  top.node("sensitivity");  // read by read_sensitivity (sim/config/sensitivity.h)
  // Read by read_calibration (sim/config/calibration.h).
  spec.has_calibration = top.node("calibration") != nullptr;
  top.finish();
  return spec;
}

StudySpec read_study(const std::filesystem::path& file, const ModelRegistry& registry,
                     const std::vector<std::string>& overrides) {
  std::filesystem::path folder = file.parent_path();
  if (folder.empty()) folder = ".";
  return read_study_text(read_text(file), file.string(), folder, registry, overrides);
}

namespace {
/// `[model]` of the study file, on top of the extended file's `[model]` when there is one.
toml::table base_model_table(const StudySpec& study, toml::table& root) {
  toml::table model;
  // The deepest base first; each file's [model] goes on top of the one it extends.
  for (std::size_t k = study.bases.size(); k-- > 0;) {
    const auto& base = study.bases[k];
    toml::table base_root = config::parse_text(base.text, base.file);
    if (toml::table* own = base_root["model"].as_table()) merge_moving(model, *own);
  }
  if (toml::table* own = root["model"].as_table()) merge_moving(model, *own);
  return model;
}
}  // namespace

namespace {
/// Every dotted key path in `table` (tables and values), e.g. "threat", "threat.events", ...
void collect_paths(const toml::table& table, const std::string& prefix, toml::array& paths) {
  for (auto&& [key, value] : table) {
    const std::string path = prefix + std::string(key.str());
    paths.push_back(path);
    if (const toml::table* child = value.as_table()) collect_paths(*child, path + ".", paths);
  }
}
}  // namespace

toml::table merged_model_table(const StudySpec& study, std::size_t index) {
  toml::table root = parse_study_root(study);
  toml::table model = base_model_table(study, root);
  if (toml::array* blocks = root["scenario"].as_array()) {
    toml::table& block = *blocks->get(index)->as_table();
    if (toml::table* set = block["set"].as_table()) {
      toml::array paths;
      collect_paths(*set, "", paths);
      merge_moving(model, *set);
      // Written with no source position, so a file cannot pass it off (see build_model).
      if (!paths.empty()) model.insert_or_assign(kScenarioSetPaths, std::move(paths));
    }
  }
  return model;
}

std::unique_ptr<Model> build_model(const StudySpec& study, const toml::table& model,
                                   const ModelRegistry& registry, const std::string& note,
                                   std::shared_ptr<config::ParameterLog> log) {
  const ModelFactory* factory = registry.find(study.model);
  if (factory == nullptr) {
    throw ConfigError(SourcePosition{study.file, 0, 0}, "study.model", "unknown model",
                      "\"" + study.model + "\"", "a registered model");
  }
  auto origin = std::make_shared<config::Origin>(config::Origin{study.file, study.folder});
  // `posterior = "calibration.h5"`: taken out before the factory sees the table; the keys it
  // names are answered by config::uncertain (sim/config/uncertain.cpp).
  // A scenario's [scenario.set] wins over the posterior (a counterfactual such as an event of
  // size 0 must not be drawn over); merged_model_table lists what it set.
  std::vector<std::string> scenario_set;
  const toml::node* set_paths = model.get(kScenarioSetPaths);
  const bool set_paths_internal =
      set_paths != nullptr && set_paths->is_array() && set_paths->source().begin.line == 0;
  if (set_paths_internal) {
    for (const toml::node& path : *set_paths->as_array()) {
      scenario_set.push_back(*path.value<std::string>());
    }
  }
  // `posterior = false` in a study that extends one with a posterior: its own distributions (a
  // calibration must start from the priors; Sobol indices need independent inputs).
  const toml::node* node = model.get("posterior");
  const bool priors_only = node != nullptr && node->is_boolean() && !*node->value<bool>();
  if (node != nullptr && !priors_only) {
    config::Table outer(model, "model", origin, note);
    if (!node->is_string()) {
      outer.fail("posterior", "wrong type", config::describe_node(*node),
                 "the path of a natosim calibration file, or false for the priors as written");
    }
    // Relative to the file the value was written in, as data paths are (a base study's
    // posterior serves every study extending it).
    std::filesystem::path folder = study.folder;
    if (node->source().path && *node->source().path != study.file) {
      folder = std::filesystem::path(*node->source().path).parent_path();
      if (folder.empty()) folder = ".";
    }
    const std::filesystem::path file = folder / *node->value<std::string>();
    if (!std::filesystem::is_regular_file(file)) {
      outer.fail("posterior", "no such calibration file", config::describe_node(*node),
                 "a file written by `natosim calibrate` (relative paths start at the config's "
                 "folder " +
                     folder.string() + ")");
    }
    auto sample = std::make_shared<WeightedSample>(io::read_posterior(file));
    if (sample->model != study.model) {
      throw ConfigError(fmt::format("{}: posterior calibrated for model '{}', not '{}'",
                                    file.string(), sample->model, study.model));
    }
    origin->posterior = std::make_shared<config::PosteriorBinding>(config::PosteriorBinding{
        sample, std::vector<char>(sample->keys.size(), 0), std::move(scenario_set)});
  }
  config::Table table(model, "model", origin, note);
  // Marked as read here, so the factory never sees it and finish() does not refuse it. (The
  // table is not copied without the key: a copy would lose the values' source files, which
  // resolve the data paths of a base study.)
  if (node != nullptr) table.node("posterior");
  if (set_paths_internal) table.node(kScenarioSetPaths);
  table.set_log(std::move(log));
  std::unique_ptr<Model> instance = (*factory)(table, study.settings());
  table.finish();
  if (origin->posterior) {
    const config::PosteriorBinding& binding = *origin->posterior;
    for (std::size_t k = 0; k < binding.used.size(); ++k) {
      if (!binding.used[k]) {
        throw ConfigError(fmt::format(
            "{}: posterior parameter '{}' is not an uncertain parameter of model '{}' (the "
            "model does not read it, or reads it as a fixed number)",
            binding.sample->file, binding.sample->keys[k], study.model));
      }
    }
  }
  return instance;
}

std::vector<BuiltScenario> build_scenarios(const StudySpec& study, const ModelRegistry& registry) {
  // The base alone first, so a problem in [model] is reported without a scenario's name.
  {
    toml::table root = parse_study_root(study);
    build_model(study, base_model_table(study, root), registry, "");
  }
  std::vector<BuiltScenario> built;
  for (std::size_t i = 0; i < study.scenarios.size(); ++i) {
    const ScenarioSpec& scenario = study.scenarios[i];
    const toml::table model = merged_model_table(study, i);
    auto log = std::make_shared<config::ParameterLog>();
    std::unique_ptr<Model> instance =
        build_model(study, model, registry, "(set by scenario '" + scenario.name + "')", log);
    if (!built.empty()) {
      const ModelSchema& first = built.front().model->schema();
      const ModelSchema& now = instance->schema();
      bool same = first.members == now.members && first.variables.size() == now.variables.size();
      for (std::size_t v = 0; same && v < now.variables.size(); ++v) {
        same = first.variables[v].name == now.variables[v].name;
      }
      if (!same) {
        throw ConfigError(
            SourcePosition{study.file, 0, 0}, "scenario." + scenario.name,
            "scenario changes the members or recorded variables", "",
            "the same members and variables as scenario '" + built.front().spec.name + "'");
      }
    }
    built.push_back(BuiltScenario{scenario, std::move(instance), std::move(log)});
  }
  return built;
}

std::map<std::string, std::string> study_provenance(const StudySpec& study) {
  std::map<std::string, std::string> attributes = {{"config_file", study.file},
                                                   {"config_text", study.text},
                                                   {"config_sha256", study.sha256},
                                                   {"study_name", study.name},
                                                   {"study_description", study.description},
                                                   {"model", study.model}};
  if (!study.base_file.empty()) {
    attributes["base_config_file"] = study.base_file;
    attributes["base_config_text"] = study.base_text;
    attributes["base_config_sha256"] = study.base_sha256;
  }
  for (std::size_t i = 1; i < study.bases.size(); ++i) {
    attributes[fmt::format("base_config_file_{}", i + 1)] = study.bases[i].file;
    attributes[fmt::format("base_config_text_{}", i + 1)] = study.bases[i].text;
    attributes[fmt::format("base_config_sha256_{}", i + 1)] = study.bases[i].sha256;
  }
  std::string overrides;
  for (const std::string& text : study.overrides) {
    overrides += (overrides.empty() ? "" : "\n") + text;
  }
  if (!overrides.empty()) attributes["overrides"] = overrides;
  return attributes;
}

namespace {
constexpr std::array<std::uint32_t, 64> kSha256Constants = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

constexpr std::uint32_t rotr(std::uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }
}  // namespace

void Sha256::update(const char* data, std::size_t size) {
  bytes_ += size;
  while (size > 0) {
    const std::size_t take = std::min(size, block_.size() - filled_);
    std::memcpy(block_.data() + filled_, data, take);
    filled_ += take;
    data += take;
    size -= take;
    if (filled_ == block_.size()) {
      compress();
      filled_ = 0;
    }
  }
}

void Sha256::compress() {
  std::array<std::uint32_t, 64> w{};
  for (std::size_t i = 0; i < 16; ++i) {
    const unsigned char* p = block_.data() + i * 4;
    w[i] = (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
           std::uint32_t{p[3]};
  }
  for (std::size_t i = 16; i < 64; ++i) {
    const std::uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
    const std::uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  auto v = state_;
  for (std::size_t i = 0; i < 64; ++i) {
    const std::uint32_t s1 = rotr(v[4], 6) ^ rotr(v[4], 11) ^ rotr(v[4], 25);
    const std::uint32_t ch = (v[4] & v[5]) ^ (~v[4] & v[6]);
    const std::uint32_t t1 = v[7] + s1 + ch + kSha256Constants[i] + w[i];
    const std::uint32_t s0 = rotr(v[0], 2) ^ rotr(v[0], 13) ^ rotr(v[0], 22);
    const std::uint32_t maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
    const std::uint32_t t2 = s0 + maj;
    v = {t1 + t2, v[0], v[1], v[2], v[3] + t1, v[4], v[5], v[6]};
  }
  for (std::size_t i = 0; i < 8; ++i) state_[i] += v[i];
}

std::string Sha256::hex() {
  const std::uint64_t bit_length = bytes_ * 8;
  const char one = static_cast<char>(0x80);
  update(&one, 1);
  const char zero = '\0';
  while (filled_ != 56) update(&zero, 1);
  for (int i = 7; i >= 0; --i) {
    const auto byte = static_cast<char>(bit_length >> (i * 8));
    update(&byte, 1);
  }
  std::string hex;
  for (std::uint32_t word : state_) hex += fmt::format("{:08x}", word);
  return hex;
}

std::string sha256_hex(const std::string& data) {
  Sha256 hash;
  hash.update(data.data(), data.size());
  return hash.hex();
}

}  // namespace sim
