#pragma once

#include <vector>

#include "sim/engine/results.h"
#include "sim/engine/runner.h"
#include "sim/mpi/world.h"

namespace sim::mpi {

/// The rank that runs block `block` of a run over `ranks` ranks: of every 2R - 1 consecutive
/// blocks rank 0 takes one and each other rank two, since rank 0 also folds every item. Any
/// assignment gives the same results; this one only balances the work.
int block_owner(std::int64_t block, int ranks);

/// run_study spread over the world's ranks. Block b runs on rank block_owner(b, R) (each rank
/// with its own TBB threads); the other ranks send their items to rank 0, which also runs its own
/// blocks on a second thread and folds every item in the fixed order into `sink` (rank 0's only;
/// null elsewhere). The sink receives exactly what run_study would give it: the results are
/// bit-identical for any ranks x threads. Every rank must call it with the same scenarios and
/// options. Throws what run_study throws; a failure on one rank leaves the others waiting, so
/// the caller must end the job (World::abort_on_failure).
void run_study_distributed(const World& world, const std::vector<ScenarioRun>& scenarios,
                           const RunOptions& options, ResultsSink* sink);

}  // namespace sim::mpi
