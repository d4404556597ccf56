#include "models/capability/capability.h"

namespace models {

CapabilityParams parse_capability(sim::config::Table& table) {
  CapabilityParams p;
  p.depreciation = sim::config::uncertain_or(table, "depreciation", p.depreciation.central(),
                                             sim::config::Range{0.0, 1.0, true, true});
  return p;
}

}  // namespace models
