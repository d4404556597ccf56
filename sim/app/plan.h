#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "sim/engine/model.h"

namespace sim::app {

/// Size estimates shown before a run.
struct Plan {
  std::int64_t runs = 0;
  /// Expected size of the results file, bytes.
  double file_bytes = 0;
  /// Expected peak resident memory of the process, bytes.
  double memory_bytes = 0;
};

/// Estimates a run of `scenarios` x `replicates` of a model with `schema` over `years` years on
/// `threads` threads; `paired` when there is a reference scenario (paired differences);
/// `compression` is the gzip level of the trajectories (0..9).
Plan estimate(const ModelSchema& schema, std::size_t scenarios, std::int64_t replicates, int years,
              bool trajectories, bool paired, int threads, int compression);

/// "12.3 MiB": bytes in binary units with one decimal.
std::string human_bytes(double bytes);

}  // namespace sim::app
