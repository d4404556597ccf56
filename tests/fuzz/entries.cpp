#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <toml++/toml.h>

#include "models/common/csv.h"
#include "models/common/schedule.h"
#include "models/data/alliance_data.h"
#include "sim/app/sensitivity.h"
#include "sim/config/calibration.h"
#include "sim/config/study.h"
#include "sim/config/sweep.h"
#include "sim/config/toml_reader.h"
#include "sim/core/error.h"
#include "sim/engine/model.h"
#include "tests/fuzz/fuzz_entries.h"

namespace fuzz {

namespace {

/// Design points at most this many are built into models: building is what validate does, but
/// a model per point of a large design would spend the fuzzing time on the model, not the reader.
constexpr std::size_t kMaxBuiltPoints = 4;

const std::filesystem::path& configs_dir() {
  static const std::filesystem::path dir = std::filesystem::path(NATOSIM_SOURCE_DIR) / "configs";
  return dir;
}

const sim::ModelRegistry& registry() {
  static const sim::ModelRegistry built = [] {
    sim::ModelRegistry registry;
    sim::register_builtin_models(registry);
    return registry;
  }();
  return built;
}

/// Writes the bytes to `name` in a folder of this process's own (readers that take a path).
std::filesystem::path write_temp(std::string_view name, const std::uint8_t* data,
                                 std::size_t size) {
  static const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("natosim_fuzz_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::filesystem::path file = dir / name;
  std::ofstream(file, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return file;
}

/// Runs `body`; the documented input errors are clean refusals, anything else escapes.
template <typename Body>
void refusals_allowed(Body&& body) {
  try {
    body();
  } catch (const sim::ConfigError&) {
  } catch (const sim::OutputError&) {
  }
}

void validate_study(const sim::StudySpec& study) {
  const std::vector<sim::BuiltScenario> built = sim::build_scenarios(study, registry());
  if (study.has_sweep) {
    const sim::SweepSpec sweep = sim::read_sweep(study);
    if (sweep.points.size() <= kMaxBuiltPoints) sim::build_design_points(study, sweep, registry());
  }
  sim::app::check_sensitivity(study, registry());
  if (study.has_calibration) sim::read_calibration(study, registry());
}

void split_csv(std::string_view text) {
  const models::CsvFile csv = models::CsvFile::from_text(text, "fuzz.csv");
  if (!csv.header().empty()) csv.column(csv.header().front());
  for (const models::CsvRow& row : csv.rows()) {
    for (std::size_t column = 0; column < row.fields.size(); ++column) {
      refusals_allowed([&] { csv.non_negative(row, column); });
      refusals_allowed([&] { csv.number_in(row, column, -1e9, 1e9); });
      refusals_allowed([&] { csv.integer_in(row, column, 1900, 2200); });
      refusals_allowed([&] { csv.flag(row, column); });
    }
  }
}

void load_data(int replaced, const std::filesystem::path& file) {
  const std::filesystem::path data = configs_dir() / "data";
  models::DataFiles files;
  files.defence_share = replaced == 1 ? file : data / "defence_share.csv";
  files.gdp = replaced == 2 ? file : data / "gdp_usd.csv";
  files.gdp_real = replaced == 5 ? file : data / "gdp_real.csv";
  files.gov_debt = replaced == 6 ? file : data / "gov_debt.csv";
  files.geography = replaced == 3 ? file : data / "geography.csv";
  files.contiguity = replaced == 4 ? file : data / "contiguity.csv";
  files.exempt = {"IS"};
  models::load_alliance_data(files);
}

void read_schedule(const std::filesystem::path& file) {
  toml::table table;
  table.insert("us_troops_in_europe", file.string());
  auto origin = std::make_shared<const sim::config::Origin>(
      sim::config::Origin{"fuzz.toml", configs_dir(), nullptr});
  sim::config::Table view(table, "model.policy", origin);
  models::parse_schedule(view, "us_troops_in_europe", sim::config::Range::non_negative());
}

}  // namespace

int config_entry(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  refusals_allowed(
      [&] { validate_study(sim::read_study_text(text, "fuzz.toml", configs_dir(), registry())); });
  return 0;
}

int data_csv_entry(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const int reader = data[0] % 7;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  refusals_allowed([&] {
    if (reader == 0) {
      split_csv(text);
    } else {
      const std::filesystem::path file = write_temp("data.csv", data + 1, size - 1);
      if (reader == 5) {
        read_schedule(file);
      } else {
        load_data(reader, file);
      }
    }
  });
  return 0;
}

int sweep_points_entry(const std::uint8_t* data, std::size_t size) {
  const std::filesystem::path file = write_temp("points.csv", data, size);
  // One study for every input: the points file's path does not change between inputs.
  static const sim::StudySpec study = sim::read_study_text(
      "[study]\nname = \"fuzz_points\"\nmodel = \"alliance\"\nextends = \"baseline.toml\"\n"
      "replicates = 10\n\n[model.policy]\nconditional_article5 = true\n\n"
      "[[scenario]]\nname = \"conditional\"\n\n[sweep]\ndesign = \"points\"\nfile = '" +
          file.string() + "'\n",
      "fuzz_points.toml", configs_dir(), registry());
  refusals_allowed([&] {
    const sim::SweepSpec sweep = sim::read_sweep(study);
    if (sweep.points.size() <= kMaxBuiltPoints) sim::build_design_points(study, sweep, registry());
  });
  return 0;
}

Entry find_entry(std::string_view name) {
  if (name == "config") return config_entry;
  if (name == "data_csv") return data_csv_entry;
  if (name == "sweep_points") return sweep_points_entry;
  return nullptr;
}

}  // namespace fuzz
