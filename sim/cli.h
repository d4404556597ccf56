#pragma once

#include "sim/engine/model.h"

namespace sim {

/// Exit statuses of the natosim command.
enum ExitStatus : int {
  kExitOk = 0,
  kExitInternal = 1,
  kExitBadInput = 2,
  kExitOutput = 3,
  kExitInterrupted = 130,
};

/// The natosim command line (run, validate, info, --version). Maps every exception to a message
/// on stderr and an exit status; never calls exit().
int run_cli(int argc, char** argv, const ModelRegistry& registry);

}  // namespace sim
