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
      "t.csv:3:1: wrong number of fields, got 1 (expected 2 fields as in the header)");
}

TEST_CASE("An unterminated quote in a CSV file is an error", "[unit][data]") {
  CHECK_THROWS_WITH(CsvFile::from_text("a,b\n1,\"open\n", "t.csv"),
                    "t.csv:2:2: unterminated quoted field, got \"open\n\" (expected a closing "
                    "'\"')");
}

TEST_CASE("CSV numbers are checked and errors name file, line, column and column name",
          "[unit][data]") {
  const CsvFile csv =
      CsvFile::from_text("iso2,value,flag\nAL,abc,2\nBE,-1.5,1\nCZ,+2.5e1,0\n", "t.csv");
  const auto& rows = csv.rows();
  CHECK_THROWS_WITH(csv.non_negative(rows[0], 1),
                    "t.csv:2:2: value: not a number, got \"abc\" (expected a number >= 0)");
  CHECK_THROWS_WITH(csv.non_negative(rows[1], 1),
                    "t.csv:3:2: value: negative value, got -1.5 (expected a number >= 0)");
  CHECK(csv.non_negative(rows[2], 1) == 25.0);
  CHECK_THROWS_WITH(csv.flag(rows[0], 2),
                    "t.csv:2:3: flag: not a 0/1 flag, got \"2\" (expected 0 or 1)");
  CHECK(csv.flag(rows[1], 2));
  CHECK_THROWS_WITH(csv.column("missing"),
                    "t.csv:1:1: missing: missing column, got columns iso2, value, flag "
                    "(expected a column named missing)");
}
