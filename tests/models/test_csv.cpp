#include <catch2/catch.hpp>

#include "models/common/csv.h"

using models::CsvFile;

TEST_CASE("CSV fields may be quoted, contain commas and doubled quotes", "[unit][data]") {
  const CsvFile csv =
      CsvFile::from_text("a,b,c\r\n1,\"x, y\",\"say \"\"hi\"\"\"\r\n\r\n2,,last\n", "t.csv");
  REQUIRE(csv.header() == std::vector<std::string>{"a", "b", "c"});
  REQUIRE(csv.rows().size() == 2);
  CHECK(csv.rows()[0].line == 2);
  CHECK(csv.rows()[0].fields == std::vector<std::string>{"1", "x, y", "say \"hi\""});
  CHECK(csv.rows()[1].line == 4);
  CHECK(csv.rows()[1].fields == std::vector<std::string>{"2", "", "last"});
}

TEST_CASE("A CSV row with the wrong number of fields is reported at its line", "[unit][data]") {
  CHECK_THROWS_WITH(
      CsvFile::from_text("a,b\n1,2\n3\n", "t.csv"),
      "t.csv:3: row: wrong number of fields, got 1 (expected 2 fields as in the header)");
}

TEST_CASE("An unterminated quote in a CSV file is an error at its own line", "[unit][data]") {
  CHECK_THROWS_WITH(CsvFile::from_text("a,b\n1,\"open\n", "t.csv"),
                    "t.csv:2: b: unterminated quoted field, got \"open (expected a closing '\"' "
                    "on the same line)");
  // Before, the open quote ran on to the next quote in the file, swallowing the rows between.
  CHECK_THROWS_WITH(CsvFile::from_text("a,b\n1,\"open\n2,x\n3,\"y\"\n", "t.csv"),
                    "t.csv:2: b: unterminated quoted field, got \"open (expected a closing '\"' "
                    "on the same line)");
  CHECK_THROWS_WITH(CsvFile::from_text("a,b\n1,\"x\"y\n", "t.csv"),
                    "t.csv:2: b: text after a closing quote, got \"y (expected a ',' or the end "
                    "of the line after a quoted field)");
}

TEST_CASE("An empty or header-only CSV file is an error", "[unit][data]") {
  CHECK_THROWS_WITH(CsvFile::from_text("", "t.csv"),
                    "t.csv:1: header: empty file, got no header line (expected a header line and "
                    "data rows)");
  CHECK_THROWS_WITH(CsvFile::from_text("\xEF\xBB\xBF\n\n", "t.csv"),
                    "t.csv:1: header: empty file, got no header line (expected a header line and "
                    "data rows)");
  CHECK_THROWS_WITH(CsvFile::from_text("a,b\r\n", "t.csv"),
                    "t.csv:1: header: no data rows, got a header line only (expected one or more "
                    "data rows under the header)");
  CHECK_THROWS_WITH(CsvFile::from_text("a,,c\n1,2,3\n", "t.csv"),
                    "t.csv:1: header: empty column name, got column 2 (expected a name for every "
                    "column)");
  CHECK_THROWS_WITH(CsvFile::from_text("a,b,a\n1,2,3\n", "t.csv"),
                    "t.csv:1: header: duplicate column name, got \"a\" (expected each name once)");
}

TEST_CASE("A UTF-8 byte-order mark is not part of the first column's name", "[unit][data]") {
  const CsvFile csv = CsvFile::from_text("\xEF\xBB\xBFiso2,value\r\nAL,1\r\n", "t.csv");
  CHECK(csv.header() == std::vector<std::string>{"iso2", "value"});
  CHECK(csv.column("iso2") == 0);
}

TEST_CASE("Comments, trimming and a row limit are options", "[unit][data]") {
  const sim::config::CsvOptions options{.comments = true, .trim = true, .max_rows = 2};
  const CsvFile csv = CsvFile::from_text("# note\n a , b \n 1 , 2 \n", "t.csv", options);
  CHECK(csv.header_line() == 2);
  CHECK(csv.header() == std::vector<std::string>{"a", "b"});
  CHECK(csv.rows()[0].fields == std::vector<std::string>{"1", "2"});
  CHECK_THROWS_WITH(CsvFile::from_text("a\n1\n2\n3\n", "t.csv", options),
                    "t.csv:4: row: too many rows, got more than 2 (expected at most 2 data rows)");
}

TEST_CASE("A CSV path that is a folder or a device is refused without reading it all",
          "[unit][data]") {
  CHECK_THROWS_WITH(CsvFile("/tmp", "/tmp"),
                    "/tmp: cannot read CSV file, got a folder (expected a readable CSV file)");
  CHECK_THROWS_WITH(CsvFile("/dev/zero", "/dev/zero"),
                    "/dev/zero: CSV file too large, got more than 64 MiB (expected at most 64 "
                    "MiB, the input size limit)");
}

TEST_CASE("CSV numbers are checked and errors name file, line, column and column name",
          "[unit][data]") {
  const CsvFile csv =
      CsvFile::from_text("iso2,value,flag\nAL,abc,2\nBE,-1.5,1\nCZ,+2.5e1,0\n", "t.csv");
  const auto& rows = csv.rows();
  CHECK_THROWS_WITH(csv.non_negative(rows[0], 1),
                    "t.csv:2: value: not a number, got \"abc\" (expected a number >= 0)");
  CHECK_THROWS_WITH(csv.non_negative(rows[1], 1),
                    "t.csv:3: value: negative value, got -1.5 (expected a number >= 0)");
  CHECK(csv.non_negative(rows[2], 1) == 25.0);
  CHECK_THROWS_WITH(csv.flag(rows[0], 2),
                    "t.csv:2: flag: not a 0/1 flag, got \"2\" (expected 0 or 1)");
  CHECK(csv.flag(rows[1], 2));
  CHECK_THROWS_WITH(csv.positive(rows[0], 1),
                    "t.csv:2: value: not a number, got \"abc\" (expected a number > 0)");
  CHECK_THROWS_WITH(csv.column("missing"),
                    "t.csv:1: missing: missing column, got columns iso2, value, flag "
                    "(expected a column named missing)");
}
