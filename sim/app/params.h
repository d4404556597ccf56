#pragma once

#include <map>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "sim/engine/model.h"

namespace sim::app {

/// Command-line arguments of `natosim params`.
struct ParamsArguments {
  std::string config;
  std::string scenario;
  std::string doc;
  std::vector<std::string> overrides;
  bool json = false;
};

/// Adds the `params` subcommand and its options to `app`.
CLI::App* add_params_command(CLI::App& app, ParamsArguments& arguments);

/// Lists every `[model]` parameter the scenario's model reads: value or distribution, valid
/// range and the description from the parameter tables of docs/MODEL.md. Throws ConfigError.
int command_params(const ParamsArguments& arguments, const ModelRegistry& registry);

/// Descriptions from markdown parameter tables: a row whose first cell holds `key` names (in
/// backticks, comma-separated) under a section row `**[model.section]**` describes
/// `model.section.key`; the description joins the other cells (except a "default" column) as
/// "header: cell". Rows outside such tables are ignored.
std::map<std::string, std::string> parameter_descriptions(const std::string& markdown);

}  // namespace sim::app
