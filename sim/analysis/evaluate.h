#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sim/config/design_point.h"
#include "sim/config/toml_reader.h"
#include "sim/engine/model.h"
#include "sim/mpi/world.h"

namespace sim::analysis {

/// How an output reduces a variable's values over its years (NaN values are skipped by mean,
/// sum and max; the result is NaN when every value is NaN).
enum class Aggregate { at, mean, sum, max, last };

/// One scalar output of a run: a recorded variable, one member (member-level variables) and an
/// aggregation over year indices [first_year, last_year] (equal for `at`).
struct OutputSpec {
  /// e.g. "defence_share[PL]@2025" or "attacks@2027-2044:sum", for messages and file labels.
  std::string label;
  std::size_t variable = 0;
  /// Member index; 0 for a global variable.
  std::size_t member = 0;
  int first_year = 0;
  int last_year = 0;
  Aggregate aggregate = Aggregate::at;
};

/// Reads an output from a table such as `{variable = "defence_share", member = "PL",
/// year = 2025}` or `{variable = "attacks", years = [2027, 2044], aggregate = "sum"}`
/// (`aggregate` is "at" with `year`, default "mean" with `years`; also "sum", "max", "last").
/// Marks only these keys as read (the caller may read more and calls finish()). Throws
/// ConfigError (FILE:LINE:COL) for an unknown variable or member, a member given for a global
/// variable or missing for a member-level one, or a year outside the study.
OutputSpec read_output(config::Table& table, const ModelSchema& schema,
                       const StudySettings& settings);

/// Builds an output from names (e.g. a row of a data file); `where` and `key` place errors.
/// `member` is ignored (must be empty) for global variables. Throws ConfigError.
OutputSpec make_output(const ModelSchema& schema, const StudySettings& settings,
                       const std::string& variable, const std::string& member, int first_year,
                       int last_year, Aggregate aggregate, const SourcePosition& where,
                       const std::string& key);

/// The output's value in a finished run.
double extract(const OutputSpec& output, const RunRecorder& recorder);

/// What `evaluate` runs: the study's seed and years, K replicates per point.
struct EvaluateOptions {
  std::uint64_t seed = 1;
  int start_year = 2025;
  int years = 20;
  std::int64_t replicates = 16;
  /// Worker threads; 0 means all cores. Never changes the values.
  int threads = 0;
  /// Called from the calling thread with (runs done, runs in total) between batches.
  std::function<void(std::int64_t, std::int64_t)> progress;
  /// When it becomes true, no new batch starts and evaluate throws Interrupted.
  const std::atomic<bool>* stop = nullptr;
  /// Empty (the default): every point runs replicates 0..K-1 (common random numbers). Else one
  /// entry per point: point p runs replicates first_replicate[p] + 0..K-1 (independent noise
  /// per point when the ranges do not overlap).
  std::vector<std::uint64_t> first_replicate;
  /// Under mpirun: each rank runs a contiguous share of the runs and every rank receives all the
  /// values (the same on every rank, whatever the ranks). Null: this process runs everything.
  const mpi::World* world = nullptr;
};

/// values[(point * replicates + replicate) * outputs + output].
struct Evaluation {
  std::size_t points = 0;
  std::size_t replicates = 0;
  std::size_t outputs = 0;
  std::vector<double> values;

  double at(std::size_t point, std::size_t replicate, std::size_t output) const {
    return values[(point * replicates + replicate) * outputs + output];
  }
  /// Mean over replicates of one point's output, summed in replicate order.
  double mean(std::size_t point, std::size_t output) const;
};

/// Runs every model (one per parameter point; all must share one schema) for replicates
/// 0..K-1 in parallel (oneTBB) and keeps only the outputs. Replicate r runs with
/// RunContext{seed, r} at every point (common random numbers); each value is written by exactly
/// one task, so the result is bit-identical for any thread count. A run that throws propagates
/// its exception; throws Interrupted when stopped.
Evaluation evaluate(const std::vector<const Model*>& models, const std::vector<OutputSpec>& outputs,
                    const EvaluateOptions& options);

}  // namespace sim::analysis
