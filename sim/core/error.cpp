#include "sim/core/error.h"

#include <fmt/format.h>

namespace sim {

// Built with fmt rather than string concatenation: GCC 12 at -O3 raises a false -Wrestrict on
// `"literal" + std::string` chains.
std::string format_config_error(const SourcePosition& where, const std::string& key,
                                const std::string& problem, const std::string& got,
                                const std::string& expected) {
  std::string message = where.file;
  if (where.line > 0) message += fmt::format(":{}:{}", where.line, where.column);
  message += ": ";
  if (!key.empty()) message += fmt::format("{}: ", key);
  message += problem;
  if (!got.empty()) message += fmt::format(", got {}", got);
  if (!expected.empty()) message += fmt::format(" (expected {})", expected);
  return message;
}

ConfigError::ConfigError(const SourcePosition& where, const std::string& key,
                         const std::string& problem, const std::string& got,
                         const std::string& expected)
    : std::runtime_error(format_config_error(where, key, problem, got, expected)) {}

}  // namespace sim
