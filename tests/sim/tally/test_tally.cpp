#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
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
  std::vector<double> values = {-1e9, -3.5, -1.0, -1e-12, 0.0, 1e-300, 1e-12, 0.5, 1.0, 1.001, 2.0, 1e9};
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
}  // namespace

TEST_CASE("Sketch quantiles are exact for small integers and 0/1 flags", "[unit][tally]") {
  std::vector<double> values;
  for (int i = 0; i < 500; ++i) values.push_back(static_cast<double>((i * 37) % 500));
  std::vector<sim::tally::Bin> scratch;
  std::vector<sim::tally::Bin> bins;
  sim::tally::QuantileSketch::bins_of(values, scratch, bins);
  sim::tally::QuantileSketch sketch;
  sketch.merge(bins);
  for (double q : {0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0}) {
    CHECK(sketch.quantile(q) == exact_quantile(values, q));
  }
  std::vector<double> flags = {0, 1, 1, 0, 1, 1, 1, 1, 0, 1};
  bins.clear();
  sim::tally::QuantileSketch::bins_of(flags, scratch, bins);
  sim::tally::QuantileSketch flag_sketch;
  flag_sketch.merge(bins);
  CHECK(flag_sketch.quantile(0.25) == 0.0);
  CHECK(flag_sketch.quantile(0.5) == 1.0);
}

TEST_CASE("Sketch quantiles of continuous values are within 2^-8 relative error",
          "[unit][tally]") {
  sim::RngStream rng(3, 0, sim::purpose("sketch"));
  std::vector<double> values;
  sim::tally::QuantileSketch merged_in_order;
  sim::tally::QuantileSketch merged_reversed;
  std::vector<std::vector<sim::tally::Bin>> blocks;
  std::vector<sim::tally::Bin> scratch;
  for (int block = 0; block < 50; ++block) {
    std::vector<double> chunk;
    for (int i = 0; i < 64; ++i) chunk.push_back(std::exp(rng.normal()) - 0.8);
    values.insert(values.end(), chunk.begin(), chunk.end());
    blocks.emplace_back();
    sim::tally::QuantileSketch::bins_of(chunk, scratch, blocks.back());
  }
  for (const auto& bins : blocks) merged_in_order.merge(bins);
  for (auto it = blocks.rbegin(); it != blocks.rend(); ++it) merged_reversed.merge(*it);
  CHECK(merged_in_order.count() == 3200);
  for (double q : {0.05, 0.25, 0.5, 0.75, 0.95}) {
    const double exact = exact_quantile(values, q);
    CHECK(std::abs(merged_in_order.quantile(q) - exact) <= std::abs(exact) / 256.0);
    // Order independence: counts add and extremes take min/max.
    CHECK(merged_in_order.quantile(q) == merged_reversed.quantile(q));
  }
}

TEST_CASE("Bins of consecutive cells sharing a value stay separate", "[unit][tally]") {
  // Regression: cells are appended to one vector; the second cell's first bin equals the first
  // cell's last bin and must not be folded into it.
  std::vector<sim::tally::Bin> scratch;
  std::vector<sim::tally::Bin> bins;
  const std::vector<double> first = {1.0, 2.0, 2.0};
  const std::vector<double> second = {2.0, 2.0, 3.0};
  sim::tally::QuantileSketch::bins_of(first, scratch, bins);
  const std::size_t split = bins.size();
  sim::tally::QuantileSketch::bins_of(second, scratch, bins);
  REQUIRE(split == 2);
  REQUIRE(bins.size() == 4);
  sim::tally::QuantileSketch a;
  sim::tally::QuantileSketch b;
  a.merge(std::span<const sim::tally::Bin>(bins.data(), split));
  b.merge(std::span<const sim::tally::Bin>(bins.data() + split, bins.size() - split));
  CHECK(a.count() == 3);
  CHECK(b.count() == 3);
  CHECK(a.quantile(0.0) == 1.0);
  CHECK(b.quantile(0.0) == 2.0);
  CHECK(b.quantile(1.0) == 3.0);
}
