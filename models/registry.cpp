#include "models/alliance/alliance_model.h"
#include "sim/engine/model.h"

namespace sim {

void register_builtin_models(ModelRegistry& registry) {
  registry.add("alliance",
               "32 NATO allies setting yearly defence budgets under a U.S. threshold policy",
               models::make_alliance_model);
}

}  // namespace sim
