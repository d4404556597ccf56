#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/analysis/evaluate.h"
#include "sim/config/design_point.h"
#include "sim/config/parameter_log.h"
#include "sim/config/study.h"

namespace sim {

/// One input of a sensitivity analysis: a dotted `[model]` key and its marginal distribution.
struct SensitivityParameter {
  PointKey key;
  /// `low`/`high` give a uniform; `distribution` any config::uncertain table; neither takes the
  /// key's distribution in the scenario's `[model]` (its documented prior).
  Uncertain marginal;
  /// How the marginal was given, for the file: "range", "distribution" or "prior".
  std::string source;
};

/// A study's `[sensitivity]` table (docs/SENSITIVITY.md).
struct SensitivitySpec {
  enum class Method { sobol, morris };
  Method method = Method::sobol;
  std::string scenario;
  std::size_t scenario_index = 0;
  /// Sobol: base sample size N (a power of two). Morris: trajectories r.
  std::int64_t samples = 0;
  std::int64_t replicates = 16;
  bool second_order = false;
  std::int64_t bootstrap = 1000;
  double confidence = 0.95;
  std::uint64_t seed = 1;
  /// Morris grid levels p (even) and candidate trajectories for the optimised selection (0: none).
  int levels = 4;
  std::int64_t candidates = 0;
  std::vector<SensitivityParameter> parameters;
  std::vector<std::string> output_names;
  std::vector<analysis::OutputSpec> outputs;
};

/// Reads `[sensitivity]` of a study (`all_uncertain = true` adds every distribution the model
/// reads that is not listed in a `[[sensitivity.parameter]]` block, over its prior) (with its --set
/// overrides). `base` is the analysed scenario's model and `log` the parameters its factory read,
/// used to reject keys the model does not read and to find priors. Throws ConfigError.
SensitivitySpec read_sensitivity(const StudySpec& study, const ModelSchema& schema,
                                 const config::ParameterLog& log);

/// The scenario `[sensitivity]` analyses (its `scenario`, default the first), without reading
/// the rest; throws ConfigError when the table or the scenario is missing.
std::size_t sensitivity_scenario(const StudySpec& study);

/// A parameter's value at probability `u` of its marginal (inverse CDF); an unbounded tail is
/// cut at probabilities 0.001 and 0.999.
double parameter_value(const SensitivityParameter& parameter, double u);

}  // namespace sim
