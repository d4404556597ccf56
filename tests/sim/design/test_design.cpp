#include <catch2/catch.hpp>

#include <cmath>
#include <set>

#include "sim/design/morris.h"
#include "sim/design/saltelli.h"
#include "sim/design/sobol_sequence.h"

TEST_CASE("The Sobol sequence starts with the published Joe-Kuo points", "[unit][design]") {
  // scipy.stats.qmc.Sobol(d=3, scramble=False).random(8) uses the same direction numbers.
  const double expected[8][3] = {{0, 0, 0},
                                 {0.5, 0.5, 0.5},
                                 {0.75, 0.25, 0.25},
                                 {0.25, 0.75, 0.75},
                                 {0.375, 0.375, 0.625},
                                 {0.875, 0.875, 0.125},
                                 {0.625, 0.125, 0.875},
                                 {0.125, 0.625, 0.375}};
  const auto points = sim::design::sobol_points(8, 3);
  for (int i = 0; i < 8; ++i) {
    for (int j = 0; j < 3; ++j) {
      CHECK(points[i][j] * 0x1.0p-32 == expected[i][j]);
    }
  }
}

TEST_CASE("Every dimension of the first 2^k Sobol points fills each of 2^k cells once",
          "[unit][design]") {
  const std::size_t n = 256;
  const auto points = sim::design::sobol_points(n, sim::design::kSobolMaxDimensions);
  for (std::size_t j = 0; j < sim::design::kSobolMaxDimensions; ++j) {
    std::set<std::uint32_t> cells;
    for (std::size_t i = 0; i < n; ++i) cells.insert(points[i][j] >> 24);
    CHECK(cells.size() == n);
  }
  CHECK_THROWS_AS(sim::design::sobol_points(4, sim::design::kSobolMaxDimensions + 1),
                  std::invalid_argument);
}

TEST_CASE("A Saltelli design swaps exactly one column between A and B per AB_i row",
          "[unit][design]") {
  const auto design = sim::design::saltelli_design(3, 16, true, 7);
  REQUIRE(design.unit.rows() == 16 * 8);
  for (std::size_t n = 0; n < 16; ++n) {
    const Eigen::RowVectorXd a = design.unit.row(static_cast<Eigen::Index>(design.row_a(n)));
    const Eigen::RowVectorXd b = design.unit.row(static_cast<Eigen::Index>(design.row_b(n)));
    for (std::size_t i = 0; i < 3; ++i) {
      const Eigen::RowVectorXd ab = design.unit.row(static_cast<Eigen::Index>(design.row_ab(n, i)));
      const Eigen::RowVectorXd ba = design.unit.row(static_cast<Eigen::Index>(design.row_ba(n, i)));
      for (Eigen::Index j = 0; j < 3; ++j) {
        CHECK(ab(j) == (j == static_cast<Eigen::Index>(i) ? b(j) : a(j)));
        CHECK(ba(j) == (j == static_cast<Eigen::Index>(i) ? a(j) : b(j)));
      }
    }
  }
  CHECK(design.unit.minCoeff() > 0.0);
  CHECK(design.unit.maxCoeff() < 1.0);
}

TEST_CASE("A Saltelli design is fixed by its seed and changes with it", "[unit][design]") {
  const auto one = sim::design::saltelli_design(4, 32, false, 3);
  const auto same = sim::design::saltelli_design(4, 32, false, 3);
  const auto other = sim::design::saltelli_design(4, 32, false, 4);
  CHECK(one.unit == same.unit);
  CHECK(one.unit != other.unit);
  CHECK_THROWS_AS(sim::design::saltelli_design(4, 48, false, 3), std::invalid_argument);
}

TEST_CASE("Each Morris trajectory step moves one parameter by delta on the grid",
          "[unit][design]") {
  const std::size_t d = 5;
  const auto design = sim::design::morris_design(d, 6, 4, 0, 11);
  REQUIRE(design.unit.rows() == static_cast<Eigen::Index>(6 * (d + 1)));
  CHECK(design.delta == Approx(2.0 / 3.0));
  for (std::size_t t = 0; t < 6; ++t) {
    std::set<std::size_t> moved;
    for (std::size_t k = 0; k < d; ++k) {
      const Eigen::RowVectorXd change =
          design.unit.row(static_cast<Eigen::Index>(design.row(t, k + 1))) -
          design.unit.row(static_cast<Eigen::Index>(design.row(t, k)));
      const std::size_t i = design.changed[t * d + k];
      moved.insert(i);
      CHECK(change(static_cast<Eigen::Index>(i)) == Approx(design.step[t * d + k]));
      CHECK(change.cwiseAbs().sum() == Approx(design.delta));
    }
    CHECK(moved.size() == d);
  }
  for (Eigen::Index r = 0; r < design.unit.rows(); ++r) {
    for (Eigen::Index j = 0; j < design.unit.cols(); ++j) {
      const double level = design.unit(r, j) * 3.0;
      CHECK(level == Approx(std::round(level)).margin(1e-12));
      CHECK(design.unit(r, j) >= 0.0);
      CHECK(design.unit(r, j) <= 1.0);
    }
  }
}

TEST_CASE("Optimised Morris selection spreads trajectories more than the first r drawn",
          "[unit][design]") {
  auto spread = [](const sim::design::MorrisDesign& design) {
    double total = 0.0;
    const auto rows = static_cast<Eigen::Index>(design.parameters + 1);
    for (std::size_t a = 0; a < design.trajectories; ++a) {
      for (std::size_t b = a + 1; b < design.trajectories; ++b) {
        double dist = 0.0;
        for (Eigen::Index i = 0; i < rows; ++i) {
          for (Eigen::Index j = 0; j < rows; ++j) {
            dist += (design.unit.row(static_cast<Eigen::Index>(design.row(a, 0)) + i) -
                     design.unit.row(static_cast<Eigen::Index>(design.row(b, 0)) + j))
                        .norm();
          }
        }
        total += dist * dist;
      }
    }
    return total;
  };
  const auto plain = sim::design::morris_design(4, 6, 4, 0, 5);
  const auto optimised = sim::design::morris_design(4, 6, 4, 40, 5);
  CHECK(spread(optimised) > spread(plain));
  CHECK_THROWS_AS(sim::design::morris_design(4, 6, 3, 0, 5), std::invalid_argument);
}
