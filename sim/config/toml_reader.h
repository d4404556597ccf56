#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "sim/core/error.h"

namespace sim::config {

/// An inclusive numeric range a value must lie in; `open_low`/`open_high` exclude the bound.
struct Range {
  double low = -1e300;
  double high = 1e300;
  bool open_low = false;
  bool open_high = false;

  static Range any() { return {}; }
  static Range positive() { return {0.0, 1e300, true, false}; }
  static Range non_negative() { return {0.0, 1e300, false, false}; }
  static Range unit() { return {0.0, 1.0, false, false}; }
  static Range between(double low, double high) { return {low, high, false, false}; }
  bool contains(double value) const;
  std::string describe() const;
};

/// The file a config came from: its path (as given) and the folder relative paths resolve from.
struct PosteriorBinding;

struct Origin {
  std::string file;
  std::filesystem::path folder;
  /// `[model] posterior = "..."`: parameters drawn jointly from a calibration's posterior
  /// (sim/config/uncertain.h); null for none. Shared by every table of one model build.
  std::shared_ptr<PosteriorBinding> posterior = nullptr;
};

struct ParameterLog;  // sim/config/parameter_log.h

/// A read-only view of one TOML table that remembers its dotted path, hands out typed values with
/// range checks, and records which keys were read so that `finish()` can reject unknown keys.
/// Every failure throws ConfigError in the one-line shape `FILE:LINE:COL: key: problem, got X
/// (expected Y)`.
class Table {
 public:
  Table(const toml::table& table, std::string path, std::shared_ptr<const Origin> origin,
        std::string note = {});

  const std::string& path() const { return path_; }
  const Origin& origin() const { return *origin_; }
  bool has(std::string_view key) const;
  /// Keys present in the table, in file order.
  std::vector<std::string> keys() const;

  double number(std::string_view key, Range range = Range::any());
  double number_or(std::string_view key, double fallback, Range range = Range::any());
  std::int64_t integer(std::string_view key, std::int64_t low, std::int64_t high);
  std::int64_t integer_or(std::string_view key, std::int64_t fallback, std::int64_t low,
                          std::int64_t high);
  bool boolean(std::string_view key);
  bool boolean_or(std::string_view key, bool fallback);
  std::string string(std::string_view key);
  std::string string_or(std::string_view key, std::string fallback);
  /// A string that must be one of `allowed`.
  std::string choice(std::string_view key, const std::vector<std::string>& allowed);
  std::string choice_or(std::string_view key, const std::vector<std::string>& allowed,
                        std::string fallback);
  /// An array of numbers, each in range; `min_size` elements at least.
  std::vector<double> numbers(std::string_view key, Range range = Range::any(),
                              std::size_t min_size = 0);
  std::vector<std::string> strings(std::string_view key);
  /// A path relative to the config file's folder; the file must exist and be readable.
  std::filesystem::path existing_file(std::string_view key);

  Table table(std::string_view key);
  std::optional<Table> table_if(std::string_view key);
  std::vector<Table> tables(std::string_view key);

  /// Raw node access for parsers of composite values (e.g. distributions).
  const toml::node* node(std::string_view key);
  /// Position of a key's value in its file (or of the table itself when key is empty).
  SourcePosition position(std::string_view key = {}) const;
  std::string dotted(std::string_view key) const;

  /// Throws if any key of the table was never read (an unknown or misspelt key).
  void finish() const;

  [[noreturn]] void fail(std::string_view key, const std::string& problem, const std::string& got,
                         const std::string& expected) const;

  /// Records every value read from this table and the tables taken from it (for `natosim
  /// params` and `--store-draws`); null (the default) records nothing.
  void set_log(std::shared_ptr<ParameterLog> log) { log_ = std::move(log); }
  ParameterLog* log() const { return log_.get(); }

 private:
  /// Adds a value read to the log. Callers test `log_` first, so that no text is made for a
  /// table read without one (a calibration reads one for every particle it tries).
  void record(std::string_view key, std::string value, std::string range);

  const toml::node& require(std::string_view key);
  void mark(std::string_view key);

  const toml::table* table_;
  std::string path_;
  std::shared_ptr<const Origin> origin_;
  std::string note_;
  /// Calls `visit` with each key read (or asked for) from this table, in order, until it
  /// returns true; whether one did.
  template <class Visit>
  bool any_read(Visit visit) const;

  /// The keys read or asked for, in order, each as its length (4 bytes) and its bytes: one
  /// growing string rather than a node and a string per key (a calibration reads a model's
  /// tables for every particle it tries).
  std::string read_;
  std::shared_ptr<ParameterLog> log_;
};

/// Renders a TOML node for an error message (`"abc"`, `3.5`, `a table`, ...).
std::string describe_node(const toml::node& node);

/// Parses a TOML file; a syntax error becomes a ConfigError with its position.
toml::table parse_file(const std::filesystem::path& file);
/// Parses TOML text; `file` names it in messages.
toml::table parse_text(std::string_view text, const std::string& file);

/// Deep-merges `overrides` into `base`: tables merge key by key, anything else replaces.
void merge_into(toml::table& base, const toml::table& overrides);

}  // namespace sim::config
