#include <array>
#include <cmath>
#include <random>
#include <span>
#include <vector>

#include <catch2/catch.hpp>

#include "models/budget/budget.h"
#include "support.h"

using namespace models;
using models::testing::TomlTable;

namespace {

/// The payoff the decision maximises, in (pp of GDP)^2.
double payoff(double share, double desired, const std::vector<Notch>& notches) {
  double u = -(share - desired) * (share - desired);
  for (const Notch& n : notches) u += share >= n.threshold_pct ? n.worth_pp2 : 0.0;
  return u;
}

/// Brute-force maximiser on a fine grid (ties to the higher share, as the rule says).
double numeric_argmax(double desired, const std::vector<Notch>& notches) {
  double best = 0.0;
  for (int k = 0; k <= 100000; ++k) {
    const double s = k * 1e-4;  // 0 .. 10 % of GDP
    if (payoff(s, desired, notches) >= payoff(best, desired, notches) - 1e-12) best = s;
  }
  return best;
}

}  // namespace

TEST_CASE("A notch is met exactly when the gap is smaller than the gap its worth pays for",
          "[unit]") {
  // Worth 1.0^2: a member 0.9 pp below closes the gap, one 1.1 pp below does not.
  const std::vector<Notch> pledge{{2.0, 1.0, 5.0}};
  const BudgetTarget close = choose_target(1.1, pledge);
  CHECK(close.at_notch);
  CHECK(close.share_pct == 2.0);
  CHECK(close.years_left == 5.0);
  CHECK(close.floor_pct == 2.0);
  const BudgetTarget far = choose_target(0.9, pledge);
  CHECK_FALSE(far.at_notch);
  CHECK(far.share_pct == 0.9);
  CHECK(far.floor_pct == 0.0);
  // Exactly at the edge the tie goes to meeting the notch.
  CHECK(choose_target(1.0, pledge).at_notch);
  // Above the threshold the desired share is the target, and the notch is its floor.
  const BudgetTarget above = choose_target(2.7, pledge);
  CHECK(above.share_pct == 2.7);
  CHECK(above.floor_pct == 2.0);
}

TEST_CASE("The target is the payoff's maximiser over shares, for several notches", "[unit]") {
  // A 2% pledge and a 3.5% one, both partly pressing, and a U.S. threshold at 3%.
  const std::vector<Notch> notches{{2.0, 0.5, 3.0}, {3.5, 1.2, 10.0}, {3.0, 0.8, 1.0}};
  for (double desired = 0.2; desired < 4.5; desired += 0.137) {
    const BudgetTarget target = choose_target(desired, notches);
    INFO("desired " << desired);
    CHECK(target.share_pct == Approx(numeric_argmax(desired, notches)).margin(2e-4));
  }
  // The binding deadline is the earliest among the notches met from below.
  const std::vector<Notch> two{{2.0, 4.0, 3.0}, {2.5, 4.0, 10.0}};
  const BudgetTarget both = choose_target(1.9, two);
  CHECK(both.share_pct == 2.5);
  CHECK(both.years_left == 3.0);
}

TEST_CASE("A higher desired share never gives a lower target (monotone in threat)", "[unit]") {
  const std::vector<Notch> notches{{2.0, 0.7, 4.0}, {3.5, 2.0, 10.0}, {5.0, 0.3, 1.0}};
  double previous = 0.0;
  for (double desired = 0.0; desired < 6.0; desired += 0.01) {
    const double target = choose_target(desired, notches).share_pct;
    CHECK(target >= previous);
    previous = target;
  }
}

TEST_CASE("Pledge pressure rises from 0 at the announcement to 1 at the deadline and stays",
          "[unit]") {
  CHECK(pledge_pressure(2013, 2014, 2024, 2.0) == 0.0);
  CHECK(pledge_pressure(2014, 2014, 2024, 2.0) == 0.0);
  CHECK(pledge_pressure(2019, 2014, 2024, 2.0) == Approx(0.25));
  CHECK(pledge_pressure(2019, 2014, 2024, 1.0) == Approx(0.5));
  CHECK(pledge_pressure(2024, 2014, 2024, 2.0) == 1.0);
  CHECK(pledge_pressure(2030, 2014, 2024, 2.0) == 1.0);
}

TEST_CASE("A member aiming at a pledge follows the even path to its deadline", "[unit]") {
  AdjustmentLimits limits;
  limits.speed = 0.9;  // would close most of the gap at once without the path
  limits.max_rise_pct = 1.5;
  const BudgetTarget target{2.0, true, 4.0, 2.0};
  double share = 1.2;
  std::vector<double> path;
  for (int year = 0; year < 4; ++year) {
    const BudgetTarget now{2.0, true, 4.0 - year, 2.0};
    share = adjust_share(share, now, limits, 0.0);
    path.push_back(share);
  }
  CHECK(path[0] == Approx(1.4));
  CHECK(path[1] == Approx(1.6));
  CHECK(path[2] == Approx(1.8));
  CHECK(path[3] == Approx(2.0));
  // Noise may speed the path up, never slow it down.
  CHECK(adjust_share(1.2, target, limits, -0.1) == Approx(1.4));
  CHECK(adjust_share(1.2, target, limits, 0.1) == Approx(1.5));
}

TEST_CASE("The deadline rise is the steepest even path to a valued notch on the way", "[unit]") {
  const std::vector<Notch> notches{{2.0, 0.5, 4.0}, {3.5, 1.0, 10.0}, {2.5, 0.0, 1.0}};
  // From 1.2 towards 4.0: 2% in four budgets is 0.2 a year, 3.5% in ten 0.23, so the second
  // binds; the 2.5 notch is worth nothing and does not count (it would ask 1.3 now).
  CHECK(deadline_rise(1.2, 4.0, notches) == Approx(0.23));
  // From 1.9: 0.025 a year to 2%, 0.16 to 3.5%.
  CHECK(deadline_rise(1.9, 4.0, notches) == Approx(0.16));
  CHECK(deadline_rise(1.9, 2.2, notches) == Approx(0.025));
  // Only notches between the share and the target count.
  CHECK(deadline_rise(1.2, 3.0, notches) == Approx(0.8 / 4.0));
  CHECK(deadline_rise(2.1, 3.0, notches) == 0.0);
  CHECK(deadline_rise(1.2, 1.9, notches) == 0.0);
  // A deadline already past counts as this year.
  CHECK(deadline_rise(1.5, 2.2, std::vector<Notch>{{2.0, 0.5, 0.0}}) == Approx(0.5));
}

TEST_CASE("Wanting more than a pledge never leaves a member further from its deadline", "[unit]") {
  // A member at 1.6% a year before the 2% deadline: one wanting a little less than 2% (the
  // pledge worth its gap) budgets 2% now; one wanting more must not budget less.
  const std::vector<Notch> notches{{2.0, 0.5, 1.0}, {3.5, 1.0, 10.0}};
  AdjustmentLimits limits;
  limits.speed = 0.3;
  limits.max_rise_pct = 1.5;
  double previous = 0.0;
  for (double desired = 0.5; desired < 6.0; desired += 0.01) {
    BudgetTarget target = choose_target(desired, notches);
    target.path_rise_pct = deadline_rise(1.6, target.share_pct, notches);
    const double next = adjust_share(1.6, target, limits, 0.0);
    INFO("desired " << desired << " target " << target.share_pct << " next " << next);
    CHECK(next >= previous);
    if (target.share_pct >= 2.0) CHECK(next >= 2.0);
    previous = next;
  }
  // Far above the notches the partial step wins when it is larger than the path.
  BudgetTarget far = choose_target(5.6, notches);
  far.path_rise_pct = deadline_rise(1.6, far.share_pct, notches);
  CHECK(adjust_share(1.6, far, limits, 0.0) == Approx(1.6 + 0.3 * 4.0));
  // A member above its target still cuts part-way when nothing lies between.
  BudgetTarget below = choose_target(1.7, notches);
  below.path_rise_pct = deadline_rise(2.5, below.share_pct, notches);
  CHECK(below.path_rise_pct == 0.0);
  CHECK(adjust_share(2.5, below, limits, 0.0) == Approx(2.35));
}

TEST_CASE("Adjustment is partial and bounded, compliers stay compliant, halted declines hold",
          "[unit]") {
  AdjustmentLimits limits;
  limits.speed = 0.4;
  limits.max_cut_pct = 0.15;
  limits.max_rise_pct = 1.0;
  const BudgetTarget interior{3.0, false, 1.0, 0.0};
  CHECK(adjust_share(2.0, interior, limits, 0.0) == Approx(2.4));
  CHECK(adjust_share(2.0, BudgetTarget{6.0, false, 1.0, 0.0}, limits, 0.0) == Approx(3.0));
  CHECK(adjust_share(2.0, BudgetTarget{1.0, false, 1.0, 0.0}, limits, 0.0) == Approx(1.85));
  // At a notch already, noise does not take a member below it.
  CHECK(adjust_share(2.0, BudgetTarget{2.0, false, 1.0, 2.0}, limits, -0.3) == 2.0);
  // "Halt any decline": no cut while below a pledge.
  limits.no_cut = true;
  CHECK(adjust_share(1.5, BudgetTarget{1.0, false, 1.0, 0.0}, limits, 0.0) == 1.5);
  limits.no_cut = false;
  limits.min_share_pct = 0.5;
  CHECK(adjust_share(0.55, BudgetTarget{0.0, false, 1.0, 0.0}, limits, 0.0) == 0.5);
}

TEST_CASE("Budget parameters and pledges are read with ranges", "[unit]") {
  TomlTable bad("[b]\nadjustment_speed = 0.0\n", "b");
  CHECK_THROWS_WITH(parse_budget(bad.table),
                    "test.toml:2:20: b.adjustment_speed: out of range, got 0 (expected a number "
                    "in (0, 1])");
  TomlTable ok(
      "[m]\n[m.pledges.wales]\nannounced = 2014\ndeadline = 2024\ntarget_pct = 2.0\n"
      "halt_decline = true\n[m.pledges.off]\nannounced = 2025\ndeadline = 2035\n"
      "target_pct = 3.5\nenabled = false\n",
      "m");
  const std::vector<Pledge> pledges = parse_pledges(ok.table);
  REQUIRE(pledges.size() == 1);
  CHECK(pledges[0].name == "wales");
  CHECK(pledges[0].deadline == 2024);
  CHECK(pledges[0].halt_decline);
  TomlTable backwards("[m]\n[m.pledges.x]\nannounced = 2024\ndeadline = 2014\ntarget_pct = 2.0\n",
                      "m");
  CHECK_THROWS_WITH(parse_pledges(backwards.table),
                    Catch::Contains("m.pledges.x.deadline: the deadline must come after the "
                                    "announcement, got 2014 (expected a year > 2024)"));
  TomlTable unknown(
      "[m]\n[m.pledges.x]\nannounced = 2014\ndeadline = 2024\ntarget_pct = 2\n"
      "targte = 1\n",
      "m");
  CHECK_THROWS_WITH(parse_pledges(unknown.table), Catch::Contains("m.pledges.x.targte"));
}

TEST_CASE("A member's notches weighed at a count fixed at compile time give the same target",
          "[unit]") {
  // The year step hands choose_target and deadline_rise a span of fixed extent (so that their
  // loops unroll) through with_notch_count: it must pass every count's notches whole, and give
  // bit for bit what the run-time count gives, ties and worthless notches included.
  std::mt19937_64 random(20261204);
  std::uniform_real_distribution<double> share(0.0, 6.0);
  const std::array<double, 4> thresholds{2.0, 2.5, 3.5, 5.0};
  for (std::size_t count = 0; count <= kMaxNotches + 1; ++count) {
    for (int trial = 0; trial < 200; ++trial) {
      std::vector<Notch> notches;
      for (std::size_t k = 0; k < count; ++k) {
        notches.push_back(Notch{thresholds[random() % thresholds.size()],
                                random() % 4 == 0 ? 0.0 : share(random) / 2.0,
                                static_cast<double>(1 + random() % 10)});
      }
      const double desired = share(random);
      const double current = share(random);
      const std::span<const Notch> all(notches);
      BudgetTarget expected = choose_target(desired, all);
      expected.path_rise_pct = deadline_rise(current, expected.share_pct, all);
      std::size_t extent = 0;
      const BudgetTarget fixed = with_notch_count(all, [&](auto valued) {
        extent = decltype(valued)::extent;
        BudgetTarget chosen = choose_target(desired, valued);
        chosen.path_rise_pct = deadline_rise(current, chosen.share_pct, valued);
        return chosen;
      });
      INFO("count " << count << ", trial " << trial << ", desired " << desired);
      CHECK(extent == (count <= kMaxNotches ? count : std::dynamic_extent));
      CHECK(fixed.share_pct == expected.share_pct);
      CHECK(fixed.at_notch == expected.at_notch);
      CHECK(fixed.years_left == expected.years_left);
      CHECK(fixed.floor_pct == expected.floor_pct);
      CHECK(fixed.path_rise_pct == expected.path_rise_pct);
    }
  }
}
