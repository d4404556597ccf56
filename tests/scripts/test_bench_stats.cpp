#include <catch2/catch.hpp>

#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

#include "scripts/bench_stats.h"

namespace {

/// P(B <= j) for B ~ Binomial(n, 1/2), exactly, as a fraction of 2^n (n <= 60).
double binomial_below(int n, int j) {
  std::uint64_t count = 0;
  std::uint64_t choose = 1;  // C(n, i)
  for (int i = 0; i <= j; ++i) {
    count += choose;
    choose = choose * static_cast<std::uint64_t>(n - i) / static_cast<std::uint64_t>(i + 1);
  }
  return static_cast<double>(count) / static_cast<double>(std::uint64_t{1} << n);
}

std::vector<double> one_to(int n) {
  std::vector<double> values(static_cast<std::size_t>(n));
  std::iota(values.begin(), values.end(), 1.0);
  std::shuffle(values.begin(), values.end(), std::mt19937(7));
  return values;
}

}  // namespace

TEST_CASE("median_interval: the median and the order statistics of known cases", "[bench]") {
  // n = 5: no narrower interval reaches 90%, so the least and the largest, 1 - 2/32.
  bench::MedianInterval five = bench::median_interval({5.0, 1.0, 4.0, 2.0, 3.0});
  CHECK(five.median == 3.0);
  CHECK(five.low == 1.0);
  CHECK(five.high == 5.0);
  CHECK(five.coverage == 1.0 - 2.0 / 32.0);
  // n = 10: [x(2), x(9)], 1 - 2 * 11 / 1024; even n: the mean of the middle two.
  bench::MedianInterval ten = bench::median_interval(one_to(10));
  CHECK(ten.median == 5.5);
  CHECK(ten.low == 2.0);
  CHECK(ten.high == 9.0);
  CHECK(ten.coverage == 1.0 - 2.0 * 11.0 / 1024.0);
  // n = 15: [x(4), x(12)], 1 - 2 * 576 / 32768.
  bench::MedianInterval fifteen = bench::median_interval(one_to(15));
  CHECK(fifteen.median == 8.0);
  CHECK(fifteen.low == 4.0);
  CHECK(fifteen.high == 12.0);
  CHECK(fifteen.coverage == 1.0 - 2.0 * 576.0 / 32768.0);
  // Fewer than 5: the least and the largest, with the coverage they have (two values: 1/2).
  bench::MedianInterval two = bench::median_interval({2.0, 1.0});
  CHECK(two.median == 1.5);
  CHECK(two.low == 1.0);
  CHECK(two.high == 2.0);
  CHECK(two.coverage == 0.5);
}

TEST_CASE("median_interval: the narrowest interval with at least 90% coverage", "[bench]") {
  for (int n = 5; n <= 60; ++n) {
    const bench::MedianInterval m = bench::median_interval(one_to(n));
    // The values are 1..n, so low = k and high = n + 1 - k.
    const int k = static_cast<int>(m.low);
    CAPTURE(n, k);
    CHECK(m.high == static_cast<double>(n + 1 - k));
    CHECK(m.coverage == Approx(1.0 - 2.0 * binomial_below(n, k - 1)).epsilon(1e-12));
    CHECK(m.coverage >= 0.9);
    // One order statistic further in would fall below 90%.
    if (k + 1 <= n / 2) CHECK(1.0 - 2.0 * binomial_below(n, k) < 0.9);
    CHECK(m.low <= m.median);
    CHECK(m.median <= m.high);
  }
}
