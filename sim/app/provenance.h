#pragma once

#include <map>
#include <string>

namespace sim::app {

/// The current time as "YYYY-MM-DDTHH:MM:SSZ".
std::string utc_now();

/// "Eigen X.Y.Z; oneTBB ...; HDF5 X.Y.Z": the libraries natosim was built with.
std::string library_versions();

/// What `natosim --version` prints: version, commit, build type, compiler, then the libraries.
std::string version_text();

/// What every file natosim writes records about the tool and the invocation: natosim_version,
/// git_commit, build_type, compiler, library_versions, created_utc and command_line.
std::map<std::string, std::string> tool_provenance(const std::string& command_line);

}  // namespace sim::app
