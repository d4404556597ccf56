#include "sim/core/page_arena.h"

#include <cstdint>
#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace sim {

namespace {

constexpr std::size_t kHugePage = std::size_t{2} << 20;

/// Whole base pages: the buffer starts on a huge page, and its tail past the last whole huge
/// page is ordinary pages (no memory is taken for a rounded-up huge page).
std::size_t whole_pages(std::size_t bytes) {
  constexpr std::size_t kPage = 4096;
  return (bytes + kPage - 1) / kPage * kPage;
}

std::size_t size_class(std::size_t bytes) {
  return (bytes + PageArena::kGranule - 1) / PageArena::kGranule;
}

}  // namespace

void* map_huge_buffer(std::size_t bytes) {
  const std::size_t size = whole_pages(bytes);
#if defined(__linux__)
  // Map a huge page more than needed and unmap the ends, so that the buffer starts on a huge
  // page boundary (only aligned 2 MiB ranges can be huge pages).
  const std::size_t mapped = size + kHugePage;
  void* start = mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (start == MAP_FAILED) throw std::bad_alloc();
  const std::size_t head =
      (kHugePage - reinterpret_cast<std::uintptr_t>(start) % kHugePage) % kHugePage;
  const std::size_t tail = mapped - head - size;
  char* buffer = static_cast<char*>(start) + head;
  if (head > 0) munmap(start, head);
  if (tail > 0) munmap(buffer + size, tail);
  // Advice only: without huge pages (disabled, or none free) the buffer is ordinary memory.
  madvise(buffer, size, MADV_HUGEPAGE);
  return buffer;
#else
  return ::operator new (size, std::align_val_t{kHugePage});
#endif
}

void release_huge_buffer(void* buffer, std::size_t bytes) noexcept {
#if defined(__linux__)
  munmap(buffer, whole_pages(bytes));
#else
  ::operator delete (buffer, std::align_val_t{kHugePage});
#endif
}

PageArena::~PageArena() {
  for (void* region : regions_) release_huge_buffer(region, kRegionBytes);
}

void* PageArena::do_allocate(std::size_t bytes, std::size_t alignment) {
  if (!shared_) return allocate_unlocked(bytes, alignment);
  const std::scoped_lock hold(lock_);
  return allocate_unlocked(bytes, alignment);
}

void PageArena::do_deallocate(void* block, std::size_t bytes, std::size_t alignment) {
  if (!shared_) {
    deallocate_unlocked(block, bytes, alignment);
    return;
  }
  const std::scoped_lock hold(lock_);
  deallocate_unlocked(block, bytes, alignment);
}

void* PageArena::allocate_unlocked(std::size_t bytes, std::size_t alignment) {
  if (bytes > kLargestBlock || alignment > kGranule) {
    return std::pmr::get_default_resource()->allocate(bytes, alignment);
  }
  const std::size_t blocks = bytes == 0 ? 1 : size_class(bytes);
  FreeBlock*& reused = free_[blocks - 1];
  if (reused != nullptr) {
    FreeBlock* block = reused;
    reused = block->next;
    return block;
  }
  const std::size_t size = blocks * kGranule;
  if (next_ == nullptr || static_cast<std::size_t>(end_ - next_) < size) {
    // The rest of the current region (less than a block) is left unused.
    regions_.reserve(regions_.size() + 1);
    auto* region = static_cast<char*>(map_huge_buffer(kRegionBytes));
    regions_.push_back(region);
    next_ = region;
    end_ = region + kRegionBytes;
  }
  void* block = next_;
  next_ += size;
  return block;
}

void PageArena::deallocate_unlocked(void* block, std::size_t bytes, std::size_t alignment) {
  if (bytes > kLargestBlock || alignment > kGranule) {
    std::pmr::get_default_resource()->deallocate(block, bytes, alignment);
    return;
  }
  const std::size_t blocks = bytes == 0 ? 1 : size_class(bytes);
  free_[blocks - 1] = new (block) FreeBlock{free_[blocks - 1]};
}

}  // namespace sim
