// Replays inputs through a fuzz entry without libFuzzer, so that the crash inputs kept under
// tests/fuzz/regressions/ run as ctest tests in every build:
//   natosim_fuzz_replay TARGET PATH...   (TARGET: config, data_csv or sweep_points)
// A PATH is a file or a folder (its files, in name order; names starting with '.' are skipped).
// Exits 0 when every input was refused cleanly or accepted; a crash ends the process.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "tests/fuzz/fuzz_entries.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: natosim_fuzz_replay config|data_csv|sweep_points PATH...\n";
    return 2;
  }
  const fuzz::Entry entry = fuzz::find_entry(argv[1]);
  if (entry == nullptr) {
    std::cerr << "natosim_fuzz_replay: unknown target '" << argv[1] << "'\n";
    return 2;
  }
  std::vector<std::filesystem::path> inputs;
  for (int i = 2; i < argc; ++i) {
    const std::filesystem::path path = argv[i];
    if (std::filesystem::is_directory(path)) {
      std::vector<std::filesystem::path> files;
      for (const auto& item : std::filesystem::directory_iterator(path)) {
        if (item.is_regular_file() && !item.path().filename().string().starts_with('.')) {
          files.push_back(item.path());
        }
      }
      std::sort(files.begin(), files.end());
      inputs.insert(inputs.end(), files.begin(), files.end());
    } else if (std::filesystem::is_regular_file(path)) {
      inputs.push_back(path);
    } else {
      std::cerr << "natosim_fuzz_replay: no such file or folder: " << path.string() << "\n";
      return 2;
    }
  }
  for (const std::filesystem::path& input : inputs) {
    std::ifstream stream(input, std::ios::binary);
    const std::vector<char> bytes((std::istreambuf_iterator<char>(stream)),
                                  std::istreambuf_iterator<char>());
    std::cout << "replaying " << input.string() << " (" << bytes.size() << " bytes)" << std::endl;
    entry(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  }
  std::cout << argv[1] << ": " << inputs.size() << " inputs replayed, no crash\n";
  return 0;
}
