#include "models/data/alliance_data.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <ctime>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <numbers>
#include <optional>
#include <set>
#include <tuple>

#include <fmt/format.h>
#include <sys/stat.h>

#include "models/common/csv.h"
#include "sim/config/input_file.h"

namespace models {

std::optional<std::size_t> AllianceData::find(std::string_view iso2) const {
  for (std::size_t i = 0; i < members.size(); ++i) {
    if (members[i].iso2 == iso2) return i;
  }
  return std::nullopt;
}

int AllianceData::latest_share_year() const {
  int latest = 0;
  for (const auto& m : members) latest = std::max(latest, m.latest_year);
  return latest;
}

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string in_quotes(const std::string& text) { return "\"" + text + "\""; }

bool is_iso_alpha2(const std::string& code) {
  return code.size() == 2 && std::isupper(static_cast<unsigned char>(code[0])) &&
         std::isupper(static_cast<unsigned char>(code[1]));
}

std::string display(const std::filesystem::path& path) { return path.lexically_normal().string(); }

/// Finds a member by the ISO code in `row[column]`, or fails with "unknown ISO code".
std::size_t member_of(const CsvFile& csv, const CsvRow& row, std::size_t column,
                      const AllianceData& data, const std::string& members_file) {
  const std::string& code = row.fields[column];
  if (auto index = data.find(code)) return *index;
  csv.fail(row, column, "unknown ISO code", in_quotes(code),
           "the ISO 3166 alpha-2 code of a member listed in " + members_file);
}

struct ShareRow {
  int line = 0;
  int year = 0;
  bool has_value = false;
  double value = 0.0;
  std::string kind;
  bool press_rounded = false;
};

void read_defence_share(const DataFiles& files, AllianceData& data, std::vector<int>& first_line) {
  const CsvFile csv(files.defence_share, display(files.defence_share));
  const std::size_t c_iso = csv.column("iso2");
  const std::size_t c_name = csv.column("name");
  const std::size_t c_joined = csv.column("joined");
  const std::size_t c_year = csv.column("year");
  const std::size_t c_pct = csv.column("pct_gdp");
  const std::size_t c_kind = csv.column("kind");
  const std::size_t c_source = csv.column("source");
  const std::set<std::string> exempt(files.exempt.begin(), files.exempt.end());

  std::vector<std::vector<ShareRow>> rows_of;
  for (const CsvRow& row : csv.rows()) {
    const std::string& code = row.fields[c_iso];
    if (!is_iso_alpha2(code)) {
      csv.fail(row, c_iso, "unknown ISO code", in_quotes(code),
               "an ISO 3166 alpha-2 code (two capital letters)");
    }
    const int joined = csv.integer_in(row, c_joined, 1949, 2200);
    std::size_t index = 0;
    if (auto found = data.find(code)) {
      index = *found;
      if (data.members[index].joined_year != joined) {
        csv.fail(
            row, c_joined, "inconsistent accession year for " + code, std::to_string(joined),
            fmt::format("{} as on line {}", data.members[index].joined_year, first_line[index]));
      }
    } else {
      MemberData member;
      member.iso2 = code;
      member.name = row.fields[c_name];
      member.joined_year = joined;
      member.exempt = exempt.contains(code);
      data.members.push_back(std::move(member));
      first_line.push_back(row.line);
      rows_of.emplace_back();
      index = data.members.size() - 1;
    }
    ShareRow share;
    share.line = row.line;
    share.year = csv.integer_in(row, c_year, 1949, 2200);
    for (const ShareRow& other : rows_of[index]) {
      if (other.year == share.year) {
        csv.fail(row, c_year, "duplicate row for " + code, std::to_string(share.year),
                 fmt::format("one row per member and year (first on line {})", other.line));
      }
    }
    const std::string& pct = row.fields[c_pct];
    if (data.members[index].exempt) {
      if (!pct.empty()) {
        csv.fail(row, c_pct, "a member listed as exempt (no armed forces) has a figure", pct,
                 "an empty field, or remove " + code + " from model.data.exempt");
      }
    } else if (pct.empty()) {
      csv.fail(row, c_pct, "missing value for " + code, "an empty field",
               "a number >= 0 (a member with no armed forces belongs in model.data.exempt)");
    } else {
      share.has_value = true;
      share.value = csv.number_in(row, c_pct, 0.0, 1e300);
      if (share.value > 100.0) {
        csv.fail(row, c_pct, "out of range", pct, "a share of GDP in [0, 100] percent");
      }
    }
    share.kind = row.fields[c_kind];
    share.press_rounded = row.fields[c_source].find("PRESS-ROUNDED") != std::string::npos;
    rows_of[index].push_back(std::move(share));
  }
  if (data.members.empty()) {
    throw sim::ConfigError(sim::SourcePosition{csv.file(), csv.header_line(), 0}, "iso2",
                           "no members", "no data rows", "one or more rows per member");
  }

  for (std::size_t i = 0; i < data.members.size(); ++i) {
    MemberData& member = data.members[i];
    const auto& rows = rows_of[i];
    const ShareRow* reference = nullptr;
    const ShareRow* latest = nullptr;
    for (const ShareRow& r : rows) {
      if (r.year == files.reference_year) reference = &r;
      if (latest == nullptr || r.year > latest->year) latest = &r;
    }
    const CsvRow& last_row =
        *std::find_if(csv.rows().begin(), csv.rows().end(),
                      [&](const CsvRow& r) { return r.line == rows.back().line; });
    if (reference == nullptr) {
      csv.fail(last_row, c_year,
               fmt::format("missing year {} for {}", files.reference_year, member.iso2), "no row",
               fmt::format("a row for the reference year {}", files.reference_year));
    }
    if (latest->year <= files.reference_year) {
      csv.fail(last_row, c_year, "missing latest year for " + member.iso2,
               std::to_string(latest->year),
               fmt::format("a row for a year after the reference year {}", files.reference_year));
    }
    member.reference_year = reference->year;
    member.reference_share_pct = reference->has_value ? reference->value : kNaN;
    member.latest_year = latest->year;
    member.latest_share_pct = latest->has_value ? latest->value : 0.0;
    member.latest_kind = latest->kind;
    member.latest_press_rounded = latest->press_rounded;
  }
}

/// One yearly series file (iso2, year, `value_column`, source): a positive value for every member
/// in every year of the file's range, divided by `divisor` (GDP: 1e9, US$ to US$ bn), stored in
/// `(member.*series)`; `what` names the series in errors. Returns the range.
std::pair<int, int> read_member_series(const std::filesystem::path& path, const char* what,
                                       const char* value_column, double divisor,
                                       std::vector<double> MemberData::*series, AllianceData& data,
                                       const std::vector<int>& first_line,
                                       const std::string& members_file) {
  const CsvFile csv(path, display(path));
  const std::size_t c_iso = csv.column("iso2");
  const std::size_t c_year = csv.column("year");
  const std::size_t c_value = csv.column(value_column);
  (void)csv.column("source");

  struct SeriesRow {
    int line;
    int year;
    double value;
  };
  std::vector<std::vector<SeriesRow>> rows_of(data.size());
  int first_year = 1 << 30;
  int last_year = -(1 << 30);
  for (const CsvRow& row : csv.rows()) {
    const std::size_t index = member_of(csv, row, c_iso, data, members_file);
    const int year = csv.integer_in(row, c_year, 1949, 2200);
    for (const SeriesRow& other : rows_of[index]) {
      if (other.year == year) {
        csv.fail(row, c_year, "duplicate row for " + data.members[index].iso2, std::to_string(year),
                 fmt::format("one row per member and year (first on line {})", other.line));
      }
    }
    // A GDP of 0 would divide every share of GDP by zero; a debt of 0 is no country's.
    const double value = csv.positive(row, c_value);
    rows_of[index].push_back(SeriesRow{row.line, year, value});
    first_year = std::min(first_year, year);
    last_year = std::max(last_year, year);
  }

  for (std::size_t i = 0; i < data.size(); ++i) {
    MemberData& member = data.members[i];
    auto& rows = rows_of[i];
    if (rows.empty()) {
      throw sim::ConfigError(
          sim::SourcePosition{members_file, first_line[i], 0}, "iso2",
          fmt::format("member without {} in {}", what, csv.file()), in_quotes(member.iso2),
          fmt::format("rows for every year {}-{} of every member", first_year, last_year));
    }
    std::sort(rows.begin(), rows.end(),
              [](const SeriesRow& a, const SeriesRow& b) { return a.year < b.year; });
    std::vector<double>& values = member.*series;
    values.assign(static_cast<std::size_t>(last_year - first_year) + 1, kNaN);
    for (const SeriesRow& r : rows)
      values[static_cast<std::size_t>(r.year - first_year)] = r.value / divisor;
    for (int year = first_year; year <= last_year; ++year) {
      if (std::isnan(values[static_cast<std::size_t>(year - first_year)])) {
        // Point at the member's first row after the gap (or its last row).
        const SeriesRow* after = &rows.back();
        for (const SeriesRow& r : rows) {
          if (r.year > year) {
            after = &r;
            break;
          }
        }
        const CsvRow& at = *std::find_if(csv.rows().begin(), csv.rows().end(),
                                         [&](const CsvRow& r) { return r.line == after->line; });
        csv.fail(at, c_year, fmt::format("missing year {} for {}", year, member.iso2), "no row",
                 fmt::format("one row for every year {}-{}", first_year, last_year));
      }
    }
  }
  return {first_year, last_year};
}

void read_gdp(const DataFiles& files, AllianceData& data, const std::vector<int>& first_line,
              const std::string& members_file) {
  std::tie(data.gdp_first_year, data.gdp_last_year) =
      read_member_series(files.gdp, "GDP", "gdp_usd_current", 1e9, &MemberData::gdp_usd_bn, data,
                         first_line, members_file);
  const auto [first, last] =
      read_member_series(files.gdp_real, "GDP", "gdp_usd_constant_2015", 1e9,
                         &MemberData::gdp_real_usd_bn, data, first_line, members_file);
  // One range for both series: the trend window and the years history is an input are shared.
  if (first != data.gdp_first_year || last != data.gdp_last_year) {
    throw sim::ConfigError(sim::SourcePosition{display(files.gdp_real), 0, 0}, "year",
                           "years differ from the current-price GDP file",
                           fmt::format("{}-{}", first, last),
                           fmt::format("the years of {}: {}-{}", display(files.gdp),
                                       data.gdp_first_year, data.gdp_last_year));
  }
}

void read_geography(const DataFiles& files, AllianceData& data, const std::vector<int>& first_line,
                    const std::string& members_file) {
  const CsvFile csv(files.geography, display(files.geography));
  const std::size_t c_iso = csv.column("iso2");
  const std::size_t c_lat = csv.column("cap_lat");
  const std::size_t c_lon = csv.column("cap_lon");
  const std::size_t c_dist = csv.column("dist_capital_to_moscow_km");
  const std::size_t c_russia = csv.column("land_border_russia_mainland");
  const std::size_t c_kaliningrad = csv.column("land_border_kaliningrad");
  const std::size_t c_belarus = csv.column("land_border_belarus");
  const std::size_t c_frontline = csv.column("frontline_flag");
  const std::size_t c_troops = csv.column("us_troops_estimate");
  std::vector<int> seen(data.size(), 0);
  for (const CsvRow& row : csv.rows()) {
    const std::size_t index = member_of(csv, row, c_iso, data, members_file);
    if (seen[index] != 0) {
      csv.fail(row, c_iso, "duplicate row", in_quotes(data.members[index].iso2),
               fmt::format("one row per member (first on line {})", seen[index]));
    }
    seen[index] = row.line;
    MemberData& member = data.members[index];
    member.capital_lat_deg = csv.number_in(row, c_lat, -90.0, 90.0);
    member.capital_lon_deg = csv.number_in(row, c_lon, -180.0, 180.0);
    member.distance_to_moscow_km = csv.non_negative(row, c_dist);
    member.border_russia = csv.flag(row, c_russia);
    member.border_kaliningrad = csv.flag(row, c_kaliningrad);
    member.border_belarus = csv.flag(row, c_belarus);
    member.frontline = csv.flag(row, c_frontline);
    if (row.fields[c_troops].empty()) {
      member.us_troops_thousands = 0.0;
      member.us_troops_reported = false;
    } else {
      member.us_troops_thousands = csv.non_negative(row, c_troops) / 1000.0;
      member.us_troops_reported = true;
    }
  }
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (seen[i] == 0) {
      throw sim::ConfigError(sim::SourcePosition{members_file, first_line[i], 0}, "iso2",
                             "member without geography in " + csv.file(),
                             in_quotes(data.members[i].iso2), "one row for every member");
    }
  }
}

void read_contiguity(const DataFiles& files, AllianceData& data, const std::string& members_file) {
  const CsvFile csv(files.contiguity, display(files.contiguity));
  const std::size_t c_a = csv.column("iso2_a");
  const std::size_t c_b = csv.column("iso2_b");
  (void)csv.column("source");
  std::map<std::pair<std::size_t, std::size_t>, int> seen;
  for (const CsvRow& row : csv.rows()) {
    const std::size_t a = member_of(csv, row, c_a, data, members_file);
    const std::size_t b = member_of(csv, row, c_b, data, members_file);
    if (a == b)
      csv.fail(row, c_b, "a member bordering itself", in_quotes(row.fields[c_b]), "another member");
    const auto key = std::minmax(a, b);
    auto [it, inserted] = seen.emplace(key, row.line);
    if (!inserted) {
      csv.fail(row, c_b, "duplicate border", in_quotes(row.fields[c_a] + "-" + row.fields[c_b]),
               fmt::format("each pair once (first on line {})", it->second));
    }
    data.borders.emplace_back(key.first, key.second);
  }
}

}  // namespace

namespace {

constexpr double kEarthRadiusKm = 6371.0;
constexpr double kRadiansPerDegree = std::numbers::pi / 180.0;

/// great_circle_km with the cosines of both latitudes given. The same number whichever point
/// comes first: sin is odd and each term is squared, and the cosines' product commutes.
double haversine_km(double lat1_deg, double lon1_deg, double cos_lat1, double lat2_deg,
                    double lon2_deg, double cos_lat2) {
  const double dlat = (lat2_deg - lat1_deg) * kRadiansPerDegree;
  const double dlon = (lon2_deg - lon1_deg) * kRadiansPerDegree;
  const double a = std::sin(dlat / 2) * std::sin(dlat / 2) +
                   cos_lat1 * cos_lat2 * std::sin(dlon / 2) * std::sin(dlon / 2);
  return 2.0 * kEarthRadiusKm * std::asin(std::min(1.0, std::sqrt(a)));
}

/// Every pair of capitals' distance, each pair once and each latitude's cosine once.
std::vector<double> capital_distances_km(const std::vector<MemberData>& members) {
  const std::size_t n = members.size();
  std::vector<double> cos_lat(n);
  for (std::size_t i = 0; i < n; ++i) {
    cos_lat[i] = std::cos(members[i].capital_lat_deg * kRadiansPerDegree);
  }
  std::vector<double> km(n * n, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = i + 1; j < n; ++j) {
      const MemberData& a = members[i];
      const MemberData& b = members[j];
      km[i * n + j] = haversine_km(a.capital_lat_deg, a.capital_lon_deg, cos_lat[i],
                                   b.capital_lat_deg, b.capital_lon_deg, cos_lat[j]);
      km[j * n + i] = km[i * n + j];
    }
  }
  return km;
}

AllianceData read_alliance_data(const DataFiles& files) {
  AllianceData data;
  std::vector<int> first_line;
  read_defence_share(files, data, first_line);
  const std::string members_file = display(files.defence_share);
  read_gdp(files, data, first_line, members_file);
  std::tie(data.debt_first_year, data.debt_last_year) =
      read_member_series(files.gov_debt, "debt", "debt_pct_gdp", 1.0, &MemberData::gov_debt_pct,
                         data, first_line, members_file);
  read_geography(files, data, first_line, members_file);
  read_contiguity(files, data, members_file);
  auto patron = data.find(files.patron);
  if (!patron) {
    throw sim::ConfigError(sim::SourcePosition{members_file, 0, 0}, "iso2",
                           "the patron is not a member", in_quotes(files.patron),
                           "a row for the policy-setting patron");
  }
  data.patron = *patron;
  if (data.members[data.patron].exempt) {
    throw sim::ConfigError(sim::SourcePosition{members_file, first_line[data.patron], 0}, "iso2",
                           "the patron cannot be exempt", in_quotes(files.patron),
                           "a member with armed forces");
  }
  data.capital_km = capital_distances_km(data.members);
  return data;
}

/// What stat says of a file: which file it is, its size and when it last changed. No call sets
/// a file's change time (ctime), so its bytes cannot change and keep their stamp, unless two
/// changes fall within one tick of the file system's clock.
struct FileStamp {
  dev_t device = 0;
  ino_t inode = 0;
  off_t size = 0;
  std::int64_t modified_ns = 0;
  std::int64_t changed_ns = 0;

  bool operator==(const FileStamp&) const = default;
};

std::int64_t nanoseconds(const timespec& time) {
  return std::int64_t{time.tv_sec} * 1'000'000'000 + time.tv_nsec;
}

/// The six files' stamps, or none if one cannot be stat'ed or is not a regular file.
std::optional<std::vector<FileStamp>> stamps_of(const DataFiles& files) {
  std::vector<FileStamp> stamps;
  for (const std::filesystem::path* path : {&files.defence_share, &files.gdp, &files.gdp_real,
                                            &files.gov_debt, &files.geography, &files.contiguity}) {
    struct stat status {};
    if (::stat(path->c_str(), &status) != 0 || !S_ISREG(status.st_mode)) return std::nullopt;
    stamps.push_back(FileStamp{status.st_dev, status.st_ino, status.st_size,
                               nanoseconds(status.st_mtim), nanoseconds(status.st_ctim)});
  }
  return stamps;
}

/// A stamp this much older than the moment its file was read is settled: any later change of
/// the file lands in a later tick and changes the stamp. Two seconds: the coarsest tick of the
/// file systems in use (FAT).
constexpr std::int64_t kSettledNs = 2'000'000'000;

/// Data read before, and what it was read from: the files' names and their every byte, and the
/// files' stamps from just before the bytes were read.
struct ReadData {
  DataFiles files;
  std::vector<std::string> contents;
  std::vector<FileStamp> stamps;
  /// Whether every stamp was settled when the bytes were read: then the same stamps mean the
  /// same bytes, and the files need not be read again.
  bool settled = false;
  /// The epoch of frozen inputs (sim::config::FrozenInputs) in which the data were last read or
  /// found unchanged, or 0: while that epoch lasts they are not checked again.
  std::uint64_t trusted_epoch = 0;
  std::shared_ptr<const AllianceData> data;
};

std::vector<std::string> contents_of(const DataFiles& files) {
  std::vector<std::string> contents;
  for (const std::filesystem::path* path : {&files.defence_share, &files.gdp, &files.gdp_real,
                                            &files.gov_debt, &files.geography, &files.contiguity}) {
    contents.push_back(sim::config::read_input_file(*path, display(*path), "CSV file"));
  }
  return contents;
}

}  // namespace

std::shared_ptr<const AllianceData> load_alliance_data(const DataFiles& files) {
  // A calibration builds a model for every particle it tries, each from the same files, and
  // reading and parsing them was most of its time. Data read before is kept, and shared by every
  // model built from it, while the files are unchanged: known by their stamps once those are
  // settled (as git and make know a file unchanged), else by comparing every byte, so that an
  // edit within a stamp's tick is still seen. A file that cannot be read is left to the reading
  // below, which reports it as it always did; data that fails its checks is not kept.
  constexpr std::size_t kKept = 4;
  static std::mutex mutex;
  static std::vector<ReadData> kept;
  // While the inputs are frozen, data read or found unchanged in this freeze are used as they
  // are: no stamps, no system calls.
  const std::uint64_t epoch = sim::config::frozen_inputs_epoch();
  if (epoch != 0) {
    const std::lock_guard lock(mutex);
    for (const ReadData& read : kept) {
      if (read.trusted_epoch == epoch && read.files == files) return read.data;
    }
  }
  const std::int64_t now = nanoseconds([] {
    timespec time{};
    ::clock_gettime(CLOCK_REALTIME, &time);
    return time;
  }());
  const std::optional<std::vector<FileStamp>> stamps = stamps_of(files);
  std::shared_ptr<const AllianceData> found;
  if (stamps) {
    const std::lock_guard lock(mutex);
    for (ReadData& read : kept) {
      if (read.settled && read.files == files && read.stamps == *stamps) {
        found = read.data;
        read.trusted_epoch = epoch;
      }
    }
  }
  if (found) return found;
  std::vector<std::string> contents;
  try {
    contents = contents_of(files);
  } catch (const sim::ConfigError&) {
    return std::make_shared<const AllianceData>(read_alliance_data(files));
  }
  const bool settled =
      stamps && std::all_of(stamps->begin(), stamps->end(), [&](const auto& s) {
        return s.changed_ns <= now - kSettledNs && s.modified_ns <= now - kSettledNs;
      });
  {
    const std::lock_guard lock(mutex);
    for (ReadData& read : kept) {
      if (read.files == files && read.contents == contents) {
        found = read.data;
        // The bytes are the ones kept: from now on their stamps tell it, once settled.
        read.stamps = stamps.value_or(std::vector<FileStamp>{});
        read.settled = settled;
        read.trusted_epoch = epoch;
      }
    }
  }
  if (found) return found;
  auto data = std::make_shared<const AllianceData>(read_alliance_data(files));
  const std::lock_guard lock(mutex);
  if (kept.size() == kKept) kept.erase(kept.begin());
  kept.push_back(ReadData{files, std::move(contents), stamps.value_or(std::vector<FileStamp>{}),
                          settled, epoch, data});
  return data;
}

std::shared_ptr<const AllianceData> parse_alliance_data(sim::config::Table& table) {
  DataFiles files;
  files.defence_share = table.existing_file("defence_share");
  files.gdp = table.existing_file("gdp");
  files.gdp_real = table.existing_file("gdp_real");
  files.gov_debt = table.existing_file("gov_debt");
  files.geography = table.existing_file("geography");
  files.contiguity = table.existing_file("contiguity");
  files.exempt = table.has("exempt") ? table.strings("exempt")
                                     : (table.node("exempt"), std::vector<std::string>{"IS"});
  files.reference_year = static_cast<int>(table.integer_or("reference_year", 2014, 1949, 2200));
  files.patron = table.string_or("patron", "US");
  std::shared_ptr<const AllianceData> data = load_alliance_data(files);
  for (const std::string& code : files.exempt) {
    if (!data->find(code)) {
      table.fail("exempt", "unknown ISO code", in_quotes(code),
                 "a member listed in defence_share.csv");
    }
  }
  return data;
}

double great_circle_km(double lat1_deg, double lon1_deg, double lat2_deg, double lon2_deg) {
  return haversine_km(lat1_deg, lon1_deg, std::cos(lat1_deg * kRadiansPerDegree), lat2_deg,
                      lon2_deg, std::cos(lat2_deg * kRadiansPerDegree));
}

}  // namespace models
