#include "sim/app/provenance.h"

#include <chrono>
#include <ctime>

#include <fmt/format.h>
#include <tbb/version.h>
#include <toml++/toml.h>
#include <CLI/CLI.hpp>
#include <Eigen/Core>

#include "sim/core/build_info.h"
#include "sim/io/results_writer.h"

namespace sim::app {

std::string utc_now() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

std::string library_versions() {
  return fmt::format("Eigen {}.{}.{}; oneTBB {}; toml++ {}.{}.{}; fmt {}.{}.{}; CLI11 {}; HDF5 {}",
                     EIGEN_WORLD_VERSION, EIGEN_MAJOR_VERSION, EIGEN_MINOR_VERSION,
                     TBB_VERSION_STRING, TOML_LIB_MAJOR, TOML_LIB_MINOR, TOML_LIB_PATCH,
                     FMT_VERSION / 10000, FMT_VERSION / 100 % 100, FMT_VERSION % 100, CLI11_VERSION,
                     io::hdf5_library_version());
}

std::string version_text() {
  return fmt::format("natosim {} (commit {}, {} build, {})\n{}", build_info::version,
                     build_info::git_commit, build_info::build_type, build_info::compiler,
                     library_versions());
}

std::map<std::string, std::string> tool_provenance(const std::string& command_line) {
  return {{"natosim_version", build_info::version},
          {"git_commit", build_info::git_commit},
          {"build_type", build_info::build_type},
          {"compiler", build_info::compiler},
          {"library_versions", library_versions()},
          {"created_utc", utc_now()},
          {"command_line", command_line}};
}

}  // namespace sim::app
