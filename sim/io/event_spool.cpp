#include "sim/io/event_spool.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "sim/core/error.h"

namespace sim::io {
namespace {

[[noreturn]] void fail(const std::filesystem::path& folder, const std::string& problem, int error) {
  throw OutputError(folder.string() + ": " + problem + ": " + std::strerror(error));
}

}  // namespace

EventSpool::EventSpool(const std::filesystem::path& folder, std::size_t columns)
    : folder_(folder.empty() ? std::filesystem::path(".") : folder), columns_(columns) {
  // O_TMPFILE: an inode without a name; where the file system lacks it, a named file that is
  // unlinked at once.
  descriptor_ = ::open(folder_.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (descriptor_ < 0) {
    std::string name = (folder_ / ".natosim-events-XXXXXX").string();
    descriptor_ = ::mkostemp(name.data(), O_CLOEXEC);
    if (descriptor_ < 0) fail(folder_, "cannot create a temporary file for the events", errno);
    ::unlink(name.c_str());
  }
}

EventSpool::EventSpool(EventSpool&& other) noexcept
    : folder_(std::move(other.folder_)),
      descriptor_(other.descriptor_),
      columns_(other.columns_),
      size_(other.size_),
      rows_(other.rows_),
      segments_(std::move(other.segments_)) {
  other.descriptor_ = -1;
}

EventSpool::~EventSpool() {
  if (descriptor_ >= 0) ::close(descriptor_);
}

void EventSpool::add(std::size_t scenario, std::span<const std::vector<double>> columns) {
  if (columns.size() != columns_) throw std::invalid_argument("EventSpool: wrong column count");
  const std::uint64_t rows = columns.empty() ? 0 : columns.front().size();
  if (rows == 0) return;
  const Segment segment{scenario, size_, rows};
  for (const std::vector<double>& column : columns) {
    if (column.size() != rows) throw std::invalid_argument("EventSpool: ragged event columns");
    const auto* bytes = reinterpret_cast<const char*>(column.data());
    std::size_t left = column.size() * sizeof(double);
    while (left > 0) {
      const ssize_t n = ::pwrite(descriptor_, bytes, left, static_cast<off_t>(size_));
      if (n < 0) {
        if (errno == EINTR) continue;
        fail(folder_, "cannot write the events' temporary file", errno);
      }
      bytes += n;
      left -= static_cast<std::size_t>(n);
      size_ += static_cast<std::uint64_t>(n);
    }
  }
  segments_.push_back(segment);
  rows_ += rows;
}

void EventSpool::replay(std::size_t column, std::size_t piece,
                        const std::function<void(std::span<const double>)>& take) const {
  std::vector<double> buffer;
  buffer.reserve(piece);
  const auto flush = [&] {
    if (!buffer.empty()) take(buffer);
    buffer.clear();
  };
  // Scenario by scenario; within one, in the order the blocks came (replicate order).
  std::vector<std::size_t> order(segments_.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [this](std::size_t a, std::size_t b) {
    return segments_[a].scenario < segments_[b].scenario;
  });
  for (const std::size_t index : order) {
    const Segment& segment = segments_[index];
    std::uint64_t done = 0;
    while (done < segment.rows) {
      if (buffer.size() == piece) flush();
      const std::uint64_t count =
          std::min<std::uint64_t>(segment.rows - done, piece - buffer.size());
      const std::size_t start = buffer.size();
      buffer.resize(start + count);
      auto* bytes = reinterpret_cast<char*>(buffer.data() + start);
      std::size_t left = count * sizeof(double);
      auto offset =
          static_cast<off_t>(segment.offset + (column * segment.rows + done) * sizeof(double));
      while (left > 0) {
        const ssize_t n = ::pread(descriptor_, bytes, left, offset);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) fail(folder_, "cannot read the events' temporary file", n < 0 ? errno : EIO);
        bytes += n;
        left -= static_cast<std::size_t>(n);
        offset += n;
      }
      done += count;
    }
  }
  flush();
}

}  // namespace sim::io
