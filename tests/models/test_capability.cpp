#include <catch2/catch.hpp>

#include "models/capability/capability.h"
#include "support.h"

using namespace models;
using models::testing::shipped_data;

TEST_CASE("Capability follows the perpetual inventory recursion exactly", "[unit]") {
  Eigen::ArrayXd stock(2);
  stock << 100.0, 0.0;
  Eigen::ArrayXd share(2);
  share << 2.0, 3.0;
  Eigen::ArrayXd gdp(2);
  gdp << 1000.0, 500.0;
  accumulate_capability(stock, share, gdp, 0.1);
  CHECK(stock(0) == Approx(0.9 * 100.0 + 20.0).epsilon(1e-15));
  CHECK(stock(1) == Approx(15.0).epsilon(1e-15));
  accumulate_capability(stock, share, gdp, 0.1);
  CHECK(stock(0) == Approx(0.9 * 110.0 + 20.0).epsilon(1e-15));
}

TEST_CASE("The initial stock is the steady state when share and GDP never changed", "[unit]") {
  AllianceData data;
  MemberData m;
  m.iso2 = "AA";
  m.reference_year = 2014;
  m.reference_share_pct = 2.0;
  m.latest_year = 2024;
  m.latest_share_pct = 2.0;
  data.members.push_back(m);
  MemberData exempt = m;
  exempt.iso2 = "BB";
  exempt.exempt = true;
  data.members.push_back(exempt);
  const auto flat_gdp = [](std::size_t, int) { return 1000.0; };
  const Eigen::ArrayXd k = initial_capability(data, 0.1, 2025, flat_gdp);
  CHECK(k(0) == Approx(0.02 * 1000.0 / 0.1).epsilon(1e-13));
  CHECK(k(1) == 0.0);
}

TEST_CASE("The initial stock interpolates shares from 2014 to the latest figure", "[unit]") {
  AllianceData data;
  MemberData m;
  m.reference_year = 2014;
  m.reference_share_pct = 1.0;
  m.latest_year = 2016;
  m.latest_share_pct = 3.0;
  data.members.push_back(m);
  const auto gdp = [](std::size_t, int) { return 100.0; };
  // End of 2013: 1 / 0.5 = 2; 2014: 1 + 1 = 2; 2015: 1 + 2 = 3; 2016: 1.5 + 3 = 4.5;
  // 2017: 2.25 + 3 = 5.25.
  const Eigen::ArrayXd k = initial_capability(data, 0.5, 2017, gdp);
  CHECK(k(0) == Approx(5.25).epsilon(1e-15));
}
