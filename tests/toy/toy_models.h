#pragma once

#include "sim/engine/model.h"

namespace toy {

/// Registers the engine's test models: "random_walk" (member random walks with a flag, a
/// sometimes-missing variable, a global total and events), "counter" (records the replicate
/// index, so statistics have exact known values) and "gauss" (a normal draw with a known mean and
/// sd, plus an exactly known per-member trend).
void register_toy_models(sim::ModelRegistry& registry);

/// A registry holding only the toy models.
sim::ModelRegistry toy_registry();

}  // namespace toy
