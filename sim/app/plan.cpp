#include "sim/app/plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "sim/engine/runner.h"

namespace sim::app {

std::string human_bytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  while (bytes >= 1024.0 && unit < 4) {
    bytes /= 1024.0;
    ++unit;
  }
  return fmt::format("{:.1f} {}", bytes, units[unit]);
}

Plan estimate(const ModelSchema& schema, std::size_t scenarios, std::int64_t replicates, int years,
              bool trajectories, bool paired, int threads, int compression) {
  std::size_t values_per_year = 0;
  std::size_t summary_datasets = 0;
  for (const VariableSpec& variable : schema.variables) {
    const std::size_t width = variable.level == Level::member ? schema.members.size() : 1;
    values_per_year += width;
    summary_datasets += width * (5 + 5 + 4 + (variable.binary ? 2 : 0));
  }
  Plan plan;
  plan.runs = replicates * static_cast<std::int64_t>(scenarios);
  const double cells = static_cast<double>(scenarios) * years;
  plan.file_bytes = cells * static_cast<double>(summary_datasets) * 8.0 + 64.0 * 1024;
  // Fitted to peak RSS measured on the shipped studies and on the baseline at 1,000 to 100,000
  // replicates (scripts/bench.sh checks it; within 20%): per recorded cell, its moments, quantile
  // sketch and summaries (950 bytes at 1,000 replicates; the sketches' buckets add about 250 bytes
  // per tenfold replicates) plus the paired differences when there is a reference (270); what the
  // runner holds at once (runner_footprint): each summarised chunk of a block (moments, paired
  // differences and cell shapes, 85 bytes a cell, and the listed buckets of the cells whose values
  // spread, about 110 more for 64 replicates; since 4 December 2026 one mapping whose used part
  // takes whole 2 MiB pages, still within the fit), and buffers of a block's raw values (8 bytes
  // a value); the libraries. Results are written as the run goes, so nothing else grows.
  const double cell_values = cells * static_cast<double>(values_per_year);
  const double year_values = static_cast<double>(values_per_year) * years;
  const RunnerFootprint footprint = runner_footprint(scenarios, paired, threads, trajectories);
  const double live_chunks =
      static_cast<double>(footprint.items_in_flight * footprint.scenarios_per_item);
  const double held_chunks = live_chunks + static_cast<double>(footprint.pending_chunks);
  const double decades = std::max(
      0.0, std::log10(static_cast<double>(std::max<std::int64_t>(replicates, 1)) / 1000.0));
  plan.memory_bytes = 12.0 * 1024 * 1024 +
                      cell_values * (950.0 + 250.0 * decades + (paired ? 270.0 : 0.0)) +
                      held_chunks * year_values * 195.0 +
                      static_cast<double>(footprint.raw_buffers) * 64.0 * year_values * 8.0;
  if (trajectories) {
    const double trajectory_bytes =
        static_cast<double>(plan.runs) * years * static_cast<double>(values_per_year) * 8.0;
    // gzip + shuffle at least halve doubles (a fifth for the baseline at level 1).
    plan.file_bytes += trajectory_bytes * (compression > 0 ? 0.5 : 1.0);
    // Per chunk in flight, the block's trajectories, their compressed chunks and the writer's
    // buffers (fitted: 2.2 copies of a block); blocks are written as they come, so this does
    // not grow with replicates.
    plan.memory_bytes += live_chunks * 64.0 * year_values * 8.0 * 2.2;
  }
  return plan;
}

}  // namespace sim::app
