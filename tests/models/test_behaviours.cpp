// Statistical tests of the behaviours the model brief requires ("What the model must
// reproduce"). Each runs the full model over a few hundred replicates with a fixed seed; paired
// comparisons use the same replicates in both scenarios (common random numbers). Tolerances are
// stated in standard errors (SE) of the compared quantity across replicates.

#include <cmath>
#include <functional>
#include <vector>

#include <catch2/catch.hpp>

#include "support.h"

using namespace models;
using models::testing::difference;
using models::testing::make_baseline_model;
using models::testing::run_replicates;
using models::testing::shipped_data;
using models::testing::summarise;
using models::testing::Summary;

namespace {

using R = models::Recorded;
constexpr int kReplicates = 300;
constexpr int kYears = 20;
constexpr int kLast = kYears - 1;
constexpr std::uint64_t kSeed = 20250624;

/// One number per replicate, computed from its recorded values.
std::vector<double> per_replicate(const AllianceModel& model,
                                  const std::function<double(const testing::Recorded&)>& f) {
  return testing::per_replicate(model, kReplicates, kSeed, kYears, 2025, f);
}

/// Members with armed forces other than the U.S.
std::vector<std::size_t> allies() {
  std::vector<std::size_t> out;
  const AllianceData& data = shipped_data();
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (i != data.patron && !data.members[i].exempt) out.push_back(i);
  }
  return out;
}

/// Allies within [threshold, threshold + 0.1) pp of GDP in a year.
double bunched(const testing::Recorded& rec, int year, double threshold) {
  double count = 0.0;
  for (std::size_t i : allies()) {
    const double s = rec.member(R::defence_share, year, i);
    count += s >= threshold - 1e-9 && s < threshold + 0.1;
  }
  return count;
}

/// Allies more than 1,900 km from Moscow with GDP under US$ 700 bn (2023).
std::vector<std::size_t> small_distant_allies() {
  const AllianceData& data = shipped_data();
  std::vector<std::size_t> out;
  for (std::size_t i : allies()) {
    if (data.members[i].distance_to_moscow_km > 1900.0 && data.gdp_usd_bn(i, 2023) < 700.0) {
      out.push_back(i);
    }
  }
  REQUIRE(out.size() == 8);  // AL, BE, GR, LU, ME, MK, PT, SI
  return out;
}

double mean_share(const testing::Recorded& rec, int year, const std::vector<std::size_t>& who) {
  double sum = 0.0;
  for (std::size_t i : who) sum += rec.member(R::defence_share, year, i);
  return sum / static_cast<double>(who.size());
}

}  // namespace

TEST_CASE("A credible conditional threshold makes allies bunch just above it", "[statistical]") {
  // Same thresholds (Hague path, 3.5% from 2035); enforcement fixed at 0.9.
  const auto status_quo = make_baseline_model("policy.enforcement_probability = 0.9");
  const auto conditional = make_baseline_model(
      "policy.enforcement_probability = 0.9\npolicy.conditional_article5 = true");
  // Average count over 2035-2044 of allies within [3.5, 3.6).
  const auto count = [](const testing::Recorded& rec) {
    double total = 0.0;
    for (int y = 10; y < kYears; ++y) total += bunched(rec, y, 3.5);
    return total / (kYears - 10);
  };
  const Summary sq = summarise(per_replicate(*status_quo, count));
  const auto with = per_replicate(*conditional, count);
  const Summary diff = summarise(difference(with, per_replicate(*status_quo, count)));
  INFO("bunched: status quo " << sq.mean << ", conditional " << summarise(with).mean);
  // Markedly more: at least 2 more allies in the band (the Hague pledge already holds some
  // there under the status quo), and more than 5 SE of the paired difference above zero.
  CHECK(diff.mean > 2.0);
  CHECK(diff.mean > 5.0 * diff.se);
}

TEST_CASE("Frontline allies respond more than distant ones to the same rise in threat",
          "[statistical]") {
  // Each ally's desired share starts at its data share (revealed preference), so levels say
  // nothing about the model; its response does. The adversary's capability rises by half by
  // 2030: frontline allies (more exposed) raise their shares more than distant ones. Paired.
  const AllianceData& data = shipped_data();
  std::vector<std::size_t> frontline;
  std::vector<std::size_t> distant;
  for (std::size_t i : allies()) {
    if (data.members[i].frontline) frontline.push_back(i);
    if (data.members[i].distance_to_moscow_km > 2400.0) distant.push_back(i);
  }
  REQUIRE(frontline.size() == 6);  // EE, FI, LV, LT, NO, PL
  REQUIRE(distant.size() == 5);    // FR, PT, ES, CA, GB
  const auto flat = make_baseline_model("threat.adversary_path = [[2025, 1.0]]");
  const auto rising = make_baseline_model("threat.adversary_path = [[2025, 1.0], [2030, 1.5]]");
  const auto change = [&](const std::vector<std::size_t>& who) {
    return difference(
        per_replicate(*rising,
                      [&](const testing::Recorded& rec) { return mean_share(rec, 10, who); }),
        per_replicate(*flat,
                      [&](const testing::Recorded& rec) { return mean_share(rec, 10, who); }));
  };
  const Summary gap = summarise(difference(change(frontline), change(distant)));
  INFO("frontline minus distant response " << gap.mean << " pp (SE " << gap.se << ")");
  // At least a tenth of a point of GDP more (pledges hold many distant allies on their paths
  // either way), and more than 5 SE above zero.
  CHECK(gap.mean > 0.1);
  CHECK(gap.mean > 5.0 * gap.se);
}

TEST_CASE("Without conditionality and with low threat, distant small allies drift down",
          "[statistical]") {
  // No pledge at all, unconditional Article 5, the adversary's capability halving by 2035.
  const auto model = make_baseline_model(
      "pledges.wales.enabled = false\npledges.hague.enabled = false\n"
      "threat.adversary_path = [[2025, 1.0], [2035, 0.5]]\n");
  const std::vector<std::size_t> small_distant = small_distant_allies();
  const Summary drift = summarise(per_replicate(*model, [&](const testing::Recorded& rec) {
    return mean_share(rec, kLast, small_distant) - mean_share(rec, 0, small_distant);
  }));
  INFO("drift of small distant allies: " << drift.mean << " pp (SE " << drift.se << ")");
  // Down by at least 0.1 points of GDP, and more than 5 SE below zero.
  CHECK(drift.mean < -0.1);
  CHECK(drift.mean < -5.0 * drift.se);
}

TEST_CASE("A threshold far above what allies can afford makes some give up", "[statistical]") {
  const std::string conditional =
      "policy.conditional_article5 = true\npolicy.enforcement_probability = 0.9\n";
  const auto affordable =
      make_baseline_model(conditional + "policy.threshold = [[2025, 2.0], [2030, 3.0]]");
  const auto unaffordable =
      make_baseline_model(conditional + "policy.threshold = [[2025, 2.0], [2030, 5.0]]");
  sim::RunRecorder recorder(affordable->schema(), kYears);
  const auto at_three = run_replicates(*affordable, kReplicates, kSeed);
  const auto at_five = run_replicates(*unaffordable, kReplicates, kSeed);
  std::vector<double> gave_up;
  std::vector<double> complied_at_five;
  for (int r = 0; r < kReplicates; ++r) {
    const testing::Recorded three{recorder, at_three[static_cast<std::size_t>(r)]};
    const testing::Recorded five{recorder, at_five[static_cast<std::size_t>(r)]};
    double count = 0.0;
    for (std::size_t i : allies()) {
      // Met 3% when that was asked, but under 5% ends below 3%: it gave up rather than comply.
      const bool met_three = three.member(R::defence_share, kLast, i) >= 3.0 - 1e-9;
      count += met_three && five.member(R::defence_share, kLast, i) < 3.0;
    }
    gave_up.push_back(count);
    complied_at_five.push_back(five.global(R::allies_compliant, kLast));
  }
  const Summary g = summarise(gave_up);
  const Summary c = summarise(complied_at_five);
  INFO("gave up: " << g.mean << "; complying at 5%: " << c.mean);
  // More than one ally on average (about 2.5 since the U.S. demands' size is drawn up to 10:
  // the Hague pledge, worth more under them, holds some of the 3% compliers at 3.5%).
  CHECK(g.mean > 1.0);
  CHECK(g.mean > 5.0 * g.se);
  // Some allies (the frontline) still meet 5%.
  CHECK(c.mean > 0.5);
  CHECK(c.mean < 20.0);
}

TEST_CASE("More credible enforcement brings more compliance (paired replicates)", "[statistical]") {
  const auto compliance = [](const testing::Recorded& rec) {
    double total = 0.0;
    for (int y = 5; y < kYears; ++y) total += rec.global(R::allies_compliant, y);
    return total / (kYears - 5);
  };
  std::vector<std::vector<double>> by_credibility;
  for (double p : {0.2, 0.5, 0.9}) {
    const auto model = make_baseline_model(
        "policy.conditional_article5 = true\n"
        "policy.enforcement_probability = " +
        std::to_string(p));
    by_credibility.push_back(per_replicate(*model, compliance));
  }
  for (std::size_t k = 1; k < by_credibility.size(); ++k) {
    const Summary diff = summarise(difference(by_credibility[k], by_credibility[k - 1]));
    INFO("step " << k << ": +" << diff.mean << " compliant allies (SE " << diff.se << ")");
    // Each step up in credibility: more than 3 SE of the paired difference.
    CHECK(diff.mean > 3.0 * diff.se);
    CHECK(diff.mean > 0.0);
  }
}
