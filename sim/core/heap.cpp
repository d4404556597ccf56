#include "sim/core/heap.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

// glibc's allocator, unless a sanitizer has put its own in place (whose heaps glibc's calls
// neither set nor report).
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define NATOSIM_SANITIZER_MALLOC 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define NATOSIM_SANITIZER_MALLOC 1
#endif
#if defined(__GLIBC__) && !defined(NATOSIM_SANITIZER_MALLOC)
#define NATOSIM_GLIBC_MALLOC 1
#include <malloc.h>
#else
#define NATOSIM_GLIBC_MALLOC 0
#endif

namespace sim {

void grow_heaps_in_huge_pages() {
#if NATOSIM_GLIBC_MALLOC
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  const auto chosen = [&](std::string_view name) {
    return tunables != nullptr && std::string_view(tunables).find(name) != std::string_view::npos;
  };
  if (chosen("glibc.malloc.top_pad") || chosen("glibc.malloc.mmap_threshold")) return;
  // Setting either fixes glibc's otherwise adaptive mmap threshold at its default (128 KiB),
  // so that every larger block would be a fresh mapping of 4 KiB pages: both are set, and
  // blocks below kHugeBufferBytes (what the engine maps as huge pages itself) come from the
  // heaps.
  mallopt(M_TOP_PAD, static_cast<int>(kHeapGrowthBytes));
  mallopt(M_MMAP_THRESHOLD, static_cast<int>(kHeapGrowthBytes));
#endif
}

std::vector<std::size_t> heap_sizes() {
  std::vector<std::size_t> sizes;
#if NATOSIM_GLIBC_MALLOC
  // malloc_info writes a <heap nr="..."> element per arena, each with a line
  // <system type="current" size="..."/>.
  char* text = nullptr;
  std::size_t length = 0;
  std::FILE* out = open_memstream(&text, &length);
  if (out == nullptr) return sizes;
  const bool written = malloc_info(0, out) == 0;
  std::fclose(out);
  if (written) {
    constexpr std::string_view kHeap = "<heap nr=";
    constexpr std::string_view kCurrent = "<system type=\"current\" size=\"";
    for (const char* heap = std::strstr(text, kHeap.data()); heap != nullptr;) {
      const char* next = std::strstr(heap + 1, kHeap.data());
      const char* current = std::strstr(heap, kCurrent.data());
      if (current != nullptr && (next == nullptr || current < next)) {
        sizes.push_back(std::strtoull(current + kCurrent.size(), nullptr, 10));
      }
      heap = next;
    }
  }
  std::free(text);
#endif
  return sizes;
}

}  // namespace sim
