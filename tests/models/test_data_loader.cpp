#include <chrono>
#include <filesystem>
#include <sstream>
#include <thread>

#include <catch2/catch.hpp>

#include "models/data/alliance_data.h"
#include "sim/config/input_file.h"
#include "support.h"

using namespace models;
using models::testing::read_text;
using models::testing::shipped_data;
using models::testing::shipped_files;
using models::testing::TomlTable;
using models::testing::write_temp;

namespace {

/// 1-based line of the first line of `text` that starts with `prefix`.
int line_of(const std::string& text, const std::string& prefix) {
  std::istringstream in(text);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.rfind(prefix, 0) == 0) return n;
  }
  FAIL("no line starts with " << prefix);
  return 0;
}

/// Replaces the first line starting with `prefix` by `replacement` (or deletes it if empty).
std::string replace_line(const std::string& text, const std::string& prefix,
                         const std::string& replacement) {
  std::istringstream in(text);
  std::string out;
  std::string line;
  bool done = false;
  while (std::getline(in, line)) {
    if (!done && line.rfind(prefix, 0) == 0) {
      done = true;
      if (!replacement.empty()) out += replacement + "\n";
      continue;
    }
    out += line + "\n";
  }
  return out;
}

/// Deletes a member's rows of years first..last, each the line starting with `prefix` + year + ",".
std::string without_years(std::string text, const std::string& prefix, int first, int last) {
  for (int year = first; year <= last; ++year) {
    text = replace_line(text, prefix + std::to_string(year) + ",", "");
  }
  return text;
}

std::string display(const std::filesystem::path& p) { return p.lexically_normal().string(); }

const std::string kGdpSource = "\"World Bank WDI\"";

/// The shipped defence share file, with Poland's 2025 figure (4.48) to be replaced by another
/// of the same length: the edits the loader must see, or under a freeze must not.
struct PolandShare {
  std::string text = read_text(shipped_files().defence_share);
  std::string row = "PL,Poland,1999,2025,4.48,";
  std::size_t figure_at = text.find(row) + row.size() - std::string("4.48,").size();

  std::string with(const std::string& figure) const {
    std::string edited = text;
    return edited.replace(figure_at, figure.size(), figure);
  }
};

}  // namespace

TEST_CASE("The shipped data load: 32 allies in file order, Iceland exempt, the U.S. patron",
          "[data]") {
  const AllianceData& data = shipped_data();
  REQUIRE(data.size() == 32);
  CHECK(data.members.front().iso2 == "AL");
  CHECK(data.members.back().iso2 == "US");
  CHECK(data.members[data.patron].iso2 == "US");
  CHECK(data.gdp_first_year == 2010);
  CHECK(data.gdp_last_year == 2023);
  CHECK(data.latest_share_year() == 2025);
  CHECK(data.borders.size() == 41);

  const MemberData& iceland = data.members[*data.find("IS")];
  CHECK(iceland.exempt);
  CHECK(iceland.latest_share_pct == 0.0);
  CHECK(std::isnan(iceland.reference_share_pct));
  int exempt = 0;
  for (const auto& m : data.members) exempt += m.exempt;
  CHECK(exempt == 1);

  const MemberData& poland = data.members[*data.find("PL")];
  CHECK(poland.latest_year == 2025);
  CHECK(poland.latest_share_pct == 4.48);
  CHECK(poland.reference_share_pct == 1.86);
  CHECK(poland.joined_year == 1999);
  CHECK(poland.us_troops_thousands == 10.0);
  CHECK(poland.adversary_borders() == 2);
  CHECK(poland.frontline);
  const MemberData& germany = data.members[*data.find("DE")];
  CHECK(germany.latest_year == 2024);
  CHECK(germany.us_troops_thousands == Approx(35.068));
  CHECK(data.members[*data.find("FI")].joined_year == 2023);
  CHECK(data.members[*data.find("SE")].joined_year == 2024);
  CHECK(data.gdp_usd_bn(data.patron, 2023) == Approx(27360.935));

  // Press-rounded values are flagged (Hungary and the Netherlands, 2025).
  std::vector<std::string> rounded;
  for (const auto& m : data.members) {
    if (m.latest_press_rounded) rounded.push_back(m.iso2);
  }
  CHECK(rounded == std::vector<std::string>{"HU", "NL"});
}

TEST_CASE("An unknown ISO code in the GDP file is an error naming file, line and column",
          "[data]") {
  DataFiles files = shipped_files();
  const std::string gdp = read_text(files.gdp);
  const int line = line_of(gdp, "SI,2012,");
  files.gdp =
      write_temp("unknown_iso.csv", replace_line(gdp, "SI,2012,", "XX,2012,1," + kGdpSource));
  CHECK_THROWS_WITH(load_alliance_data(files),
                    display(files.gdp) + ":" + std::to_string(line) +
                        ": iso2: unknown ISO code, got \"XX\" (expected the ISO 3166 alpha-2 "
                        "code of a member listed in " +
                        display(files.defence_share) + ")");
}

TEST_CASE("A duplicate member-year in the defence share file is an error", "[data]") {
  DataFiles files = shipped_files();
  const std::string share = read_text(files.defence_share);
  const int first = line_of(share, "PL,Poland,1999,2025,");
  const int total = line_of(share, "US,United States,1949,2025,");
  files.defence_share =
      write_temp("duplicate.csv", share + "PL,Poland,1999,2025,4.5,estimate,\"a second copy\"\n");
  CHECK_THROWS_WITH(load_alliance_data(files),
                    display(files.defence_share) + ":" + std::to_string(total + 1) +
                        ": year: duplicate row for PL, got 2025 (expected one row per member "
                        "and year (first on line " +
                        std::to_string(first) + "))");
}

TEST_CASE("A missing GDP year is an error at the member's next row", "[data]") {
  DataFiles files = shipped_files();
  const std::string gdp = replace_line(read_text(shipped_files().gdp), "AL,2017,", "");
  const int next = line_of(gdp, "AL,2018,");
  files.gdp = write_temp("missing_year.csv", gdp);
  CHECK_THROWS_WITH(load_alliance_data(files),
                    display(files.gdp) + ":" + std::to_string(next) +
                        ": year: missing year 2017 for AL, got no row (expected one row for "
                        "every year 2010-2023)");
}

TEST_CASE("A missing reference year in the defence share file is an error", "[data]") {
  DataFiles files = shipped_files();
  const std::string share =
      replace_line(read_text(files.defence_share), "CZ,Czechia,1999,2014,", "");
  const int line = line_of(share, "CZ,Czechia,1999,2025,");
  files.defence_share = write_temp("missing_reference.csv", share);
  CHECK_THROWS_WITH(load_alliance_data(files),
                    display(files.defence_share) + ":" + std::to_string(line) +
                        ": year: missing year 2014 for CZ, got no row (expected a row for the "
                        "reference year 2014)");
}

TEST_CASE("A negative GDP is an error", "[data]") {
  DataFiles files = shipped_files();
  const std::string gdp = read_text(files.gdp);
  const int line = line_of(gdp, "AL,2022,");
  files.gdp = write_temp("negative.csv", replace_line(gdp, "AL,2022,", "AL,2022,-5," + kGdpSource));
  CHECK(line == 14);
  CHECK_THROWS_WITH(
      load_alliance_data(files),
      display(files.gdp) + ":14: gdp_usd_current: not positive, got -5 (expected a number > 0)");
}

TEST_CASE("Constant-price GDP is read for the same years as current-price GDP", "[data]") {
  const AllianceData& data = shipped_data();
  const std::size_t spain = *data.find("ES");
  // World Bank NY.GDP.MKTP.KD as stored in configs/data/gdp_real.csv (US$ 1.33352e12 in 2019,
  // 1.18763e12 in 2020): the 2020 recession, 10.9% in real terms.
  CHECK(data.gdp_real_usd_bn(spain, 2019) == Approx(1333.52));
  CHECK(data.gdp_real_usd_bn(spain, 2020) == Approx(1187.63));
  CHECK(data.members[spain].gdp_real_usd_bn.size() == data.members[spain].gdp_usd_bn.size());
}

TEST_CASE("Constant-price GDP over other years than current-price GDP is an error", "[data]") {
  DataFiles files = shipped_files();
  std::string real = read_text(files.gdp_real);
  std::string kept;
  std::size_t begin = 0;
  while (begin < real.size()) {
    const std::size_t end = real.find('\n', begin);
    const std::string line = real.substr(begin, end - begin + 1);
    if (line.find(",2023,") == std::string::npos) kept += line;
    begin = end + 1;
  }
  files.gdp_real = write_temp("real_short.csv", kept);
  CHECK_THROWS_WITH(load_alliance_data(files),
                    display(files.gdp_real) +
                        ": year: years differ from the current-price GDP file, got 2010-2022 "
                        "(expected the years of " +
                        display(files.gdp) + ": 2010-2023)");
}

TEST_CASE("A zero constant-price GDP is an error naming the column", "[data]") {
  DataFiles files = shipped_files();
  const std::string real = read_text(files.gdp_real);
  const int line = line_of(real, "DE,2020,");
  files.gdp_real =
      write_temp("real_zero.csv", replace_line(real, "DE,2020,", "DE,2020,0,\"a source\""));
  CHECK_THROWS_WITH(load_alliance_data(files),
                    display(files.gdp_real) + ":" + std::to_string(line) +
                        ": gdp_usd_constant_2015: not positive, got 0 (expected a number > 0)");
}

TEST_CASE("Government debt is read for every member and year of its file", "[data]") {
  const AllianceData& data = shipped_data();
  // IMF WEO GGXWDG_NGDP as stored in configs/data/gov_debt.csv.
  CHECK(data.debt_first_year == 2013);
  CHECK(data.debt_last_year == 2024);
  CHECK(data.gov_debt_pct(*data.find("IT"), 2013) == 131.9);
  CHECK(data.gov_debt_pct(*data.find("PT"), 2024) == 93.5);
  CHECK(data.gov_debt_pct(*data.find("EE"), 2013) == 11.4);
  for (const MemberData& m : data.members) CHECK(m.gov_debt_pct.size() == 12);
}

TEST_CASE("Government debt with a missing year or member is an error", "[data]") {
  DataFiles files = shipped_files();
  const std::string debt = read_text(files.gov_debt);
  const int after = line_of(debt, "ES,Spain,2019,");
  files.gov_debt = write_temp("debt_gap.csv", replace_line(debt, "ES,Spain,2018,", ""));
  CHECK_THROWS_WITH(load_alliance_data(files),
                    display(files.gov_debt) + ":" + std::to_string(after - 1) +
                        ": year: missing year 2018 for ES, got no row (expected one row for "
                        "every year 2013-2024)");
  files.gov_debt = write_temp("debt_no_lu.csv", without_years(debt, "LU,Luxembourg,", 2013, 2024));
  const int line = line_of(read_text(files.defence_share), "LU,Luxembourg,");
  CHECK_THROWS_WITH(load_alliance_data(files),
                    display(files.defence_share) + ":" + std::to_string(line) +
                        ": iso2: member without debt in " + display(files.gov_debt) +
                        ", got \"LU\" (expected rows for every year 2013-2024 of every member)");
}

TEST_CASE("A non-numeric defence share is an error", "[data]") {
  DataFiles files = shipped_files();
  const std::string share = read_text(files.defence_share);
  const int line = line_of(share, "PL,Poland,1999,2025,");
  files.defence_share = write_temp(
      "non_numeric.csv",
      replace_line(share, "PL,Poland,1999,2025,", "PL,Poland,1999,2025,n/a,estimate,\"x\""));
  CHECK_THROWS_WITH(load_alliance_data(files),
                    display(files.defence_share) + ":" + std::to_string(line) +
                        ": pct_gdp: not a number, got \"n/a\" (expected a number >= 0)");
}

TEST_CASE("A member without GDP is an error at its row in the defence share file", "[data]") {
  DataFiles files = shipped_files();
  files.gdp = write_temp("no_gdp.csv", without_years(read_text(files.gdp), "LU,", 2010, 2023));
  const int line = line_of(read_text(files.defence_share), "LU,Luxembourg,");
  CHECK_THROWS_WITH(load_alliance_data(files),
                    display(files.defence_share) + ":" + std::to_string(line) +
                        ": iso2: member without GDP in " + display(files.gdp) +
                        ", got \"LU\" (expected rows for every year 2010-2023 of every member)");
}

TEST_CASE("Iceland is exempt explicitly: without the exemption its empty figure is an error",
          "[data]") {
  DataFiles files = shipped_files();
  files.exempt = {};
  const int line = line_of(read_text(files.defence_share), "IS,Iceland,");
  CHECK_THROWS_WITH(load_alliance_data(files),
                    display(files.defence_share) + ":" + std::to_string(line) +
                        ": pct_gdp: missing value for IS, got an empty field (expected a number "
                        ">= 0 (a member with no armed forces belongs in model.data.exempt))");
  files.exempt = {"IS", "LU"};
  const int lu = line_of(read_text(files.defence_share), "LU,Luxembourg,");
  CHECK_THROWS_WITH(load_alliance_data(files),
                    display(files.defence_share) + ":" + std::to_string(lu) +
                        ": pct_gdp: a member listed as exempt (no armed forces) has a figure, "
                        "got 0.37 (expected an empty field, or remove LU from model.data.exempt)");
}

TEST_CASE("The model.data table resolves paths from the config and checks exempt codes", "[data]") {
  TomlTable ok(
      "[model.data]\ndefence_share = \"data/defence_share.csv\"\ngdp = "
      "\"data/gdp_usd.csv\"\ngdp_real = \"data/gdp_real.csv\"\ngov_debt = "
      "\"data/gov_debt.csv\"\ngeography = "
      "\"data/geography.csv\"\ncontiguity = "
      "\"data/contiguity.csv\"\n",
      "model");
  sim::config::Table data_table = ok.table.table("data");
  const AllianceData data = *parse_alliance_data(data_table);
  data_table.finish();
  CHECK(data.size() == 32);
  CHECK(data.members[*data.find("IS")].exempt);

  TomlTable bad(
      "[model.data]\ndefence_share = \"data/defence_share.csv\"\ngdp = "
      "\"data/gdp_usd.csv\"\ngdp_real = \"data/gdp_real.csv\"\ngov_debt = "
      "\"data/gov_debt.csv\"\ngeography = "
      "\"data/geography.csv\"\ncontiguity = "
      "\"data/contiguity.csv\"\nexempt = [\"XX\", \"IS\"]\n",
      "model");
  sim::config::Table bad_table = bad.table.table("data");
  CHECK_THROWS_WITH(parse_alliance_data(bad_table),
                    "test.toml:8:10: model.data.exempt: unknown ISO code, got \"XX\" (expected a "
                    "member listed in defence_share.csv)");
}

TEST_CASE("Data read again is the same, and a file edited since is read afresh", "[data]") {
  // A calibration loads the same files for every particle: what it gets must follow the files'
  // bytes, even when an edit keeps the file's size and lands within its time stamp's tick.
  DataFiles files = shipped_files();
  const PolandShare poland;
  const std::string& share = poland.text;
  REQUIRE(share.find(poland.row) != std::string::npos);
  REQUIRE(poland.with("4.48") == share);
  files.defence_share = write_temp("read_again.csv", share);
  const AllianceData first = *load_alliance_data(files);
  const AllianceData again = *load_alliance_data(files);
  // Unchanged files give the one copy every model built from them shares, not a copy each.
  CHECK(load_alliance_data(files).get() == load_alliance_data(files).get());
  const std::size_t pl = *first.find("PL");
  CHECK(first.members[pl].latest_share_pct == 4.48);
  CHECK(again.members[pl].latest_share_pct == 4.48);
  CHECK(again.members.size() == first.members.size());
  CHECK(again.members[pl].gdp_usd_bn == first.members[pl].gdp_usd_bn);

  write_temp("read_again.csv", poland.with("4.39"));  // same size
  CHECK(load_alliance_data(files)->members[pl].latest_share_pct == 4.39);
  write_temp("read_again.csv", poland.with("4.x9"));
  CHECK_THROWS_WITH(load_alliance_data(files),
                    Catch::StartsWith(display(files.defence_share) + ":" +
                                      std::to_string(line_of(share, poland.row)) + ": pct_gdp:"));
  write_temp("read_again.csv", share);
  CHECK(load_alliance_data(files)->members[pl].latest_share_pct == 4.48);
}

TEST_CASE("Files that have settled are known unchanged by their stamps, and an edit is still seen",
          "[data]") {
  // Once a file's stamps are two seconds older than its reading, the data are kept while stat
  // says the same; an edit changes the change time, even when a tool (tar, rsync -t) puts the
  // modification time back, and must be read afresh.
  DataFiles files = shipped_files();
  const PolandShare poland;
  const std::string& share = poland.text;
  REQUIRE(share.find(poland.row) != std::string::npos);
  files.defence_share = write_temp("settled.csv", share);
  const auto modified = std::filesystem::last_write_time(files.defence_share);
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  const std::size_t pl = *load_alliance_data(files)->find("PL");
  CHECK(load_alliance_data(files)->members[pl].latest_share_pct == 4.48);
  CHECK(load_alliance_data(files)->members[pl].latest_share_pct == 4.48);

  write_temp("settled.csv", poland.with("4.39"));  // same size
  std::filesystem::last_write_time(files.defence_share, modified);
  CHECK(load_alliance_data(files)->members[pl].latest_share_pct == 4.39);
  write_temp("settled.csv", share);
  std::filesystem::last_write_time(files.defence_share, modified);
  CHECK(load_alliance_data(files)->members[pl].latest_share_pct == 4.48);
}

TEST_CASE("While the inputs are frozen the data read in the freeze stand, edits and all",
          "[data]") {
  // A calibration's particles must all see one reading of the data: an edit made while it runs
  // reaches none of them, and the next run reads the files again.
  DataFiles files = shipped_files();
  const PolandShare poland;
  const std::string& share = poland.text;
  REQUIRE(share.find(poland.row) != std::string::npos);
  const std::string edited = poland.with("4.39");
  files.defence_share = write_temp("frozen.csv", share);
  const std::size_t pl = *load_alliance_data(files)->find("PL");
  {
    const sim::config::FrozenInputs frozen;
    const std::shared_ptr<const AllianceData> first = load_alliance_data(files);
    CHECK(first->members[pl].latest_share_pct == 4.48);
    write_temp("frozen.csv", edited);
    CHECK(load_alliance_data(files).get() == first.get());
    std::filesystem::remove(files.defence_share);
    CHECK(load_alliance_data(files).get() == first.get());
    write_temp("frozen.csv", edited);
  }
  CHECK(load_alliance_data(files)->members[pl].latest_share_pct == 4.39);
  {
    // A new freeze reads the files as they are now.
    write_temp("frozen.csv", share);
    const sim::config::FrozenInputs frozen;
    CHECK(load_alliance_data(files)->members[pl].latest_share_pct == 4.48);
  }
}
