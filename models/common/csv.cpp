#include "models/common/csv.h"

#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace models {

namespace {
std::string in_quotes(const std::string& text) { return "\"" + text + "\""; }
}  // namespace

CsvFile::CsvFile(const std::filesystem::path& path, std::string display) {
  file_ = std::move(display);
  std::ifstream stream(path, std::ios::binary);
  if (!stream) {
    throw sim::ConfigError(sim::SourcePosition{file_, 0, 0}, "", "cannot open data file",
                           in_quotes(path.string()), "a readable CSV file");
  }
  std::ostringstream text;
  text << stream.rdbuf();
  parse(text.str());
}

CsvFile CsvFile::from_text(std::string_view text, std::string display) {
  CsvFile csv;
  csv.file_ = std::move(display);
  csv.parse(text);
  return csv;
}

void CsvFile::parse(std::string_view text) {
  // A UTF-8 byte-order mark is not part of the first column's name.
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  std::vector<std::vector<std::string>> records;
  std::vector<int> lines;
  std::size_t pos = 0;
  int line = 1;
  while (pos < text.size()) {
    std::vector<std::string> fields;
    std::string field;
    const int record_line = line;
    bool quoting = false;
    bool end_of_record = false;
    while (pos < text.size() && !end_of_record) {
      const char ch = text[pos];
      if (quoting) {
        if (ch == '"') {
          if (pos + 1 < text.size() && text[pos + 1] == '"') {
            field.push_back('"');
            ++pos;
          } else {
            quoting = false;
          }
        } else {
          if (ch == '\n') ++line;
          field.push_back(ch);
        }
      } else if (ch == '"' && field.empty()) {
        quoting = true;
      } else if (ch == ',') {
        fields.push_back(std::move(field));
        field.clear();
      } else if (ch == '\n' || ch == '\r') {
        if (ch == '\r' && pos + 1 < text.size() && text[pos + 1] == '\n') ++pos;
        ++line;
        end_of_record = true;
      } else {
        field.push_back(ch);
      }
      ++pos;
    }
    if (quoting) {
      throw sim::ConfigError(sim::SourcePosition{file_, record_line, int(fields.size()) + 1}, "",
                             "unterminated quoted field", in_quotes(field.substr(0, 20)),
                             "a closing '\"'");
    }
    fields.push_back(std::move(field));
    // Blank lines carry no record.
    if (fields.size() == 1 && fields.front().empty()) continue;
    records.push_back(std::move(fields));
    lines.push_back(record_line);
  }
  if (records.empty()) {
    throw sim::ConfigError(sim::SourcePosition{file_, 1, 1}, "", "empty data file", "no header",
                           "a header line and data rows");
  }
  header_ = std::move(records.front());
  for (std::size_t r = 1; r < records.size(); ++r) {
    if (records[r].size() != header_.size()) {
      throw sim::ConfigError(sim::SourcePosition{file_, lines[r], 1}, "", "wrong number of fields",
                             std::to_string(records[r].size()),
                             fmt::format("{} fields as in the header", header_.size()));
    }
    rows_.push_back(CsvRow{lines[r], std::move(records[r])});
  }
}

std::size_t CsvFile::column(std::string_view name) const {
  for (std::size_t c = 0; c < header_.size(); ++c) {
    if (header_[c] == name) return c;
  }
  std::string columns;
  for (const auto& h : header_) columns += (columns.empty() ? "" : ", ") + h;
  throw sim::ConfigError(sim::SourcePosition{file_, 1, 1}, std::string(name), "missing column",
                         "columns " + columns, "a column named " + std::string(name));
}

sim::SourcePosition CsvFile::position(const CsvRow& row, std::size_t column) const {
  return sim::SourcePosition{file_, row.line, static_cast<int>(column) + 1};
}

void CsvFile::fail(const CsvRow& row, std::size_t column, const std::string& problem,
                   const std::string& got, const std::string& expected) const {
  throw sim::ConfigError(position(row, column), header_[column], problem, got, expected);
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
  const std::string expected = low == 0.0 && high > 1e299
                                   ? std::string("a number >= 0")
                                   : fmt::format("a number in [{}, {}]", low, high);
  if (text.empty()) fail(row, column, "missing value", "an empty field", expected);
  double value = 0.0;
  if (!parse_double(text, value)) fail(row, column, "not a number", in_quotes(text), expected);
  if (low == 0.0 && value < 0.0) fail(row, column, "negative value", text, expected);
  if (value < low || value > high) fail(row, column, "out of range", text, expected);
  return value;
}

double CsvFile::non_negative(const CsvRow& row, std::size_t column) const {
  return number_in(row, column, 0.0, 1e300);
}

int CsvFile::integer_in(const CsvRow& row, std::size_t column, int low, int high) const {
  const std::string& text = row.fields[column];
  const std::string expected = fmt::format("an integer in [{}, {}]", low, high);
  if (text.empty()) fail(row, column, "missing value", "an empty field", expected);
  int value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
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

}  // namespace models
