#include "sim/core/rng.h"

#include <array>
#include <cmath>

namespace sim {

namespace {

constexpr double kScale = 16777216.0;  // 2^24: magnitudes are the top 24 bits of a word
constexpr double kTailStart = 3.442619855899;
constexpr double kLayerArea = 9.91256303526217e-3;

struct Ziggurat {
  std::array<double, 128> k{};  // accept the magnitude word outright below k[i]
  std::array<double, 128> w{};  // x = word * w[i]
  std::array<double, 128> f{};  // density at the layer edges
};

Ziggurat make_ziggurat() {
  Ziggurat z;
  double dn = kTailStart;
  double tn = dn;
  const double q = kLayerArea / std::exp(-0.5 * dn * dn);
  z.k[0] = (dn / q) * kScale;
  z.k[1] = 0.0;
  z.w[0] = q / kScale;
  z.w[127] = dn / kScale;
  z.f[0] = 1.0;
  z.f[127] = std::exp(-0.5 * dn * dn);
  for (int i = 126; i >= 1; --i) {
    dn = std::sqrt(-2.0 * std::log(kLayerArea / dn + std::exp(-0.5 * dn * dn)));
    z.k[static_cast<std::size_t>(i) + 1] = (dn / tn) * kScale;
    tn = dn;
    z.f[static_cast<std::size_t>(i)] = std::exp(-0.5 * dn * dn);
    z.w[static_cast<std::size_t>(i)] = dn / kScale;
  }
  return z;
}

const Ziggurat kZiggurat = make_ziggurat();

/// +1 or -1 from bit 7 of `word`, by table rather than a branch: the bit is random, so a branch
/// would be mispredicted half the time.
double sign_of(std::uint32_t word) {
  static constexpr std::array<double, 2> kSigns{1.0, -1.0};
  return kSigns[(word >> 7) & 1u];
}

/// The rare slow path: the wedge of a layer, or the tail beyond kTailStart.
double slow_path(RngStream& rng, std::uint32_t layer, double magnitude, double sign) {
  const Ziggurat& z = kZiggurat;
  for (;;) {
    if (layer == 0) {
      double x = 0.0;
      double y = 0.0;
      do {
        x = -std::log(rng.uniform_open()) / kTailStart;
        y = -std::log(rng.uniform_open());
      } while (y + y < x * x);
      return sign * (kTailStart + x);
    }
    const double x = magnitude * z.w[layer];
    if (z.f[layer] + rng.uniform() * (z.f[layer - 1] - z.f[layer]) < std::exp(-0.5 * x * x)) {
      return sign * x;
    }
    const std::uint32_t word = rng.next_u32();
    layer = word & 127u;
    sign = sign_of(word);
    magnitude = static_cast<double>(word >> 8);
    if (magnitude < z.k[layer]) return sign * magnitude * z.w[layer];
  }
}

/// The draw itself, inlined into both entry points: a fill does not pay a call per normal.
inline double ziggurat_normal(RngStream& rng) {
  const Ziggurat& z = kZiggurat;
  // One word: bits 0-6 pick the layer, bit 7 the sign, bits 8-31 the magnitude (disjoint bits,
  // so layer and magnitude are independent).
  const std::uint32_t word = rng.next_u32();
  const std::uint32_t layer = word & 127u;
  const double sign = sign_of(word);
  const double magnitude = static_cast<double>(word >> 8);
  if (magnitude < z.k[layer]) return sign * magnitude * z.w[layer];
  return slow_path(rng, layer, magnitude, sign);
}

}  // namespace

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

double RngStream::normal() { return ziggurat_normal(*this); }

void RngStream::fill_normal(std::span<double> out) {
  for (double& x : out) x = ziggurat_normal(*this);
}

}  // namespace sim
