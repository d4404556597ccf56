#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <vector>

namespace sim::io {

/// Event rows parked on disk until the run ends. Blocks arrive in (block, scenario) order but the
/// file's event table is in (scenario, replicate, year) order, so each block's columns go to an
/// unnamed temporary file (it vanishes with the process, even after kill -9) and are read back
/// scenario by scenario at the end: memory stays flat however many events there are. Move-only.
class EventSpool {
 public:
  /// Creates the temporary file in `folder` with `columns` columns. Throws OutputError.
  EventSpool(const std::filesystem::path& folder, std::size_t columns);
  EventSpool(EventSpool&& other) noexcept;
  EventSpool& operator=(EventSpool&&) = delete;
  EventSpool(const EventSpool&) = delete;
  EventSpool& operator=(const EventSpool&) = delete;
  ~EventSpool();

  /// Parks one block's events of `scenario`: `columns[c]` holds column c, all the same length.
  /// Throws OutputError when the disk refuses (e.g. full).
  void add(std::size_t scenario, std::span<const std::vector<double>> columns);
  /// Rows parked so far.
  std::uint64_t rows() const { return rows_; }
  /// Calls `take(values)` with column `column`'s values in (scenario, arrival) order, in pieces
  /// of at most `piece` values. Throws OutputError when reading fails.
  void replay(std::size_t column, std::size_t piece,
              const std::function<void(std::span<const double>)>& take) const;

 private:
  struct Segment {
    std::size_t scenario = 0;
    std::uint64_t offset = 0;
    std::uint64_t rows = 0;
  };
  std::filesystem::path folder_;
  int descriptor_ = -1;
  std::size_t columns_ = 0;
  std::uint64_t size_ = 0;
  std::uint64_t rows_ = 0;
  std::vector<Segment> segments_;
};

}  // namespace sim::io
