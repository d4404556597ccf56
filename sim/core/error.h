#pragma once

#include <stdexcept>
#include <string>

namespace sim {

/// Where a value came from in a config file (1-based line and column; 0 when unknown).
struct SourcePosition {
  std::string file;
  int line = 0;
  int column = 0;
};

/// Bad user input (config, data or design file, command-line value). The message is one line:
/// `FILE:LINE:COL: dotted.key: problem, got X (expected Y)` for a config value, `FILE:LINE:
/// column: problem, got X (expected Y)` for a CSV field (column 0 leaves out the column);
/// control characters in it are escaped (`\n`). main() maps it to exit status 2 (docs/ERRORS.md).
class ConfigError : public std::runtime_error {
 public:
  ConfigError(const SourcePosition& where, const std::string& key, const std::string& problem,
              const std::string& got, const std::string& expected);
  /// A message already in the one-line shape (control characters are escaped).
  explicit ConfigError(const std::string& message);
};

/// A problem with an output or results file (exists, unreadable, wrong schema). Exit status 3.
class OutputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The run was stopped by SIGINT/SIGTERM before it finished. Exit status 130.
class Interrupted : public std::runtime_error {
 public:
  Interrupted() : std::runtime_error("interrupted: no results were written") {}
};

/// `text` with newlines, tabs and other control characters written as `\n`, `\t`, `\xNN`.
std::string escape_control(const std::string& text);

/// Formats the one-line config error message (`:COL` left out when column is 0).
std::string format_config_error(const SourcePosition& where, const std::string& key,
                                const std::string& problem, const std::string& got,
                                const std::string& expected);

}  // namespace sim
