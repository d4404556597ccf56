#include "sim/config/overrides.h"

#include <algorithm>

#include "sim/core/error.h"

namespace sim::config {

namespace {

std::vector<std::string> split_key(const std::string& key) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = key.find('.', start);
    parts.push_back(key.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return parts;
}

bool bare_key_part(const std::string& part) {
  return !part.empty() && std::all_of(part.begin(), part.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-';
  });
}

/// A word with no TOML syntax in it (`alliance`, `status_quo`), taken as a string.
bool bare_word(const std::string& value) {
  return !value.empty() && std::all_of(value.begin(), value.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-' || c == '.' ||
           c == '/';
  });
}

}  // namespace

void apply_overrides(toml::table& root, const std::vector<std::string>& overrides) {
  for (const std::string& text : overrides) {
    const std::string source = "--set " + text;
    const std::size_t equals = text.find('=');
    const std::string key = equals == std::string::npos ? text : text.substr(0, equals);
    const std::vector<std::string> parts = split_key(key);
    if (equals == std::string::npos || !std::all_of(parts.begin(), parts.end(), bare_key_part)) {
      throw ConfigError(SourcePosition{source, 0, 0}, "", "malformed override", "\"" + text + "\"",
                        "KEY=VALUE with a dotted key of letters, digits, '_' or '-' and a TOML "
                        "value, e.g. model.economy.volatility=0.3");
    }
    const std::string value = text.substr(equals + 1);
    toml::table parsed;
    try {
      parsed = toml::parse("v = " + value, source);
    } catch (const toml::parse_error& error) {
      if (!bare_word(value)) {
        throw ConfigError(SourcePosition{source, 0, 0}, key, "value is not TOML",
                          "\"" + value + "\"",
                          "a TOML value such as 0.3, true, \"text\", [1, 2] or {a = 1}");
      }
      parsed = toml::parse("v = \"" + value + "\"", source);
    }
    toml::table* table = &root;
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
      toml::node* next = table->get(parts[i]);
      if (next == nullptr) {
        table->insert(parts[i], toml::table{});
        next = table->get(parts[i]);
      }
      if (!next->is_table()) {
        std::string prefix;
        for (std::size_t j = 0; j <= i; ++j) prefix += (j ? "." : "") + parts[j];
        throw ConfigError(SourcePosition{source, 0, 0}, key, "path goes through a value",
                          prefix + " is not a table",
                          "a key whose every part but the last names a table");
      }
      table = next->as_table();
    }
    table->insert_or_assign(parts.back(), std::move(*parsed.get("v")));
  }
}

}  // namespace sim::config
