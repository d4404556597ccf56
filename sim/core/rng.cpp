#include "sim/core/rng.h"

#include <cmath>
#include <numbers>

namespace sim {

RngStream::RngStream(std::uint64_t seed, std::uint64_t replicate, StreamPurpose purpose) {
  key_ = {{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)}};
  // Counter words 0-1 count draws; 2 holds the replicate, 3 the purpose. The upper half of the
  // replicate index is folded into the key so 2^64 replicates stay distinct.
  key_[1] ^= static_cast<std::uint32_t>(replicate >> 32) * 0x9e3779b9u;
  base_ = {{0u, 0u, static_cast<std::uint32_t>(replicate), static_cast<std::uint32_t>(purpose)}};
}

r123::Philox4x32::ctr_type RngStream::block(r123::Philox4x32::ctr_type counter,
                                            r123::Philox4x32::key_type key) {
  r123::Philox4x32 philox;
  return philox(counter, key);
}

void RngStream::refill() {
  auto counter = base_;
  counter[0] = static_cast<std::uint32_t>(counter_);
  counter[1] = static_cast<std::uint32_t>(counter_ >> 32);
  buffer_ = block(counter, key_);
  ++counter_;
  used_ = 0;
}

double RngStream::normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_normal_;
  }
  const double radius = std::sqrt(-2.0 * std::log(uniform_open()));
  const double angle = 2.0 * std::numbers::pi * uniform();
  spare_normal_ = radius * std::sin(angle);
  has_spare_ = true;
  return radius * std::cos(angle);
}

}  // namespace sim
