#pragma once

#include <string>
#include <vector>

#include "sim/analysis/abc_smc.h"
#include "sim/analysis/evaluate.h"
#include "sim/config/design_point.h"
#include "sim/config/study.h"

namespace sim {

/// One calibrated parameter: a dotted `[model]` key and its prior.
struct CalibrationParameter {
  std::string key;
  Uncertain prior;
  /// Where the parameter's prior is written, for messages about its values.
  SourcePosition position;
  /// e.g. "uniform(low=0, high=1)".
  std::string prior_text;
};

/// One target: a scalar output of a run and the observed value it is compared with.
struct CalibrationTarget {
  analysis::OutputSpec output;
  analysis::AbcTarget target;
};

/// A study's `[calibration]` table, validated against the model.
struct CalibrationSpec {
  std::string scenario;
  std::size_t scenario_index = 0;
  std::vector<CalibrationParameter> parameters;
  std::vector<CalibrationTarget> targets;
  analysis::Distance distance = analysis::Distance::mae;
  /// Replicates per particle; the simulated summary is their mean.
  std::int64_t replicates = 16;
  /// true: every particle runs replicates 0..K-1 (common random numbers); false: each
  /// particle its own replicates.
  bool common_random_numbers = true;
  /// population, quantile, min_tolerance, min_acceptance, max_generations, max_simulations.
  analysis::AbcSettings abc;

  std::vector<PointKey> keys() const;
};

/// Reads `[calibration]`: `scenario` (default the study's reference, else the first),
/// `[[calibration.parameter]]` {key, prior = {dist = ...}}, `[[calibration.target]]` (inline
/// {variable, member, year | years + aggregate, value, scale, weight} or
/// {file = "observed.csv", variable, years, scale, weight, column, exclude} with columns iso2 (or
/// member), year and `column` (default "value"; rows with an empty value or an excluded member
/// are skipped)), `distance`, `replicates`, `common_random_numbers`, `population`, `quantile`,
/// `min_tolerance`, `min_acceptance`, `max_generations`, `max_simulations`. Every parameter's
/// prior is checked by building the model at the ends and the centre of its support. Throws
/// ConfigError.
CalibrationSpec read_calibration(const StudySpec& study, const ModelRegistry& registry);

}  // namespace sim
