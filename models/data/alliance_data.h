#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/config/toml_reader.h"

namespace models {

/// One ally as the data files describe it. Shares in % of GDP, GDP in current US$ bn.
struct MemberData {
  std::string iso2;
  std::string name;
  /// Year of NATO accession.
  int joined_year = 0;
  /// No armed forces and no NATO figure (Iceland): no budget decision, never a non-complier.
  bool exempt = false;

  /// The reference year's share (2014, the Wales summit year); NaN for exempt members.
  int reference_year = 0;
  double reference_share_pct = 0.0;
  /// The latest NATO figure (2025 estimate, or 2024 where no 2025 estimate was published).
  int latest_year = 0;
  double latest_share_pct = 0.0;
  /// The `kind` column of the latest row ("estimate", "actual (latest published: ...)", ...).
  std::string latest_kind;
  /// The latest value was rounded to 0.1 by the press (source marked PRESS-ROUNDED).
  bool latest_press_rounded = false;

  /// GDP in current US$ bn for AllianceData::gdp_first_year .. gdp_last_year.
  std::vector<double> gdp_usd_bn;
  /// GDP in constant 2015 US$ bn for the same years (real growth: what budgets are planned on).
  std::vector<double> gdp_real_usd_bn;
  /// General government gross debt, % of GDP, for AllianceData::debt_first_year .. debt_last_year.
  std::vector<double> gov_debt_pct;

  double capital_lat_deg = 0.0;
  double capital_lon_deg = 0.0;
  /// Great-circle distance from the capital to Moscow, km.
  double distance_to_moscow_km = 0.0;
  bool border_russia = false;
  bool border_kaliningrad = false;
  bool border_belarus = false;
  /// Any land border with Russia or Belarus (the data's frontline_flag).
  bool frontline = false;
  /// U.S. troops stationed, thousands (0 where the data has no figure).
  double us_troops_thousands = 0.0;
  bool us_troops_reported = false;

  /// Number of land borders with mainland Russia, Kaliningrad and Belarus (0-3).
  int adversary_borders() const {
    return int{border_russia} + int{border_kaliningrad} + int{border_belarus};
  }
};

/// Where the data files are and how to read them.
struct DataFiles {
  std::filesystem::path defence_share;
  std::filesystem::path gdp;
  /// GDP in constant prices (gdp_usd_constant_2015), for the same years as `gdp`.
  std::filesystem::path gdp_real;
  /// General government gross debt, % of GDP (debt_pct_gdp), by member and year.
  std::filesystem::path gov_debt;
  std::filesystem::path geography;
  std::filesystem::path contiguity;
  /// ISO codes of members with no armed forces (their pct_gdp must be empty).
  std::vector<std::string> exempt;
  /// The year whose share is the pre-pledge reference (must be present for every member).
  int reference_year = 2014;
  /// ISO code of the policy-setting patron (must be a member).
  std::string patron = "US";

  bool operator==(const DataFiles&) const = default;
};

/// The validated alliance data: members in the order of defence_share.csv.
struct AllianceData {
  std::vector<MemberData> members;
  int gdp_first_year = 0;
  int gdp_last_year = 0;
  int debt_first_year = 0;
  int debt_last_year = 0;
  /// Pairs of member indices sharing a land border (i < j).
  std::vector<std::pair<std::size_t, std::size_t>> borders;
  /// Index of the patron (the United States).
  std::size_t patron = 0;
  /// Great-circle distance between members' capitals (great_circle_km), km, members x members
  /// row by row: worked out once when the files are read, not for every model built from them
  /// (a calibration builds one per particle).
  std::vector<double> capital_km;

  std::size_t size() const { return members.size(); }
  std::optional<std::size_t> find(std::string_view iso2) const;
  /// GDP (current US$ bn) of a member in a data year.
  double gdp_usd_bn(std::size_t member, int year) const {
    return members[member].gdp_usd_bn[static_cast<std::size_t>(year - gdp_first_year)];
  }
  /// GDP (constant 2015 US$ bn) of a member in a data year.
  double gdp_real_usd_bn(std::size_t member, int year) const {
    return members[member].gdp_real_usd_bn[static_cast<std::size_t>(year - gdp_first_year)];
  }
  /// General government gross debt (% of GDP) of a member in a year of the debt file.
  double gov_debt_pct(std::size_t member, int year) const {
    return members[member].gov_debt_pct[static_cast<std::size_t>(year - debt_first_year)];
  }
  /// The latest data year of any member's share.
  int latest_share_year() const;
  double capital_distance_km(std::size_t a, std::size_t b) const {
    return capital_km[a * members.size() + b];
  }
};

/// Great-circle distance between two points on a sphere of radius 6371 km (haversine), km. The
/// same number, bit for bit, whichever point comes first.
double great_circle_km(double lat1_deg, double lon1_deg, double lat2_deg, double lon2_deg);

/// Loads and validates the six CSV files. Every problem throws sim::ConfigError positioned at
/// `file:line:column` (column = field number) with the column name as key, e.g.
/// `gdp_usd.csv:14:3: gdp_usd_current: negative value, got -5 (expected a number >= 0)`:
/// unknown or duplicate ISO codes, missing years, empty, negative or non-numeric values, a member
/// without GDP or geography, a non-exempt member without a figure. Thread-safe; the data of the
/// last few sets of files read is kept and shared while the files are unchanged (a calibration
/// builds a model per particle from the same files, and every model holds the one copy): known
/// by stat (device, inode, size, modification and change times) for files last changed at least
/// two seconds before they were read, else by comparing their every byte.
std::shared_ptr<const AllianceData> load_alliance_data(const DataFiles& files);

/// Reads `[model.data]` (`defence_share`, `gdp`, `gdp_real`, `gov_debt`, `geography`, `contiguity`
/// paths relative to the config file; optional `exempt` (default ["IS"]), `reference_year` (2014),
/// `patron` ("US")) and loads the files. Throws sim::ConfigError.
std::shared_ptr<const AllianceData> parse_alliance_data(sim::config::Table& table);

}  // namespace models
