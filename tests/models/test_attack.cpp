// Unit tests of the adversary and attack-event model (models/attack): the contest function, each
// decision step (expected utility, hazard, target draw, responders, outcome), the adversary's
// beliefs, reach, and the config. Exact up to floating-point rounding.

#include <cmath>
#include <limits>
#include <vector>

#include <catch2/catch.hpp>

#include "models/attack/attack.h"
#include "models/attack/contest.h"
#include "support.h"

using namespace models;
using models::testing::make_model;
using models::testing::shipped_data;

namespace {

double logistic(double x) { return 1.0 / (1.0 + std::exp(-x)); }

ContestParams tullock(double m, double k, double w = 0.0) {
  ContestParams p;
  p.form = ContestForm::ratio;
  p.decisiveness = m;
  p.defender_advantage = k;
  p.stalemate_width = w;
  return p;
}

}  // namespace

TEST_CASE("The ratio contest is Tullock's with a defender advantage", "[unit]") {
  const ContestParams p = tullock(2.0, 3.0);
  // Even odds at the 3:1 rule.
  CHECK(contest_success(3.0, 1.0, p) == Approx(0.5).epsilon(1e-15));
  CHECK(contest_success(30.0, 10.0, p) == Approx(0.5).epsilon(1e-15));
  for (const double a : {0.5, 2.0, 7.0, 15.0}) {
    for (const double d : {0.3, 1.0, 4.0, 9.0}) {
      const double tullock_value = std::pow(a, 2.0) / (std::pow(a, 2.0) + std::pow(3.0 * d, 2.0));
      CHECK(contest_success(a, d, p) == Approx(tullock_value).epsilon(1e-13));
    }
  }
  // Monotone: more attackers help the attacker, more defence hurts it.
  CHECK(contest_success(4.0, 2.0, p) < contest_success(5.0, 2.0, p));
  CHECK(contest_success(4.0, 2.0, p) > contest_success(4.0, 3.0, p));
  // Scale-free (homogeneous of degree 0).
  CHECK(contest_success(8.0, 2.5, p) == Approx(contest_success(16.0, 5.0, p)).epsilon(1e-14));
  // Limits: no attacker never wins; no defence against any force always loses.
  CHECK(contest_success(0.0, 1.0, p) == 0.0);
  CHECK(contest_success(0.0, 0.0, p) == 0.0);
  CHECK(contest_success(1.0, 0.0, p) == 1.0);
}

TEST_CASE("The three outcomes come from one index with a stalemate band", "[unit]") {
  const ContestParams p = tullock(2.0, 3.0, 0.5);
  for (const double a : {1.0, 5.0, 15.0}) {
    for (const double d : {0.5, 2.0, 7.0}) {
      const double x = 2.0 * std::log(a / (3.0 * d));
      const ContestOutcome o = contest_outcomes(a, d, p);
      CHECK(o.territory_lost == Approx(logistic(x - 0.5)).epsilon(1e-14));
      CHECK(o.repelled == Approx(logistic(-x - 0.5)).epsilon(1e-14));
      CHECK(o.territory_lost + o.stalemate + o.repelled == Approx(1.0).epsilon(1e-15));
      CHECK(o.stalemate > 0.0);
      CHECK(contest_success(a, d, p) == o.territory_lost);
    }
  }
  // At the 3:1 point the outcome is symmetric between success and repulse.
  const ContestOutcome even = contest_outcomes(6.0, 2.0, p);
  CHECK(even.territory_lost == Approx(even.repelled).epsilon(1e-14));
  const ContestOutcome none = contest_outcomes(0.0, 2.0, p);
  CHECK(none.repelled == 1.0);
  CHECK(none.territory_lost == 0.0);
}

TEST_CASE("The difference and relative-difference contests follow their formulas", "[unit]") {
  ContestParams p = tullock(0.5, 3.0, 0.0);
  p.form = ContestForm::difference;
  CHECK(contest_success(9.0, 2.0, p) == Approx(logistic(0.5 * (9.0 - 6.0))).epsilon(1e-14));
  // Not scale-free: doubling both sides makes the stronger side more certain to win.
  CHECK(contest_success(18.0, 4.0, p) > contest_success(9.0, 2.0, p));
  p.form = ContestForm::relative_difference;
  p.decisiveness = 4.0;
  CHECK(contest_success(9.0, 2.0, p) ==
        Approx(logistic(4.0 * (9.0 - 6.0) / (9.0 + 6.0))).epsilon(1e-14));
  CHECK(contest_success(18.0, 4.0, p) == Approx(contest_success(9.0, 2.0, p)).epsilon(1e-14));
  CHECK(contest_success(0.0, 2.0, p) == 0.0);
}

TEST_CASE(
    "With the default contest, about 7 brigades in place deny a quick success that 1.5 "
    "cannot",
    "[unit]") {
  // The calibration anchor (docs/MODEL.md): against the post-war force at a Baltic state (about
  // 15 brigade equivalents), the 2016 posture (1-2 brigades) loses quickly; RAND RR-1253-A's
  // roughly 7 brigades hold the chance of a quick success to about a quarter.
  const ContestParams p;  // ratio, m = 2, k = 3, w = 0.5
  CHECK(contest_success(15.0, 1.5, p) > 0.85);
  CHECK(contest_success(15.0, 7.0, p) < 0.25);
  CHECK(contest_success(15.0, 7.0, p) > 0.2);
}

TEST_CASE("Expected utility and the attack hazard follow their formulas", "[unit]") {
  CHECK(attack_utility(0.6, 1.0, 1.5, 0.8, 2.0) ==
        Approx(0.6 - 0.4 * 1.5 - 0.8 * 2.0).epsilon(1e-15));
  // A target the U.S. has written off costs no escalation.
  CHECK(attack_utility(0.6, 1.0, 1.5, 0.0, 2.0) > attack_utility(0.6, 1.0, 1.5, 0.8, 2.0));
  AdversaryParams params;
  params.hazard_max = 0.2;
  params.hazard_sharpness = 2.0;
  CHECK(attack_hazard(-1.0, 0.3, 10.0, params) ==
        Approx(0.2 * logistic(2.0 * (-1.0 + 0.3))).epsilon(1e-15));
  CHECK(attack_hazard(-1.0, 0.3, 0.0, params) == 0.0);
  CHECK(attack_hazard(50.0, 0.0, 0.0, params) == 0.0);
  CHECK(attack_hazard(-std::numeric_limits<double>::infinity(), 0.0, 5.0, params) == 0.0);
  CHECK(attack_hazard(-1.0, 0.0, 5.0, params) < attack_hazard(-0.5, 0.0, 5.0, params));
  CHECK(attack_hazard(-1.0, 0.0, 5.0, params) < attack_hazard(-1.0, 0.2, 5.0, params));
  CHECK(attack_hazard(1e3, 0.0, 5.0, params) == Approx(0.2));
}

TEST_CASE("The target draw is a softmax over expected utility among eligible targets", "[unit]") {
  const std::vector<double> utility = {-1.0, -0.5, 0.3, -2.0, 5.0};
  const std::vector<unsigned char> eligible = {1, 1, 1, 1, 0};
  const double beta = 3.0;
  std::vector<double> expected(utility.size(), 0.0);
  double total = 0.0;
  for (std::size_t i = 0; i < utility.size(); ++i) {
    if (eligible[i] != 0) total += std::exp(beta * utility[i]);
  }
  for (std::size_t i = 0; i < utility.size(); ++i) {
    if (eligible[i] != 0) expected[i] = std::exp(beta * utility[i]) / total;
  }
  // The share of a fine uniform grid mapped to each target is its softmax probability (to the
  // grid's resolution): the draw is the inverse CDF in index order.
  constexpr int kGrid = 100000;
  std::vector<double> share(utility.size() + 1, 0.0);
  for (int k = 0; k < kGrid; ++k) {
    const double u = (k + 0.5) / kGrid;
    share[draw_target(utility, eligible, beta, u)] += 1.0 / kGrid;
  }
  for (std::size_t i = 0; i < utility.size(); ++i) {
    INFO("target " << i);
    CHECK(share[i] == Approx(expected[i]).margin(2.0 / kGrid));
  }
  CHECK(share[4] == 0.0);  // ineligible, despite the highest utility
  CHECK(share[5] == 0.0);
  // Not the argmax: with beta = 0 the choice is uniform over eligible targets.
  CHECK(draw_target(utility, eligible, 0.0, 0.1) == 0);
  CHECK(draw_target(utility, eligible, 0.0, 0.9) == 3);
  const std::vector<unsigned char> none = {0, 0, 0, 0, 0};
  CHECK(draw_target(utility, none, beta, 0.5) == utility.size());
  CHECK(draw_target(utility, eligible, beta, 1.0 - 1e-17) == 3);
}

TEST_CASE("The U.S. and allies respond by policy, proximity and compliance", "[unit]") {
  // The U.S.: reliability for an ally it has not written off; reliability x (1 - enforcement)
  // for a non-complier under conditional Article 5; never outside Article 5.
  CHECK(us_response_probability(true, false, 0.8, 0.9) == 0.8);
  CHECK(us_response_probability(true, true, 0.8, 0.9) == Approx(0.08).epsilon(1e-15));
  CHECK(us_response_probability(false, false, 0.8, 0.9) == 0.0);
  CHECK(us_response_probability(false, true, 0.8, 0.9) == 0.0);
  AttackParams params;
  params.neighbour_response_bonus = 0.2;
  params.noncomplier_solidarity = 0.5;
  CHECK(ally_response_probability(0.7, false, true, params) == 0.7);
  CHECK(ally_response_probability(0.7, true, true, params) == Approx(0.84).epsilon(1e-15));
  CHECK(ally_response_probability(0.9, true, true, params) == 1.0);  // capped
  CHECK(ally_response_probability(0.7, true, false, params) == Approx(0.42).epsilon(1e-15));
}

TEST_CASE("An attack's outcome is drawn from the contest probabilities in a fixed order",
          "[unit]") {
  const ContestOutcome odds{0.3, 0.2, 0.5};
  CHECK(draw_outcome(odds, 0.0) == 2);  // territory lost
  CHECK(draw_outcome(odds, 0.2999) == 2);
  CHECK(draw_outcome(odds, 0.3) == 1);  // stalemate
  CHECK(draw_outcome(odds, 0.4999) == 1);
  CHECK(draw_outcome(odds, 0.5) == 0);  // repelled
  CHECK(draw_outcome(odds, 0.9999) == 0);
}

TEST_CASE("The adversary's beliefs revert to the prior and learn from what the U.S. does",
          "[unit]") {
  AdversaryBeliefs b = init_adversary_beliefs(0.8, 0.6, 10.0);
  CHECK(b.reliability() == Approx(0.8));
  CHECK(b.enforcement() == Approx(0.6));
  CHECK(b.reliability_a + b.reliability_b == Approx(10.0));
  // The U.S. stands aside for an ally it had not written off: reliability falls by exactly
  // three pseudo-observations.
  observe_us_action(b, false, false, 3.0);
  CHECK(b.reliability() == Approx(8.0 / 13.0));
  CHECK(b.enforcement() == Approx(0.6));
  // It stands aside for a written-off non-complier: evidence of enforcement, not unreliability.
  observe_us_action(b, true, false, 3.0);
  CHECK(b.enforcement() == Approx(9.0 / 13.0));
  CHECK(b.reliability() == Approx(8.0 / 13.0));
  // It defends a written-off non-complier: enforcement falls.
  observe_us_action(b, true, true, 3.0);
  CHECK(b.enforcement() == Approx(9.0 / 16.0));
  // Yearly reversion: a <- 0.9 a + 0.1 a0, then the public signal.
  const double a = b.enforcement_a;
  const double c = b.enforcement_b;
  update_adversary_beliefs(b, 0.9, 0.25, 1.0);
  CHECK(b.enforcement_a == Approx(0.9 * a + 0.1 * 6.0 + 0.25));
  CHECK(b.enforcement_b == Approx(0.9 * c + 0.1 * 4.0 + 0.75));
  CHECK(b.reliability_a == Approx(0.9 * 8.0 + 0.1 * 8.0));
  CHECK(b.reliability_b == Approx(0.9 * 5.0 + 0.1 * 2.0));
  // Without evidence, beliefs return to the prior.
  for (int year = 0; year < 400; ++year) {
    update_adversary_beliefs(b, 0.9, std::numeric_limits<double>::quiet_NaN(), 1.0);
  }
  CHECK(b.reliability() == Approx(0.8).epsilon(1e-9));
  CHECK(b.enforcement() == Approx(0.6).epsilon(1e-9));
}

TEST_CASE(
    "Reach is full near Moscow, decays with distance, is halved without a land border, "
    "and is zero for the U.S.",
    "[unit][data]") {
  const AllianceData& data = shipped_data();
  AdversaryParams params;
  params.reach_full_km = 900.0;
  params.reach_scale_km = 450.0;
  params.reach_without_border = 0.5;
  const Eigen::ArrayXd reach = adversary_reach(data, params);
  const auto at = [&](const char* iso) {
    return reach(static_cast<Eigen::Index>(*data.find(iso)));
  };
  CHECK(at("EE") == 1.0);  // 867 km
  CHECK(at("LT") == 1.0);
  CHECK(at("PL") == Approx(std::exp(-(1151.0 - 900.0) / 450.0)).epsilon(1e-14));
  CHECK(at("SE") == Approx(0.5 * std::exp(-(1227.0 - 900.0) / 450.0)).epsilon(1e-14));
  CHECK(at("NO") == Approx(std::exp(-(1643.0 - 900.0) / 450.0)).epsilon(1e-14));
  CHECK(at("US") == 0.0);
  CHECK(at("PL") > at("DE"));
  CHECK(at("DE") > at("PT"));
}

TEST_CASE("Proximity to the peacekeeping force decays with distance from its location",
          "[unit][data]") {
  const AllianceData& data = shipped_data();
  const Eigen::ArrayXd near = proximity_to_point(data, 50.45, 30.52, 0.5, 1500.0);
  const auto at = [&](const char* iso) { return near(static_cast<Eigen::Index>(*data.find(iso))); };
  const double warsaw_kyiv = great_circle_km(52.23, 21.01, 50.45, 30.52);
  CHECK(at("PL") == Approx(0.5 * std::exp(-warsaw_kyiv / 1500.0)).epsilon(1e-14));
  CHECK(at("PL") > at("FR"));
  CHECK(at("FR") > at("US"));
}

TEST_CASE("Attack parameters are read from three tables with defaults", "[unit]") {
  const auto model = make_model(
      "[model.adversary]\nlevel_brigades = 30\ntied_down = [[2025, 0.5]]\n"
      "max_attacks_per_year = 2\nenforcement_prior = 0.3\n"
      "[model.attack]\nform = \"relative_difference\"\ndecisiveness = 4.0\n"
      "[model.attack.forward_brigades]\nEE = 1.5\n"
      "[model.peacekeepers]\ndeployed = true\nbrigades = 2.0\ncontributors = [\"FR\", \"DE\"]\n"
      "covered_by_article5 = true\nlocation = [48.0, 35.0]\n");
  const AttackModelParams& p = model->params().attack;
  const AllianceData& data = shipped_data();
  CHECK(p.adversary.level_brigades.central() == 30.0);
  CHECK(p.adversary.tied_down.at(2040) == 0.5);
  CHECK(p.adversary.max_attacks_per_year == 2);
  CHECK_FALSE(p.adversary.reliability_prior.has_value());
  CHECK(p.adversary.enforcement_prior->central() == 0.3);
  CHECK(p.attack.enabled);
  CHECK(p.attack.contest.form == ContestForm::relative_difference);
  CHECK(p.attack.contest.decisiveness == 4.0);
  CHECK(p.attack.contest.defender_advantage == 3.0);
  CHECK(p.attack.forward_brigades[*data.find("EE")].at(2030) == 1.5);
  CHECK(p.attack.forward_brigades[*data.find("LV")].empty());
  CHECK(p.peacekeepers.deployed);
  CHECK(p.peacekeepers.brigades == 2.0);
  CHECK(p.peacekeepers.contributors ==
        std::vector<std::size_t>{*data.find("FR"), *data.find("DE")});
  CHECK(p.peacekeepers.covered_by_article5);
  CHECK(p.peacekeepers.latitude_deg == 48.0);
  CHECK(p.peacekeepers.longitude_deg == 35.0);
  // Unset priors and ally response take the replicate's policy and spillover draws.
  const ReplicateDraws d = model->draw(1, 0);
  CHECK(d.attack.reliability_prior == d.us_reliability);
  CHECK(d.attack.enforcement_prior == 0.3);
  CHECK(d.attack.ally_response == d.ally_reliability);
}

TEST_CASE("Bad attack parameters name their key", "[unit]") {
  CHECK_THROWS_WITH(make_model("[model.peacekeepers]\ncontributors = [\"FR\", \"XX\"]\n"),
                    "test.toml:10:16: model.peacekeepers.contributors: unknown ISO code, got "
                    "\"XX\" (expected members' ISO codes)");
  CHECK_THROWS_WITH(make_model("[model.peacekeepers]\ncontributors = [\"US\"]\n"),
                    "test.toml:10:16: model.peacekeepers.contributors: not an ally with armed "
                    "forces other than the patron, got \"US\" (expected allies that could send "
                    "troops)");
  CHECK_THROWS_WITH(make_model("[model.peacekeepers]\ncontributors = [\"FR\", \"FR\"]\n"),
                    "test.toml:10:16: model.peacekeepers.contributors: listed twice, got \"FR\" "
                    "(expected each ally once)");
  CHECK_THROWS_WITH(make_model("[model.attack.forward_brigades]\nXX = 1.0\n"),
                    "test.toml:10:6: model.attack.forward_brigades.XX: unknown ISO code or the "
                    "patron, got \"XX\" (expected the code of an ally other than the patron)");
  CHECK_THROWS_WITH(make_model("[model.attack]\nform = \"tullock\"\n"),
                    "test.toml:10:8: model.attack.form: unknown value, got \"tullock\" (expected "
                    "one of \"ratio\", \"difference\", \"relative_difference\")");
  CHECK_THROWS_WITH(make_model("[model.adversary]\nmax_attacks_per_year = 20\n"),
                    "test.toml:10:24: model.adversary.max_attacks_per_year: out of range, got 20 "
                    "(expected an integer in [0, 16])");
  CHECK_THROWS_WITH(
      make_model("[model.attack]\nenabld = true\n"),
      Catch::Matchers::StartsWith("test.toml:10:10: model.attack.enabld: unknown key, got true"));
}
