#include "models/capability/capability.h"

namespace models {

CapabilityParams parse_capability(sim::config::Table& table) {
  CapabilityParams p;
  // At least 0.1% a year: the start-year stock is the flow over the rate, infinite at 0 (a
  // U-shaped beta on (0, 1) draws rates of 1e-300 and below).
  p.depreciation = sim::config::uncertain_or(table, "depreciation", p.depreciation.central(),
                                             sim::config::Range{0.001, 1.0, false, true});
  return p;
}

}  // namespace models
