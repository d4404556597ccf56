#include "sim/core/rng.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "sim/core/cpu.h"

#if NATOSIM_WIDE_VECTORS
#include <immintrin.h>
#endif

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

RngStream::RngStream(std::uint64_t seed, std::uint64_t replicate, StreamPurpose purpose,
                     RandomWordsRun* words)
    : RngStream(seed, replicate, purpose) {
  if (words == nullptr) return;
  const int stream = words->find(key_, base_);
  if (stream < 0) return;
  if (words->keeps()) {
    keeper_ = words;
    stream_ = stream;
  } else {
    held_ = words->held(stream, 4 * static_cast<std::size_t>(blocks_per_refill()));
    if (!held_.empty()) reader_ = words;
  }
}

namespace {

/// Refills a reading run fetches ahead of the one it reads, in the order they were made.
constexpr std::size_t kFetchAhead = 4;

/// A stream's slot in RandomWords' table of `mask + 1` slots.
std::size_t slot_of(std::uint64_t id, std::uint64_t key, std::size_t mask) {
  std::uint64_t h = id ^ (key * 0x9e3779b97f4a7c15ULL);
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return static_cast<std::size_t>(h) & mask;
}

}  // namespace

void RandomWords::clear() {
  streams_.clear();
  made_.clear();
  words_.clear();
  std::fill(table_.begin(), table_.end(), -1);
  sealed_ = false;
}

int RandomWords::find(std::uint64_t id, std::uint64_t key) const {
  if (table_.empty()) return -1;
  const std::size_t mask = table_.size() - 1;
  for (std::size_t slot = slot_of(id, key, mask);; slot = (slot + 1) & mask) {
    const std::int32_t s = table_[slot];
    if (s < 0) return -1;
    const Stream& stream = streams_[static_cast<std::size_t>(s)];
    if (stream.id == id && stream.key == key) return s;
  }
}

int RandomWords::add(std::uint64_t id, std::uint64_t key) {
  streams_.push_back({id, key, 0, 0});
  if (2 * streams_.size() > table_.size()) {
    // Grown (rarely: the size is kept from replicate to replicate), every stream placed again.
    table_.assign(std::max<std::size_t>(64, 2 * table_.size()), -1);
    for (std::size_t s = 0; s + 1 < streams_.size(); ++s) {
      std::size_t slot = slot_of(streams_[s].id, streams_[s].key, table_.size() - 1);
      while (table_[slot] >= 0) slot = (slot + 1) & (table_.size() - 1);
      table_[slot] = static_cast<std::int32_t>(s);
    }
  }
  const std::size_t mask = table_.size() - 1;
  std::size_t slot = slot_of(id, key, mask);
  while (table_[slot] >= 0) slot = (slot + 1) & mask;
  table_[slot] = static_cast<std::int32_t>(streams_.size() - 1);
  return static_cast<int>(streams_.size() - 1);
}

void RandomWords::seal() {
  std::uint32_t first = 0;
  for (Stream& stream : streams_) {
    stream.first = first;
    first += stream.held;
  }
  // A stream kept its refills in order: each stream's `first` walks its places, then steps back.
  place_.resize(made_.size());
  for (std::size_t k = 0; k < made_.size(); ++k) {
    place_[streams_[made_[k]].first++] = static_cast<std::uint32_t>(k);
  }
  for (Stream& stream : streams_) stream.first -= stream.held;
  sealed_ = true;
}

RandomWordsRun::RandomWordsRun(RandomWords& store, bool keep) : store_(&store), keep_(keep) {
  if (keep || !store.sealed_) return;
  const auto fetch = [](const auto* items, std::size_t count) {
    const auto* bytes = reinterpret_cast<const char*>(items);
    for (std::size_t at = 0; at < count * sizeof *items; at += 64) __builtin_prefetch(bytes + at);
  };
  fetch(store.streams_.data(), store.streams_.size());
  fetch(store.table_.data(), store.table_.size());
  fetch(store.place_.data(), store.place_.size());
  fetch(store.words_.data(), std::min(store.words_.size(), kFetchAhead * store.refill_words_));
}

int RandomWordsRun::find(const r123::Philox4x32::key_type& key,
                         const r123::Philox4x32::ctr_type& base) {
  const std::uint64_t id = base[2] | std::uint64_t{base[3]} << 32;
  const std::uint64_t packed_key = key[0] | std::uint64_t{key[1]} << 32;
  const std::vector<RandomWords::Stream>& streams = store_->streams_;
  int found = -1;
  if (next_stream_ < streams.size() && streams[next_stream_].id == id &&
      streams[next_stream_].key == packed_key) {
    found = static_cast<int>(next_stream_);
  } else {
    found = store_->find(id, packed_key);
    if (found < 0 && keep_) found = store_->add(id, packed_key);
  }
  if (found >= 0) next_stream_ = static_cast<std::size_t>(found) + 1;
  return found;
}

std::span<const std::uint32_t> RandomWordsRun::held(int stream, std::size_t words) const {
  const RandomWords& store = *store_;
  if (!store.sealed_ || words != store.refill_words_) return {};
  const RandomWords::Stream& held = store.streams_[static_cast<std::size_t>(stream)];
  return {store.place_.data() + held.first, held.held};
}

void RandomWordsRun::read(std::uint32_t place, std::span<std::uint32_t, 32> out) const {
  const RandomWords& store = *store_;
  const std::size_t words = store.refill_words_;
  std::copy_n(store.words_.data() + place * words, words, out.data());
  // Fetched to the second-level cache: the lines are read once.
  if (place + kFetchAhead < store.made_.size()) {
    const std::uint32_t* ahead = store.words_.data() + (place + kFetchAhead) * words;
    for (std::size_t w = 0; w < words; w += 16) __builtin_prefetch(ahead + w, 0, 1);
  }
}

void RandomWordsRun::keep(int stream, std::uint64_t index, std::size_t words,
                          const std::uint32_t* in) {
  RandomWords& store = *store_;
  RandomWords::Stream& held = store.streams_[static_cast<std::size_t>(stream)];
  if (store.refill_words_ == 0) store.refill_words_ = words;
  if (store.sealed_ || words != store.refill_words_ || index != held.held) return;
  store.made_.push_back(static_cast<std::uint32_t>(stream));
  store.words_.insert(store.words_.end(), in, in + words);
  ++held.held;
}

r123::Philox4x32::ctr_type RngStream::block(r123::Philox4x32::ctr_type counter,
                                            r123::Philox4x32::key_type key) {
  r123::Philox4x32 philox;
  return philox(counter, key);
}

namespace {

#if NATOSIM_WIDE_VECTORS
/// Four Philox4x32-10 blocks in the making, a block per 64-bit lane with its 32-bit words in the
/// lanes' low halves: _mm256_mul_epu32 multiplies those, 32 x 32 -> 64 bits, as each round's
/// two mulhilo do.
struct FourBlocks {
  __m256i x0;
  __m256i x1;
  __m256i x2;
  __m256i x3;
};

/// The blocks of counters first .. first + 3 (words 0-1: the count's low and high halves).
__attribute__((target("avx2"), always_inline)) inline FourBlocks four_counters(
    const r123::Philox4x32::ctr_type& base, std::uint64_t first) {
  const __m256i counts = _mm256_add_epi64(_mm256_set1_epi64x(static_cast<long long>(first)),
                                          _mm256_set_epi64x(3, 2, 1, 0));
  return FourBlocks{_mm256_and_si256(counts, _mm256_set1_epi64x(0xffffffffLL)),
                    _mm256_srli_epi64(counts, 32), _mm256_set1_epi64x(base[2]),
                    _mm256_set1_epi64x(base[3])};
}

/// One Philox round of four blocks, with the round's key words in every lane's low half.
__attribute__((target("avx2"), always_inline)) inline void philox_round(FourBlocks& blocks,
                                                                        __m256i k0, __m256i k1) {
  const __m256i product0 = _mm256_mul_epu32(blocks.x0, _mm256_set1_epi64x(0xD2511F53LL));
  const __m256i product1 = _mm256_mul_epu32(blocks.x2, _mm256_set1_epi64x(0xCD9E8D57LL));
  const __m256i low = _mm256_set1_epi64x(0xffffffffLL);
  blocks.x0 = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(product1, 32), blocks.x1), k0);
  blocks.x2 = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(product0, 32), blocks.x3), k1);
  blocks.x1 = _mm256_and_si256(product1, low);
  blocks.x3 = _mm256_and_si256(product0, low);
}

/// The four blocks' words, block after block.
__attribute__((target("avx2"), always_inline)) inline void store_blocks(const FourBlocks& blocks,
                                                                        std::uint32_t* out) {
  alignas(32) std::array<std::array<std::uint64_t, 4>, 4> words{};
  _mm256_store_si256(reinterpret_cast<__m256i*>(words[0].data()), blocks.x0);
  _mm256_store_si256(reinterpret_cast<__m256i*>(words[1].data()), blocks.x1);
  _mm256_store_si256(reinterpret_cast<__m256i*>(words[2].data()), blocks.x2);
  _mm256_store_si256(reinterpret_cast<__m256i*>(words[3].data()), blocks.x3);
  for (std::size_t j = 0; j < 4; ++j) {
    for (std::size_t w = 0; w < 4; ++w) out[4 * j + w] = static_cast<std::uint32_t>(words[w][j]);
  }
}

/// Eight Philox4x32-10 blocks (Random123's rounds and constants), of counters first ..
/// first + 7, in two groups of four side by side. Why: the scalar block waits on ten rounds of
/// dependent multiplies; here one instruction makes four blocks' products, and the two groups'
/// rounds overlap (Philox was 8% of the alliance model's instructions).
__attribute__((target("avx2"))) void eight_blocks_wide(const r123::Philox4x32::ctr_type& base,
                                                       std::uint64_t first,
                                                       r123::Philox4x32::key_type key,
                                                       std::uint32_t* out) {
  FourBlocks first_four = four_counters(base, first);
  FourBlocks last_four = four_counters(base, first + 4);
  // The key's bumps add in 32-bit lanes: the high halves stay zero, the low ones wrap as
  // Random123's do.
  __m256i k0 = _mm256_set1_epi64x(key[0]);
  __m256i k1 = _mm256_set1_epi64x(key[1]);
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      k0 = _mm256_add_epi32(k0, _mm256_set1_epi64x(0x9E3779B9LL));
      k1 = _mm256_add_epi32(k1, _mm256_set1_epi64x(0xBB67AE85LL));
    }
    philox_round(first_four, k0, k1);
    philox_round(last_four, k0, k1);
  }
  store_blocks(first_four, out);
  store_blocks(last_four, out + 16);
}

// Read by refill, which may run before this initialiser (a draw in another static's): it is
// false until then, and one block at a time gives the same words.
const bool kWideBlocks = processor_has_avx2();
#endif

}  // namespace

int RngStream::blocks_per_refill() {
#if NATOSIM_WIDE_VECTORS
  if (kWideBlocks) return 8;
#endif
  return 1;
}

void RngStream::fill_blocks(r123::Philox4x32::ctr_type base, std::uint64_t first,
                            r123::Philox4x32::key_type key, std::span<std::uint32_t, 32> out) {
#if NATOSIM_WIDE_VECTORS
  if (kWideBlocks) {
    eight_blocks_wide(base, first, key, out.data());
    return;
  }
#endif
  base[0] = static_cast<std::uint32_t>(first);
  base[1] = static_cast<std::uint32_t>(first >> 32);
  const r123::Philox4x32::ctr_type words = block(base, key);
  std::copy(words.begin(), words.end(), out.begin());
}

void RngStream::refill() {
  const auto per_refill = static_cast<std::uint64_t>(blocks_per_refill());
  const std::size_t words = 4 * per_refill;
  // A refill's blocks start at a multiple of `per_refill` but for draws made before
  // blocks_per_refill() knew the processor (in statics, which have no store).
  const std::uint64_t index = counter_ / per_refill;
  const bool whole = counter_ % per_refill == 0;
  if (whole && index < held_.size()) {
    reader_->read(held_[index], buffer_);
    ++refills_read_;
  } else {
    fill_blocks(base_, counter_, key_, buffer_);
    if (whole && keeper_ != nullptr) keeper_->keep(stream_, index, words, buffer_.data());
  }
  counter_ += per_refill;
  filled_ = static_cast<int>(words);
  used_ = 0;
}

double RngStream::normal() { return ziggurat_normal(*this); }

void RngStream::fill_normal(std::span<double> out) {
  for (double& x : out) x = ziggurat_normal(*this);
}

}  // namespace sim
