#include <catch2/catch.hpp>
#include <cstdlib>
#include <latch>
#include <thread>
#include <vector>

#include "sim/core/heap.h"

TEST_CASE("A thread's new heap grows a few huge pages at a time", "[heap]") {
  if (sim::heap_sizes().empty()) {
    WARN("not checked: the allocator is not glibc's (another C library, or a sanitizer's)");
    return;
  }
  sim::grow_heaps_in_huge_pages();
  // More threads at once than there are heaps, so that at least one of them makes a new heap
  // (a thread reuses a heap that no living thread holds).
  const std::size_t threads = sim::heap_sizes().size() + 1;
  std::latch allocated(static_cast<std::ptrdiff_t>(threads));
  std::latch measured(1);
  std::vector<std::thread> running;
  for (std::size_t t = 0; t < threads; ++t) {
    running.emplace_back([&] {
      // Above the per-thread cache's sizes, below the size glibc maps on its own.
      void* volatile block = std::malloc(std::size_t{64} << 10);
      allocated.count_down();
      measured.wait();
      std::free(block);
    });
  }
  allocated.wait();
  const std::vector<std::size_t> sizes = sim::heap_sizes();
  measured.count_down();
  for (std::thread& thread : running) thread.join();
  REQUIRE(sizes.size() >= 2);
  // The newest heap: by default a thread's heap starts at 132 KiB for this block.
  CHECK(sizes[1] >= sim::kHeapGrowthBytes);
}
