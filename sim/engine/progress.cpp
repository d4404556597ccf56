#include "sim/engine/progress.h"

#include <unistd.h>

#include <string>

namespace sim {

ProgressBar::ProgressBar(std::FILE* stream, bool enabled)
    : stream_(stream),
      active_(enabled && isatty(fileno(stream)) != 0),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

ProgressBar::~ProgressBar() { finish(); }

void ProgressBar::update(std::int64_t done, std::int64_t total) {
  if (!active_ || total <= 0) return;
  const auto now = std::chrono::steady_clock::now();
  if (done < total && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  const double fraction = static_cast<double>(done) / static_cast<double>(total);
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double remaining = fraction > 0 ? elapsed * (1.0 - fraction) / fraction : 0.0;
  constexpr int kWidth = 30;
  const int filled = static_cast<int>(fraction * kWidth);
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.append(static_cast<std::size_t>(kWidth - filled), '.');
  std::fprintf(stream_, "\r[%s] %5.1f%%  %lld/%lld runs  elapsed %.0fs  ETA %.0fs   ", bar.c_str(),
               100.0 * fraction, static_cast<long long>(done), static_cast<long long>(total),
               elapsed, remaining);
  std::fflush(stream_);
  drawn_ = true;
}

void ProgressBar::finish() {
  if (!drawn_) return;
  std::fprintf(stream_, "\r%80s\r", "");
  std::fflush(stream_);
  drawn_ = false;
}

}  // namespace sim
