#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>

namespace sim {

/// A one-line progress bar with ETA on a terminal stream; silent when the stream is not a
/// terminal or when disabled.
class ProgressBar {
 public:
  ProgressBar(std::FILE* stream, bool enabled);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  /// Redraws at most ten times a second, and always at completion.
  void update(std::int64_t done, std::int64_t total);
  /// Clears the line (called automatically on destruction).
  void finish();
  bool active() const { return active_; }

 private:
  std::FILE* stream_;
  bool active_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace sim
