#pragma once

#include <atomic>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace sim::app {

struct MergeArguments {
  std::vector<std::string> parts;
  std::string output;
  bool force = false;
  bool quiet = false;
  std::string command_line;
};

/// `natosim merge PART... -o OUT`: the parts of `run --shard I/N` into one results file.
CLI::App* add_merge_command(CLI::App& app, MergeArguments& arguments);

/// Checks that the parts come from one run (same config, seed, options and binary) and cover
/// every shard exactly once, then folds their items in the fixed order into OUT, bit-identical to
/// the one-process run. Throws OutputError (a part missing, duplicated, damaged or from another
/// run; the output path policy), Interrupted on `stop`.
int command_merge(const MergeArguments& arguments, const std::atomic<bool>* stop);

}  // namespace sim::app
