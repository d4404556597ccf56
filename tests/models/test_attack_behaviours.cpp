// Statistical tests of the adversary and attack-event model: fixed seeds, paired replicates
// (common random numbers), tolerances in standard errors (SE) of the compared per-replicate
// quantity. Attacks are rare under the baseline calibration, so most tests use a "hot"
// adversary (nothing tied down, a high risk appetite) to have enough events; the mechanisms
// compared are the same.

#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "sim/engine/runner.h"
#include "support.h"

using namespace models;
using models::testing::difference;
using models::testing::make_baseline_model;
using models::testing::shipped_data;
using models::testing::summarise;
using models::testing::Summary;

namespace {

using R = models::Recorded;
using E = models::EventColumn;
constexpr int kYears = 20;
constexpr std::uint64_t kSeed = 20250624;
const std::string kHot = "adversary.tied_down = [[2025, 0.0]]\nadversary.risk_appetite = 1.0\n";

/// One run: recorded values and event rows (model columns only).
struct Run {
  std::vector<double> values;
  std::vector<int> event_years;
  std::vector<double> events;
  std::size_t width = 0;
  double event(std::size_t row, E column) const {
    return events[row * width + static_cast<std::size_t>(column)];
  }
  std::size_t event_count() const { return event_years.size(); }
};

std::vector<Run> run(const AllianceModel& model, int replicates) {
  std::vector<Run> out;
  sim::RunRecorder recorder(model.schema(), kYears);
  for (int r = 0; r < replicates; ++r) {
    recorder.clear();
    model.run(sim::RunContext{kSeed, static_cast<std::uint64_t>(r), 2025, kYears}, recorder);
    Run one;
    one.values.assign(recorder.values().begin(), recorder.values().end());
    one.event_years.assign(recorder.event_years().begin(), recorder.event_years().end());
    one.events.assign(recorder.event_values().begin(), recorder.event_values().end());
    one.width = model.schema().event_columns.size();
    out.push_back(std::move(one));
  }
  return out;
}

/// Per replicate, the number of events satisfying `keep`.
template <typename Keep>
std::vector<double> count_events(const std::vector<Run>& runs, Keep keep) {
  std::vector<double> out;
  for (const Run& r : runs) {
    double n = 0.0;
    for (std::size_t e = 0; e < r.event_count(); ++e) n += keep(r, e) ? 1.0 : 0.0;
    out.push_back(n);
  }
  return out;
}

double peacekeeper_code() { return static_cast<double>(shipped_data().size()); }

}  // namespace

TEST_CASE("No attacks happen when the adversary has no capability", "[statistical]") {
  // Whatever else invites attack (a hot adversary, written-off non-compliers, an uncovered
  // peacekeeping force), without a force there is no attack: exactly zero events.
  const auto model =
      make_baseline_model(kHot +
                          "adversary.level_brigades = 0.0\npolicy.conditional_article5 = true\n"
                          "policy.enforcement_probability = 1.0\npeacekeepers.deployed = true\n");
  sim::RunRecorder recorder(model->schema(), kYears);
  for (const Run& r : run(*model, 300)) {
    CHECK(r.event_count() == 0);
    const testing::Recorded rec{recorder, r.values};
    for (int y = 0; y < kYears; ++y) {
      CHECK(rec.global(R::attacks, y) == 0.0);
      CHECK(rec.global(R::deterrence_failure, y) == 0.0);
      CHECK(rec.global(R::peacekeepers_attacked, y) == 0.0);
    }
  }
}

TEST_CASE("More local forces on a target mean fewer attacks on it (paired replicates)",
          "[statistical]") {
  const std::size_t lt = *shipped_data().find("LT");
  const auto thin = make_baseline_model(kHot);
  const auto reinforced = make_baseline_model(kHot + "attack.forward_brigades.LT = 3.0\n");
  const auto on_lithuania = [&](const Run& r, std::size_t e) {
    return r.event(e, E::target) == static_cast<double>(lt);
  };
  const std::vector<double> before = count_events(run(*thin, 1000), on_lithuania);
  const std::vector<double> after = count_events(run(*reinforced, 1000), on_lithuania);
  const Summary change = summarise(difference(after, before));
  INFO("attacks on Lithuania per replicate: " << summarise(before).mean << " -> "
                                              << summarise(after).mean << " (paired SE "
                                              << change.se << ")");
  // Fewer, by more than 5 SE of the paired difference, and by at least a third.
  CHECK(change.mean < -5.0 * change.se);
  CHECK(summarise(after).mean < (2.0 / 3.0) * summarise(before).mean);
}

TEST_CASE("Under credible conditional Article 5 attacks shift towards non-compliers (paired)",
          "[statistical]") {
  // Budgets frozen at the data (no yearly move), so that both scenarios have exactly the same
  // compliers in every year: only the U.S. guarantee of the non-compliers differs.
  const std::string frozen = kHot + "budget.max_rise_pct = 0.0\nbudget.max_cut_pct = 0.0\n";
  const auto unconditional =
      make_baseline_model(frozen + "policy.enforcement_probability = 0.95\n");
  const auto conditional = make_baseline_model(
      frozen + "policy.enforcement_probability = 0.95\npolicy.conditional_article5 = true\n");
  const auto on_noncomplier = [](const Run& r, std::size_t e) {
    return r.event(e, E::target_compliant) == 0.0;
  };
  const auto on_complier = [](const Run& r, std::size_t e) {
    return r.event(e, E::target_compliant) == 1.0;
  };
  const auto base = run(*unconditional, 1000);
  const auto cond = run(*conditional, 1000);
  const std::vector<double> nc_base = count_events(base, on_noncomplier);
  const std::vector<double> nc_cond = count_events(cond, on_noncomplier);
  const std::vector<double> c_base = count_events(base, on_complier);
  const std::vector<double> c_cond = count_events(cond, on_complier);
  const Summary more = summarise(difference(nc_cond, nc_base));
  const double share_base =
      summarise(nc_base).mean / (summarise(nc_base).mean + summarise(c_base).mean);
  const double share_cond =
      summarise(nc_cond).mean / (summarise(nc_cond).mean + summarise(c_cond).mean);
  INFO("attacks on non-compliers per replicate "
       << summarise(nc_base).mean << " -> " << summarise(nc_cond).mean << " (paired SE " << more.se
       << "); share " << share_base << " -> " << share_cond);
  // More attacks on non-compliers by more than 5 SE of the paired difference, and a larger
  // share of all attacks on allies.
  CHECK(more.mean > 5.0 * more.se);
  CHECK(share_cond > share_base + 0.1);
  // The compliers are attacked less or as often (the non-compliers draw the attacks): the
  // paired difference is below +2 SE.
  const Summary compliers = summarise(difference(c_cond, c_base));
  CHECK(compliers.mean < 2.0 * compliers.se);
}

TEST_CASE("A peacekeeping force outside Article 5 is attacked more often than one covered by it",
          "[statistical]") {
  // Identical forces (size, contributors, place, from 2027), the baseline adversary; only the
  // Article 5 cover differs. Paired replicates.
  const auto outside = make_baseline_model("peacekeepers.deployed = true\n");
  const auto covered = make_baseline_model(
      "peacekeepers.deployed = true\npeacekeepers.covered_by_article5 = true\n");
  const double pk = peacekeeper_code();
  const auto on_peacekeepers = [&](const Run& r, std::size_t e) {
    return r.event(e, E::target) == pk;
  };
  const std::vector<double> hit_outside = count_events(run(*outside, 1000), on_peacekeepers);
  const std::vector<double> hit_covered = count_events(run(*covered, 1000), on_peacekeepers);
  const Summary diff = summarise(difference(hit_outside, hit_covered));
  INFO("attacks on the force per replicate: outside " << summarise(hit_outside).mean << ", covered "
                                                      << summarise(hit_covered).mean);
  // More than 5 SE of the paired difference, and at least three times as often.
  CHECK(diff.mean > 5.0 * diff.se);
  CHECK(summarise(hit_outside).mean > 3.0 * summarise(hit_covered).mean);
}

TEST_CASE("Under the status quo attacks on allies are rare and fall on the frontline",
          "[statistical]") {
  // The calibration target (docs/MODEL.md): the yearly probability that some ally is attacked,
  // 2026-2044, between 0.5% and 3%; most attacks on the exposed allies. 2000 replicates x 19
  // years: the SE of the yearly probability is about 0.0005, far inside the band.
  const auto model = make_baseline_model();
  const AllianceData& data = shipped_data();
  std::vector<double> exposed(data.size() + 1, 0.0);
  for (const char* code : {"EE", "LV", "LT", "FI", "PL", "NO"}) exposed[*data.find(code)] = 1.0;
  sim::RunRecorder recorder(model->schema(), kYears);
  double failures = 0.0;
  double attacks = 0.0;
  double frontline = 0.0;
  const auto runs = run(*model, 2000);
  for (const Run& r : runs) {
    const testing::Recorded rec{recorder, r.values};
    for (int y = 1; y < kYears; ++y) failures += rec.global(R::deterrence_failure, y);
    for (std::size_t e = 0; e < r.event_count(); ++e) {
      attacks += 1.0;
      frontline += exposed[static_cast<std::size_t>(r.event(e, E::target))];
    }
  }
  const double yearly = failures / (2000.0 * (kYears - 1));
  INFO("P(an ally attacked) per year " << yearly << ", frontline share " << frontline / attacks);
  CHECK(yearly > 0.005);
  CHECK(yearly < 0.03);
  CHECK(frontline / attacks > 0.8);
}

namespace {

/// The status quo and conditional Article 5 on the hot frontier, up to three attacks a year and
/// the peacekeepers deployed: two scenarios whose attacks differ.
struct BusyStudy {
  std::unique_ptr<AllianceModel> status_quo;
  std::unique_ptr<AllianceModel> conditional;

  BusyStudy() {
    const std::string busy =
        kHot + "adversary.max_attacks_per_year = 3\npeacekeepers.deployed = true\n";
    status_quo = make_baseline_model(busy);
    conditional = make_baseline_model(busy + "policy.conditional_article5 = true\n");
  }
  std::vector<sim::ScenarioRun> runs() const {
    return {{"status_quo", "", status_quo.get()}, {"conditional", "", conditional.get()}};
  }
  /// 2 threads, with trajectories.
  static sim::RunOptions options(std::int64_t replicates) {
    sim::RunOptions options;
    options.seed = kSeed;
    options.replicates = replicates;
    options.years = kYears;
    options.threads = 2;
    options.trajectories = true;
    return options;
  }
};

}  // namespace

TEST_CASE(
    "A paired study's scenarios reading the reference's random words and GDP path change no "
    "result",
    "[determinism]") {
  // The conditional scenario's path parts from the reference's: other attacks, so other
  // resolution streams, which it makes itself. Everything else it reads: the random words, and
  // the GDP path (the same economy). Against runs that make their own words, or work out their
  // own path, or both: the same bits.
  const BusyStudy study;
  sim::RunOptions shared = BusyStudy::options(100);
  shared.reference = 0;
  const sim::Results a = sim::run_study(study.runs(), shared);
  const auto same = [](const std::vector<double>& x, const std::vector<double>& y) {
    return x.size() == y.size() &&
           (x.empty() || std::memcmp(x.data(), y.data(), x.size() * sizeof(double)) == 0);
  };
  for (const bool words : {true, false}) {
    for (const bool memos : {true, false}) {
      if (words && memos) continue;
      INFO("words shared " << words << ", memos shared " << memos);
      sim::RunOptions own = shared;
      own.share_random_words = words;
      own.share_run_memos = memos;
      const sim::Results b = sim::run_study(study.runs(), own);
      REQUIRE(a.summaries.size() == b.summaries.size());
      for (std::size_t v = 0; v < a.summaries.size(); ++v) {
        INFO("variable " << a.variables[v].name);
        CHECK(same(a.trajectories[v], b.trajectories[v]));
        CHECK(same(a.summaries[v].mean, b.summaries[v].mean));
        CHECK(same(a.differences[v].mean, b.differences[v].mean));
      }
      REQUIRE(a.event_values.size() == b.event_values.size());
      REQUIRE(!a.event_values.empty());
      CHECK(!a.event_values[0].empty());
      for (std::size_t c = 0; c < a.event_values.size(); ++c) {
        CHECK(same(a.event_values[c], b.event_values[c]));
      }
    }
  }
}

TEST_CASE("Event counts in the table agree exactly with the per-year counts", "[statistical]") {
  // Through the engine (results as written to the file): every event row is counted in the
  // year's `attacks`, its target's `attacked`, `territory_lost` and `us_responded`, and the
  // alliance-level counts; several attacks a year and the peacekeeping force included.
  const BusyStudy study;
  const sim::Results results = sim::run_study(study.runs(), BusyStudy::options(200));
  const std::size_t members = results.members.size();
  const std::size_t scenarios = 2;
  const std::size_t reps = 200;
  const auto variable = [&](const std::string& name) {
    for (std::size_t v = 0; v < results.variables.size(); ++v) {
      if (results.variables[v].name == name) return v;
    }
    FAIL("no variable " << name);
    return std::size_t{0};
  };
  const auto column = [&](const std::string& name) {
    for (std::size_t c = 0; c < results.event_columns.size(); ++c) {
      if (results.event_columns[c].name == name) return c;
    }
    FAIL("no event column " << name);
    return std::size_t{0};
  };
  const auto cell = [&](std::size_t s, std::size_t r, std::size_t y) {
    return (s * reps + r) * kYears + y;
  };
  // Tally the event table per (scenario, replicate, year) and per member.
  const std::size_t cells = scenarios * reps * kYears;
  std::vector<double> attacks(cells, 0.0), article5(cells, 0.0), aside(cells, 0.0), pk(cells, 0.0),
      allies(cells, 0.0);
  std::vector<double> attacked(cells * members, 0.0), lost(cells * members, 0.0),
      responded(cells * members, std::nan(""));
  const auto& ev = results.event_values;
  const std::size_t events = ev[0].size();
  REQUIRE(events > 500);
  for (std::size_t e = 0; e < events; ++e) {
    const auto s = static_cast<std::size_t>(ev[column("scenario")][e]);
    const auto r = static_cast<std::size_t>(ev[column("replicate")][e]);
    const auto y = static_cast<std::size_t>(ev[column("year")][e] - 2025);
    const auto target = static_cast<std::size_t>(ev[column("target")][e]);
    const std::size_t c = cell(s, r, y);
    attacks[c] += 1.0;
    article5[c] += ev[column("article5")][e];
    aside[c] += ev[column("article5")][e] * (1.0 - ev[column("us_responded")][e]);
    if (target == members) {
      pk[c] += 1.0;
      CHECK(ev[column("article5")][e] == 0.0);
      CHECK(ev[column("us_responded")][e] == 0.0);
      continue;
    }
    allies[c] += 1.0;
    attacked[c * members + target] += 1.0;
    lost[c * members + target] += ev[column("outcome")][e] == 2.0 ? 1.0 : 0.0;
    responded[c * members + target] = ev[column("us_responded")][e];
  }
  // Count disagreements (one CHECK each at the end, naming the first) rather than asserting
  // cell by cell.
  const auto& tr = results.trajectories;
  int mismatches = 0;
  std::string first;
  const auto expect = [&](bool same, const std::string& what, std::size_t c) {
    if (same) return;
    if (mismatches++ == 0) first = what + " in cell " + std::to_string(c);
  };
  for (std::size_t c = 0; c < cells; ++c) {
    expect(tr[variable("attacks")][c] == attacks[c], "attacks", c);
    expect(tr[variable("article5_invocations")][c] == article5[c], "article5_invocations", c);
    expect(tr[variable("us_stood_aside")][c] == aside[c], "us_stood_aside", c);
    expect(tr[variable("peacekeepers_attacked")][c] == pk[c], "peacekeepers_attacked", c);
    expect(tr[variable("deterrence_failure")][c] == (allies[c] > 0.0 ? 1.0 : 0.0),
           "deterrence_failure", c);
    for (std::size_t m = 0; m < members; ++m) {
      const std::size_t k = c * members + m;
      expect(tr[variable("attacked")][k] == attacked[k], "attacked", c);
      expect(tr[variable("territory_lost")][k] == lost[k], "territory_lost", c);
      const double us = tr[variable("us_responded")][k];
      expect(std::isnan(us) ? std::isnan(responded[k]) : us == responded[k], "us_responded", c);
    }
  }
  INFO(events << " events; first disagreement: " << first);
  CHECK(mismatches == 0);
}
