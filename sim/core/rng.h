#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

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

/// The Philox words one replicate's streams made in one scenario's run, kept for the other
/// scenarios of a paired block to read rather than make again: a stream of the same seed,
/// replicate and purpose gives the same words in every scenario (common random numbers), and
/// making them took about 4% of a paired study's CPU time, reading them back about half that.
/// A stream reads a refill from here when the store holds that refill of that stream and makes
/// it otherwise, so the words, and the results, are the same bit for bit either way. Filled by one
/// run (RandomWordsRun with `keep`), then sealed (each stream's list of where its refills lie),
/// then only read, by any number of runs at once. The refills stay in the order they were made,
/// the order in which another scenario's run asks for them, so that it can fetch them ahead.
class RandomWords {
 public:
  /// Forgets every stream's words (before a replicate's first run); keeps the memory.
  void clear();
  /// Lists where each stream's refills lie, for the runs that read them (after the run that
  /// filled the store).
  void seal();
  /// Refills held, over every stream.
  std::size_t refills() const { return made_.size(); }

 private:
  friend class RandomWordsRun;
  struct Stream {
    /// The counter's words 2-3 (replicate and purpose), then the key's two words.
    std::uint64_t id = 0;
    std::uint64_t key = 0;
    /// Refills held: this stream's first `held`, their places in the store at place_[first] on.
    std::uint32_t held = 0;
    std::uint32_t first = 0;
  };
  /// The index of the stream with this id and key, or -1.
  int find(std::uint64_t id, std::uint64_t key) const;
  /// Adds a stream (not held yet) and returns its index.
  int add(std::uint64_t id, std::uint64_t key);

  /// Which stream made each refill, in the order they were made.
  std::vector<std::uint32_t> made_;
  /// Each stream's refills' places in words_, stream by stream (sealed).
  std::vector<std::uint32_t> place_;
  std::vector<Stream> streams_;
  /// The streams by their id and key: open addressing, at most half full, -1 for none.
  std::vector<std::int32_t> table_;
  /// The refills' words, in the order made: refill k at words_[k * refill_words_].
  std::vector<std::uint32_t> words_;
  /// Words a refill makes (4 * RngStream::blocks_per_refill()); 0 until the first is kept.
  std::size_t refill_words_ = 0;
  bool sealed_ = false;
};

/// One run's use of a RandomWords store: filling it (`keep`: the run's streams keep every refill
/// they make) or reading it once sealed (their refills copied from it where it holds them).
class RandomWordsRun {
 public:
  /// A run that reads a sealed store fetches its streams, their table and places, and its first
  /// refills into the cache as it starts: they were written a block's runs ago.
  RandomWordsRun(RandomWords& store, bool keep);

  bool keeps() const { return keep_; }
  /// The index of the store's stream with this key and counter base; -1 when it holds none and
  /// this run does not keep words (a new stream's index when it does).
  int find(const r123::Philox4x32::key_type& key, const r123::Philox4x32::ctr_type& base);
  /// Stream `stream`'s refills in a sealed store, `words` words each: the places of as many as
  /// it holds (none when the store is not sealed or its refills are another size).
  std::span<const std::uint32_t> held(int stream, std::size_t words) const;
  /// Copies the refill at `place` (RandomWordsRun::held) into `out`, and fetches the one the
  /// run will most likely read a few refills later.
  void read(std::uint32_t place, std::span<std::uint32_t, 32> out) const;
  /// Keeps refill `index` of stream `stream` when it is that stream's next (runs that keep).
  void keep(int stream, std::uint64_t index, std::size_t words, const std::uint32_t* in);

 private:
  RandomWords* store_;
  bool keep_;
  /// The stream after the last one found: another scenario's run makes its streams in the
  /// order this store's did, but where their paths part.
  std::size_t next_stream_ = 0;
};

/// A counter-based random stream (Philox4x32-10) keyed by (study seed, replicate, purpose).
/// It never depends on the scenario or the thread, so replicate r sees the same draws in every
/// scenario (common random numbers). Cheap to construct; not thread-safe (one per run).
class RngStream {
 public:
  RngStream(std::uint64_t seed, std::uint64_t replicate, StreamPurpose purpose);
  /// The same stream, its refills read from `words`' store where it holds them, or kept there
  /// when `words` keeps them (RandomWords); null: none.
  RngStream(std::uint64_t seed, std::uint64_t replicate, StreamPurpose purpose,
            RandomWordsRun* words);
  /// Refills read from a RandomWords store rather than made.
  std::uint64_t refills_read() const { return refills_read_; }

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
  /// The run that keeps this stream's refills, and the stream's index in its store.
  RandomWordsRun* keeper_ = nullptr;
  int stream_ = -1;
  /// The run whose sealed store holds this stream's refills, and their places in it.
  const RandomWordsRun* reader_ = nullptr;
  std::span<const std::uint32_t> held_;
  std::uint64_t refills_read_ = 0;
};

}  // namespace sim
