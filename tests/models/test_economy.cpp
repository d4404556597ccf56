#include <cmath>

#include <catch2/catch.hpp>

#include "models/economy/economy.h"
#include "support.h"

using namespace models;
using models::testing::shipped_data;
using models::testing::TomlTable;

TEST_CASE("The correlation matrix has the common value, group values and a unit diagonal",
          "[unit]") {
  const Eigen::MatrixXd r = build_correlation(4, 0.3, {CorrelationGroup{"g", {1, 2}, 0.8}});
  CHECK(r(0, 0) == 1.0);
  CHECK(r(1, 1) == 1.0);
  CHECK(r(0, 1) == 0.3);
  CHECK(r(1, 2) == 0.8);
  CHECK(r(2, 1) == 0.8);
  CHECK(r(3, 2) == 0.3);
}

TEST_CASE("The economy's Cholesky factor reproduces the configured correlation", "[unit]") {
  TomlTable toml(
      "[e]\n[e.correlation]\ncommon = 0.4\ngroups = [{name = \"euro\", correlation = 0.7, members "
      "= [\"DE\", \"FR\", \"IT\"]}]\n",
      "e");
  const EconomyParams p = parse_economy(toml.table, shipped_data());
  const Eigen::MatrixXd product = p.cholesky * p.cholesky.transpose();
  CHECK((product - p.correlation).cwiseAbs().maxCoeff() < 1e-12);
  const auto de = static_cast<Eigen::Index>(*shipped_data().find("DE"));
  const auto fr = static_cast<Eigen::Index>(*shipped_data().find("FR"));
  const auto pl = static_cast<Eigen::Index>(*shipped_data().find("PL"));
  CHECK(p.correlation(de, fr) == 0.7);
  CHECK(p.correlation(de, pl) == 0.4);
}

TEST_CASE("A correlation structure that is not positive definite is rejected at its key",
          "[unit]") {
  TomlTable toml("[e]\n[e.correlation]\ncommon = -0.5\n", "e");
  CHECK_THROWS_WITH(
      parse_economy(toml.table, shipped_data()),
      Catch::Matchers::StartsWith("test.toml:2:1: e.correlation: correlation matrix is not "
                                  "positive definite, got smallest eigenvalue -14.5 (expected "
                                  "common in (-0.0323, 1)"));
  TomlTable perfect(
      "[e]\n[e.correlation]\ncommon = 0.2\ngroups = [{correlation = 1.0, members = "
      "[\"DE\", \"FR\"]}]\n",
      "e");
  CHECK_THROWS_WITH(parse_economy(perfect.table, shipped_data()),
                    Catch::Matchers::Contains("correlation matrix is not positive definite"));
  TomlTable unknown(
      "[e]\n[e.correlation]\ngroups = [{correlation = 0.5, members = [\"DE\", "
      "\"XX\"]}]\n",
      "e");
  CHECK_THROWS_WITH(parse_economy(unknown.table, shipped_data()),
                    Catch::Matchers::Contains("members[1]: unknown ISO code, got \"XX\""));
}

TEST_CASE("Member trends are shrunk log growth of the last years of data, clamped", "[unit]") {
  const AllianceData& data = shipped_data();
  EconomyParams p;
  p.trend_window_years = 10;
  p.trend_shrinkage = 0.5;
  p.trend_min = -1.0;
  p.trend_max = 1.0;
  const Eigen::ArrayXd trend = trend_growth(data, p);
  Eigen::ArrayXd own(static_cast<Eigen::Index>(data.size()));
  for (std::size_t i = 0; i < data.size(); ++i) {
    own(static_cast<Eigen::Index>(i)) =
        std::log(data.gdp_usd_bn(i, 2023) / data.gdp_usd_bn(i, 2013)) / 10.0;
  }
  const auto us = static_cast<Eigen::Index>(data.patron);
  CHECK(trend(us) == Approx(0.5 * own(us) + 0.5 * own.mean()).epsilon(1e-14));
  p.trend_max = 0.02;
  CHECK(trend_growth(data, p).maxCoeff() == 0.02);
}

TEST_CASE("Start-year GDP is the 2023 figure grown at the member's trend", "[unit][data]") {
  const AllianceData& data = shipped_data();
  const Eigen::ArrayXd trend =
      Eigen::ArrayXd::Constant(static_cast<Eigen::Index>(data.size()), 0.03);
  const Eigen::ArrayXd gdp = gdp_in_year(data, trend, 2025);
  const auto us = static_cast<Eigen::Index>(data.patron);
  CHECK(gdp(us) == Approx(27360.935 * std::exp(0.06)).epsilon(1e-14));
  CHECK(gdp_in_year(data, trend, 2020)(us) == data.gdp_usd_bn(data.patron, 2020));
}

TEST_CASE("Without shocks GDP grows exactly at trend plus offset", "[unit]") {
  Eigen::ArrayXd gdp(3);
  gdp << 100.0, 50.0, 10.0;
  Eigen::ArrayXd trend(3);
  trend << 0.01, 0.02, -0.01;
  const Eigen::MatrixXd identity = Eigen::MatrixXd::Identity(3, 3);
  sim::RngStream rng(1, 0, sim::purpose("e"));
  Eigen::ArrayXd z(3);
  Eigen::ArrayXd shock(3);
  grow_gdp(gdp, trend, identity, 0.005, 0.0, rng, z, shock);
  CHECK(gdp(0) == Approx(100.0 * std::exp(0.015)).epsilon(1e-15));
  CHECK(gdp(2) == Approx(10.0 * std::exp(-0.005)).epsilon(1e-15));
}

TEST_CASE("GDP shocks drawn through the Cholesky factor have the configured correlation",
          "[unit][statistical]") {
  const Eigen::MatrixXd r = build_correlation(3, 0.5, {CorrelationGroup{"g", {0, 1}, 0.8}});
  const Eigen::MatrixXd l = Eigen::LLT<Eigen::MatrixXd>(r).matrixL();
  sim::RngStream rng(3, 1, sim::purpose("e"));
  const int n = 40000;
  Eigen::ArrayXd gdp = Eigen::ArrayXd::Ones(3);
  Eigen::ArrayXd z(3);
  Eigen::ArrayXd shock(3);
  Eigen::MatrixXd sums = Eigen::MatrixXd::Zero(3, 3);
  for (int k = 0; k < n; ++k) {
    gdp.setOnes();
    grow_gdp(gdp, Eigen::ArrayXd::Zero(3), l, 0.0, 0.1, rng, z, shock);
    const Eigen::VectorXd x = (gdp.log() / 0.1).matrix();
    sums += x * x.transpose();
  }
  const Eigen::MatrixXd cov = sums / n;
  // The sample correlation's standard error is (1 - rho^2) / sqrt(n); allow 4 of them.
  for (int a = 0; a < 3; ++a) {
    for (int b = a + 1; b < 3; ++b) {
      const double rho = cov(a, b) / std::sqrt(cov(a, a) * cov(b, b));
      const double se = (1 - r(a, b) * r(a, b)) / std::sqrt(double(n));
      CHECK(std::abs(rho - r(a, b)) < 4 * se);
    }
  }
}
