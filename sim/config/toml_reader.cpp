#include "sim/config/toml_reader.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/config/input_file.h"
#include "sim/config/parameter_log.h"

namespace sim::config {

bool Range::contains(double value) const {
  if (!std::isfinite(value)) return false;
  const bool above = open_low ? value > low : value >= low;
  const bool below = open_high ? value < high : value <= high;
  return above && below;
}

std::string Range::describe() const {
  const bool has_low = low > -1e299;
  const bool has_high = high < 1e299;
  if (has_low && has_high) {
    return fmt::format("a number in {}{}, {}{}", open_low ? "(" : "[", low, high,
                       open_high ? ")" : "]");
  }
  if (has_low) return fmt::format("a number {} {}", open_low ? ">" : ">=", low);
  if (has_high) return fmt::format("a number {} {}", open_high ? "<" : "<=", high);
  return "a finite number";
}

std::string describe_node(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return fmt::format("\"{}\"", *node.value<std::string>());
    case toml::node_type::integer:
      return std::to_string(*node.value<std::int64_t>());
    case toml::node_type::floating_point:
      return fmt::format("{}", *node.value<double>());
    case toml::node_type::boolean:
      return *node.value<bool>() ? "true" : "false";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    default:
      return "nothing";
  }
}

Table::Table(const toml::table& table, std::string path, std::shared_ptr<const Origin> origin,
             std::string note)
    : table_(&table), path_(std::move(path)), origin_(std::move(origin)), note_(std::move(note)) {}

bool Table::has(std::string_view key) const { return table_->contains(key); }

std::vector<std::string> Table::keys() const {
  std::vector<std::string> result;
  for (auto&& [key, value] : *table_) result.emplace_back(key.str());
  return result;
}

std::string Table::dotted(std::string_view key) const {
  if (path_.empty()) return std::string(key);
  if (key.empty()) return path_;
  return path_ + "." + std::string(key);
}

SourcePosition Table::position(std::string_view key) const {
  SourcePosition where{origin_->file, 0, 0};
  const toml::node* node = key.empty() ? table_ : table_->get(key);
  if (node == nullptr) node = table_;
  const auto& source = node->source();
  where.line = static_cast<int>(source.begin.line);
  where.column = static_cast<int>(source.begin.column);
  if (source.path && !source.path->empty()) where.file = *source.path;
  // A value given on the command line (`--set key=value`) is named by the flag, not a line.
  if (where.file.starts_with("--set ")) where.line = where.column = 0;
  return where;
}

void Table::record(std::string_view key, std::string value, std::string range) {
  if (log_) log_->add(LoggedParameter{dotted(key), std::move(value), std::move(range), {}});
}

void Table::fail(std::string_view key, const std::string& problem, const std::string& got,
                 const std::string& expected) const {
  std::string full_problem = problem;
  if (!note_.empty()) full_problem += " " + note_;
  throw ConfigError(position(key), dotted(key), full_problem, got, expected);
}

void Table::mark(std::string_view key) {
  const auto length = static_cast<std::uint32_t>(key.size());
  read_.append(reinterpret_cast<const char*>(&length), sizeof length);
  read_.append(key);
}

template <class Visit>
bool Table::any_read(Visit visit) const {
  for (std::size_t at = 0; at < read_.size();) {
    std::uint32_t length = 0;
    std::memcpy(&length, read_.data() + at, sizeof length);
    at += sizeof length;
    if (visit(std::string_view(read_).substr(at, length))) return true;
    at += length;
  }
  return false;
}

const toml::node& Table::require(std::string_view key) {
  mark(key);
  const toml::node* node = table_->get(key);
  if (node == nullptr) fail(key, "missing required key", "nothing", "a value");
  return *node;
}

const toml::node* Table::node(std::string_view key) {
  mark(key);
  return table_->get(key);
}

namespace {
double as_number(const Table& table, std::string_view key, const toml::node& node, Range range) {
  double value = 0.0;
  if (auto integer = node.value_exact<std::int64_t>()) {
    value = static_cast<double>(*integer);
  } else if (auto floating = node.value_exact<double>()) {
    value = *floating;
  } else {
    table.fail(key, "wrong type", describe_node(node), range.describe());
  }
  if (!range.contains(value))
    table.fail(key, "out of range", describe_node(node), range.describe());
  return value;
}
}  // namespace

double Table::number(std::string_view key, Range range) {
  const double value = as_number(*this, key, require(key), range);
  if (log_) record(key, fmt::format("{}", value), range.describe());
  return value;
}

double Table::number_or(std::string_view key, double fallback, Range range) {
  const toml::node* found = node(key);
  const double value = found ? as_number(*this, key, *found, range) : fallback;
  if (log_) record(key, fmt::format("{}{}", found ? "" : "default ", value), range.describe());
  return value;
}

std::int64_t Table::integer(std::string_view key, std::int64_t low, std::int64_t high) {
  const toml::node& found = require(key);
  const auto expected = [&] { return fmt::format("an integer in [{}, {}]", low, high); };
  auto value = found.value_exact<std::int64_t>();
  if (!value) fail(key, "wrong type", describe_node(found), expected());
  if (*value < low || *value > high) fail(key, "out of range", describe_node(found), expected());
  if (log_) record(key, std::to_string(*value), expected());
  return *value;
}

std::int64_t Table::integer_or(std::string_view key, std::int64_t fallback, std::int64_t low,
                               std::int64_t high) {
  if (has(key)) return integer(key, low, high);
  mark(key);
  if (log_)
    record(key, fmt::format("default {}", fallback),
           fmt::format("an integer in [{}, {}]", low, high));
  return fallback;
}

bool Table::boolean(std::string_view key) {
  const toml::node& found = require(key);
  auto value = found.value_exact<bool>();
  if (!value) fail(key, "wrong type", describe_node(found), "true or false");
  if (log_) record(key, *value ? "true" : "false", "true or false");
  return *value;
}

bool Table::boolean_or(std::string_view key, bool fallback) {
  if (has(key)) return boolean(key);
  mark(key);
  if (log_) record(key, fallback ? "default true" : "default false", "true or false");
  return fallback;
}

std::string Table::string(std::string_view key) {
  const toml::node& found = require(key);
  auto value = found.value_exact<std::string>();
  if (!value) fail(key, "wrong type", describe_node(found), "a string");
  if (log_) record(key, "\"" + *value + "\"", "a string");
  return *value;
}

std::string Table::string_or(std::string_view key, std::string fallback) {
  if (has(key)) return string(key);
  mark(key);
  if (log_) record(key, "default \"" + fallback + "\"", "a string");
  return fallback;
}

namespace {
std::string one_of(const std::vector<std::string>& allowed) {
  std::string text = "one of";
  for (std::size_t i = 0; i < allowed.size(); ++i) {
    text += (i == 0 ? " \"" : ", \"") + allowed[i] + "\"";
  }
  return text;
}
}  // namespace

std::string Table::choice(std::string_view key, const std::vector<std::string>& allowed) {
  std::string value = string(key);
  for (const auto& option : allowed) {
    if (option == value) {
      if (log_) record(key, "\"" + value + "\"", one_of(allowed));
      return value;
    }
  }
  fail(key, "unknown value", "\"" + value + "\"", one_of(allowed));
}

std::string Table::choice_or(std::string_view key, const std::vector<std::string>& allowed,
                             std::string fallback) {
  if (has(key)) return choice(key, allowed);
  mark(key);
  if (log_) record(key, "default \"" + fallback + "\"", one_of(allowed));
  return fallback;
}

std::vector<double> Table::numbers(std::string_view key, Range range, std::size_t min_size) {
  const toml::node& found = require(key);
  const toml::array* array = found.as_array();
  // The texts are made only when needed: a calibration reads the model's table for every
  // particle it tries, with no log kept and no error.
  const auto expected = [&] {
    return fmt::format("an array of at least {} numbers, each {}", min_size, range.describe());
  };
  if (array == nullptr) fail(key, "wrong type", describe_node(found), expected());
  if (array->size() < min_size) {
    fail(key, "too few values", fmt::format("{} values", array->size()), expected());
  }
  std::vector<double> values;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::node& element = *array->get(i);
    const auto element_key = [&] { return dotted(fmt::format("{}[{}]", key, i)); };
    double value = 0.0;
    if (auto integer = element.value_exact<std::int64_t>()) {
      value = static_cast<double>(*integer);
    } else if (auto floating = element.value_exact<double>()) {
      value = *floating;
    } else {
      throw ConfigError(position(key), element_key(), "wrong type", describe_node(element),
                        range.describe());
    }
    if (!range.contains(value)) {
      throw ConfigError(position(key), element_key(), "out of range", describe_node(element),
                        range.describe());
    }
    values.push_back(value);
  }
  if (log_) {
    std::string text;
    for (double value : values) text += fmt::format("{}{}", text.empty() ? "" : ", ", value);
    record(key, "[" + text + "]", expected());
  }
  return values;
}

std::vector<std::string> Table::strings(std::string_view key) {
  const toml::node& found = require(key);
  const toml::array* array = found.as_array();
  if (array == nullptr) fail(key, "wrong type", describe_node(found), "an array of strings");
  std::vector<std::string> values;
  for (std::size_t i = 0; i < array->size(); ++i) {
    auto value = array->get(i)->value_exact<std::string>();
    if (!value) {
      throw ConfigError(position(key), dotted(fmt::format("{}[{}]", key, i)), "wrong type",
                        describe_node(*array->get(i)), "a string");
    }
    values.push_back(*value);
  }
  return values;
}

std::filesystem::path Table::existing_file(std::string_view key) {
  const std::string relative = string(key);
  // Relative to the file the value was written in (a study may extend another file).
  std::filesystem::path folder = origin_->folder;
  const toml::node* found = table_->get(key);
  if (found != nullptr && found->source().path && *found->source().path != origin_->file) {
    folder = std::filesystem::path(*found->source().path).parent_path();
    if (folder.empty()) folder = ".";
  }
  std::filesystem::path path = relative;
  if (path.is_relative()) path = folder / path;
  // Found before while the inputs are frozen: taken as still there (see FrozenInputs).
  if (found_in_freeze(path)) return path;
  // Its type from stat and its readability from access (for the effective user, as an open
  // would find it): two system calls, nothing opened. (A model build resolves six files, and a
  // calibration builds one for every particle it tries.)
  struct stat status {};
  const bool found_path = ::stat(path.c_str(), &status) == 0;
  if (found_path && S_ISDIR(status.st_mode)) {
    fail(key, "not a file", "\"" + relative + "\" (a folder)",
         "a readable file (relative paths start at the config's folder " + folder.string() + ")");
  }
  if (!found_path || ::faccessat(AT_FDCWD, path.c_str(), R_OK, AT_EACCESS) != 0) {
    fail(key, "cannot open file", "\"" + relative + "\"",
         "a readable file (relative paths start at the config's folder " + folder.string() + ")");
  }
  note_found_in_freeze(path);
  return path;
}

Table Table::table(std::string_view key) {
  const toml::node& found = require(key);
  const toml::table* child = found.as_table();
  if (child == nullptr) fail(key, "wrong type", describe_node(found), "a table");
  Table result(*child, dotted(key), origin_, note_);
  result.log_ = log_;
  return result;
}

std::optional<Table> Table::table_if(std::string_view key) {
  if (!has(key)) {
    mark(key);
    return std::nullopt;
  }
  return table(key);
}

std::vector<Table> Table::tables(std::string_view key) {
  const toml::node& found = require(key);
  const toml::array* array = found.as_array();
  if (array == nullptr || !array->is_array_of_tables()) {
    fail(key, "wrong type", describe_node(found), "an array of tables ([[" + dotted(key) + "]])");
  }
  std::vector<Table> result;
  for (std::size_t i = 0; i < array->size(); ++i) {
    result.emplace_back(*array->get(i)->as_table(), fmt::format("{}[{}]", dotted(key), i), origin_,
                        note_);
    result.back().log_ = log_;
  }
  return result;
}

void Table::finish() const {
  for (auto&& [key, value] : *table_) {
    const std::string_view wanted = key.str();
    if (!any_read([wanted](std::string_view name) { return name == wanted; })) {
      std::vector<std::string_view> names;
      any_read([&](std::string_view name) {
        names.push_back(name);
        return false;
      });
      std::sort(names.begin(), names.end());
      names.erase(std::unique(names.begin(), names.end()), names.end());
      std::string known;
      for (const std::string_view name : names) {
        known += (known.empty() ? "" : ", ") + std::string(name);
      }
      fail(key.str(), "unknown key", describe_node(value),
           known.empty() ? "no keys here" : "one of: " + known);
    }
  }
}

toml::table parse_text(std::string_view text, const std::string& file) {
  try {
    return toml::parse(text, file);
  } catch (const toml::parse_error& error) {
    const auto& where = error.source().begin;
    throw ConfigError(
        SourcePosition{file, static_cast<int>(where.line), static_cast<int>(where.column)},
        "TOML syntax", std::string(error.description()), "", "");
  }
}

toml::table parse_file(const std::filesystem::path& file) {
  return parse_text(read_input_file(file, file.string(), "config file"), file.string());
}

void merge_into(toml::table& base, const toml::table& overrides) {
  for (auto&& [key, value] : overrides) {
    toml::node* existing = base.get(key);
    if (existing != nullptr && existing->is_table() && value.is_table()) {
      merge_into(*existing->as_table(), *value.as_table());
    } else {
      base.insert_or_assign(key, value);
    }
  }
}

}  // namespace sim::config
