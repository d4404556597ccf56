#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include <Random123/philox.h>

namespace sim {

/// What a random stream is for. Streams with different purposes never overlap, so extra draws
/// in one mechanism never shift the draws of another.
enum class StreamPurpose : std::uint32_t {};

/// A stable 32-bit purpose id from a name (FNV-1a), e.g. `purpose("economy.shocks")`.
constexpr StreamPurpose purpose(std::string_view name) {
  std::uint32_t hash = 2166136261u;
  for (char c : name) {
    hash ^= static_cast<std::uint8_t>(c);
    hash *= 16777619u;
  }
  return StreamPurpose{hash};
}

/// Derives a sub-purpose, e.g. one stream per member: `sub_purpose(purpose("noise"), member)`.
constexpr StreamPurpose sub_purpose(StreamPurpose base, std::uint32_t index) {
  std::uint32_t hash = static_cast<std::uint32_t>(base) ^ 0x9e3779b9u;
  hash ^= index + 0x7f4a7c15u + (hash << 6) + (hash >> 2);
  hash *= 16777619u;
  return StreamPurpose{hash};
}

/// A counter-based random stream (Philox4x32-10) keyed by (study seed, replicate, purpose).
/// It never depends on the scenario or the thread, so replicate r sees the same draws in every
/// scenario (common random numbers). Cheap to construct; not thread-safe (one per run).
class RngStream {
 public:
  RngStream(std::uint64_t seed, std::uint64_t replicate, StreamPurpose purpose);

  // Inline: the models draw tens of millions of these per second; the buffer is refilled once
  // in 32 calls (4 without AVX2), out of line.
  /// Next raw 32-bit value.
  std::uint32_t next_u32() {
    if (used_ == filled_) refill();
    return buffer_[static_cast<std::size_t>(used_++)];
  }
  /// Uniform on [0, 1) with 53 random bits.
  double uniform() {
    const std::uint64_t high = next_u32();
    const std::uint64_t low = next_u32();
    const std::uint64_t bits = ((high << 32) | low) >> 11;
    return static_cast<double>(bits) * 0x1.0p-53;
  }
  /// Uniform on the open interval (0, 1): safe for log().
  double uniform_open() {
    const std::uint64_t high = next_u32();
    const std::uint64_t low = next_u32();
    const std::uint64_t bits = ((high << 32) | low) >> 12;
    return (static_cast<double>(bits) + 0.5) * 0x1.0p-52;
  }
  /// Standard normal by the ziggurat method (Marsaglia & Tsang 2000, 128 layers), using one
  /// 32-bit word per draw in 98.8% of cases: 7 bits pick the layer, 1 the sign and 24 the
  /// magnitude (disjoint bits, so layer and magnitude are independent, as Doornik 2005 requires).
  /// Resolution 2^-24 of a layer's width.
  double normal();
  /// Fills `out` with independent standard normals in index order: the values of as many calls
  /// of normal(), without a call per draw.
  void fill_normal(std::span<double> out);

  /// The raw Philox4x32-10 block function, for the known-answer test.
  static r123::Philox4x32::ctr_type block(r123::Philox4x32::ctr_type counter,
                                          r123::Philox4x32::key_type key);
  /// Blocks in a refill: eight with AVX2 (made side by side), else one.
  static int blocks_per_refill();
  /// The words of blocks_per_refill() blocks, as a refill makes them: the Philox blocks of
  /// `base` with counter words 0-1 set to `first`, `first + 1`, ... (low word, high word), one
  /// after the other. For the test that the side-by-side blocks are the block function's.
  static void fill_blocks(r123::Philox4x32::ctr_type base, std::uint64_t first,
                          r123::Philox4x32::key_type key, std::span<std::uint32_t, 32> out);

 private:
  void refill();

  r123::Philox4x32::key_type key_{};
  r123::Philox4x32::ctr_type base_{};
  /// Words drawn ahead: [used_, filled_) are next.
  std::array<std::uint32_t, 32> buffer_{};
  /// Blocks made so far (the next refill's first counter).
  std::uint64_t counter_ = 0;
  int used_ = 0;
  int filled_ = 0;
};

}  // namespace sim
