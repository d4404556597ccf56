#include "sim/io/results_info.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <string_view>
#include <vector>

#include "sim/io/results_reader.h"
#include "sim/io/results_schema.h"

namespace sim::io {
namespace {

namespace fs = std::filesystem;

std::string json_string(std::string_view text) {
  std::string quoted = "\"";
  for (const char c : text) {
    switch (c) {
      case '"':
        quoted += "\\\"";
        break;
      case '\\':
        quoted += "\\\\";
        break;
      case '\n':
        quoted += "\\n";
        break;
      case '\r':
        quoted += "\\r";
        break;
      case '\t':
        quoted += "\\t";
        break;
      case '\b':
        quoted += "\\b";
        break;
      case '\f':
        quoted += "\\f";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          quoted += fmt::format("\\u{:04x}", static_cast<unsigned>(static_cast<unsigned char>(c)));
        } else {
          quoted += c;
        }
    }
  }
  return quoted + "\"";
}

// JSON has no NaN or infinity.
std::string json_number(double value) {
  return std::isfinite(value) ? fmt::format("{}", value) : std::string("null");
}

std::string json_string_list(const std::vector<std::string>& values) {
  std::string list = "[";
  for (std::size_t i = 0; i < values.size(); ++i)
    list += (i > 0 ? ", " : "") + json_string(values[i]);
  return list + "]";
}

std::string attribute_or(const Results& r, const std::string& key, const std::string& fallback) {
  const auto found = r.attributes.find(key);
  return found == r.attributes.end() ? fallback : found->second;
}

std::string json_attribute(const Results& r, const std::string& key) {
  const auto found = r.attributes.find(key);
  return found == r.attributes.end() ? "null" : json_string(found->second);
}

std::string describe_json(const fs::path& path, const ResultsFileContents& contents) {
  const Results& r = contents.results;
  std::string json = "{\n";
  const auto field = [&json](std::string_view key, const std::string& value, bool last = false) {
    json += "  " + json_string(key) + ": " + value + (last ? "\n" : ",\n");
  };
  field("file", json_string(path.string()));
  field("file_type", json_string(kFileType));
  field("schema_version", json_string(contents.schema_version));
  field("study_name", json_attribute(r, "study_name"));
  field("natosim_version", json_attribute(r, "natosim_version"));
  field("git_commit", json_attribute(r, "git_commit"));
  field("created_utc", json_attribute(r, "created_utc"));
  field("seed", std::to_string(r.seed));
  field("replicates", std::to_string(r.replicates));
  std::string scenarios = "[";
  for (std::size_t s = 0; s < r.scenarios.size(); ++s) {
    scenarios += fmt::format("{}{{\"name\": {}, \"description\": {}}}", s > 0 ? ", " : "",
                             json_string(r.scenarios[s]), json_string(r.scenario_descriptions[s]));
  }
  field("scenarios", scenarios + "]");
  field("scenario_dimension", json_string(r.scenario_dimension));
  field("member_dimension", json_string(r.member_axis));
  field("time_dimension", json_string(r.time_axis));
  std::string swept = "[";
  for (std::size_t p = 0; p < r.design_parameters.size(); ++p) {
    const Results::DesignParameter& parameter = r.design_parameters[p];
    swept += (p > 0 ? ", " : "") + std::string("{\"key\": ") + json_string(parameter.key) +
             ", \"values\": [";
    for (std::size_t i = 0; i < parameter.values.size(); ++i) {
      swept += (i > 0 ? ", " : "") + json_number(parameter.values[i]);
    }
    swept += "]}";
  }
  field("swept_parameters", swept + "]");
  field("reference_scenario",
        r.reference_scenario >= 0
            ? json_string(r.scenarios[static_cast<std::size_t>(r.reference_scenario)])
            : "null");
  std::string years = "[";
  for (std::size_t y = 0; y < r.years.size(); ++y)
    years += (y > 0 ? ", " : "") + std::to_string(r.years[y]);
  field("years", years + "]");
  field("first_year", r.years.empty() ? "null" : std::to_string(r.years.front()));
  field("last_year", r.years.empty() ? "null" : std::to_string(r.years.back()));
  field("member_count", std::to_string(r.members.size()));
  field("members", json_string_list(r.members));
  std::string variables = "[";
  for (std::size_t v = 0; v < r.variables.size(); ++v) {
    const VariableSpec& variable = r.variables[v];
    variables += fmt::format(
        "{}{{\"name\": {}, \"units\": {}, \"long_name\": {}, \"level\": \"{}\", \"binary\": {}, "
        "\"may_be_missing\": {}}}",
        v > 0 ? ", " : "", json_string(variable.name), json_string(variable.units),
        json_string(variable.long_name), level_name(variable.level), variable.binary,
        variable.may_be_missing);
  }
  field("variables", variables + "]");
  std::string quantiles = "[";
  for (std::size_t q = 0; q < r.quantile_levels.size(); ++q) {
    quantiles += (q > 0 ? ", " : "") + json_number(r.quantile_levels[q]);
  }
  field("quantile_levels", quantiles + "]");
  field("has_trajectories", r.has_trajectories ? "true" : "false");
  field("event_count", std::to_string(contents.event_count));
  std::vector<std::string> columns;
  for (const EventColumnSpec& column : r.event_columns) columns.push_back(column.name);
  field("event_columns", json_string_list(columns));
  std::string attributes = "{";
  bool first = true;
  for (const auto& [key, value] : r.attributes) {
    attributes += (first ? "" : ", ") + json_string(key) + ": " + json_string(value);
    first = false;
  }
  field("attributes", attributes + "}", true);
  return json + "}\n";
}

std::string describe_text(const fs::path& path, const ResultsFileContents& contents) {
  const Results& r = contents.results;
  std::string text;
  const auto line = [&text](std::string_view label, const std::string& value) {
    text += fmt::format("  {:<20}{}\n", std::string(label) + ":", value);
  };
  text += "natosim results file " + path.string() + "\n";
  line("study", attribute_or(r, "study_name", "(not recorded)"));
  line("schema version", contents.schema_version);
  line("natosim version", attribute_or(r, "natosim_version", "(not recorded)"));
  line("git commit", attribute_or(r, "git_commit", "(not recorded)"));
  line("created (UTC)", attribute_or(r, "created_utc", "(not recorded)"));
  line("seed", std::to_string(r.seed));
  line("replicates", std::to_string(r.replicates));
  const std::string points = snake_to_words(r.scenario_dimension) + "s";
  line(points, std::to_string(r.scenarios.size()));
  std::size_t width = 0;
  for (const std::string& s : r.scenarios) width = std::max(width, s.size());
  for (std::size_t s = 0; s < r.scenarios.size(); ++s) {
    const bool is_reference = static_cast<int>(s) == r.reference_scenario;
    std::string entry = fmt::format("    {:<{}}  {}{}", r.scenarios[s], width,
                                    r.scenario_descriptions[s], is_reference ? " [reference]" : "");
    entry.erase(entry.find_last_not_of(' ') + 1);
    text += entry + "\n";
  }
  for (const Results::DesignParameter& parameter : r.design_parameters) {
    const auto [low, high] = std::minmax_element(parameter.values.begin(), parameter.values.end());
    line("swept parameter", low == parameter.values.end()
                                ? parameter.key
                                : fmt::format("{} ({} to {})", parameter.key, *low, *high));
  }
  line("reference scenario", r.reference_scenario >= 0
                                 ? r.scenarios[static_cast<std::size_t>(r.reference_scenario)]
                                 : "(none)");
  // The axes as the model names them (the alliance model's: years, members).
  const std::string steps = snake_to_words(r.time_axis) + "s";
  line(steps, r.years.empty() ? "(none)"
                              : fmt::format("{}-{} ({} {})", r.years.front(), r.years.back(),
                                            r.years.size(), steps));
  line(snake_to_words(r.member_axis) + "s",
       fmt::format("{} ({})", r.members.size(), join(r.members, " ")));
  line("variables", std::to_string(r.variables.size()));
  width = 0;
  for (const VariableSpec& variable : r.variables) width = std::max(width, variable.name.size());
  for (const VariableSpec& variable : r.variables) {
    std::string flags = std::string(level_name(variable.level)) + "-level";
    if (variable.binary) flags += ", binary";
    if (variable.may_be_missing) flags += ", may be missing";
    text += fmt::format("    {:<{}}  {} [{}] ({})\n", variable.name, width, variable.long_name,
                        variable.units, flags);
  }
  std::vector<std::string> levels;
  for (const double level : r.quantile_levels) levels.push_back(fmt::format("{}", level));
  line("quantile levels", levels.empty() ? "(none)" : join(levels, " "));
  line("trajectories", r.has_trajectories ? "yes" : "no");
  std::vector<std::string> columns;
  for (const EventColumnSpec& column : r.event_columns) columns.push_back(column.name);
  line("events", r.event_columns.empty()
                     ? "none recorded"
                     : fmt::format("{} (columns: {})", contents.event_count, join(columns, ", ")));
  return text;
}

}  // namespace

std::string describe_results(const fs::path& file, bool json) {
  const ResultsFileContents contents = read_results_contents(file, true);
  return json ? describe_json(file, contents) : describe_text(file, contents);
}

}  // namespace sim::io
