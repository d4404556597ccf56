#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/error.h"

namespace sim::config {

/// One data row of a CSV file: its 1-based line number and its fields (quotes removed).
struct CsvRow {
  int line = 0;
  std::vector<std::string> fields;
};

/// How a CSV file is read.
struct CsvOptions {
  /// Lines whose first non-blank character is '#' are comments (sweep points files).
  bool comments = false;
  /// Fields lose their surrounding spaces and tabs (sweep points files).
  bool trim = false;
  /// More data rows than this are refused while reading (0: no limit).
  std::size_t max_rows = 0;
};

/// A small CSV file held in memory: a header and one or more rows, one record per line. Fields
/// may be quoted ("a, b"), with "" for a literal quote; a quoted field ends on its own line. A
/// UTF-8 byte-order mark is dropped. Every problem throws sim::ConfigError in the one shape
/// `FILE:LINE: column: problem, got X (expected Y)`, `column` being the header's name for it.
class CsvFile {
 public:
  /// Reads and splits `path`; `display` names the file in messages. Throws sim::ConfigError when
  /// the file is a folder, cannot be read or is too large (sim/config/input_file.h), is empty or
  /// has no data rows, a quote is unterminated or a row has the wrong number of fields.
  CsvFile(const std::filesystem::path& path, std::string display, CsvOptions options = {});
  /// Splits `text` (for tests); `display` names it in messages.
  static CsvFile from_text(std::string_view text, std::string display, CsvOptions options = {});

  const std::string& file() const { return file_; }
  const std::vector<std::string>& header() const { return header_; }
  const std::vector<CsvRow>& rows() const { return rows_; }
  /// The header's line number (1 unless comments or blank lines come first).
  int header_line() const { return header_line_; }

  /// Index of a header column. Throws sim::ConfigError naming the missing column.
  std::size_t column(std::string_view name) const;
  /// The position of a field, for messages (file and line; the column is named, not numbered).
  sim::SourcePosition position(const CsvRow& row, std::size_t column) const;

  /// Throws sim::ConfigError at row's line: `file:line: <column name>: problem, got X
  /// (expected Y)`.
  [[noreturn]] void fail(const CsvRow& row, std::size_t column, const std::string& problem,
                         const std::string& got, const std::string& expected) const;

  /// A field parsed as a finite number >= 0 (empty, non-numeric or negative fields throw).
  double non_negative(const CsvRow& row, std::size_t column) const;
  /// A field parsed as a finite number > 0 (zero throws too).
  double positive(const CsvRow& row, std::size_t column) const;
  /// A field parsed as a finite number in [low, high].
  double number_in(const CsvRow& row, std::size_t column, double low, double high) const;
  /// A field parsed as a finite number (any sign).
  double number(const CsvRow& row, std::size_t column) const;
  /// A field parsed as an integer in [low, high].
  int integer_in(const CsvRow& row, std::size_t column, int low, int high) const;
  /// A field that must be 0 or 1.
  bool flag(const CsvRow& row, std::size_t column) const;

 private:
  CsvFile() = default;
  void parse(std::string_view text, CsvOptions options);

  std::string file_;
  std::vector<std::string> header_;
  std::vector<CsvRow> rows_;
  int header_line_ = 1;
};

}  // namespace sim::config
