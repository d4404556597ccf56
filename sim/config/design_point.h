#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include <tbb/enumerable_thread_specific.h>

#include "sim/config/input_file.h"
#include "sim/config/study.h"

namespace sim {

/// One dotted `[model]` key set to a number at a design point (sweep point, ABC particle,
/// sensitivity sample), and where the key was named, for error messages.
struct PointKey {
  std::string key;
  SourcePosition position;
};

/// Sets `dotted` (e.g. "policy.enforcement_probability") in `table` to `value`, creating
/// intermediate tables. A non-table on the way is left alone (the factory reports the type).
void set_dotted(toml::table& table, const std::string& dotted, double value);

/// Builds one model from `base_model` (a merged `[model]` table, e.g. from merged_model_table)
/// with each key set to its value (`values.size() == keys.size()`). A ConfigError the factory
/// raises about one of the keys is re-placed at that key's `position` (the value has no position
/// of its own in the file); `note` (e.g. "(set by sweep design point dp0003)") is appended to
/// other messages. Throws ConfigError.
std::unique_ptr<Model> build_point_model(const StudySpec& study, const toml::table& base_model,
                                         const std::vector<PointKey>& keys,
                                         std::span<const double> values,
                                         const ModelRegistry& registry, const std::string& note);

/// Builds the models of many points of one base (a calibration's particles, a sensitivity
/// design), each as build_point_model does, from any number of threads at once. Each thread sets
/// the keys in its own copy of the base, made at its first point: a point's keys are the same
/// every time, so the copy needs no restoring, and a point does not copy and free the whole
/// table. While it exists the inputs are frozen (config::FrozenInputs): the points' models are
/// built from one reading of the data files, which are not checked again for each. `study` and
/// `registry` must outlive it.
class PointModelBuilder {
 public:
  PointModelBuilder(const StudySpec& study, toml::table base_model, std::vector<PointKey> keys,
                    const ModelRegistry& registry);
  /// Throws ConfigError (as build_point_model).
  std::unique_ptr<Model> build(std::span<const double> values, const std::string& note) const;

 private:
  config::FrozenInputs frozen_;
  const StudySpec& study_;
  std::vector<PointKey> keys_;
  const ModelRegistry& registry_;
  mutable tbb::enumerable_thread_specific<toml::table> tables_;
};

/// Same, from scenario `base_scenario` of the study.
std::unique_ptr<Model> build_point_model(const StudySpec& study, std::size_t base_scenario,
                                         const std::vector<PointKey>& keys,
                                         std::span<const double> values,
                                         const ModelRegistry& registry, const std::string& note);

}  // namespace sim
