#include "sim/core/heap.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace sim {

void use_one_heap() {
#if defined(__GLIBC__)
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (tunables != nullptr &&
      std::string_view(tunables).find("glibc.malloc.arena_max") != std::string_view::npos) {
    return;
  }
  mallopt(M_ARENA_MAX, 1);
#endif
}

int heap_count() {
#if defined(__GLIBC__)
  // malloc_info writes one <heap nr="..."> element per arena.
  char* text = nullptr;
  std::size_t size = 0;
  std::FILE* out = open_memstream(&text, &size);
  if (out == nullptr) return 0;
  const bool written = malloc_info(0, out) == 0;
  std::fclose(out);
  int heaps = 0;
  if (written) {
    for (const char* at = text; (at = std::strstr(at, "<heap nr=")) != nullptr; ++at) ++heaps;
  }
  std::free(text);
  return heaps;
#else
  return 0;
#endif
}

}  // namespace sim
