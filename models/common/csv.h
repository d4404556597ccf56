#pragma once

// The CSV reader lives in sim/config/csv.h (sweep points files use it too); the data loaders
// know it by these names.
#include "sim/config/csv.h"

namespace models {
using sim::config::CsvFile;
using sim::config::CsvRow;
}  // namespace models
