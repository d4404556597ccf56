#include "sim/config/design_point.h"

#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

namespace sim {

void set_dotted(toml::table& table, const std::string& dotted, double value) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream stream(dotted);
  while (std::getline(stream, part, '.')) parts.push_back(part);
  if (parts.empty()) return;
  toml::table* current = &table;
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    toml::node* child = current->get(parts[i]);
    if (child == nullptr) {
      current->insert_or_assign(parts[i], toml::table{});
      child = current->get(parts[i]);
    }
    current = child->as_table();
    if (current == nullptr) return;  // Not a table: the factory reports the type error.
  }
  current->insert_or_assign(parts.back(), value);
}

namespace {

std::unique_ptr<Model> build_with_keys_set(const StudySpec& study, toml::table& model,
                                           const std::vector<PointKey>& keys,
                                           std::span<const double> values,
                                           const ModelRegistry& registry, const std::string& note) {
  if (values.size() != keys.size()) {
    throw std::invalid_argument("build_point_model: one value per key expected");
  }
  for (std::size_t p = 0; p < keys.size(); ++p) set_dotted(model, keys[p].key, values[p]);
  try {
    return build_model(study, model, registry, note);
  } catch (const ConfigError& error) {
    // A set value has no position of its own in the file: point at where the key was named.
    const std::string message = error.what();
    const std::string unplaced = study.file + ": model.";
    if (message.rfind(unplaced, 0) != 0) throw;
    for (const PointKey& key : keys) {
      if (message.rfind(unplaced + key.key + ":", 0) == 0) {
        const SourcePosition& at = key.position;
        // A key given on the command line (--set) has no line: name the flag alone.
        const std::string place =
            at.line > 0 ? fmt::format("{}:{}:{}", at.file, at.line, at.column) : at.file;
        throw ConfigError(fmt::format("{}: {}", place, message.substr(study.file.size() + 2)));
      }
    }
    throw;
  }
}

}  // namespace

std::unique_ptr<Model> build_point_model(const StudySpec& study, const toml::table& base_model,
                                         const std::vector<PointKey>& keys,
                                         std::span<const double> values,
                                         const ModelRegistry& registry, const std::string& note) {
  toml::table model = base_model;
  return build_with_keys_set(study, model, keys, values, registry, note);
}

PointModelBuilder::PointModelBuilder(const StudySpec& study, toml::table base_model,
                                     std::vector<PointKey> keys, const ModelRegistry& registry)
    : study_(study), keys_(std::move(keys)), registry_(registry), tables_(std::move(base_model)) {}

std::unique_ptr<Model> PointModelBuilder::build(std::span<const double> values,
                                                const std::string& note) const {
  return build_with_keys_set(study_, tables_.local(), keys_, values, registry_, note);
}

std::unique_ptr<Model> build_point_model(const StudySpec& study, std::size_t base_scenario,
                                         const std::vector<PointKey>& keys,
                                         std::span<const double> values,
                                         const ModelRegistry& registry, const std::string& note) {
  return build_point_model(study, merged_model_table(study, base_scenario), keys, values, registry,
                           note);
}

}  // namespace sim
