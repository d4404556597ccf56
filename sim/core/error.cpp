#include "sim/core/error.h"

#include <fmt/format.h>

namespace sim {

std::string escape_control(const std::string& text) {
  std::string escaped;
  escaped.reserve(text.size());
  for (const char ch : text) {
    switch (ch) {
      case '\n':
        escaped += "\\n";
        break;
      case '\r':
        escaped += "\\r";
        break;
      case '\t':
        escaped += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(ch) < 0x20 || ch == '\x7f') {
          escaped += fmt::format("\\x{:02x}", static_cast<unsigned char>(ch));
        } else {
          escaped.push_back(ch);
        }
    }
  }
  return escaped;
}

// Built with fmt rather than string concatenation: GCC 12 at -O3 raises a false -Wrestrict on
// `"literal" + std::string` chains.
std::string format_config_error(const SourcePosition& where, const std::string& key,
                                const std::string& problem, const std::string& got,
                                const std::string& expected) {
  std::string message = where.file;
  if (where.line > 0) message += fmt::format(":{}", where.line);
  if (where.line > 0 && where.column > 0) message += fmt::format(":{}", where.column);
  message += ": ";
  if (!key.empty()) message += fmt::format("{}: ", key);
  message += problem;
  if (!got.empty()) message += fmt::format(", got {}", got);
  if (!expected.empty()) message += fmt::format(" (expected {})", expected);
  // One line whatever the values hold: a newline in a name must not split the message.
  return escape_control(message);
}

ConfigError::ConfigError(const SourcePosition& where, const std::string& key,
                         const std::string& problem, const std::string& got,
                         const std::string& expected)
    : std::runtime_error(format_config_error(where, key, problem, got, expected)) {}

ConfigError::ConfigError(const std::string& message)
    : std::runtime_error(escape_control(message)) {}

}  // namespace sim
