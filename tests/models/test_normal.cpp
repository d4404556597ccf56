#include <cmath>

#include <catch2/catch.hpp>

#include "models/common/normal.h"

TEST_CASE("Ziggurat normals have the moments and tails of a standard normal",
          "[unit][statistical]") {
  sim::RngStream rng(7, 3, sim::purpose("test.normal"));
  const int n = 400000;
  double sum = 0.0;
  double sum2 = 0.0;
  double sum4 = 0.0;
  int beyond_2 = 0;
  int beyond_3 = 0;
  int below_minus_1 = 0;
  for (int i = 0; i < n; ++i) {
    const double x = models::standard_normal(rng);
    sum += x;
    sum2 += x * x;
    sum4 += x * x * x * x;
    beyond_2 += std::abs(x) > 2.0;
    beyond_3 += std::abs(x) > 3.5;
    below_minus_1 += x < -1.0;
  }
  const double mean = sum / n;
  const double variance = sum2 / n - mean * mean;
  // Tolerances: 4 standard errors of each estimator under N(0, 1).
  CHECK(std::abs(mean) < 4.0 * std::sqrt(1.0 / n));
  CHECK(std::abs(variance - 1.0) < 4.0 * std::sqrt(2.0 / n));
  CHECK(std::abs(sum4 / n - 3.0) < 4.0 * std::sqrt(96.0 / n));
  const auto check_share = [&](int count, double p) {
    CHECK(std::abs(count / double(n) - p) < 4.0 * std::sqrt(p * (1 - p) / n));
  };
  check_share(beyond_2, 0.0455002638963584);
  check_share(beyond_3, 4.6525800807e-4);  // exercises the tail beyond the ziggurat's base
  check_share(below_minus_1, 0.158655253931457);
}

TEST_CASE("Ziggurat normals are reproducible from the stream key", "[unit]") {
  sim::RngStream a(11, 5, sim::purpose("x"));
  sim::RngStream b(11, 5, sim::purpose("x"));
  Eigen::ArrayXd first(16);
  Eigen::ArrayXd second(16);
  models::fill_standard_normal(a, first);
  for (Eigen::Index i = 0; i < 16; ++i) second(i) = models::standard_normal(b);
  CHECK((first == second).all());
}
