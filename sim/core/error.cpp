#include "sim/core/error.h"

namespace sim {

std::string format_config_error(const SourcePosition& where, const std::string& key,
                                const std::string& problem, const std::string& got,
                                const std::string& expected) {
  std::string message = where.file;
  if (where.line > 0) {
    message += ":" + std::to_string(where.line) + ":" + std::to_string(where.column);
  }
  message += ": ";
  if (!key.empty()) message += key + ": ";
  message += problem;
  if (!got.empty()) message += ", got " + got;
  if (!expected.empty()) message += " (expected " + expected + ")";
  return message;
}

ConfigError::ConfigError(const SourcePosition& where, const std::string& key,
                         const std::string& problem, const std::string& got,
                         const std::string& expected)
    : std::runtime_error(format_config_error(where, key, problem, got, expected)) {}

}  // namespace sim
