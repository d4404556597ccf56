#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <memory_resource>
#include <mutex>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

namespace sim {

/// Memory for one large buffer (at least kHugeBufferBytes): aligned to a huge page and advised
/// to be backed by transparent huge pages where the system offers them (Linux), so that each
/// whole 2 MiB of it is one page; the tail is ordinary pages. Zeroed.
/// Throws std::bad_alloc. Release with release_huge_buffer(buffer, bytes), the same bytes.
void* map_huge_buffer(std::size_t bytes);
void release_huge_buffer(void* buffer, std::size_t bytes) noexcept;

/// One mapping from map_huge_buffer, owned: move-only, empty by default, zeroed when made.
/// For a buffer laid out by hand (several arrays in one mapping), so that all of them share its
/// huge pages.
class HugeBuffer {
 public:
  HugeBuffer() = default;
  explicit HugeBuffer(std::size_t bytes)
      : data_(bytes > 0 ? static_cast<std::byte*>(map_huge_buffer(bytes)) : nullptr),
        bytes_(bytes > 0 ? bytes : 0) {}
  HugeBuffer(HugeBuffer&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}
  HugeBuffer& operator=(HugeBuffer&& other) noexcept {
    HugeBuffer old(std::move(*this));
    swap(other);
    return *this;
  }
  HugeBuffer(const HugeBuffer&) = delete;
  HugeBuffer& operator=(const HugeBuffer&) = delete;
  ~HugeBuffer() {
    if (data_ != nullptr) release_huge_buffer(data_, bytes_);
  }
  void swap(HugeBuffer& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(bytes_, other.bytes_);
  }
  std::byte* data() const { return data_; }
  std::size_t size() const { return bytes_; }

 private:
  std::byte* data_ = nullptr;
  std::size_t bytes_ = 0;
};

/// Buffers from this size up come from map_huge_buffer in HugePageAllocator.
inline constexpr std::size_t kHugeBufferBytes = std::size_t{4} << 20;

/// A stateless allocator for the runner's large, reused buffers: requests of kHugeBufferBytes
/// or more are aligned huge pages (see PageArena for why), smaller ones come from operator new.
/// For the alliance model only a block's raw values (4.7 MB) are that large. All instances are
/// equal, so containers using it swap and move their buffers freely.
template <typename T>
struct HugePageAllocator {
  using value_type = T;
  HugePageAllocator() = default;
  template <typename U>
  HugePageAllocator(const HugePageAllocator<U>& /*other*/) {
  }  // NOLINT(google-explicit-constructor)
  T* allocate(std::size_t n) {
    const std::size_t bytes = n * sizeof(T);
    if (bytes >= kHugeBufferBytes) return static_cast<T*>(map_huge_buffer(bytes));
    return std::allocator<T>{}.allocate(n);
  }
  void deallocate(T* buffer, std::size_t n) noexcept {
    const std::size_t bytes = n * sizeof(T);
    if (bytes >= kHugeBufferBytes) {
      release_huge_buffer(buffer, bytes);
    } else {
      std::allocator<T>{}.deallocate(buffer, n);
    }
  }
  /// Default construction leaves a value as the memory holds it (zero in a fresh mapping, unset
  /// from operator new), as `new T[n]` would. The runner's blocks are written in full by each
  /// run before they are read, and resizing the reference's block with zeros touched all 4.7 MB
  /// of it on one thread before a study's first runs could start (2 ms of a 2-thread baseline
  /// study here); now its pages are first touched by the runs that write them, side by side.
  template <typename U>
  void construct(U* at) noexcept(std::is_nothrow_default_constructible_v<U>) {
    ::new (static_cast<void*>(at)) U;
  }
  template <typename U, typename... Args>
  void construct(U* at, Args&&... args) {
    ::new (static_cast<void*>(at)) U(std::forward<Args>(args)...);
  }
  template <typename U>
  bool operator==(const HugePageAllocator<U>& /*other*/) const {
    return true;
  }
};

/// A vector whose large buffers are huge pages.
template <typename T>
using HugeVector = std::vector<T, HugePageAllocator<T>>;

/// A memory resource for many small allocations of one owner, on one thread at a time unless
/// shared (the runner's quantile sketches: one growing window of counts per cell and scenario,
/// some tens of megabytes a study). It carves blocks from regions of transparent huge pages where
/// the system offers them (Linux, madvise), and reuses a freed block for the next request of its
/// size class.
///
/// Why: on the virtual machines we measure on, the first touch of a 4 KiB page costs 10-20 us of
/// kernel time, and a study touches its sketches' memory (about 20 MB a scenario) once, page by
/// page. A 2 MiB page is one fault: on policies the arena cut `natosim run`'s CPU time from
/// 2.91 to 2.59 s (4 December 2026).
///
/// Requests above kLargestBlock go to the default resource (and back to it when freed).
/// Everything is returned to the system when the arena is destroyed: it must outlive every
/// container that allocates from it.
class PageArena final : public std::pmr::memory_resource {
 public:
  /// Blocks are multiples of a cache line, which also satisfies every fundamental alignment.
  static constexpr std::size_t kGranule = 64;
  static constexpr std::size_t kLargestBlock = std::size_t{64} * 1024;
  /// Regions are taken from the system this many bytes at a time (whole huge pages).
  static constexpr std::size_t kRegionBytes = std::size_t{4} << 20;

  PageArena() = default;
  PageArena(const PageArena&) = delete;
  PageArena& operator=(const PageArena&) = delete;
  ~PageArena() override;

  /// Bytes of regions taken from the system so far.
  std::size_t reserved_bytes() const { return regions_.size() * kRegionBytes; }
  /// While shared, allocations and deallocations take a lock, so that several threads may use
  /// the arena at once (the runner's last fold, scenarios side by side); otherwise they take
  /// none. Set it only while no other thread uses the arena.
  void set_shared(bool shared) { shared_ = shared; }
  bool shared() const { return shared_; }

 private:
  struct FreeBlock {
    FreeBlock* next;
  };
  void* do_allocate(std::size_t bytes, std::size_t alignment) override;
  void do_deallocate(void* block, std::size_t bytes, std::size_t alignment) override;
  void* allocate_unlocked(std::size_t bytes, std::size_t alignment);
  void deallocate_unlocked(void* block, std::size_t bytes, std::size_t alignment);
  bool do_is_equal(const std::pmr::memory_resource& other) const noexcept override {
    return this == &other;
  }

  std::vector<void*> regions_;
  char* next_ = nullptr;
  char* end_ = nullptr;
  /// Freed blocks per size class (class k holds blocks of (k + 1) * kGranule bytes).
  std::array<FreeBlock*, kLargestBlock / kGranule> free_{};
  bool shared_ = false;
  std::mutex lock_;
};

}  // namespace sim
