#include "sim/app/merge.h"

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <stdexcept>

#include <fmt/format.h>

#include "sim/cli.h"
#include "sim/core/error.h"
#include "sim/engine/progress.h"
#include "sim/engine/runner.h"
#include "sim/io/output_path.h"
#include "sim/io/results_schema.h"
#include "sim/io/results_writer.h"
#include "sim/io/shard_part.h"

namespace sim::app {

namespace fs = std::filesystem;

CLI::App* add_merge_command(CLI::App& app, MergeArguments& arguments) {
  CLI::App* command = app.add_subcommand(
      "merge",
      "Merge the parts written by `run --shard I/N` into one results file, the same as one "
      "process would have written");
  command->add_option("PARTS", arguments.parts, "Every part of the run, in any order")
      ->required()
      ->check(CLI::ExistingFile);
  command->add_option("-o,--output", arguments.output, "Results file to write")->required();
  command->add_flag("--force", arguments.force, "Overwrite the results file if it exists");
  command->add_flag("-q,--quiet", arguments.quiet, "No progress bar, only the result path");
  return command;
}

namespace {

/// The parts, sorted by shard, checked to be one run's and complete.
std::vector<std::unique_ptr<io::ShardPartReader>> open_parts(
    const std::vector<std::string>& paths) {
  std::vector<std::unique_ptr<io::ShardPartReader>> parts;
  parts.reserve(paths.size());
  for (const std::string& path : paths)
    parts.push_back(std::make_unique<io::ShardPartReader>(path));
  std::sort(parts.begin(), parts.end(),
            [](const auto& a, const auto& b) { return a->header().shard < b->header().shard; });
  const io::ShardHeader& first = parts.front()->header();
  const std::string binary = io::executable_sha256();
  for (const auto& [key, value] : first.identity) {
    if (key == "binary" && value != binary) {
      throw OutputError(parts.front()->path().string() +
                        ": written by another natosim binary; merge with the binary that ran the "
                        "shards");
    }
  }
  for (const auto& part : parts) {
    const io::ShardHeader& header = part->header();
    if (header.shards != first.shards) {
      throw OutputError(fmt::format("{}: shard {} of {}, but {} is shard {} of {}",
                                    part->path().string(), header.shard, header.shards,
                                    parts.front()->path().string(), first.shard, first.shards));
    }
    for (std::size_t i = 0; i < first.identity.size(); ++i) {
      const auto& [key, value] = first.identity[i];
      const bool same = i < header.identity.size() && header.identity[i].first == key &&
                        header.identity[i].second == value;
      if (!same) {
        throw OutputError(fmt::format("{}: from another run than {} (another {})",
                                      part->path().string(), parts.front()->path().string(), key));
      }
    }
  }
  std::vector<std::string> missing;
  for (std::int64_t shard = 0, at = 0; shard < first.shards; ++shard) {
    std::int64_t copies = 0;
    std::string where;
    while (at < static_cast<std::int64_t>(parts.size()) &&
           parts[static_cast<std::size_t>(at)]->header().shard == shard) {
      where +=
          (where.empty() ? "" : " and ") + parts[static_cast<std::size_t>(at)]->path().string();
      ++copies;
      ++at;
    }
    if (copies > 1) {
      throw OutputError(fmt::format("shard {} of {} given twice: {}", shard, first.shards, where));
    }
    if (copies == 0) missing.push_back(std::to_string(shard));
  }
  if (!missing.empty()) {
    std::string list;
    for (const std::string& shard : missing) list += (list.empty() ? "" : ", ") + shard;
    throw OutputError(
        fmt::format("shard{} {} of {} missing (numbered from 0): a merge needs every "
                    "part of the run",
                    missing.size() == 1 ? "" : "s", list, first.shards));
  }
  return parts;
}

}  // namespace

int command_merge(const MergeArguments& arguments, const std::atomic<bool>* stop) {
  std::vector<std::unique_ptr<io::ShardPartReader>> parts = open_parts(arguments.parts);
  const io::ShardHeader& header = parts.front()->header();
  const Results& layout = header.layout;
  const fs::path output(arguments.output);
  const io::OutputLock output_lock = io::lock_output(output, arguments.force, io::kFileType);

  RunOptions options;
  options.seed = layout.seed;
  options.replicates = layout.replicates;
  options.start_year = layout.years.empty() ? 0 : layout.years.front();
  options.years = static_cast<int>(layout.years.size());
  options.trajectories = layout.has_trajectories;
  options.events = !layout.event_columns.empty();
  options.reference = layout.reference_scenario;
  options.block_size = header.block_size;
  options.quantile_levels = layout.quantile_levels;
  options.stop = stop;
  ProgressBar progress(stderr, !arguments.quiet);
  options.progress = [&progress](std::int64_t done, std::int64_t total) {
    progress.update(done, total);
  };
  ModelSchema schema;
  schema.members = layout.members;
  schema.member_names = layout.member_names;
  schema.variables = layout.variables;
  schema.member_axis = layout.member_axis;
  schema.member_axis_long_name = layout.member_axis_long_name;
  schema.time_axis = layout.time_axis;
  schema.time_axis_long_name = layout.time_axis_long_name;
  // The engine's own columns (scenario, replicate, time) come first in the file's table.
  if (layout.event_columns.size() >= 3) {
    schema.event_columns.assign(layout.event_columns.begin() + 3, layout.event_columns.end());
  }

  io::WriterOptions writing;
  writing.compression = header.compression;
  writing.stop = stop;
  writing.differences = layout.reference_scenario >= 0;
  writing.annotate = [&](Results& file_layout) {
    file_layout = layout;  // the runner's layout with the shards' annotations
    file_layout.attributes["merged_from_shards"] = std::to_string(header.shards);
    file_layout.attributes["merge_command_line"] = arguments.command_line;
  };
  io::ResultsFileWriter writer(output, arguments.force, std::move(writing));

  const auto scenarios = static_cast<std::int64_t>(layout.scenarios.size());
  std::size_t current = 0;
  const auto next = [&](std::int64_t item) {
    const std::int64_t block = item / scenarios;
    while (current < parts.size() && block >= parts[current]->header().end_block) {
      if (parts[current]->items() !=
          (parts[current]->header().end_block - parts[current]->header().first_block) * scenarios) {
        throw OutputError(parts[current]->path().string() + ": holds " +
                          std::to_string(parts[current]->items()) +
                          " items, not one per block and scenario of its shard");
      }
      ++current;
    }
    if (current == parts.size()) throw OutputError("the parts end before the run's last block");
    return parts[current]->next_item(item);
  };
  if (!arguments.quiet) {
    std::cerr << fmt::format(
        "merging {} parts of study '{}' ({} replicates) into {}\n", parts.size(),
        layout.attributes.count("study_name") != 0 ? layout.attributes.at("study_name")
                                                   : std::string("?"),
        layout.replicates, output.string());
  }
  try {
    fold_study_items(schema, layout.scenarios, layout.scenario_descriptions, options, next, writer);
  } catch (const std::invalid_argument& error) {
    throw OutputError(parts[std::min(current, parts.size() - 1)]->path().string() +
                      ": damaged part (" + error.what() + ")");
  }
  progress.finish();
  writer.commit();
  std::cout << "results: " << output.string() << "\n";
  return kExitOk;
}

}  // namespace sim::app
