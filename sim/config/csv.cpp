#include "sim/config/csv.h"

#include <charconv>
#include <cmath>

#include <fmt/format.h>

#include "sim/config/input_file.h"

namespace sim::config {

namespace {
std::string in_quotes(const std::string& text) { return "\"" + text + "\""; }

std::string_view trimmed(std::string_view text) {
  const auto begin = text.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return {};
  return text.substr(begin, text.find_last_not_of(" \t") - begin + 1);
}
}  // namespace

CsvFile::CsvFile(const std::filesystem::path& path, std::string display, CsvOptions options) {
  file_ = std::move(display);
  parse(read_input_file(path, file_, "CSV file"), options);
}

CsvFile CsvFile::from_text(std::string_view text, std::string display, CsvOptions options) {
  CsvFile csv;
  csv.file_ = std::move(display);
  csv.parse(text, options);
  return csv;
}

void CsvFile::parse(std::string_view text, CsvOptions options) {
  // A UTF-8 byte-order mark is not part of the first column's name.
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  bool have_header = false;
  int line = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    // One record per line: a quote left open must not swallow the rows after it.
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view record = text.substr(pos, end - pos);
    pos = end + 1;
    ++line;
    if (record.ends_with('\r')) record.remove_suffix(1);
    const std::string_view bare = trimmed(record);
    if (bare.empty()) continue;
    if (options.comments && bare.front() == '#') continue;

    // Names a field in messages: the header's name for it, or "header" on the header line.
    const auto name_of = [&](std::size_t index) -> std::string {
      if (!have_header) return "header";
      if (index < header_.size()) return header_[index];
      return fmt::format("column {}", index + 1);
    };
    const auto refuse = [&](std::size_t index, const std::string& problem, const std::string& got,
                            const std::string& expected) {
      throw ConfigError(SourcePosition{file_, line, 0}, name_of(index), problem, got, expected);
    };
    std::vector<std::string> fields;
    std::string field;
    bool quoted = false;  // the current field started with a quote
    bool closed = false;  // and its closing quote has been seen
    std::size_t field_start = 0;
    std::size_t closed_at = 0;  // where the closing quote is
    for (std::size_t i = 0; i <= record.size(); ++i) {
      const bool at_end = i == record.size();
      const char ch = at_end ? ',' : record[i];
      if (quoted && !closed) {
        if (at_end) {
          refuse(fields.size(), "unterminated quoted field",
                 std::string(trimmed(record.substr(field_start, 20))),
                 "a closing '\"' on the same line");
        }
        if (ch == '"') {
          if (i + 1 < record.size() && record[i + 1] == '"') {
            field.push_back('"');
            ++i;
          } else {
            closed = true;
            closed_at = i;
          }
        } else {
          field.push_back(ch);
        }
        continue;
      }
      if (ch == ',') {
        fields.push_back(options.trim && !quoted ? std::string(trimmed(field)) : field);
        field.clear();
        quoted = closed = false;
        field_start = i + 1;
        continue;
      }
      if (closed) {
        if (ch == ' ' || ch == '\t') continue;
        refuse(fields.size(), "text after a closing quote",
               std::string(trimmed(record.substr(closed_at, 20))),
               "a ',' or the end of the line after a quoted field");
      }
      if (ch == '"' && trimmed(field).empty()) {
        quoted = true;
        field.clear();
        continue;
      }
      field.push_back(ch);
    }

    if (!have_header) {
      for (std::size_t c = 0; c < fields.size(); ++c) {
        if (trimmed(fields[c]).empty()) {
          refuse(c, "empty column name", fmt::format("column {}", c + 1),
                 "a name for every column");
        }
        for (std::size_t d = 0; d < c; ++d) {
          if (fields[d] == fields[c]) {
            refuse(c, "duplicate column name", in_quotes(fields[c]), "each name once");
          }
        }
      }
      header_ = std::move(fields);
      header_line_ = line;
      have_header = true;
      continue;
    }
    if (fields.size() != header_.size()) {
      throw ConfigError(SourcePosition{file_, line, 0}, "row", "wrong number of fields",
                        std::to_string(fields.size()),
                        fmt::format("{} fields as in the header", header_.size()));
    }
    if (options.max_rows > 0 && rows_.size() == options.max_rows) {
      throw ConfigError(SourcePosition{file_, line, 0}, "row", "too many rows",
                        fmt::format("more than {}", options.max_rows),
                        fmt::format("at most {} data rows", options.max_rows));
    }
    rows_.push_back(CsvRow{line, std::move(fields)});
  }
  if (!have_header) {
    throw ConfigError(SourcePosition{file_, 1, 0}, "header", "empty file", "no header line",
                      "a header line and data rows");
  }
  if (rows_.empty()) {
    throw ConfigError(SourcePosition{file_, header_line_, 0}, "header", "no data rows",
                      "a header line only", "one or more data rows under the header");
  }
}

std::size_t CsvFile::column(std::string_view name) const {
  for (std::size_t c = 0; c < header_.size(); ++c) {
    if (header_[c] == name) return c;
  }
  std::string columns;
  for (const auto& h : header_) columns += (columns.empty() ? "" : ", ") + h;
  throw ConfigError(SourcePosition{file_, header_line_, 0}, std::string(name), "missing column",
                    "columns " + columns, "a column named " + std::string(name));
}

SourcePosition CsvFile::position(const CsvRow& row, std::size_t /*column*/) const {
  return SourcePosition{file_, row.line, 0};
}

void CsvFile::fail(const CsvRow& row, std::size_t column, const std::string& problem,
                   const std::string& got, const std::string& expected) const {
  throw ConfigError(position(row, column), header_[column], problem, got, expected);
}

namespace {
bool parse_double(const std::string& text, double& value) {
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  // from_chars rejects a leading '+'; accept it as spreadsheets write it.
  if (begin != end && *begin == '+') ++begin;
  auto [ptr, ec] = std::from_chars(begin, end, value);
  return ec == std::errc() && ptr == end && std::isfinite(value);
}
}  // namespace

double CsvFile::number_in(const CsvRow& row, std::size_t column, double low, double high) const {
  const std::string& text = row.fields[column];
  const std::string expected = low == 0.0 && high > 1e299 ? std::string("a number >= 0")
                               : low < -1e299 && high > 1e299
                                   ? std::string("a finite number")
                                   : fmt::format("a number in [{}, {}]", low, high);
  if (text.empty()) fail(row, column, "missing value", "an empty field", expected);
  double value = 0.0;
  if (!parse_double(text, value)) fail(row, column, "not a number", in_quotes(text), expected);
  if (low == 0.0 && value < 0.0) fail(row, column, "negative value", text, expected);
  if (value < low || value > high) fail(row, column, "out of range", text, expected);
  return value;
}

double CsvFile::number(const CsvRow& row, std::size_t column) const {
  return number_in(row, column, -1e300, 1e300);
}

double CsvFile::non_negative(const CsvRow& row, std::size_t column) const {
  return number_in(row, column, 0.0, 1e300);
}

double CsvFile::positive(const CsvRow& row, std::size_t column) const {
  const std::string& text = row.fields[column];
  const std::string expected = "a number > 0";
  if (text.empty()) fail(row, column, "missing value", "an empty field", expected);
  double value = 0.0;
  if (!parse_double(text, value)) fail(row, column, "not a number", in_quotes(text), expected);
  if (!(value > 0.0)) fail(row, column, "not positive", text, expected);
  return value;
}

int CsvFile::integer_in(const CsvRow& row, std::size_t column, int low, int high) const {
  const std::string& text = row.fields[column];
  const std::string expected = fmt::format("an integer in [{}, {}]", low, high);
  if (text.empty()) fail(row, column, "missing value", "an empty field", expected);
  int value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range) fail(row, column, "out of range", text, expected);
  if (ec != std::errc() || ptr != text.data() + text.size()) {
    fail(row, column, "not an integer", in_quotes(text), expected);
  }
  if (value < low || value > high) fail(row, column, "out of range", text, expected);
  return value;
}

bool CsvFile::flag(const CsvRow& row, std::size_t column) const {
  const std::string& text = row.fields[column];
  if (text == "0") return false;
  if (text == "1") return true;
  fail(row, column, "not a 0/1 flag", in_quotes(text), "0 or 1");
}

}  // namespace sim::config
