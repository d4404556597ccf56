#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/error.h"

namespace models {

/// One data row of a CSV file: its 1-based line number and its fields (quotes removed).
struct CsvRow {
  int line = 0;
  std::vector<std::string> fields;
};

/// A small CSV file held in memory: a header and rows. Fields may be quoted ("a, b"), with ""
/// for a literal quote. Positions in messages are `file:line:column`, the column being the
/// 1-based field number.
class CsvFile {
 public:
  /// Reads and splits `path`; `display` names the file in messages. Throws sim::ConfigError when
  /// the file cannot be read, a quote is unterminated or a row has the wrong number of fields.
  CsvFile(const std::filesystem::path& path, std::string display);
  /// Splits `text` (for tests); `display` names it in messages.
  static CsvFile from_text(std::string_view text, std::string display);

  const std::string& file() const { return file_; }
  const std::vector<std::string>& header() const { return header_; }
  const std::vector<CsvRow>& rows() const { return rows_; }

  /// Index of a header column. Throws sim::ConfigError naming the missing column.
  std::size_t column(std::string_view name) const;
  /// The position of a field, for messages.
  sim::SourcePosition position(const CsvRow& row, std::size_t column) const;

  /// Throws sim::ConfigError at (row, column): `file:line:col: <column name>: problem, got X
  /// (expected Y)`.
  [[noreturn]] void fail(const CsvRow& row, std::size_t column, const std::string& problem,
                         const std::string& got, const std::string& expected) const;

  /// A field parsed as a finite number >= 0 (empty, non-numeric or negative fields throw).
  double non_negative(const CsvRow& row, std::size_t column) const;
  /// A field parsed as a finite number in [low, high].
  double number_in(const CsvRow& row, std::size_t column, double low, double high) const;
  /// A field parsed as an integer in [low, high].
  int integer_in(const CsvRow& row, std::size_t column, int low, int high) const;
  /// A field that must be 0 or 1.
  bool flag(const CsvRow& row, std::size_t column) const;

 private:
  CsvFile() = default;
  void parse(std::string_view text);

  std::string file_;
  std::vector<std::string> header_;
  std::vector<CsvRow> rows_;
};

}  // namespace models
