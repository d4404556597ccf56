// One libFuzzer target; NATOSIM_FUZZ_ENTRY (set by tests/fuzz/CMakeLists.txt) names its entry.
#include "tests/fuzz/fuzz_entries.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return fuzz::NATOSIM_FUZZ_ENTRY(data, size);
}
