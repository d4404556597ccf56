#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <vector>

#include "sim/core/rng.h"
#include "sim/tally/moments.h"
#include "sim/tally/quantile_sketch.h"

TEST_CASE("Moments of 1..10 are exact", "[unit][tally]") {
  sim::tally::Moments m;
  for (int i = 1; i <= 10; ++i) m.add(i);
  CHECK(m.n == 10);
  CHECK(m.mean == 5.5);
  CHECK(m.variance() == Approx(55.0 / 6.0).epsilon(1e-15));  // sum (i-5.5)^2 / 9
  CHECK(m.mcse() == Approx(std::sqrt(55.0 / 6.0 / 10.0)).epsilon(1e-15));
  CHECK(m.min == 1.0);
  CHECK(m.max == 10.0);
}

TEST_CASE("A column of equal values has exactly their value as mean and no spread",
          "[unit][tally]") {
  // Ten copies of 0.1 sum to 0.9999999999999999: the plain two-pass mean would be off by one
  // unit in the last place and the variance not zero.
  const std::vector<double> tenths(10, 0.1);
  REQUIRE(std::accumulate(tenths.begin(), tenths.end(), 0.0) / 10.0 != 0.1);
  const sim::tally::Moments column = sim::tally::moments_of(tenths.data(), tenths.size());
  CHECK(column.n == 10);
  CHECK(column.mean == 0.1);
  CHECK(column.m2 == 0.0);
  CHECK(column.variance() == 0.0);
  // The same as adding them one by one, and merging keeps it exact.
  sim::tally::Moments added;
  for (double value : tenths) added.add(value);
  CHECK(added.mean == column.mean);
  CHECK(added.m2 == column.m2);
  sim::tally::Moments merged = column;
  merged.merge(column);
  CHECK(merged.mean == 0.1);
  CHECK(merged.m2 == 0.0);
}

TEST_CASE("Merging moments equals adding all values to one accumulator", "[unit][tally]") {
  sim::RngStream rng(1, 0, sim::purpose("moments"));
  sim::tally::Moments all;
  sim::tally::Moments left;
  sim::tally::Moments right;
  for (int i = 0; i < 1000; ++i) {
    const double x = 100 + rng.normal();
    all.add(x);
    (i < 300 ? left : right).add(x);
  }
  left.merge(right);
  CHECK(left.n == all.n);
  CHECK(left.mean == Approx(all.mean).epsilon(1e-14));
  CHECK(left.variance() == Approx(all.variance()).epsilon(1e-12));
  CHECK(left.min == all.min);
  CHECK(left.max == all.max);
}

TEST_CASE("Wilson interval matches the textbook value", "[unit][tally]") {
  // p = 0.2, n = 50, z = 1.96: [0.1124, 0.3304] (Wilson 1927; e.g. Newcombe 1998, method 3).
  sim::tally::Interval interval = sim::tally::wilson_interval(0.2, 50);
  CHECK(interval.low == Approx(0.11243).epsilon(1e-4));
  CHECK(interval.high == Approx(0.33036).epsilon(1e-4));
  sim::tally::Interval zero = sim::tally::wilson_interval(0.0, 20);
  CHECK(zero.low == 0.0);
  CHECK(zero.high == Approx(0.16113).epsilon(1e-4));
}

TEST_CASE("Bucket index is monotone and zero-centred", "[unit][tally]") {
  using Sketch = sim::tally::QuantileSketch;
  CHECK(Sketch::bucket(0.0) == 0);
  CHECK(Sketch::bucket(-0.0) == 0);
  std::vector<double> values = {-1e9,  -3.5, -1.0, -1e-12, 0.0, 1e-300,
                                1e-12, 0.5,  1.0,  1.001,  2.0, 1e9};
  for (std::size_t i = 1; i < values.size(); ++i) {
    CHECK(Sketch::bucket(values[i - 1]) <= Sketch::bucket(values[i]));
  }
  CHECK(Sketch::bucket(1.0) < Sketch::bucket(1.0 + 1.0 / 256));
  CHECK(Sketch::bucket(1.0) == Sketch::bucket(1.0 + 1.0 / 512));
}

namespace {
double exact_quantile(std::vector<double> values, double q) {
  std::sort(values.begin(), values.end());
  return values[static_cast<std::size_t>(std::floor(q * static_cast<double>(values.size() - 1)))];
}

/// The bucket indices of one block of values (as the engine makes them), with its extremes.
struct Block {
  std::vector<std::int32_t> buckets;
  double low = 0.0;
  double high = 0.0;
};

Block block_of(const std::vector<double>& values) {
  Block block;
  block.low = *std::min_element(values.begin(), values.end());
  block.high = *std::max_element(values.begin(), values.end());
  for (double value : values) block.buckets.push_back(sim::tally::QuantileSketch::bucket(value));
  return block;
}

void merge(sim::tally::QuantileSketch& sketch, const Block& block) {
  std::vector<std::int32_t> scratch;
  sketch.add(block.buckets, block.low, block.high, scratch);
}
}  // namespace

TEST_CASE("Sketch quantiles are exact for small integers and 0/1 flags", "[unit][tally]") {
  std::vector<double> values;
  for (int i = 0; i < 500; ++i) values.push_back(static_cast<double>((i * 37) % 500));
  sim::tally::QuantileSketch sketch;
  merge(sketch, block_of(values));
  for (double q : {0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0}) {
    CHECK(sketch.quantile(q) == exact_quantile(values, q));
  }
  std::vector<double> flags = {0, 1, 1, 0, 1, 1, 1, 1, 0, 1};
  sim::tally::QuantileSketch flag_sketch;
  merge(flag_sketch, block_of(flags));
  CHECK(flag_sketch.quantile(0.25) == 0.0);
  CHECK(flag_sketch.quantile(0.5) == 1.0);
}

TEST_CASE("Many levels asked at once give each level's quantile, in any order", "[unit][tally]") {
  // Levels unsorted, repeated, at the extremes and (folded sketch) inside a folded tail: one
  // walk over the buckets must answer each as if asked alone.
  const std::vector<double> levels = {0.95, 0.05, 0.5, 1.0, 0.5, 0.0, 0.25, 0.999, 0.75, 0.001};
  std::vector<double> out(levels.size());
  std::vector<double> integers;  // one octave: 256 buckets, a dense window
  for (int i = 0; i < 500; ++i) integers.push_back(static_cast<double>(256 + (i * 37) % 256));
  sim::tally::QuantileSketch dense;
  merge(dense, block_of(integers));
  REQUIRE(dense.is_dense());
  dense.quantiles(levels, out);
  for (std::size_t k = 0; k < levels.size(); ++k) {
    INFO("level " << levels[k]);
    CHECK(out[k] == exact_quantile(integers, levels[k]));
  }
  // Twelve decades: the sketch is sparse.
  sim::RngStream rng(8, 0, sim::purpose("levels"));
  std::vector<double> wide;
  for (int i = 0; i < 3000; ++i) wide.push_back(std::exp(6.0 * rng.normal()));
  sim::tally::QuantileSketch sparse;
  merge(sparse, block_of(wide));
  REQUIRE(!sparse.is_dense());
  sparse.quantiles(levels, out);
  for (std::size_t k = 0; k < levels.size(); ++k) {
    INFO("level " << levels[k]);
    const double exact = exact_quantile(wide, levels[k]);
    CHECK(std::abs(out[k] - exact) <= exact / 256.0);
  }
  sim::tally::QuantileSketch folding(0.05, 0.95);
  std::vector<double> all;
  for (int block = 0; block < 200; ++block) {
    std::vector<double> chunk;
    for (int i = 0; i < 64; ++i) chunk.push_back(100.0 * std::exp(0.3 * rng.normal()));
    all.insert(all.end(), chunk.begin(), chunk.end());
    merge(folding, block_of(chunk));
  }
  REQUIRE(folding.folded_low() > 0);
  folding.quantiles(levels, out);
  for (std::size_t k = 0; k < levels.size(); ++k) {
    INFO("level " << levels[k]);
    const double level = levels[k];
    if (level == 0.001 || level == 0.999) {
      CHECK(std::isnan(out[k]));
    } else {
      const double exact = exact_quantile(all, level);
      CHECK(std::abs(out[k] - exact) <= exact / 256.0);
    }
  }
  sim::tally::QuantileSketch empty;
  empty.quantiles(levels, out);
  for (double value : out) CHECK(std::isnan(value));
}

TEST_CASE("Every rank of a wide dense window is found, in one walk or alone", "[unit][tally]") {
  // Integers 128..511 (each its own bucket, so exact), in runs of 40 with runs of 40 absent
  // between, each 1-7 times: ranks fall at the start, inside and at the end of occupied runs,
  // and after long empty ones.
  std::vector<double> values;
  for (int k = 128; k < 512; ++k) {
    if ((k / 40) % 2 != 0) continue;
    for (int copy = 0; copy <= k % 7; ++copy) values.push_back(static_cast<double>(k));
  }
  sim::tally::QuantileSketch sketch;
  merge(sketch, block_of(values));
  REQUIRE(sketch.is_dense());
  REQUIRE(sketch.buckets_held() > 400);
  const std::size_t last = values.size() - 1;
  std::vector<double> levels;
  for (std::size_t rank = 0; rank <= last; ++rank) {
    levels.push_back(rank == last ? 1.0
                                  : (static_cast<double>(rank) + 0.5) / static_cast<double>(last));
  }
  // Backwards: the walk sorts the ranks itself (the first 64 in one walk, the rest one walk
  // each, as QuantileSketch::quantiles does beyond that many levels).
  std::vector<double> reversed(levels.rbegin(), levels.rend());
  std::vector<double> reversed_out(levels.size());
  sketch.quantiles(reversed, reversed_out);
  for (std::size_t k = 0; k < levels.size(); ++k) {
    INFO("level " << levels[k]);
    const double exact = exact_quantile(values, levels[k]);
    CHECK(sketch.quantile(levels[k]) == exact);
    CHECK(reversed_out[levels.size() - 1 - k] == exact);
  }
}

TEST_CASE("A bucket's edge is the value nearest zero in it", "[unit][tally]") {
  using Sketch = sim::tally::QuantileSketch;
  for (double value : {1.0, 2.0, 3.0, 255.0, 511.0, -7.0, 0.5, 0.0}) {
    CHECK(Sketch::edge(Sketch::bucket(value)) == value);
  }
  for (double value : {1.3, 1234.567, -0.042, 7e-9}) {
    const double edge = Sketch::edge(Sketch::bucket(value));
    CHECK(std::abs(edge) <= std::abs(value));
    CHECK(std::abs(value - edge) < std::abs(value) / 256.0);
    CHECK(Sketch::bucket(edge) == Sketch::bucket(value));
  }
}

TEST_CASE("Sketch quantiles of continuous values are within 2^-8 relative error", "[unit][tally]") {
  sim::RngStream rng(3, 0, sim::purpose("sketch"));
  std::vector<double> values;
  std::vector<Block> blocks;
  for (int block = 0; block < 50; ++block) {
    std::vector<double> chunk;
    for (int i = 0; i < 64; ++i) chunk.push_back(std::exp(rng.normal()) - 0.8);
    values.insert(values.end(), chunk.begin(), chunk.end());
    blocks.push_back(block_of(chunk));
  }
  sim::tally::QuantileSketch merged_in_order;
  sim::tally::QuantileSketch merged_reversed;
  for (const Block& block : blocks) merge(merged_in_order, block);
  for (auto it = blocks.rbegin(); it != blocks.rend(); ++it) merge(merged_reversed, *it);
  CHECK(merged_in_order.count() == 3200);
  for (double q : {0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0}) {
    const double exact = exact_quantile(values, q);
    CHECK(std::abs(merged_in_order.quantile(q) - exact) <= std::abs(exact) / 256.0);
    // Order independence: counts add and extremes take min/max.
    CHECK(merged_in_order.quantile(q) == merged_reversed.quantile(q));
  }
  CHECK(merged_in_order.quantile(0.0) == exact_quantile(values, 0.0));
  CHECK(merged_in_order.quantile(1.0) == exact_quantile(values, 1.0));
}

TEST_CASE("A sketch whose range outgrows the dense window switches to sparse bins exactly",
          "[unit][tally]") {
  // Values over eight decades: far wider than kMaxDenseBuckets buckets.
  sim::RngStream rng(4, 0, sim::purpose("wide"));
  std::vector<double> values;
  sim::tally::QuantileSketch sketch;
  sim::tally::QuantileSketch narrow_first;
  for (int block = 0; block < 40; ++block) {
    std::vector<double> chunk;
    for (int i = 0; i < 64; ++i) {
      const double decades = block < 20 ? 0.5 : 8.0;  // narrow at first, then wide
      chunk.push_back(std::pow(10.0, decades * rng.uniform()));
    }
    values.insert(values.end(), chunk.begin(), chunk.end());
    merge(sketch, block_of(chunk));
    if (block == 19) CHECK(sketch.is_dense());
  }
  CHECK_FALSE(sketch.is_dense());
  for (double q : {0.05, 0.25, 0.5, 0.75, 0.95}) {
    const double exact = exact_quantile(values, q);
    CHECK(std::abs(sketch.quantile(q) - exact) <= exact / 256.0);
  }
}

TEST_CASE("Sparse bins count every bucket exactly as blocks add new bins among the held ones",
          "[unit][tally]") {
  // Values over twelve decades drawn from a pool, so that each block both counts up bins
  // already held and brings new ones below, between and above them. Every quantile must be the
  // edge of the bucket of the exact nearest-rank value (clamped to [min, max]): all counts right.
  using Sketch = sim::tally::QuantileSketch;
  sim::RngStream rng(11, 0, sim::purpose("sparse merge"));
  std::vector<double> pool;
  for (int i = 0; i < 400; ++i) pool.push_back(std::pow(10.0, 12.0 * rng.uniform() - 6.0));
  std::vector<double> values;
  Sketch sketch;
  for (int block = 0; block < 60; ++block) {
    std::vector<double> chunk;
    // The pool opens up block by block: early blocks draw from its first part only.
    const auto open = static_cast<std::uint64_t>(std::min(400, 40 + 6 * block));
    // Blocks of 54 to 64 values: the lookups go in groups, and a block's last group is short.
    for (int i = 0; i < 64 - block % 11; ++i) chunk.push_back(pool[rng.next_u32() % open]);
    values.insert(values.end(), chunk.begin(), chunk.end());
    merge(sketch, block_of(chunk));
    REQUIRE_FALSE(sketch.is_dense());
    std::vector<double> sorted = values;
    std::sort(sorted.begin(), sorted.end());
    for (int k = 1; k < 100; ++k) {
      const double q = k / 100.0;
      const double exact =
          sorted[static_cast<std::size_t>(std::floor(q * static_cast<double>(sorted.size() - 1)))];
      const double expected = std::max(Sketch::edge(Sketch::bucket(exact)), sorted.front());
      INFO("block " << block << ", q " << q);
      REQUIRE(sketch.quantile(q) == expected);
    }
  }
}

TEST_CASE("Folding far tails bounds memory and keeps the requested quantiles exact to 2^-8",
          "[unit][tally]") {
  sim::RngStream rng(6, 0, sim::purpose("fold"));
  std::vector<double> values;
  sim::tally::QuantileSketch folding(0.05, 0.95);
  sim::tally::QuantileSketch keeping;
  std::size_t widest_after_warmup = 0;
  for (int block = 0; block < 2000; ++block) {
    std::vector<double> chunk;
    for (int i = 0; i < 64; ++i) chunk.push_back(100.0 * std::exp(0.3 * rng.normal()));
    values.insert(values.end(), chunk.begin(), chunk.end());
    merge(folding, block_of(chunk));
    merge(keeping, block_of(chunk));
    if (block == 15) widest_after_warmup = folding.buckets_held();
  }
  // 128,000 log-normal values: the unfolded window keeps growing into the tails, the folded one
  // stays near what 1,000 values needed.
  CHECK(folding.folded_low() > 0);
  CHECK(folding.folded_high() > 0);
  CHECK(folding.buckets_held() < keeping.buckets_held());
  CHECK(folding.buckets_held() <= widest_after_warmup + 64);
  for (double q : {0.05, 0.25, 0.5, 0.75, 0.95}) {
    const double exact = exact_quantile(values, q);
    CHECK(std::abs(folding.quantile(q) - exact) <= exact / 256.0);
    CHECK(folding.quantile(q) == keeping.quantile(q));
  }
  // Ranks inside a folded tail are unknown, and reported as NaN.
  CHECK(std::isnan(folding.quantile(0.001)));
  CHECK(folding.quantile(0.0) == exact_quantile(values, 0.0));
}

TEST_CASE("Sparse sketches fold their far tails too", "[unit][tally]") {
  // Values spread over eight decades never fit a dense window; folding still bounds the bins.
  sim::RngStream rng(7, 0, sim::purpose("sparse fold"));
  std::vector<double> values;
  sim::tally::QuantileSketch sketch(0.05, 0.95);
  for (int block = 0; block < 1500; ++block) {
    std::vector<double> chunk;
    for (int i = 0; i < 64; ++i) chunk.push_back(std::pow(10.0, 8.0 * rng.normal()));
    values.insert(values.end(), chunk.begin(), chunk.end());
    merge(sketch, block_of(chunk));
  }
  CHECK_FALSE(sketch.is_dense());
  CHECK(sketch.folded_low() > 0);
  CHECK(sketch.folded_high() > 0);
  for (double q : {0.05, 0.25, 0.5, 0.75, 0.95}) {
    const double exact = exact_quantile(values, q);
    CHECK(std::abs(sketch.quantile(q) - exact) <= exact / 256.0);
  }
}

TEST_CASE("Blocks in one or two buckets count as the same values in one block", "[unit][tally]") {
  // Constant blocks and 0/1-like blocks take a counting shortcut (dense and sparse); without
  // folding a sketch is a count per bucket, so any grouping of the same values must agree.
  sim::RngStream rng(8, 0, sim::purpose("shortcut"));
  for (const double decades : {0.5, 8.0}) {  // dense window, then sparse bins
    std::vector<double> values;
    sim::tally::QuantileSketch by_block;
    for (int block = 0; block < 300; ++block) {
      std::vector<double> chunk;
      const double a = std::pow(10.0, decades * rng.uniform());
      const double b = std::pow(10.0, decades * rng.uniform());
      for (int i = 0; i < 64; ++i) {
        switch (block % 3) {
          case 0:
            chunk.push_back(a);
            break;  // constant
          case 1:
            chunk.push_back(rng.uniform() < 0.3 ? a : b);
            break;  // two buckets
          default:
            chunk.push_back(std::pow(10.0, decades * rng.uniform()));  // general
        }
      }
      values.insert(values.end(), chunk.begin(), chunk.end());
      merge(by_block, block_of(chunk));
    }
    sim::tally::QuantileSketch at_once;
    merge(at_once, block_of(values));
    CHECK(by_block.is_dense() == (decades < 1.0));
    CHECK(by_block.count() == at_once.count());
    // Bins held (a dense window's width depends on how it grew).
    if (!by_block.is_dense()) CHECK(by_block.buckets_held() == at_once.buckets_held());
    for (int k = 0; k <= 100; ++k) {
      const double q = k / 100.0;
      CHECK(by_block.quantile(q) == at_once.quantile(q));
    }
  }
}

TEST_CASE("Moments of fewer than two values have no spread estimate", "[unit][tally]") {
  sim::tally::Moments m;
  CHECK(std::isnan(m.mcse()));
  m.add(3.0);
  CHECK(m.mean == 3.0);
  CHECK(std::isnan(m.variance()));
  CHECK(std::isnan(m.sd()));
  CHECK(std::isnan(m.mcse()));
  m.add(5.0);
  CHECK(m.variance() == 2.0);
  CHECK(m.mcse() == 1.0);
}

TEST_CASE("A saved and loaded sketch answers and grows exactly as the original", "[unit][tally]") {
  sim::RngStream rng(8, 0, sim::purpose("save"));
  // Dense and folded, then sparse: every part of the state must survive.
  for (const double spread : {0.3, 4.0}) {
    INFO("spread " << spread);
    sim::tally::QuantileSketch original(0.05, 0.95);
    auto next_block = [&] {
      std::vector<double> chunk;
      for (int i = 0; i < 64; ++i) chunk.push_back(100.0 * std::exp(spread * rng.normal()));
      return block_of(chunk);
    };
    for (int block = 0; block < 40; ++block) merge(original, next_block());
    sim::ByteWriter out;
    original.save(out);
    sim::ByteReader in(out.bytes());
    sim::tally::QuantileSketch copy = sim::tally::QuantileSketch::load(in);
    CHECK(in.at_end());
    CHECK(copy.count() == original.count());
    CHECK(copy.is_dense() == original.is_dense());
    for (int block = 0; block < 40; ++block) {
      const Block more = next_block();
      merge(original, more);
      merge(copy, more);
    }
    CHECK(copy.folded_low() == original.folded_low());
    CHECK(copy.buckets_held() == original.buckets_held());
    for (double q : {0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0}) {
      const double a = original.quantile(q);
      const double b = copy.quantile(q);
      CHECK(std::memcmp(&a, &b, sizeof a) == 0);
    }
  }
}

TEST_CASE("A truncated or inconsistent saved sketch is refused", "[unit][tally]") {
  sim::tally::QuantileSketch sketch;
  merge(sketch, block_of({1.0, 2.0, 3.0}));
  sim::ByteWriter out;
  sketch.save(out);
  std::vector<unsigned char> bytes = out.bytes();
  const std::vector<unsigned char> truncated(bytes.begin(), bytes.end() - 1);
  sim::ByteReader short_reader(truncated);
  CHECK_THROWS_WITH(sim::tally::QuantileSketch::load(short_reader), Catch::Contains("truncated"));
  // The total count follows the first int32 and the two vectors: change it by one.
  sim::ByteReader probe(bytes);
  probe.get<std::int32_t>();
  probe.get_vector<std::uint32_t>();
  probe.get_vector<sim::tally::Bin>();
  bytes[probe.position()] ^= 1;
  sim::ByteReader damaged(bytes);
  CHECK_THROWS_WITH(sim::tally::QuantileSketch::load(damaged), Catch::Contains("inconsistent"));
}

TEST_CASE("The bucket index is the sign and the exponent and top 8 mantissa bits",
          "[unit][tally]") {
  // The branch-free index against its definition, bit by bit: the magnitude's bits 63..44, plus
  // one for any value but +-0, negated for negative values.
  const auto reference = [](double value) {
    if (value == 0.0) return std::int32_t{0};
    std::uint64_t bits = 0;
    const double magnitude = std::fabs(value);
    std::memcpy(&bits, &magnitude, sizeof bits);
    const auto index = static_cast<std::int32_t>(bits >> 44) + 1;
    return value < 0.0 ? -index : index;
  };
  sim::RngStream rng(8, 0, sim::purpose("bucket bits"));
  std::vector<double> values = {0.0,
                                -0.0,
                                4.9e-324,
                                -4.9e-324,
                                2.2250738585072014e-308,
                                1.0,
                                -1.0,
                                1.7976931348623157e308,
                                -1.7976931348623157e308};
  for (int i = 0; i < 20000; ++i) {
    const double magnitude = std::pow(2.0, 2000.0 * rng.uniform() - 1000.0);
    values.push_back(rng.uniform() < 0.5 ? -magnitude : magnitude);
  }
  for (double value : values) {
    INFO("value " << value);
    CHECK(sim::tally::QuantileSketch::bucket(value) == reference(value));
  }
}

TEST_CASE("Adding counts of two buckets leaves the state that adding the values' buckets does",
          "[unit][tally]") {
  // The runner hands constant cells and 0/1-like cells over as two counts. The saved state
  // (window, bins, folded tails, extremes) must equal, after every block, that of a sketch given
  // the same values' bucket list, in every mode: dense, dense with folded tails, sparse, sparse
  // with folded tails.
  sim::RngStream rng(8, 0, sim::purpose("two buckets"));
  for (const double decades : {0.5, 8.0}) {
    for (const double lowest_level : {0.0, 0.05}) {
      INFO("decades " << decades << " lowest level " << lowest_level);
      sim::tally::QuantileSketch listed(lowest_level, 1.0 - lowest_level);
      sim::tally::QuantileSketch counted(lowest_level, 1.0 - lowest_level);
      std::vector<std::int32_t> scratch;
      for (int block = 0; block < 400; ++block) {
        const double a = std::pow(10.0, decades * rng.uniform());
        const double b = std::pow(10.0, decades * rng.uniform());
        std::vector<double> chunk;
        for (int i = 0; i < 64; ++i) {
          switch (block % 3) {
            case 0:
              chunk.push_back(a);
              break;
            case 1:
              chunk.push_back(rng.uniform() < 0.3 ? a : b);
              break;
            default:
              chunk.push_back(std::pow(10.0, decades * rng.uniform()));
          }
        }
        const Block listing = block_of(chunk);
        listed.add(listing.buckets, listing.low, listing.high, scratch);
        if (block % 3 == 2) {
          counted.add(listing.buckets, listing.low, listing.high, scratch);
        } else {
          const std::int32_t low_bucket = sim::tally::QuantileSketch::bucket(listing.low);
          const auto at_low = static_cast<std::uint32_t>(
              std::count(listing.buckets.begin(), listing.buckets.end(), low_bucket));
          counted.add_two_buckets(at_low, 64 - at_low, listing.low, listing.high);
        }
        sim::ByteWriter listed_bytes;
        listed.save(listed_bytes);
        sim::ByteWriter counted_bytes;
        counted.save(counted_bytes);
        INFO("block " << block);
        REQUIRE(listed_bytes.bytes() == counted_bytes.bytes());
      }
      CHECK(listed.is_dense() == (decades < 1.0));
      CHECK((listed.folded_low() > 0) == (lowest_level > 0.0));
    }
  }
}
