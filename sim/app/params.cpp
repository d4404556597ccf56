#include "sim/app/params.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <fmt/format.h>

#include "sim/app/options.h"
#include "sim/config/parameter_log.h"
#include "sim/config/study.h"

namespace sim::app {

namespace {

std::string trim(const std::string& text) {
  const auto begin = text.find_first_not_of(" \t\r");
  if (begin == std::string::npos) return "";
  return text.substr(begin, text.find_last_not_of(" \t\r") - begin + 1);
}

std::vector<std::string> cells(const std::string& line) {
  std::vector<std::string> result;
  std::string cell;
  bool code = false;
  for (std::size_t i = 1; i < line.size(); ++i) {
    const char c = line[i];
    if (c == '`') code = !code;
    if (c == '|' && !code) {
      result.push_back(trim(cell));
      cell.clear();
    } else {
      cell += c;
    }
  }
  return result;
}

/// The backticked names of a first cell (`a`, `b.c` (U) -> a, b.c).
std::vector<std::string> backticked(const std::string& cell) {
  std::vector<std::string> names;
  std::size_t at = 0;
  while ((at = cell.find('`', at)) != std::string::npos) {
    const std::size_t end = cell.find('`', at + 1);
    if (end == std::string::npos) break;
    names.push_back(cell.substr(at + 1, end - at - 1));
    at = end + 1;
  }
  return names;
}

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<int>(c));
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::filesystem::path find_doc(const ParamsArguments& args) {
  if (!args.doc.empty()) return args.doc;
  const std::filesystem::path folder = std::filesystem::path(args.config).parent_path();
  for (const std::filesystem::path& candidate :
       {folder / ".." / "docs" / "MODEL.md", std::filesystem::path("docs") / "MODEL.md"}) {
    if (std::filesystem::exists(candidate)) return candidate;
  }
  return {};
}

}  // namespace

std::map<std::string, std::string> parameter_descriptions(const std::string& markdown) {
  std::map<std::string, std::string> result;
  std::istringstream stream(markdown);
  std::string line;
  std::vector<std::string> header;
  std::string section;
  bool in_table = false;
  while (std::getline(stream, line)) {
    line = trim(line);
    if (line.empty() || line[0] != '|') {
      in_table = false;
      continue;
    }
    const std::vector<std::string> row = cells(line);
    if (!in_table) {
      header = row;
      section.clear();
      in_table = true;
      continue;
    }
    if (row.empty() || row[0].starts_with("---") || row[0].starts_with(":--")) continue;
    const std::string& first = row[0];
    if (first.starts_with("**[") && first.ends_with("]**")) {
      section = first.substr(3, first.size() - 6);
      continue;
    }
    if (section.empty()) continue;
    std::string description;
    for (std::size_t c = 1; c < row.size() && c < header.size(); ++c) {
      if (row[c].empty() || header[c].starts_with("default")) continue;
      description += fmt::format("{}{}: {}", description.empty() ? "" : "; ", header[c], row[c]);
    }
    for (const std::string& name : backticked(first)) {
      result.emplace(fmt::format("{}.{}", section, name), description);
    }
  }
  return result;
}

CLI::App* add_params_command(CLI::App& app, ParamsArguments& arguments) {
  CLI::App* command = app.add_subcommand(
      "params",
      "List every model parameter a scenario reads: value or distribution, valid "
      "range and the description from docs/MODEL.md");
  command->add_option("CONFIG", arguments.config, "Study file (TOML)")
      ->required()
      ->check(CLI::ExistingFile);
  command->add_option("--scenario", arguments.scenario, "Scenario (default: the first)");
  command->add_option("--doc", arguments.doc,
                      "Markdown file with the parameter tables (default: docs/MODEL.md beside "
                      "the config's folder, or in the current folder)");
  add_set_option(command, arguments.overrides);
  command->add_flag("--json", arguments.json, "Machine-readable JSON instead of text");
  return command;
}

int command_params(const ParamsArguments& args, const ModelRegistry& registry) {
  const StudySpec study = read_study(args.config, registry, args.overrides);
  std::size_t index = 0;
  if (!args.scenario.empty()) {
    std::string names;
    for (; index < study.scenarios.size(); ++index) {
      if (study.scenarios[index].name == args.scenario) break;
      names += (names.empty() ? "" : ", ") + study.scenarios[index].name;
    }
    if (index == study.scenarios.size()) {
      throw ConfigError(SourcePosition{"command line", 0, 0}, "--scenario", "unknown scenario",
                        "\"" + args.scenario + "\"", "one of: " + names);
    }
  }
  auto log = std::make_shared<config::ParameterLog>();
  build_model(study, merged_model_table(study, index), registry,
              "(set by scenario '" + study.scenarios[index].name + "')", log);
  std::map<std::string, std::string> descriptions;
  const std::filesystem::path doc = find_doc(args);
  if (!doc.empty()) {
    std::ifstream file(doc);
    std::ostringstream text;
    text << file.rdbuf();
    descriptions = parameter_descriptions(text.str());
  }
  auto describe = [&](const std::string& key) {
    auto found = descriptions.find(key);
    if (found == descriptions.end()) {
      // Named tables (`[model.pledges.NAME]`) are documented once, with NAME for the name.
      const std::size_t last = key.rfind('.');
      const std::size_t name = last == std::string::npos ? last : key.rfind('.', last - 1);
      if (name != std::string::npos) {
        found = descriptions.find(key.substr(0, name) + ".NAME" + key.substr(last));
      }
    }
    return found == descriptions.end() ? std::string() : found->second;
  };
  if (args.json) {
    std::cout << "{\"study\": " << json_string(study.name)
              << ", \"scenario\": " << json_string(study.scenarios[index].name)
              << ", \"parameters\": [";
    bool first = true;
    for (const config::LoggedParameter& entry : log->entries) {
      std::cout << (first ? "\n  " : ",\n  ") << "{\"key\": " << json_string(entry.key)
                << ", \"value\": " << json_string(entry.value)
                << ", \"uncertain\": " << (entry.uncertain ? "true" : "false")
                << ", \"range\": " << json_string(entry.range)
                << ", \"description\": " << json_string(describe(entry.key)) << "}";
      first = false;
    }
    std::cout << "\n]}\n";
    return 0;
  }
  std::cout << fmt::format("{} parameters read by model '{}' in scenario '{}' of {}{}\n",
                           log->entries.size(), study.model, study.scenarios[index].name,
                           study.file, doc.empty() ? "" : " (descriptions: " + doc.string() + ")");
  for (const config::LoggedParameter& entry : log->entries) {
    std::cout << fmt::format("{:<44} {}\n    range: {}\n", entry.key, entry.value, entry.range);
    const std::string text = describe(entry.key);
    if (!text.empty()) std::cout << "    " << text << "\n";
  }
  return 0;
}

}  // namespace sim::app
