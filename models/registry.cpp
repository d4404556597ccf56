#include "sim/engine/model.h"

namespace sim {
void register_builtin_models(ModelRegistry&) {}
}  // namespace sim
