#pragma once

#include "sim/engine/results.h"

namespace sim::io::testing {

/// Which optional parts a sample Results carries.
struct SampleOptions {
  bool trajectories = true;
  bool reference = true;
  /// Writes the event table (engine columns plus a categorical and a float column).
  bool events = true;
  /// Keeps the event columns but records no event.
  bool zero_events = false;
  /// Records quantiles at 0.05, 0.5 and 0.95; none (an empty quantile axis) when false.
  bool quantiles = true;
  /// A parameter sweep: the scenario axis is `design_point` with two swept parameters.
  bool sweep = false;
};

/// A small, realistic, internally consistent Results: 2 scenarios, 3 years, 3 members, 4
/// replicates; a member variable that may be missing (one NaN cell), a binary member variable,
/// a global variable; differences to scenario 0, trajectories, events.
Results make_sample_results(const SampleOptions& options = {});

}  // namespace sim::io::testing
