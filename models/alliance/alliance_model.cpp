#include "models/alliance/alliance_model.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <span>
#include <stdexcept>

#include <fmt/format.h>

#include "sim/core/matrix_vector.h"

namespace models {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Shares are compared with the threshold with this slack (pp of GDP), so that a member budgeting
// exactly the threshold is never counted short by rounding.
constexpr double kComplianceSlackPct = 1e-9;
/// Event-table label of the peacekeeping force in Ukraine.
constexpr const char* kPeacekeeperLabel = "UA_PK";

/// Parses an optional sub-table of [model] with `parse`, then rejects unknown keys in it.
template <typename Parse>
auto parse_section(sim::config::Table& model, std::string_view key, Parse&& parse) {
  static const toml::table kEmpty;
  if (auto table = model.table_if(key)) {
    auto result = parse(*table);
    table->finish();
    return result;
  }
  sim::config::Table empty(kEmpty, model.dotted(key),
                           std::make_shared<const sim::config::Origin>(model.origin()));
  return parse(empty);
}

sim::ModelSchema make_schema(const AllianceData& data, double common_threshold_pct) {
  sim::ModelSchema schema;
  // The axes of the results file: allies (ISO 3166 alpha-2 codes) and calendar years.
  schema.member_axis = "member";
  schema.member_axis_long_name = "member code";
  schema.time_axis = "year";
  schema.time_axis_long_name = "calendar year";
  schema.time_axis_units = "year";
  for (const MemberData& m : data.members) {
    schema.members.push_back(m.iso2);
    schema.member_names.push_back(m.name);
  }
  using sim::Level;
  schema.variables = {
      {"defence_share", "percent of GDP",
       "core defence expenditure as a share of GDP (NATO definition); 0 for Iceland (no armed "
       "forces)",
       Level::member, false, false},
      {"defence_spending", "US$ bn (current)", "core defence expenditure", Level::member, false,
       false},
      {"gdp", "US$ bn (current)", "gross domestic product", Level::member, false, false},
      {"capability", "US$ bn (depreciated stock)",
       "military capability stock: perpetual inventory of defence spending", Level::member, false,
       false},
      {"compliant", "1",
       "1 if defence_share meets this year's threshold, else 0; missing for exempt members "
       "(Iceland), the U.S. (not held to its own threshold) and members before they join",
       Level::member, true, true},
      {"us_reliability", "probability",
       "member's belief that the U.S. would defend it given its compliance; missing for the U.S.",
       Level::member, false, true},
      {"us_troops", "thousands", "U.S. troops stationed in the member; missing for the U.S.",
       Level::member, false, true},
      {"threat", "index (about 1 for a Baltic state in 2025)",
       "perceived threat: geographic exposure x adversary capability + recent events",
       Level::member, false, false},
      {"attacked", "1",
       "1 if the member was attacked this year, else 0 (the U.S. is never a target; 0 in the "
       "start year)",
       Level::member, true, false},
      {"territory_lost", "1", "1 if an attack this year took territory from the member, else 0",
       Level::member, true, false},
      {"us_responded", "1",
       "1 if the U.S. came to the member's defence when it was attacked this year, 0 if it stood "
       "aside; missing when not attacked (the mean is P(U.S. responded | attacked))",
       Level::member, true, true},
      {"first_compliant_year", "year",
       "first year from outcomes.from_year in which the member met the threshold; missing until "
       "then, for the U.S. and for exempt members",
       Level::member, false, true},
      {"years_compliant", "years",
       "years from outcomes.from_year up to this one in which the member met the threshold "
       "(members only; missing for the U.S. and exempt members)",
       Level::member, false, true},
      {"gave_up", "1",
       "1 if the member met the threshold in an earlier year (from outcomes.from_year) and now "
       "aims "
       "below it; missing for the U.S. and exempt members",
       Level::member, true, true},
      {"threshold", "percent of GDP", "U.S. threshold of core defence spending in force this year",
       Level::global, false, false},
      {"allies_compliant", "count (of 30)",
       "allies with armed forces, other than the U.S., at or above the threshold", Level::global,
       false, false},
      {"europe_canada_spending", "US$ bn (current)",
       "core defence expenditure of all allies other than the U.S.", Level::global, false, false},
      {"us_share_of_spending", "percent", "U.S. share of the alliance's defence expenditure",
       Level::global, false, false},
      {"attacks", "count", "attacks this year (on allies and on the peacekeeping force)",
       Level::global, false, false},
      {"article5_invocations", "count",
       "attacks this year for which Article 5 was invoked (allies; the peacekeeping force only "
       "if covered)",
       Level::global, false, false},
      {"us_stood_aside", "count", "Article 5 cases this year in which the U.S. did not respond",
       Level::global, false, false},
      {"peacekeepers_attacked", "1", "1 if the peacekeeping force in Ukraine was attacked",
       Level::global, true, false},
      {"deterrence_failure", "1", "1 if any ally was attacked this year", Level::global, true,
       false},
      {"any_attack_on_ally", "1",
       "1 if any ally was attacked in any year from outcomes.from_year up to this year (the last "
       "year's mean is the whole-period probability)",
       Level::global, true, false},
      {"attacks_to_date", "count",
       "attacks on allies from outcomes.from_year up to this year (not counting the peacekeepers)",
       Level::global, false, false},
      {"peacekeepers_attacked_ever", "1",
       "1 if the peacekeeping force was attacked in any year from outcomes.from_year up to this "
       "year",
       Level::global, true, false},
      {"allies_at_common_threshold", "count (of 30)",
       fmt::format("allies with armed forces, other than the U.S., at or above {:g}% of GDP, the "
                   "same threshold in every scenario (outcomes.common_threshold_pct)",
                   common_threshold_pct),
       Level::global, false, false},
      {"europe_canada_spending_real", "US$ bn (constant 2015)",
       "core defence expenditure of all allies other than the U.S. in constant 2015 prices: each "
       "ally's share of its GDP in constant 2015 US$ (World Bank; the real trend with the same "
       "shocks beyond the data)",
       Level::global, false, false},
  };
  std::vector<std::string> targets = schema.members;
  targets.emplace_back(kPeacekeeperLabel);
  schema.event_columns = {
      {"target", "1", "attacked target: a member's code, or UA_PK for the peacekeeping force",
       targets},
      {"local_balance",
       "1",
       "attacking brigades / local defence brigades (base defence, own forces available "
       "locally, forward U.S. and allied troops), before any response",
       {}},
      {"us_responded", "1", "1 if the U.S. came to the target's defence, else 0", {}},
      {"allied_responders", "count", "allies other than the U.S. that sent forces", {}},
      {"outcome", "1", "outcome of the attack", {"repelled", "stalemate", "territory_lost"}},
      {"article5", "1", "1 if Article 5 was invoked (an ally, or a force covered by it)", {}},
      {"target_compliant",
       "1",
       "1 if the target met this year's threshold, else 0; missing for Iceland (exempt) and the "
       "peacekeeping force",
       {}},
      {"final_balance",
       "1",
       "attacking brigades / (local defence + reinforcement weight x brigades of the responders)",
       {}},
  };
  return schema;
}

constexpr std::size_t idx(Recorded r) { return static_cast<std::size_t>(r); }

}  // namespace

AllianceParams parse_alliance(sim::config::Table& model, const sim::StudySettings& settings) {
  AllianceParams p;
  sim::config::Table data_table = model.table("data");
  p.data = parse_alliance_data(data_table);
  data_table.finish();
  const int latest = p.data->latest_share_year();
  const int reference = p.data->members.front().reference_year;
  if (settings.start_year != reference && settings.start_year < latest) {
    data_table.fail("defence_share", "no shares for the study's start year in the data",
                    std::to_string(settings.start_year),
                    fmt::format("study.start_year = {} or >= {}", reference, latest));
  }
  // Fiscal room reads the debt of the year before the start (the latest figure beyond the file).
  if (settings.start_year - 1 < p.data->debt_first_year) {
    data_table.fail("gov_debt", "no debt for the year before the study's start",
                    std::to_string(settings.start_year - 1),
                    fmt::format("a debt file covering {} (it starts in {})",
                                settings.start_year - 1, p.data->debt_first_year));
  }
  const AllianceData& data = *p.data;
  p.economy = parse_section(model, "economy", [&](auto& t) { return parse_economy(t, data); });
  p.threat = parse_section(model, "threat", [&](auto& t) { return parse_threat(t, data); });
  p.capability = parse_section(model, "capability", [](auto& t) { return parse_capability(t); });
  p.spillover = parse_section(model, "spillover", [](auto& t) { return parse_spatial(t); });
  p.budget = parse_section(model, "budget", [](auto& t) { return parse_budget(t); });
  p.pledges = parse_pledges(model);
  p.policy = parse_section(model, "policy", [](auto& t) { return parse_us_policy(t); });
  p.beliefs = parse_section(model, "beliefs", [](auto& t) { return parse_beliefs(t); });
  p.attack = parse_attack(model, data);
  parse_section(model, "outcomes", [&](auto& t) {
    p.outcomes_from_year =
        static_cast<int>(t.integer_or("from_year", settings.start_year, settings.start_year,
                                      settings.start_year + settings.years - 1));
    p.common_threshold_pct = t.number_or("common_threshold_pct", p.common_threshold_pct,
                                         sim::config::Range{0.0, 100.0, true, false});
    return 0;
  });
  return p;
}

AllianceModel::AllianceModel(AllianceParams params, const sim::StudySettings& settings)
    : params_(std::move(params)),
      schema_(make_schema(*params_.data, params_.common_threshold_pct)),
      start_year_(settings.start_year),
      years_(settings.years),
      members_(params_.data->size()),
      patron_(params_.data->patron) {
  const AllianceData& data = *params_.data;
  const auto n = static_cast<Eigen::Index>(members_);
  spatial_ = build_spatial(data, params_.spillover);
  trend_ = trend_growth(data, params_.economy);
  start_gdp_ = gdp_in_year(data, trend_, start_year_);
  real_trend_ = trend_growth(data, params_.economy, Prices::constant);
  real_trend_growth_ = real_trend_.exp();
  start_gdp_real_ = gdp_in_year(data, real_trend_, start_year_, Prices::constant);
  std::vector<double>& inputs = economy_inputs_.values;
  inputs = {static_cast<double>(start_year_), static_cast<double>(years_),
            static_cast<double>(members_), static_cast<double>(data.gdp_first_year),
            static_cast<double>(data.gdp_last_year)};
  for (const Eigen::ArrayXd* array :
       {&trend_, &real_trend_, &real_trend_growth_, &start_gdp_, &start_gdp_real_}) {
    inputs.insert(inputs.end(), array->data(), array->data() + array->size());
  }
  const Eigen::MatrixXd& cholesky = params_.economy.cholesky;
  inputs.insert(inputs.end(), cholesky.data(), cholesky.data() + cholesky.size());
  inputs.push_back(static_cast<double>(cholesky.rows()));
  for (int year = std::max(start_year_ + 1, data.gdp_first_year);
       year <= std::min(start_year_ + years_ - 1, data.gdp_last_year); ++year) {
    for (std::size_t m = 0; m < members_; ++m) {
      inputs.push_back(data.gdp_usd_bn(m, year));
      inputs.push_back(data.gdp_real_usd_bn(m, year));
    }
  }
  start_share_.resize(n);
  start_troops_.resize(n);
  // The debt known when the first simulated budget is set (the year before the start), or the
  // file's latest figure for a start beyond it.
  const int debt_year = std::min(start_year_ - 1, data.debt_last_year);
  start_debt_pct_.resize(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    start_debt_pct_(i) = data.gov_debt_pct(static_cast<std::size_t>(i), debt_year);
  }
  exempt_.resize(n);
  deciders_.resize(n);
  hosts_.resize(n);
  const bool reference_start = start_year_ < data.latest_share_year();
  for (Eigen::Index i = 0; i < n; ++i) {
    const MemberData& m = data.members[static_cast<std::size_t>(i)];
    const bool patron = static_cast<std::size_t>(i) == patron_;
    joined_year_.push_back(m.joined_year);
    start_share_(i) =
        m.exempt ? 0.0 : (reference_start ? m.reference_share_pct : m.latest_share_pct);
    start_troops_(i) = patron ? 0.0 : m.us_troops_thousands;
    exempt_(i) = m.exempt ? 1.0 : 0.0;
    deciders_(i) = (m.exempt || patron) ? 0.0 : 1.0;
    hosts_(i) = deciders_(i);
  }
  patron_mask_ = Eigen::ArrayXd::Zero(n);
  patron_mask_(static_cast<Eigen::Index>(patron_)) = 1.0;
  for (const ThreatEvent& e : params_.threat.events) event_reach_.push_back(event_reach(data, e));
  outcomes_from_year_ = params_.outcomes_from_year == 0 ? start_year_ : params_.outcomes_from_year;
  const Schedule& troops_path = params_.policy.us_troops_in_europe;
  for (int y = 0; y < years_; ++y) {
    const int year = start_year_ + y;
    Eigen::ArrayXd forward = Eigen::ArrayXd::Zero(n);
    for (Eigen::Index i = 0; i < n; ++i) {
      const Schedule& host = params_.attack.attack.forward_brigades[static_cast<std::size_t>(i)];
      if (!host.empty()) forward(i) = host.at(year);
    }
    forward_.push_back(std::move(forward));
    troops_factor_.push_back(
        troops_path.empty() ? 1.0 : troops_path.at(year) / troops_path.at(start_year_));
    std::vector<std::size_t> starting;
    std::vector<std::size_t> sustained;
    for (std::size_t e = 0; e < params_.threat.events.size(); ++e) {
      const ThreatEvent& event = params_.threat.events[e];
      if (event.year == year) starting.push_back(e);
      if (event.year < year && year <= event.until) sustained.push_back(e);
    }
    events_starting_.push_back(std::move(starting));
    events_sustained_.push_back(std::move(sustained));
    threshold_pct_.push_back(params_.policy.threshold_pct.at(year));
    adversary_.push_back(params_.threat.adversary_path.at(year));
    // Unset: the patron's share on the straight line between the data's reference and latest
    // figures, held after the latest (an interpolation, not data).
    const MemberData& us = data.members[patron_];
    const double us_data =
        year >= us.latest_year ? us.latest_share_pct
        : year <= us.reference_year
            ? us.reference_share_pct
            : us.reference_share_pct + (us.latest_share_pct - us.reference_share_pct) *
                                           static_cast<double>(year - us.reference_year) /
                                           static_cast<double>(us.latest_year - us.reference_year);
    us_share_pct_.push_back(
        y == 0 || params_.policy.us_spending_pct.empty()
            ? (y == 0 ? start_share_(static_cast<Eigen::Index>(patron_)) : us_data)
            : params_.policy.us_spending_pct.at(year));
  }
  const AttackModelParams& attack = params_.attack;
  const PeacekeeperParams& pk = attack.peacekeepers;
  reach_ = adversary_reach(data, attack.adversary);
  contributors_ = deciders_;
  answers_as_neighbour_.resize(n, n);
  answers_otherwise_.resize(n, n);
  for (Eigen::Index j = 0; j < n; ++j) {
    for (Eigen::Index i = 0; i < n; ++i) {
      const bool answers = i != j && contributors_(j) != 0.0;
      answers_as_neighbour_(i, j) = answers && spatial_.contiguity(i, j) != 0.0;
      answers_otherwise_(i, j) = answers && spatial_.contiguity(i, j) == 0.0;
    }
  }
  pk_contributor_ = Eigen::ArrayXd::Zero(n);
  for (std::size_t c : pk.contributors) pk_contributor_(static_cast<Eigen::Index>(c)) = 1.0;
  pk_proximity_ =
      proximity_to_point(data, pk.latitude_deg, pk.longitude_deg,
                         params_.spillover.contiguity_weight, params_.spillover.distance_scale_km);
  for (int y = 0; y < years_; ++y) {
    const int year = start_year_ + y;
    tied_down_.push_back(attack.adversary.tied_down.at(year));
    pk_present_.push_back(pk.deployed && year >= pk.from_year.value_or(start_year_) ? 1 : 0);
  }
}

ReplicateDraws AllianceModel::draw(std::uint64_t seed, std::uint64_t replicate,
                                   sim::RandomWordsRun* words) const {
  ReplicateDraws d;
  d.threat = draw_threat(params_.threat, seed, replicate, words);
  d.budget = draw_budget(params_.budget, seed, replicate, words);
  d.depreciation = params_.capability.depreciation.draw(seed, replicate, words);
  d.trend_offset = params_.economy.trend_offset.draw(seed, replicate, words);
  d.volatility = params_.economy.volatility.draw(seed, replicate, words);
  d.ally_reliability = params_.spillover.ally_reliability.draw(seed, replicate, words);
  d.enforcement_probability = params_.policy.enforcement_probability.draw(seed, replicate, words);
  d.us_reliability = params_.policy.reliability.draw(seed, replicate, words);
  d.pressure_scale = params_.policy.pressure_scale.draw(seed, replicate, words);
  d.reliability_prior = params_.beliefs.reliability_prior.draw(seed, replicate, words);
  d.enforcement_prior = params_.beliefs.enforcement_prior
                            ? params_.beliefs.enforcement_prior->draw(seed, replicate, words)
                            : d.enforcement_probability;
  d.attack = draw_attack(params_.attack, seed, replicate, d.us_reliability,
                         d.enforcement_probability, d.ally_reliability, words);
  return d;
}

namespace {

/// The next EconomyInputs' id: ids are never reused, so a remembered one names one instance.
std::atomic<std::uint64_t> next_economy_id{1};

/// The kind of values the alliance model files in a sim::RunMemo: its GDP path.
constexpr char kEconomyPath = 0;

}  // namespace

AllianceModel::EconomyInputs::EconomyInputs() : id(next_economy_id.fetch_add(1)) {}

AllianceModel::EconomyInputs::EconomyInputs(const EconomyInputs& other)
    : values(other.values), id(next_economy_id.fetch_add(1)) {}

AllianceModel::EconomyInputs& AllianceModel::EconomyInputs::operator=(const EconomyInputs& other) {
  values = other.values;
  same_as.store(0, std::memory_order_relaxed);
  return *this;
}

bool AllianceModel::EconomyInputs::same(const EconomyInputs& other) const {
  if (&other == this || other.id == same_as.load(std::memory_order_relaxed)) return true;
  const bool equal =
      other.values.size() == values.size() &&
      std::memcmp(other.values.data(), values.data(), values.size() * sizeof(double)) == 0;
  // Threads may race to store the same id: either way it names an instance found the same.
  if (equal) same_as.store(other.id, std::memory_order_relaxed);
  return equal;
}

void AllianceModel::share_economy(AllianceState& s, const ReplicateDraws& d,
                                  const sim::RunContext& context) const {
  s.economy_read = nullptr;
  s.economy_keep = nullptr;
  if (context.memo == nullptr) return;
  sim::RunMemo& memo = *context.memo;
  const std::array<double, 4> key{d.trend_offset, d.volatility, static_cast<double>(context.years),
                                  static_cast<double>(context.replicate)};
  if (context.keep_memo) {
    memo.file(&kEconomyPath, &economy_inputs_, key);
    s.economy_keep = &memo;
    return;
  }
  const std::size_t path_size =
      3 * members_ * static_cast<std::size_t>(std::max(context.years - 1, 0));
  if (memo.kind() == &kEconomyPath && memo.filed_under(key) && memo.values().size() == path_size &&
      economy_inputs_.same(*static_cast<const EconomyInputs*>(memo.source()))) {
    s.economy_read = memo.values().data();
  }
}

void AllianceModel::initialise(AllianceState& s, const ReplicateDraws& d,
                               const sim::RunContext& context) const {
  const AllianceData& data = *params_.data;
  const BudgetParams& b = params_.budget;
  const auto n = static_cast<Eigen::Index>(members_);
  const auto patron = static_cast<Eigen::Index>(patron_);
  s.year_index = 0;
  s.year = start_year_;
  s.threshold_pct = threshold_pct_[0];
  s.gdp_usd_bn = start_gdp_;
  s.gdp_real_usd_bn = start_gdp_real_;
  s.gdp_surprise = Eigen::ArrayXd::Ones(n);
  s.forecast_growth = (trend_ + d.trend_offset).exp();
  s.real_forecast_growth = (real_trend_ + d.trend_offset).exp();
  share_economy(s, d, context);
  s.share_pct = start_share_;
  s.share_pct(patron) = us_share_pct_[0];
  s.planned_share_pct = s.share_pct;
  // Start-year GDP for the perpetual inventory: data years from the file, later years grown.
  const auto gdp_by_year = [&](std::size_t i, int year) {
    if (year <= data.gdp_last_year) return data.gdp_usd_bn(i, year);
    return data.gdp_usd_bn(i, data.gdp_last_year) *
           std::exp(trend_(static_cast<Eigen::Index>(i)) *
                    static_cast<double>(year - data.gdp_last_year));
  };
  s.capability_usd_bn = initial_capability(data, d.depreciation, start_year_, gdp_by_year);
  s.exposure = geographic_exposure(data, params_.threat, d.threat);
  // Events before the start year, decayed to it; the start year's own events come after the
  // start-year budgets were set (below).
  s.event_threat = Eigen::ArrayXd::Zero(n);
  for (std::size_t k = 0; k < params_.threat.events.size(); ++k) {
    const ThreatEvent& e = params_.threat.events[k];
    if (e.year < start_year_) {
      const int decayed = std::max(0, start_year_ - std::max(e.year, e.until));
      s.event_threat +=
          (d.threat.event_size[k] * std::pow(d.threat.event_decay, static_cast<double>(decayed))) *
          event_reach_[k];
    }
  }
  s.threat = s.exposure * capability_index(d, 0) + s.event_threat;
  s.us_troops_thousands = start_troops_;
  s.compliant.resize(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    s.compliant(i) =
        exempt_(i) != 0.0 || s.share_pct(i) >= s.threshold_pct - kComplianceSlackPct ? 1.0 : 0.0;
  }
  s.readiness.resize(n);
  for (Eigen::Index i = 0; i < n; ++i) s.readiness(i) = readiness(s.compliant(i) != 0.0, d);
  init_beliefs(s.beliefs, data, params_.beliefs, start_year_, d.reliability_prior,
               d.enforcement_prior);
  believed_weights(spatial_, d.ally_reliability, params_.spillover.neighbour_reliability_bonus,
                   s.allied_weights);

  // Fiscal room: public debt above the reference value shrinks how far a member moves for
  // threat or for any notch (1 at or below it, and at debt_drag 0: bit for bit the rule without).
  s.fiscal_room =
      (-d.budget.debt_drag * (start_debt_pct_ - b.debt_reference_pct).max(0.0) / 100.0).exp();
  s.threat_response = d.budget.threat_response_pp * s.fiscal_room;
  // Unobserved domestic politics and fiscal room: a mean-one lognormal multiplier per member on
  // the largest gap it would close for any notch, times the observed fiscal room.
  sim::RngStream cost_rng = context.stream(sim::purpose("alliance.budget_cost"));
  s.gap_multiplier.resize(n);
  const double sigma = b.gap_dispersion;
  for (Eigen::Index i = 0; i < n; ++i) {
    s.gap_multiplier(i) =
        std::exp(sigma * cost_rng.normal() - 0.5 * sigma * sigma) * s.fiscal_room(i);
  }

  s.z.resize(n);
  s.shock.resize(n);
  s.uniforms.resize(n);
  s.effective_ratio.resize(n);
  s.allied_security.resize(n);
  s.troop_target.resize(n);
  s.speed.resize(n);
  s.target_pct = s.share_pct;
  initialise_attack(s, d);

  // Revealed preference: each member's start share is its desired share in the start year, so
  // the intercept absorbs everything the model does not explain, and only changes (of threat,
  // allies' capability, pledges, U.S. policy) move budgets. A member sitting within the bunching
  // band just above a pledge already at full pressure is held there by it: its desired share is
  // somewhere in [target - G_i, target], drawn uniformly.
  // Status-quo readiness for everyone here, so that no policy lever leaks into preferences.
  const Eigen::ArrayXd readiness = s.readiness;
  s.readiness.setConstant(1.0 + d.budget.exercise_readiness_bonus);
  allied_share_equivalent(s, d);
  s.readiness = readiness;
  s.reference_pct = Eigen::ArrayXd::Zero(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    if (deciders_(i) == 0.0) continue;
    double desired = start_share_(i);
    for (const Pledge& pledge : params_.pledges) {
      const double pressure = pledge_pressure(start_year_, pledge.announced, pledge.deadline,
                                              d.budget.pledge_pressure_shape);
      const bool held = pressure >= 1.0 && member_in(static_cast<std::size_t>(i), 0) != 0.0 &&
                        desired >= pledge.target_pct &&
                        desired < pledge.target_pct + b.bunching_band_pct;
      if (held) {
        desired =
            pledge.target_pct - cost_rng.uniform() * d.budget.pledge_gap_pp * s.gap_multiplier(i);
      }
    }
    s.reference_pct(i) =
        desired - s.threat_response(i) * s.threat(i) + d.budget.spill_in * s.allied_security(i);
  }
  // The start year's plan assumes the threat the start shares were set on.
  s.planned_threat = s.threat;
  add_events(s, d, 0);

  s.ever_compliant = Eigen::ArrayXd::Zero(n);
  s.first_compliant_year = Eigen::ArrayXd::Constant(n, kNaN);
  s.years_compliant = Eigen::ArrayXd::Zero(n);
  s.gave_up = Eigen::ArrayXd::Zero(n);
  s.any_attack_on_ally = false;
  s.attacks_on_allies_to_date = 0;
  s.peacekeepers_attacked_ever = false;
  update_outcomes(s);
}

void AllianceModel::add_events(AllianceState& s, const ReplicateDraws& d, int t) const {
  // New events, and events still going on held at full size (what decay took is put back).
  const auto year = static_cast<std::size_t>(t);
  for (std::size_t k : events_starting_[year]) {
    s.event_threat += d.threat.event_size[k] * event_reach_[k];
    s.threat += d.threat.event_size[k] * event_reach_[k];
  }
  const double restored = 1.0 - d.threat.event_decay;
  for (std::size_t k : events_sustained_[year]) {
    s.event_threat += (restored * d.threat.event_size[k]) * event_reach_[k];
    s.threat += (restored * d.threat.event_size[k]) * event_reach_[k];
  }
}

double AllianceModel::capability_index(const ReplicateDraws& d, int t) const {
  const double central = params_.attack.adversary.level_brigades.central();
  const double level = central > 0.0 ? d.attack.level_brigades / central : 0.0;
  return adversary_[static_cast<std::size_t>(t)] * d.threat.adversary_scale * level;
}

void AllianceModel::allied_share_equivalent(AllianceState& s, const ReplicateDraws& d) const {
  // A stock K per GDP Y is worth about delta K / Y of yearly spending in steady state.
  s.effective_ratio = (100.0 * d.depreciation) * s.readiness * s.capability_usd_bn / s.gdp_usd_bn;
  sim::multiply(s.allied_weights, s.effective_ratio, s.allied_security);
}

double AllianceModel::desired_share(const AllianceState& s, const ReplicateDraws& d,
                                    Eigen::Index i) const {
  const double desired = s.reference_pct(i) + s.threat_response(i) * s.planned_threat(i) -
                         d.budget.spill_in * s.allied_security(i);
  return std::max(desired, params_.budget.min_share_pct);
}

void AllianceModel::step_budgets(AllianceState& s, const ReplicateDraws& d,
                                 sim::RngStream& noise_rng) const {
  const BudgetParams& b = params_.budget;
  const UsPolicy& policy = params_.policy;
  const auto n = static_cast<Eigen::Index>(members_);
  const auto patron = static_cast<Eigen::Index>(patron_);
  // The plan takes up part of the change in threat (all of it at kappa = 1, bit for bit).
  const double uptake = d.budget.threat_uptake;
  s.planned_threat = uptake * s.threat + (1.0 - uptake) * s.planned_threat;
  allied_share_equivalent(s, d);
  noise_rng.fill_normal({s.z.data(), static_cast<std::size_t>(s.z.size())});

  const TroopRule& troops = policy.troops;
  const bool us_levers = policy.conditional_article5 || policy.exercises_to_compliers_only ||
                         troops.reallocate_to_compliers;
  const double us_pressure =
      policy.pressure.empty() ? 0.0 : d.pressure_scale * policy.pressure.at(s.year);
  // The pledges in force this year (pressure > 0) are every member's first notches: their
  // thresholds, deadlines and pressures are worked out once a year (std::pow is the costly
  // part), and a member's loop sets only their worth, which its gap multiplier scales.
  std::array<Notch, kMaxNotches> notches{};
  std::array<double, kMaxPledges> pressure{};
  std::array<bool, kMaxPledges> halts_decline{};
  std::size_t in_force = 0;
  for (const Pledge& pledge : params_.pledges) {
    const double pledge_pressure_now =
        pledge_pressure(s.year, pledge.announced, pledge.deadline, d.budget.pledge_pressure_shape) *
        (1.0 + us_pressure);
    if (pledge_pressure_now <= 0.0) continue;
    pressure[in_force] = pledge_pressure_now;
    halts_decline[in_force] = pledge.halt_decline;
    notches[in_force] = Notch{pledge.target_pct, 0.0,
                              std::max(1.0, static_cast<double>(pledge.deadline - s.year + 1))};
    ++in_force;
  }
  // This year's adjustment speeds for every member at once (a vectorised exp).
  s.speed =
      1.0 - (1.0 - d.budget.adjustment_speed) * (-d.budget.acute_speed_gain * s.event_threat).exp();
  for (Eigen::Index i = 0; i < n; ++i) {
    if (deciders_(i) == 0.0) continue;
    const auto m = static_cast<std::size_t>(i);
    const bool member = member_in(m, s.year_index) != 0.0;
    const double multiplier = s.gap_multiplier(i);
    const std::size_t count_pledges = member ? in_force : 0;
    std::size_t count = count_pledges;
    bool no_cut = false;
    const double gap = d.budget.pledge_gap_pp * multiplier;
    for (std::size_t p = 0; p < count_pledges; ++p) {
      notches[p].worth_pp2 = gap * gap * pressure[p];
      no_cut = no_cut || (halts_decline[p] && s.planned_share_pct(i) < notches[p].threshold_pct);
    }
    if (member && us_levers) {
      // What meeting the U.S. threshold keeps, as the squared gap a member would close for it,
      // weighted by its belief that the U.S. would really withhold it: the guarantee (worth more
      // under more threat, and only if the U.S. is believed reliable), exercises, and the
      // expected share of stationed troops moved away.
      const double enforcement = s.beliefs.enforcement(m);
      const double here = s.us_troops_thousands(i);
      const double floor = std::min(troops.floor_thousands, start_troops_(i) * troops_factor_[0]);
      const double lost_share =
          here > 0.0 ? troops.speed_per_year * (here - floor) / (here + b.troop_half_thousands)
                     : 0.0;
      const double h = d.budget.guarantee_gap_pp * multiplier;
      const double x = d.budget.exercises_gap_pp * multiplier;
      const double z = d.budget.troops_gap_pp * multiplier;
      const double worth =
          enforcement *
          ((policy.conditional_article5 ? h * h * s.beliefs.reliability(m) * s.planned_threat(i)
                                        : 0.0) +
           (policy.exercises_to_compliers_only ? x * x : 0.0) +
           (troops.reallocate_to_compliers ? z * z * lost_share : 0.0));
      if (worth > 0.0) notches[count++] = Notch{s.threshold_pct, worth, 1.0};
    }
    const double desired = desired_share(s, d, i);
    const BudgetTarget target =
        with_notch_count(std::span<const Notch>(notches.data(), count), [&](auto valued) {
          BudgetTarget chosen = choose_target(desired, valued);
          chosen.path_rise_pct = deadline_rise(s.planned_share_pct(i), chosen.share_pct, valued);
          return chosen;
        });
    s.target_pct(i) = target.share_pct;
    AdjustmentLimits limits;
    limits.speed = s.speed(i);
    limits.max_cut_pct = b.max_cut_pct;
    limits.max_rise_pct = b.max_rise_pct;
    limits.min_share_pct = b.min_share_pct;
    limits.max_share_pct = b.max_share_pct;
    limits.no_cut = no_cut;
    s.planned_share_pct(i) =
        adjust_share(s.planned_share_pct(i), target, limits, d.budget.noise_sd_pct * s.z(i));
    // A member whose plan meets a notch it values tops up when a boom would take the outturn
    // below it, as it keeps noise from doing so (adjust_share): the bunching just above 2%.
    const double planned = s.planned_share_pct(i);
    const double outturn = planned * s.gdp_surprise(i);
    s.share_pct(i) = planned >= target.floor_pct ? std::max(outturn, target.floor_pct) : outturn;
  }
  s.share_pct(patron) = us_share_pct_[static_cast<std::size_t>(s.year_index)];
}

double AllianceModel::readiness(bool compliant, const ReplicateDraws& d) const {
  // Restricted exercises are withheld from a non-complier with the enforcement probability: it
  // gets the expected bonus (its budget decision uses the same expectation).
  const bool restricted = params_.policy.exercises_to_compliers_only && !compliant;
  return 1.0 +
         d.budget.exercise_readiness_bonus * (restricted ? 1.0 - d.enforcement_probability : 1.0);
}

void AllianceModel::step_policy(AllianceState& s, const ReplicateDraws& d) const {
  const UsPolicy& policy = params_.policy;
  const auto n = static_cast<Eigen::Index>(members_);
  for (Eigen::Index i = 0; i < n; ++i) {
    s.compliant(i) =
        exempt_(i) != 0.0 || s.share_pct(i) >= s.threshold_pct - kComplianceSlackPct ? 1.0 : 0.0;
    s.readiness(i) = readiness(s.compliant(i) != 0.0, d);
  }
  // U.S. troops in Europe follow their path; each host keeps its part of the total.
  const auto t = static_cast<std::size_t>(s.year_index);
  s.us_troops_thousands *= troops_factor_[t] / troops_factor_[t - 1];
  const TroopRule& rule = policy.troops;
  if (rule.reallocate_to_compliers) {
    const Eigen::ArrayXd start = start_troops_ * troops_factor_[t];
    const double total =
        rule.total_thousands ? *rule.total_thousands * troops_factor_[t] : start.sum();
    troop_target(start, hosts_ * s.compliant, s.threat, rule, total, s.troop_target);
    // The U.S. carries the shift out with the enforcement probability: the expected target is
    // the compliers' allocation with weight p and the start allocation with weight 1 - p.
    s.troop_target =
        d.enforcement_probability * s.troop_target + (1.0 - d.enforcement_probability) * start;
    move_troops(s.us_troops_thousands, s.troop_target, rule.speed_per_year);
  }
}

void AllianceModel::initialise_attack(AllianceState& s, const ReplicateDraws& d) const {
  AttackState& a = s.attack;
  const auto n = static_cast<Eigen::Index>(members_);
  const AttackParams& p = params_.attack.attack;
  const PeacekeeperParams& pk = params_.attack.peacekeepers;
  a.capability_shock = 0.0;
  a.available_brigades = 0.0;
  a.beliefs = init_adversary_beliefs(d.attack.reliability_prior, d.attack.enforcement_prior,
                                     params_.attack.adversary.prior_strength);
  a.attacked = Eigen::ArrayXd::Zero(n);
  a.territory_lost = Eigen::ArrayXd::Zero(n);
  a.us_responded = Eigen::ArrayXd::Constant(n, kNaN);
  a.attacks = 0;
  a.article5_invocations = 0;
  a.us_stood_aside = 0;
  a.peacekeepers_attacked = false;
  a.allies_attacked = false;
  if (!p.enabled) return;
  // Who answers Article 5 for whom (a compliant target): allies with armed forces other than the
  // patron, never the target itself; neighbours more likely.
  // Two values only (neighbour or not), so each is computed once, not once per pair.
  const double neighbour_response =
      ally_response_probability(d.attack.ally_response, true, true, p);
  const double other_response = ally_response_probability(d.attack.ally_response, false, true, p);
  a.response =
      answers_as_neighbour_
          .select(neighbour_response,
                  answers_otherwise_.select(Eigen::ArrayXXd::Constant(n, n, other_response), 0.0))
          .matrix();
  a.reinforcement = a.response.cwiseProduct(spatial_.proximity);
  // The peacekeeping force: contributors decide on their own; under Article 5 cover every ally
  // answers as for a member (and a contributor takes the likelier of the two).
  const double article5 = pk.covered_by_article5 ? d.attack.ally_response : 0.0;
  a.pk_response = contributors_ * (pk_contributor_ * d.attack.contributor_response).max(article5);
  a.pk_reinforcement = a.pk_response * pk_proximity_;
  a.own_brigades.resize(n);
  a.surge_brigades.resize(n);
  a.allied_expected.resize(n);
  a.attacker.resize(n + 1);
  a.local_defence.resize(n + 1);
  a.utility.resize(n + 1);
  a.eligible.assign(members_ + 1, 0);
}

void AllianceModel::attack_step(AllianceState& s, const ReplicateDraws& d, Streams& streams,
                                const sim::RunContext& context, sim::RunRecorder& recorder) const {
  AttackState& a = s.attack;
  a.attacked.setZero();
  a.territory_lost.setZero();
  a.us_responded.setConstant(kNaN);
  a.attacks = 0;
  a.article5_invocations = 0;
  a.us_stood_aside = 0;
  a.peacekeepers_attacked = false;
  a.allies_attacked = false;
  const AttackParams& p = params_.attack.attack;
  if (!p.enabled) return;
  const AdversaryParams& adversary = params_.attack.adversary;
  const PeacekeeperParams& pk = params_.attack.peacekeepers;
  const auto n = static_cast<Eigen::Index>(members_);
  const auto patron = static_cast<Eigen::Index>(patron_);
  const auto t = static_cast<std::size_t>(s.year_index);

  // 1. The adversary's capability and the part of it not tied down elsewhere.
  a.capability_shock = adversary.shock_persistence * a.capability_shock +
                       adversary.shock_sd * streams.adversary.normal();
  const double capability =
      d.attack.level_brigades * adversary_[t] * d.threat.adversary_scale *
      std::exp(d.attack.growth_per_year * static_cast<double>(s.year_index) + a.capability_shock);
  a.available_brigades = capability * (1.0 - tied_down_[t]);

  // 2. Forces: own brigades, the surge each ally can send, the reinforcement each member can
  // expect from allies (one matrix-vector product).
  a.own_brigades = p.brigades_per_usd_bn * s.readiness * s.capability_usd_bn;
  a.surge_brigades = p.ally_surge_share * a.own_brigades * contributors_;
  sim::multiply(a.reinforcement, a.surge_brigades, a.allied_expected);
  const double us_surge = p.us_surge_share * a.own_brigades(patron);
  const bool conditional = params_.policy.conditional_article5;
  const double believed_reliability = a.beliefs.reliability();
  const double believed_enforcement = a.beliefs.enforcement();
  const double phi = p.reinforcement_weight;

  // 3. Expected utility of attacking each target.
  for (Eigen::Index i = 0; i < n; ++i) {
    const auto m = static_cast<std::size_t>(i);
    a.attacker(i) = a.available_brigades * reach_(i);
    a.local_defence(i) = p.base_defence_brigades + p.local_share * a.own_brigades(i) +
                         s.us_troops_thousands(i) / p.us_thousands_per_brigade + forward_[t](i);
    if (i == patron || !(a.attacker(i) > 0.0) || a.attacker(i) < adversary.min_force_brigades) {
      a.eligible[m] = 0;
      a.utility(i) = -std::numeric_limits<double>::infinity();
      continue;
    }
    a.eligible[m] = 1;
    // A partner that has not joined yet has no Article 5 guarantee: nobody is expected to come.
    const bool member = member_in(m, s.year_index) != 0.0;
    const bool compliant = s.compliant(i) != 0.0;
    const bool written_off = conditional && !compliant;
    const double q_us =
        us_response_probability(member, written_off, believed_reliability, believed_enforcement);
    const double solidarity = !member ? 0.0 : compliant ? 1.0 : p.noncomplier_solidarity;
    const double expected =
        a.local_defence(i) + phi * (q_us * us_surge + solidarity * a.allied_expected(i));
    const double success = contest_success(a.attacker(i), expected, p.contest);
    a.utility(i) =
        attack_utility(success, 1.0, d.attack.cost_of_failure, q_us, d.attack.escalation_cost);
  }
  a.attacker(n) = a.available_brigades * pk.reach;
  a.local_defence(n) = pk.brigades;
  if (pk_present_[t] != 0 && a.attacker(n) > 0.0 && a.attacker(n) >= adversary.min_force_brigades) {
    a.eligible[members_] = 1;
    const double q_us = pk.covered_by_article5 ? believed_reliability : 0.0;
    const double expected =
        pk.brigades + phi * (q_us * us_surge + (a.pk_reinforcement * a.surge_brigades).sum());
    const double success = contest_success(a.attacker(n), expected, p.contest);
    a.utility(n) =
        attack_utility(success, pk.value, d.attack.cost_of_failure, q_us, d.attack.escalation_cost);
  } else {
    a.eligible[members_] = 0;
    a.utility(n) = -std::numeric_limits<double>::infinity();
  }

  // 4. Attack slots, each an independent opportunity whose hazard follows the best target not
  // yet attacked this year. Two uniforms per slot from this year's stream, always drawn, so
  // that later slots and years never depend on what happened; each attack is resolved from
  // its own stream.
  sim::RngStream rng = context.stream(
      sim::sub_purpose(sim::purpose("alliance.attacks"), static_cast<std::uint32_t>(s.year_index)));
  const auto utilities = std::span<const double>(a.utility.data(), members_ + 1);
  for (int slot = 0; slot < adversary.max_attacks_per_year; ++slot) {
    const double u_attack = rng.uniform();
    const double u_target = rng.uniform();
    double best = -std::numeric_limits<double>::infinity();
    for (Eigen::Index i = 0; i <= n; ++i) {
      if (a.eligible[static_cast<std::size_t>(i)] != 0) best = std::max(best, a.utility(i));
    }
    const double hazard =
        attack_hazard(best, d.attack.risk_appetite, a.available_brigades, adversary);
    if (u_attack >= hazard) continue;
    const std::size_t target =
        draw_target(utilities, a.eligible, adversary.target_sharpness, u_target);
    if (target > members_) continue;
    a.eligible[target] = 0;  // distinct targets within a year
    sim::RngStream resolution =
        context.stream(sim::sub_purpose(sim::sub_purpose(sim::purpose("alliance.attack_resolution"),
                                                         static_cast<std::uint32_t>(s.year_index)),
                                        static_cast<std::uint32_t>(slot)));
    resolve_attack(s, d, target, resolution, recorder);
  }
}

void AllianceModel::resolve_attack(AllianceState& s, const ReplicateDraws& d, std::size_t target,
                                   sim::RngStream& rng, sim::RunRecorder& recorder) const {
  AttackState& a = s.attack;
  const AttackParams& p = params_.attack.attack;
  const PeacekeeperParams& pk = params_.attack.peacekeepers;
  const auto n = static_cast<Eigen::Index>(members_);
  const auto i = static_cast<Eigen::Index>(target);
  const bool peacekeepers = target == members_;
  const bool article5 =
      peacekeepers ? pk.covered_by_article5 : member_in(target, s.year_index) != 0.0;
  const bool compliant = peacekeepers || s.compliant(i) != 0.0;
  const bool written_off = params_.policy.conditional_article5 && !compliant;

  // Who comes: the U.S. by its policy, each ally on its own (one uniform each, always drawn).
  // For a written-off ally one uniform decides first whether the U.S. withholds defence
  // (probability p_enforce) and, if not, rescaled, whether it comes as for anyone else, so that
  // enforcement 0 is the status quo draw for draw.
  const double enforce = d.enforcement_probability;
  double u_us = rng.uniform();
  const bool withheld = article5 && written_off && u_us < enforce;
  if (written_off && !withheld && enforce > 0.0) u_us = (u_us - enforce) / (1.0 - enforce);
  const bool us = article5 && !withheld && u_us < d.us_reliability;
  const double solidarity = !article5 ? 0.0 : compliant ? 1.0 : p.noncomplier_solidarity;
  int allies = 0;
  double came = 0.0;
  for (Eigen::Index j = 0; j < n; ++j) {
    const double u = rng.uniform();
    const double probability = peacekeepers ? a.pk_response(j) : solidarity * a.response(i, j);
    if (u < probability) {
      ++allies;
      came += a.surge_brigades(j) * (peacekeepers ? pk_proximity_(j) : spatial_.proximity(i, j));
    }
  }
  const double us_surge = p.us_surge_share * a.own_brigades(static_cast<Eigen::Index>(patron_));
  const double defence =
      a.local_defence(i) + p.reinforcement_weight * ((us ? us_surge : 0.0) + came);
  const ContestOutcome odds = contest_outcomes(a.attacker(i), defence, p.contest);
  const int outcome = draw_outcome(odds, rng.uniform());
  const bool lost = outcome == static_cast<int>(AttackOutcome::territory_lost);

  // Feedback: threat (target fully, neighbours in part; for the peacekeepers, contributors fully
  // and others by proximity), then what everyone learnt about the U.S.
  const double jump = p.threat_jump * (lost ? p.threat_jump_lost_factor : 1.0);
  const double spillover = params_.threat.event_spillover;
  if (peacekeepers) {
    const double closest = pk_proximity_.maxCoeff();
    s.event_threat += jump * pk_contributor_;
    if (closest > 0.0) s.event_threat += (jump * spillover / closest) * pk_proximity_;
  } else {
    raise_event_threat(s.event_threat, target, jump, spillover, spatial_.proximity);
  }
  if (article5) {
    const double w = p.response_signal_weight;
    for (std::size_t j = 0; j < members_; ++j) {
      if (j == patron_) continue;
      if (written_off) observe_us_enforcement(s.beliefs, j, withheld ? 1.0 : 0.0, w);
      if (!withheld) observe_us_response(s.beliefs, j, us ? 1.0 : 0.0, w);
    }
    if (written_off) observe_us_action(a.beliefs, true, !withheld, w);
    if (!withheld) observe_us_action(a.beliefs, false, us, w);
  }

  ++a.attacks;
  if (article5) ++a.article5_invocations;
  if (article5 && !us) ++a.us_stood_aside;
  if (peacekeepers) {
    a.peacekeepers_attacked = true;
  } else {
    a.allies_attacked = true;
    a.attacked(i) = 1.0;
    a.territory_lost(i) = lost ? 1.0 : 0.0;
    a.us_responded(i) = us ? 1.0 : 0.0;
  }

  std::array<double, static_cast<std::size_t>(EventColumn::count)> row{};
  const auto col = [](EventColumn c) { return static_cast<std::size_t>(c); };
  row[col(EventColumn::target)] = static_cast<double>(target);
  row[col(EventColumn::local_balance)] = a.attacker(i) / a.local_defence(i);
  row[col(EventColumn::us_responded)] = us ? 1.0 : 0.0;
  row[col(EventColumn::allied_responders)] = allies;
  row[col(EventColumn::outcome)] = outcome;
  row[col(EventColumn::article5)] = article5 ? 1.0 : 0.0;
  row[col(EventColumn::target_compliant)] =
      peacekeepers || exempt_(i) != 0.0 ? kNaN : s.compliant(i);
  row[col(EventColumn::final_balance)] = a.attacker(i) / defence;
  recorder.add_event(s.year_index, row);
}

AllianceModel::Streams AllianceModel::streams(const sim::RunContext& context) {
  return Streams{context.stream(sim::purpose("alliance.economy")),
                 context.stream(sim::purpose("alliance.budget_noise")),
                 context.stream(sim::purpose("alliance.beliefs")),
                 context.stream(sim::purpose("alliance.adversary"))};
}

void AllianceModel::step_economy(AllianceState& s, const ReplicateDraws& d,
                                 sim::RngStream& rng) const {
  // The data's GDP in years it covers (history is an input), else trend + shocks. The shocks
  // are drawn either way so that later years' draws do not depend on the data.
  const AllianceData& data = *params_.data;
  const bool history = s.year >= data.gdp_first_year && s.year <= data.gdp_last_year;
  // Beyond the data the forecast knew the trend and the offset, so forecast / outturn is
  // exp(-volatility * shock), got here from the growth grow_gdp draws (no further exp).
  if (!history) s.gdp_surprise = s.gdp_usd_bn * s.forecast_growth;
  grow_gdp(s.gdp_usd_bn, trend_, params_.economy.cholesky, d.trend_offset, d.volatility, rng, s.z,
           s.shock);
  if (history) {
    // The forecast is last year's real GDP grown at the real trend (a data year has no offset:
    // the offset is uncertainty about the future trend, not about history).
    for (std::size_t m = 0; m < members_; ++m) {
      const auto i = static_cast<Eigen::Index>(m);
      s.gdp_usd_bn(i) = data.gdp_usd_bn(m, s.year);
      const double outturn = data.gdp_real_usd_bn(m, s.year);
      s.gdp_surprise(i) = s.gdp_real_usd_bn(i) * real_trend_growth_(i) / outturn;
      s.gdp_real_usd_bn(i) = outturn;
    }
  } else {
    // Real GDP takes the same shock as current-price GDP.
    s.gdp_surprise /= s.gdp_usd_bn;
    s.gdp_real_usd_bn *= s.real_forecast_growth / s.gdp_surprise;
  }
}

void AllianceModel::step(AllianceState& s, const ReplicateDraws& d, Streams& streams,
                         const sim::RunContext& context, sim::RunRecorder& recorder) const {
  s.year_index += 1;
  s.year += 1;
  s.threshold_pct = threshold_pct_[static_cast<std::size_t>(s.year_index)];
  // 1. Economy: read where the reference scenario's run of this replicate kept it.
  if (s.economy_read != nullptr) {
    // That run worked it out from the same inputs, draws and words (share_economy): the same
    // bits, without the draws.
    const auto n = static_cast<std::ptrdiff_t>(members_);
    std::copy_n(s.economy_read, n, s.gdp_usd_bn.data());
    std::copy_n(s.economy_read + n, n, s.gdp_real_usd_bn.data());
    std::copy_n(s.economy_read + 2 * n, n, s.gdp_surprise.data());
    s.economy_read += 3 * n;
  } else {
    step_economy(s, d, streams.economy);
    if (s.economy_keep != nullptr) {
      for (const Eigen::ArrayXd* array : {&s.gdp_usd_bn, &s.gdp_real_usd_bn, &s.gdp_surprise}) {
        s.economy_keep->append(std::span<const double>(array->data(), members_));
      }
    }
  }
  // 2. Budgets, set on last year's threat (this year's budget was planned before this year's
  // events: the budget cycle's lag).
  step_budgets(s, d, streams.budget_noise);
  // 3. Threat: the adversary's capability this year, plus events (scheduled and attacks).
  update_threat(s.threat, s.event_threat, s.exposure, capability_index(d, s.year_index),
                d.threat.event_decay);
  add_events(s, d, s.year_index);
  // 4. Capability.
  accumulate_capability(s.capability_usd_bn, s.share_pct, s.gdp_usd_bn, d.depreciation);
  // 5. Policy: compliance, exercises, troops.
  step_policy(s, d);
  // 6. Attacks.
  attack_step(s, d, streams, context, recorder);
  // 7. Beliefs: what the U.S. did this year; the adversary reads the same public signal.
  const double public_share = update_beliefs(
      s.beliefs, params_.beliefs, s.compliant, patron_mask_, params_.policy.conditional_article5,
      d.us_reliability, d.enforcement_probability, streams.beliefs, s.uniforms);
  if (params_.attack.attack.enabled) {
    const AdversaryParams& adversary = params_.attack.adversary;
    update_adversary_beliefs(s.attack.beliefs, adversary.forgetting, public_share,
                             adversary.public_signal_weight);
  }
  update_outcomes(s);
}

void AllianceModel::update_outcomes(AllianceState& s) const {
  if (s.year < outcomes_from_year_) return;
  const AttackState& a = s.attack;
  s.any_attack_on_ally = s.any_attack_on_ally || a.allies_attacked;
  s.attacks_on_allies_to_date += a.attacks - (a.peacekeepers_attacked ? 1 : 0);
  s.peacekeepers_attacked_ever = s.peacekeepers_attacked_ever || a.peacekeepers_attacked;
  for (std::size_t m = 0; m < members_; ++m) {
    const auto i = static_cast<Eigen::Index>(m);
    if (deciders_(i) == 0.0 || member_in(m, s.year_index) == 0.0) continue;
    const bool compliant = s.compliant(i) != 0.0;
    s.gave_up(i) = s.ever_compliant(i) != 0.0 && !compliant &&
                           s.target_pct(i) < s.threshold_pct - kComplianceSlackPct
                       ? 1.0
                       : 0.0;
    if (!compliant) continue;
    if (s.ever_compliant(i) == 0.0) s.first_compliant_year(i) = s.year;
    s.ever_compliant(i) = 1.0;
    s.years_compliant(i) += 1.0;
  }
}

void AllianceModel::record(const AllianceState& s, sim::RunRecorder& recorder) const {
  const int y = s.year_index;
  const auto n = static_cast<Eigen::Index>(members_);
  const auto patron = static_cast<Eigen::Index>(patron_);
  const auto row = [&](Recorded variable) {
    return Eigen::Map<Eigen::ArrayXd>(recorder.member_row(idx(variable), y), n);
  };
  const AttackState& a = s.attack;
  // A few rows per loop: one loop writing all fourteen rows had no registers left for their
  // addresses and reloaded one from the stack for every value it stored.
  row(Recorded::defence_share) = s.share_pct;
  row(Recorded::gdp) = s.gdp_usd_bn;
  row(Recorded::capability) = s.capability_usd_bn;
  row(Recorded::threat) = s.threat;
  row(Recorded::attacked) = a.attacked;
  row(Recorded::territory_lost) = a.territory_lost;
  row(Recorded::us_responded) = a.us_responded;
  double* spending = recorder.member_row(idx(Recorded::defence_spending), y);
  double* troops = recorder.member_row(idx(Recorded::us_troops), y);
  for (Eigen::Index i = 0; i < n; ++i) {
    spending[i] = 0.01 * s.share_pct(i) * s.gdp_usd_bn(i);
    troops[i] = s.us_troops_thousands(i);
  }
  // The patron is not held to its own threshold; exempt members and members before they join
  // are not held to it either.
  double* compliant = recorder.member_row(idx(Recorded::compliant), y);
  double* first_compliant = recorder.member_row(idx(Recorded::first_compliant_year), y);
  double* years_compliant = recorder.member_row(idx(Recorded::years_compliant), y);
  double* gave_up = recorder.member_row(idx(Recorded::gave_up), y);
  for (Eigen::Index i = 0; i < n; ++i) {
    const bool counted = deciders_(i) != 0.0 && member_in(static_cast<std::size_t>(i), y) != 0.0;
    compliant[i] = counted ? s.compliant(i) : kNaN;
    first_compliant[i] = counted ? s.first_compliant_year(i) : kNaN;
    years_compliant[i] = counted ? s.years_compliant(i) : kNaN;
    gave_up[i] = counted ? s.gave_up(i) : kNaN;
  }
  const bool conditional = params_.policy.conditional_article5;
  double* reliability = recorder.member_row(idx(Recorded::us_reliability), y);
  for (Eigen::Index i = 0; i < n; ++i) {
    const auto m = static_cast<std::size_t>(i);
    const bool written_off = conditional && s.compliant(i) == 0.0;
    reliability[i] =
        s.beliefs.reliability(m) * (written_off ? 1.0 - s.beliefs.enforcement(m) : 1.0);
  }
  reliability[patron] = kNaN;
  troops[patron] = kNaN;
  // The sums in member order, as before the loops were split: the same additions, the same bits.
  double allies_compliant = 0.0;
  double allies_at_common = 0.0;
  double allies_spending = 0.0;
  double allies_spending_real = 0.0;
  for (Eigen::Index i = 0; i < n; ++i) {
    if (i == patron) continue;
    allies_spending += spending[i];
    allies_spending_real += 0.01 * s.share_pct(i) * s.gdp_real_usd_bn(i);
    const bool counted = deciders_(i) != 0.0 && member_in(static_cast<std::size_t>(i), y) != 0.0;
    allies_compliant += counted ? s.compliant(i) : 0.0;
    allies_at_common +=
        counted && s.share_pct(i) >= params_.common_threshold_pct - kComplianceSlackPct ? 1.0 : 0.0;
  }
  const double us_spending = spending[patron_];
  recorder.set_global(idx(Recorded::allies_compliant), y, allies_compliant);
  recorder.set_global(idx(Recorded::allies_at_common_threshold), y, allies_at_common);
  recorder.set_global(idx(Recorded::europe_canada_spending), y, allies_spending);
  recorder.set_global(idx(Recorded::europe_canada_spending_real), y, allies_spending_real);
  recorder.set_global(idx(Recorded::us_share_of_spending), y,
                      100.0 * us_spending / (us_spending + allies_spending));
  recorder.set_global(idx(Recorded::threshold), y, s.threshold_pct);
  recorder.set_global(idx(Recorded::attacks), y, a.attacks);
  recorder.set_global(idx(Recorded::article5_invocations), y, a.article5_invocations);
  recorder.set_global(idx(Recorded::us_stood_aside), y, a.us_stood_aside);
  recorder.set_global(idx(Recorded::peacekeepers_attacked), y, a.peacekeepers_attacked ? 1.0 : 0.0);
  recorder.set_global(idx(Recorded::deterrence_failure), y, a.allies_attacked ? 1.0 : 0.0);
  recorder.set_global(idx(Recorded::any_attack_on_ally), y, s.any_attack_on_ally ? 1.0 : 0.0);
  recorder.set_global(idx(Recorded::attacks_to_date), y, s.attacks_on_allies_to_date);
  recorder.set_global(idx(Recorded::peacekeepers_attacked_ever), y,
                      s.peacekeepers_attacked_ever ? 1.0 : 0.0);
}

void AllianceModel::run(const sim::RunContext& context, sim::RunRecorder& recorder) const {
  if (context.years > years_ || context.start_year != start_year_) {
    throw std::logic_error(
        fmt::format("AllianceModel::run: built for {} years from {}, asked for {} years from {}",
                    years_, start_year_, context.years, context.start_year));
  }
  const ReplicateDraws draws = draw(context.seed, context.replicate, context.words);
  // One state per thread, reused by every run on it: initialise sets every field, and the arrays
  // keep their memory, so a run does not allocate once the thread has done one.
  thread_local AllianceState state;
  initialise(state, draws, context);
  record(state, recorder);
  Streams rng = streams(context);
  for (int y = 1; y < context.years; ++y) {
    step(state, draws, rng, context, recorder);
    record(state, recorder);
  }
}

std::unique_ptr<sim::Model> make_alliance_model(sim::config::Table& model,
                                                const sim::StudySettings& settings) {
  return std::make_unique<AllianceModel>(parse_alliance(model, settings), settings);
}

}  // namespace models
