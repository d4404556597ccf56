#pragma once

#include <filesystem>
#include <string>

namespace sim::io {

/// A summary of a results file for `natosim info`: readable text, or (json = true) one JSON
/// object with the same content. Reads metadata only. Throws OutputError like read_results.
std::string describe_results(const std::filesystem::path& file, bool json);

}  // namespace sim::io
