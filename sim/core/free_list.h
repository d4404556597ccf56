#pragma once

#include <cstddef>
#include <mutex>
#include <vector>

namespace sim {

/// Buffers not in use, owned elsewhere, for several threads. The last one returned is the next
/// taken, so that a spare's memory is touched only when those in use cannot go on without it
/// (a fresh page costs kernel time on the machines we measure on), and what is taken again is
/// the most likely still in cache.
template <typename T>
class FreeList {
 public:
  /// Room for `capacity` buffers, so that returning up to that many never allocates (a buffer
  /// is returned from a destructor).
  explicit FreeList(std::size_t capacity) { free_.reserve(capacity); }
  void push(T* buffer) {
    const std::lock_guard lock(mutex_);
    free_.push_back(buffer);
  }
  /// The last buffer returned; null when none is free.
  T* pop() {
    const std::lock_guard lock(mutex_);
    if (free_.empty()) return nullptr;
    T* buffer = free_.back();
    free_.pop_back();
    return buffer;
  }

  /// Returns `buffer` to the list when it goes out of scope, whatever happens meanwhile, so
  /// that no buffer is lost when the work using it throws.
  class Returning {
   public:
    Returning(FreeList& list, T* buffer) : list_(list), buffer_(buffer) {}
    Returning(const Returning&) = delete;
    Returning& operator=(const Returning&) = delete;
    ~Returning() { list_.push(buffer_); }

   private:
    FreeList& list_;
    T* buffer_;
  };

 private:
  std::mutex mutex_;
  std::vector<T*> free_;
};

}  // namespace sim
