#include <catch2/catch.hpp>
#include <cstdlib>
#include <thread>

#include "sim/core/heap.h"

namespace {

/// Heaps after a new thread has allocated (and freed) a block past its own cache.
int heaps_after_a_new_thread_allocates() {
  std::thread thread([] {
    // Above the per-thread cache's sizes, below the size glibc maps on its own.
    void* volatile block = std::malloc(std::size_t{64} << 10);
    std::free(block);
  });
  thread.join();
  return sim::heap_count();
}

}  // namespace

TEST_CASE("With one heap, a new thread's allocations make no heap of their own", "[heap]") {
  const int before = sim::heap_count();
  if (before == 0) {
    WARN("not checked: the C library does not report its heaps");
    return;
  }
  // Without use_one_heap, glibc gives the thread a heap of its own (until it has 8 per core).
  sim::use_one_heap();
  CHECK(heaps_after_a_new_thread_allocates() == before);
  CHECK(heaps_after_a_new_thread_allocates() == before);
}
