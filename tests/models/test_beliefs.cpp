#include <catch2/catch.hpp>

#include "models/policy/beliefs.h"
#include "support.h"

using namespace models;
using models::testing::shipped_data;

TEST_CASE("Newer members hold weaker priors about U.S. reliability", "[unit]") {
  BeliefParams p;
  CHECK(prior_strength(p, 1949, 2025) == 10.0);
  CHECK(prior_strength(p, 2020, 2025) == 5.0);  // North Macedonia
  CHECK(prior_strength(p, 2023, 2025) == 2.0);  // Finland
  CHECK(prior_strength(p, 2024, 2025) == 2.0);  // Sweden: at the minimum
  BeliefState beliefs;
  init_beliefs(beliefs, shipped_data(), p, 2025, 0.8, 0.6);
  const auto fi = *shipped_data().find("FI");
  CHECK(beliefs.reliability(fi) == Approx(0.8));
  CHECK(beliefs.reliability_a(static_cast<Eigen::Index>(fi)) == Approx(1.6));
  CHECK(beliefs.enforcement(fi) == Approx(0.6));
  CHECK(beliefs.enforcement_a(static_cast<Eigen::Index>(fi)) +
            beliefs.enforcement_b(static_cast<Eigen::Index>(fi)) ==
        Approx(0.8));
}

TEST_CASE("Beliefs count discounted observations of what the U.S. did", "[unit]") {
  BeliefParams p;
  p.forgetting = 0.9;
  p.signal_weight = 1.0;
  BeliefState b;
  b.reliability_a = Eigen::ArrayXd::Constant(3, 8.0);
  b.reliability_b = Eigen::ArrayXd::Constant(3, 2.0);
  b.enforcement_a = Eigen::ArrayXd::Constant(3, 2.0);
  b.enforcement_b = Eigen::ArrayXd::Constant(3, 2.0);
  Eigen::ArrayXd compliant(3);
  compliant << 1.0, 0.0, 1.0;
  Eigen::ArrayXd skip(3);
  skip << 0.0, 0.0, 1.0;
  Eigen::ArrayXd uniforms(3);
  // The same stream, replayed, tells what each member observed.
  sim::RngStream rng(9, 4, sim::purpose("alliance.beliefs"));
  sim::RngStream replay(9, 4, sim::purpose("alliance.beliefs"));
  double u[3];
  for (double& x : u) x = (static_cast<double>(replay.next_u32()) + 0.5) * 0x1.0p-32;
  update_beliefs(b, p, compliant, skip, true, 0.7, 0.6, rng, uniforms);
  // Member 0 (compliant) saw a reliability signal.
  const double x0 = u[0] < 0.7 ? 1.0 : 0.0;
  CHECK(b.reliability_a(0) == Approx(7.2 + x0));
  CHECK(b.reliability_b(0) == Approx(1.8 + 1.0 - x0));
  // Member 1 (non-compliant, conditional) learnt nothing about reliability; everyone saw
  // whether the U.S. signalled it would withhold from it.
  const double withheld = u[1] < 0.6 ? 1.0 : 0.0;
  CHECK(b.reliability_a(1) == Approx(7.2));
  CHECK(b.enforcement_a(0) == Approx(1.8 + withheld));
  CHECK(b.enforcement_a(1) == Approx(1.8 + withheld));
  CHECK(b.enforcement_b(1) == Approx(1.8 + 1.0 - withheld));
  // Member 2 (the patron) is skipped.
  CHECK(b.reliability_a(2) == 8.0);
  CHECK(b.enforcement_a(2) == 2.0);

  observe_us_response(b, 0, 0.0, 3.0);
  CHECK(b.reliability_b(0) == Approx(1.8 + 1.0 - x0 + 3.0));
}

TEST_CASE("Under a steady signal a belief converges to the signal's frequency",
          "[unit][statistical]") {
  BeliefParams p;
  BeliefState b;
  b.reliability_a = Eigen::ArrayXd::Constant(200, 8.0);
  b.reliability_b = Eigen::ArrayXd::Constant(200, 2.0);
  b.enforcement_a = Eigen::ArrayXd::Constant(200, 1.0);
  b.enforcement_b = Eigen::ArrayXd::Constant(200, 1.0);
  const Eigen::ArrayXd compliant = Eigen::ArrayXd::Ones(200);
  const Eigen::ArrayXd skip = Eigen::ArrayXd::Zero(200);
  Eigen::ArrayXd uniforms(200);
  sim::RngStream rng(2, 0, sim::purpose("b"));
  for (int year = 0; year < 100; ++year) {
    update_beliefs(b, p, compliant, skip, false, 0.5, 0.0, rng, uniforms);
  }
  const Eigen::ArrayXd mean = b.reliability_a / (b.reliability_a + b.reliability_b);
  // Each belief is a discounted average of ~10 effective Bernoulli(0.5) draws: sd about
  // sqrt(0.25 * (1 - 0.9) / (1 + 0.9)) = 0.115; the mean of 200 has SE 0.008. Allow 4 SE.
  CHECK(std::abs(mean.mean() - 0.5) < 0.033);
}
