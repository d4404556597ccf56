#include <cmath>

#include <catch2/catch.hpp>

#include "models/budget/budget.h"
#include "support.h"

using namespace models;
using models::testing::shipped_data;
using models::testing::TomlTable;

namespace {

/// Brute-force maximiser of the payoff on [lo, hi] (grid, then golden-section refinement).
double numeric_argmax(const StatusTerms& status, const Preferences& p, double lo, double hi) {
  double best = lo;
  for (int k = 0; k <= 20000; ++k) {
    const double s = lo + (hi - lo) * k / 20000.0;
    if (payoff(s, status, p) > payoff(best, status, p)) best = s;
  }
  double a = std::max(lo, best - (hi - lo) / 10000.0);
  double b = std::min(hi, best + (hi - lo) / 10000.0);
  const double phi = (std::sqrt(5.0) - 1.0) / 2.0;
  for (int k = 0; k < 200; ++k) {
    const double c = b - phi * (b - a);
    const double d = a + phi * (b - a);
    if (payoff(c, status, p) > payoff(d, status, p)) {
      b = d;
    } else {
      a = c;
    }
  }
  return 0.5 * (a + b);
}

StatusTerms terms(double base, double per_pct, double pull = 0.0, double bonus = 0.0) {
  StatusTerms t;
  t.base_security = base;
  t.security_per_pct = per_pct;
  t.pull_per_pct = pull;
  t.bonus = bonus;
  return t;
}

}  // namespace

TEST_CASE("The security benefit is quadratic up to the need and flat beyond", "[unit]") {
  const Preferences p{0.5, 100.0, 1.0, 1.0};
  CHECK(security_benefit(0.0, p) == 0.0);
  CHECK(security_benefit(40.0, p) == Approx(0.5 * (40.0 - 1600.0 / 200.0)));
  CHECK(security_benefit(100.0, p) == Approx(25.0));
  CHECK(security_benefit(250.0, p) == Approx(25.0));
}

TEST_CASE("The closed-form smooth optimum is the payoff's maximiser", "[unit]") {
  const struct {
    StatusTerms status;
    Preferences prefs;
  } cases[] = {
      {terms(50.0, 5.5), {0.3, 120.0, 1.0, 1.5}},
      {terms(50.0, 5.5, 0.5), {0.3, 120.0, 0.7, 1.5}},
      {terms(20.0, 5.5), {0.45, 300.0, 1.3, 0.2}},
      {terms(130.0, 5.5), {0.3, 120.0, 1.0, 1.5}},       // satiated: the reference is optimal
      {terms(110.0, 5.5, 0.4), {0.3, 120.0, 2.0, 1.0}},  // becomes satiated inside the range
  };
  for (const auto& c : cases) {
    const double closed = smooth_optimum(c.status, c.prefs);
    CHECK(closed == Approx(numeric_argmax(c.status, c.prefs, -5.0, 15.0)).margin(1e-6));
  }
}

TEST_CASE("Calibrating the reference share inverts the smooth optimum", "[unit]") {
  for (double target : {0.8, 1.5, 2.0, 3.2, 4.48}) {
    for (const StatusTerms& status : {terms(55.0, 5.7), terms(55.0, 5.7, 0.5), terms(95.0, 5.7)}) {
      Preferences p{0.3, 100.0, 1.2, 0.0};
      p.reference_pct = calibrate_reference(target, status, p);
      CHECK(smooth_optimum(status, p) == Approx(target).epsilon(1e-12));
    }
  }
}

TEST_CASE("Allied capability substitutes for own effort (free riding), at the exact rate",
          "[unit]") {
  // Allied security enters base security; the optimum's derivative in it is
  // -g value / need / (c + g^2 value / need) while the benefit is not satiated.
  const Preferences p{0.3, 150.0, 1.0, 1.0};
  const double g = 5.7;
  const double s0 = smooth_optimum(terms(40.0, g), p);
  const double s1 = smooth_optimum(terms(45.0, g), p);
  const double derivative = -g * p.value / p.need / (p.cost + g * g * p.value / p.need);
  CHECK((s1 - s0) / 5.0 == Approx(derivative).epsilon(1e-12));
  CHECK(derivative < 0.0);
  // More threat (a larger need) raises the optimum.
  CHECK(smooth_optimum(terms(40.0, g), Preferences{0.3, 250.0, 1.0, 1.0}) > s0);
}

TEST_CASE("The notch: an ally just below the threshold jumps to it, one far below gives up",
          "[unit]") {
  // One member with smooth optimum about 1.65% of GDP; meeting the threshold is worth `bonus`.
  const Preferences p{0.3, 150.0, 1.0, 0.5};
  const StatusTerms comply = terms(40.0, 5.7, 0.0, 0.7);
  const StatusTerms fall_short = terms(40.0, 5.7);
  const double smooth = smooth_optimum(fall_short, p);
  REQUIRE(smooth < 2.0);

  const BudgetTarget near = choose_target(2.0, comply, fall_short, p);
  CHECK(near.complies);
  CHECK(near.at_threshold);
  CHECK(near.share_pct == 2.0);  // exactly at the threshold: bunching

  const BudgetTarget far = choose_target(5.0, comply, fall_short, p);
  CHECK_FALSE(far.complies);
  CHECK(far.share_pct == smooth);  // gives up: back to its own optimum

  // The switch happens where the two payoffs are equal.
  double low = 2.0;
  double high = 5.0;
  for (int k = 0; k < 60; ++k) {
    const double mid = 0.5 * (low + high);
    (choose_target(mid, comply, fall_short, p).complies ? low : high) = mid;
  }
  CHECK(payoff(low, comply, p) == Approx(payoff(smooth, fall_short, p)).epsilon(1e-9));
  // An ally whose own optimum is above the threshold just goes there.
  const BudgetTarget above = choose_target(1.0, comply, fall_short, p);
  CHECK(above.complies);
  CHECK_FALSE(above.at_threshold);
  CHECK(above.share_pct == smooth_optimum(comply, p));
}

TEST_CASE("Credible enforcement widens the range of thresholds allies meet", "[unit]") {
  const Preferences p{0.3, 150.0, 1.0, 1.0};
  const double us_value = 25.0;
  const StatusTerms comply = terms(30.0 + 0.8 * us_value, 5.7, 0.0, 0.7);
  const auto highest_met = [&](double enforcement) {
    const StatusTerms fall_short = terms(30.0 + 0.8 * (1.0 - enforcement) * us_value, 5.7);
    double met = 0.0;
    for (double tau = 1.0; tau < 8.0; tau += 0.01) {
      if (choose_target(tau, comply, fall_short, p).complies) met = tau;
    }
    return met;
  };
  CHECK(highest_met(0.0) < highest_met(0.5));
  CHECK(highest_met(0.5) < highest_met(0.9));
}

TEST_CASE("Yearly adjustment is partial, bounded, and lands exactly on a reachable threshold",
          "[unit]") {
  AdjustmentLimits limits;
  limits.speed = 0.4;
  limits.max_cut_pct = 0.15;
  limits.max_rise_pct = 0.3;
  const BudgetTarget interior{3.0, false, false};
  CHECK(adjust_share(2.5, interior, 4.0, limits, 0.0) == Approx(2.7));
  CHECK(adjust_share(2.5, interior, 4.0, limits, 0.05) == Approx(2.75));
  CHECK(adjust_share(1.0, interior, 4.0, limits, 0.0) == Approx(1.3));  // capped rise
  CHECK(adjust_share(3.0, BudgetTarget{1.0, false, false}, 4.0, limits, 0.0) ==
        Approx(2.85));  // capped cut
  const BudgetTarget notch{2.15, true, true};
  CHECK(adjust_share(2.0, notch, 2.15, limits, 0.1) == 2.15);         // exactly, whatever the noise
  CHECK(adjust_share(1.5, notch, 2.15, limits, 0.0) == Approx(1.8));  // out of reach: max rise
  CHECK(adjust_share(2.5, notch, 2.15, limits, 0.0) == Approx(2.36));  // above: partial, down
  CHECK(adjust_share(2.2, notch, 2.15, limits, -0.2) == 2.15);  // never below while complying
  const BudgetTarget above{3.0, true, false};
  CHECK(adjust_share(2.0, above, 2.15, limits, -0.5) == 2.15);
  limits.min_share_pct = 0.5;
  CHECK(adjust_share(0.55, BudgetTarget{0.0, false, false}, 2.0, limits, 0.0) == 0.5);
}

TEST_CASE("Budget parameters reject unknown members and out-of-range values", "[unit]") {
  TomlTable bad("[b]\n[b.cost_multiplier]\nGR = 1.2\nXX = 1.0\n", "b");
  CHECK_THROWS_WITH(parse_budget(bad.table, shipped_data()),
                    "test.toml:4:6: b.cost_multiplier.XX: unknown ISO code, got \"XX\" (expected "
                    "a member's code)");
  TomlTable speed("[b]\nadjustment_speed = 0.0\n", "b");
  CHECK_THROWS_WITH(parse_budget(speed.table, shipped_data()),
                    "test.toml:2:20: b.adjustment_speed: out of range, got 0 (expected a number "
                    "in (0, 1])");
  TomlTable ok(
      "[b]\npledge_value = {dist = \"uniform\", low = 0.4, high = 1.0}\n[b.cost_multiplier]\nGR = "
      "1.2\n",
      "b");
  const BudgetParams p = parse_budget(ok.table, shipped_data());
  ok.table.finish();
  CHECK(p.cost_multiplier(static_cast<Eigen::Index>(*shipped_data().find("GR"))) == 1.2);
  CHECK(p.pledge_value.central() == Approx(0.7));
  const BudgetDrawn d1 = draw_budget(p, 5, 1);
  const BudgetDrawn d2 = draw_budget(p, 5, 1);
  CHECK(d1.pledge_value == d2.pledge_value);
  CHECK(d1.pledge_value >= 0.4);
  CHECK(d1.pledge_value <= 1.0);
}
