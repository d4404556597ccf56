#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <stdexcept>
#include <thread>
#include <vector>

#include "sim/core/free_list.h"

TEST_CASE("A free list gives back the buffer last returned, and null when none is free",
          "[free_list]") {
  std::array<int, 3> buffers{};
  sim::FreeList<int> free(buffers.size());
  CHECK(free.pop() == nullptr);
  for (int& buffer : buffers) free.push(&buffer);
  CHECK(free.pop() == &buffers[2]);
  free.push(&buffers[2]);
  // The one just returned again, not the oldest: a spare stays untouched.
  CHECK(free.pop() == &buffers[2]);
  CHECK(free.pop() == &buffers[1]);
  free.push(&buffers[1]);
  CHECK(free.pop() == &buffers[1]);
  CHECK(free.pop() == &buffers[0]);
  CHECK(free.pop() == nullptr);
}

TEST_CASE("A buffer taken with a returning guard comes back, also when its work throws",
          "[free_list]") {
  int buffer = 0;
  sim::FreeList<int> free(1);
  {
    const sim::FreeList<int>::Returning returning(free, &buffer);
    CHECK(free.pop() == nullptr);
  }
  CHECK(free.pop() == &buffer);
  CHECK_THROWS_AS(
      [&] {
        const sim::FreeList<int>::Returning returning(free, &buffer);
        throw std::runtime_error("the work failed");
      }(),
      std::runtime_error);
  CHECK(free.pop() == &buffer);
  CHECK(free.pop() == nullptr);
}

TEST_CASE("A free list shared by threads loses and duplicates no buffer", "[.][race]") {
  constexpr int kBuffers = 4;
  constexpr int kRounds = 20000;
  std::array<int, kBuffers> buffers{};
  sim::FreeList<int> free(kBuffers);
  for (int& buffer : buffers) free.push(&buffer);
  // Each thread takes a buffer, marks it as its own, checks nobody else holds it, returns it.
  const auto work = [&](int id) {
    for (int round = 0; round < kRounds; ++round) {
      int* buffer = free.pop();
      if (buffer == nullptr) continue;
      *buffer = id;
      std::this_thread::yield();
      if (*buffer != id) throw std::logic_error("two threads hold one buffer");
      *buffer = 0;
      free.push(buffer);
    }
  };
  std::thread other(work, 2);
  CHECK_NOTHROW(work(1));
  other.join();
  std::vector<int*> left;
  while (int* buffer = free.pop()) left.push_back(buffer);
  std::sort(left.begin(), left.end());
  CHECK(left.size() == kBuffers);
  CHECK(std::adjacent_find(left.begin(), left.end()) == left.end());
}
