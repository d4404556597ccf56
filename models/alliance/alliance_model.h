#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include <Eigen/Dense>

#include "models/alliance/alliance_state.h"
#include "models/attack/attack.h"
#include "models/budget/budget.h"
#include "models/budget/spatial.h"
#include "models/capability/capability.h"
#include "models/data/alliance_data.h"
#include "models/economy/economy.h"
#include "models/policy/beliefs.h"
#include "models/policy/us_policy.h"
#include "models/threat/threat.h"
#include "sim/engine/model.h"

namespace models {

/// Everything the `[model]` table of an "alliance" study says, validated.
struct AllianceParams {
  /// Shared by every model built from the same files (load_alliance_data): never null.
  std::shared_ptr<const AllianceData> data;
  EconomyParams economy;
  ThreatParams threat;
  CapabilityParams capability;
  SpatialParams spillover;
  BudgetParams budget;
  /// Collective pledges with deadlines (`[[model.pledge]]`).
  std::vector<Pledge> pledges;
  UsPolicy policy;
  BeliefParams beliefs;
  AttackModelParams attack;
  /// First year counted by the whole-period outcomes (`[model.outcomes] from_year`); 0 = the
  /// study's start year.
  int outcomes_from_year = 0;
  /// One threshold every scenario is counted against (`[model.outcomes] common_threshold_pct`,
  /// % of GDP), so counts compare across scenarios with different thresholds.
  double common_threshold_pct = 3.5;
};

/// Reads `[model]`: `[model.data]` (required) and the optional `economy`, `threat`,
/// `capability`, `spillover`, `budget`, `policy` (with `policy.troops`), `beliefs`, `adversary`,
/// `attack` (with `attack.forward_brigades`) and `peacekeepers` tables, checking each for
/// unknown keys. Throws sim::ConfigError (also when the start year is neither the data's
/// reference year nor at or after the latest data year).
AllianceParams parse_alliance(sim::config::Table& model, const sim::StudySettings& settings);

/// One replicate's draws of every uncertain parameter.
struct ReplicateDraws {
  ThreatDrawn threat;
  BudgetDrawn budget;
  double depreciation = 0.1;
  double trend_offset = 0.0;
  double volatility = 0.02;
  double ally_reliability = 0.7;
  double enforcement_probability = 0.8;
  double us_reliability = 0.8;
  double pressure_scale = 1.0;
  double reliability_prior = 0.8;
  double enforcement_prior = 0.8;
  AttackDrawn attack;
};

/// Indices of the recorded variables, in schema order.
enum class Recorded : std::size_t {
  defence_share,
  defence_spending,
  gdp,
  capability,
  compliant,
  us_reliability,
  us_troops,
  threat,
  attacked,
  territory_lost,
  us_responded,
  first_compliant_year,
  years_compliant,
  gave_up,
  threshold,
  allies_compliant,
  europe_canada_spending,
  us_share_of_spending,
  attacks,
  article5_invocations,
  us_stood_aside,
  peacekeepers_attacked,
  deterrence_failure,
  any_attack_on_ally,
  attacks_to_date,
  peacekeepers_attacked_ever,
  allies_at_common_threshold,
  europe_canada_spending_real,
};

/// Columns of the event table (after the engine's scenario, replicate, year), in schema order.
enum class EventColumn : std::size_t {
  target,
  local_balance,
  us_responded,
  allied_responders,
  outcome,
  article5,
  target_compliant,
  final_balance,
  count,
};

/// Codes of the event table's `outcome` column.
enum class AttackOutcome { repelled = 0, stalemate = 1, territory_lost = 2 };

/// The alliance model: 32 allies setting defence budgets each year under a U.S. policy.
/// Immutable after construction; `run` builds an AllianceState and steps it year by year:
/// economy, threat, budgets, capability, policy (compliance, troops), attacks, beliefs.
class AllianceModel : public sim::Model {
 public:
  AllianceModel(AllianceParams params, const sim::StudySettings& settings);

  const sim::ModelSchema& schema() const override { return schema_; }
  void run(const sim::RunContext& context, sim::RunRecorder& recorder) const override;

  const AllianceParams& params() const { return params_; }
  const SpatialStructure& spatial() const { return spatial_; }
  /// Member trend growth, log per year.
  const Eigen::ArrayXd& trend() const { return trend_; }
  /// Real trend growth per member: the planners' forecast of real GDP growth.
  const Eigen::ArrayXd& real_trend() const { return real_trend_; }
  /// GDP in the start year (US$ bn), from the data grown at trend after the last data year.
  const Eigen::ArrayXd& start_gdp() const { return start_gdp_; }
  /// Members taking budget decisions (armed forces, not the patron): 1/0.
  const Eigen::ArrayXd& deciders() const { return deciders_; }
  /// Shares (% of GDP) in the start year, from the data.
  const Eigen::ArrayXd& start_share() const { return start_share_; }
  /// 1 if the member has joined NATO by `year_index`, else 0.
  double member_in(std::size_t member, int year_index) const {
    return joined_year_[member] <= start_year_ + year_index ? 1.0 : 0.0;
  }

  /// `words`: the run's store of random words (sim::RunContext::words), which changes no draw.
  ReplicateDraws draw(std::uint64_t seed, std::uint64_t replicate,
                      sim::RandomWordsRun* words = nullptr) const;
  /// The state at the start year (year index 0), straight from the data, with the calibrated
  /// reference shares; `context` supplies the seed and replicate for the cost draws.
  void initialise(AllianceState& state, const ReplicateDraws& draws,
                  const sim::RunContext& context) const;
  /// The random streams of one run, one per mechanism (purposes "alliance.economy",
  /// "alliance.budget_noise", "alliance.beliefs", "alliance.adversary"). The attack draws use
  /// one stream per year ("alliance.attacks") and one per attack ("alliance.attack_resolution"),
  /// derived from the context.
  struct Streams {
    sim::RngStream economy;
    sim::RngStream budget_noise;
    sim::RngStream beliefs;
    sim::RngStream adversary;
  };
  static Streams streams(const sim::RunContext& context);

  /// Advances `state` by one year (year index `state.year_index + 1`): economy, threat, budgets,
  /// capability, policy (compliance, exercises, troops), attacks, beliefs.
  void step(AllianceState& state, const ReplicateDraws& draws, Streams& streams,
            const sim::RunContext& context, sim::RunRecorder& recorder) const;
  /// Writes every recorded variable for `state.year_index`.
  void record(const AllianceState& state, sim::RunRecorder& recorder) const;

 private:
  void step_budgets(AllianceState& state, const ReplicateDraws& draws,
                    sim::RngStream& noise_rng) const;
  void step_policy(AllianceState& state, const ReplicateDraws& draws) const;
  /// Adds the threat events of year index `t` (new ones, and what decay took from those still
  /// going on) to event threat and threat.
  void add_events(AllianceState& state, const ReplicateDraws& draws, int t) const;
  /// The adversary capability index that scales perceived threat in year index `t`.
  double capability_index(const ReplicateDraws& draws, int t) const;
  /// Allied capability near each member as a share equivalent (pp of GDP), into
  /// `state.allied_security`, from last year's stocks and this year's GDP.
  void allied_share_equivalent(AllianceState& state, const ReplicateDraws& draws) const;
  /// This year's desired share of member i before notches (% of GDP).
  double desired_share(const AllianceState& state, const ReplicateDraws& draws,
                       Eigen::Index i) const;
  /// Updates the whole-period outcomes after this year's policy and attacks.
  void update_outcomes(AllianceState& state) const;
  /// Readiness multiplier of a member's own capability: 1 + the exercise bonus, expected over
  /// the U.S. withholding exercises from a non-complier when they are restricted.
  double readiness(bool compliant, const ReplicateDraws& draws) const;
  /// The adversary's year (after budgets, capability and policy, before beliefs): capability,
  /// local balances, expected utilities, hazard, target draws; each attack resolved (responders,
  /// outcome), fed back (event threat, beliefs of allies and adversary) and added to the event
  /// table. Fills `state.attack`'s outcomes.
  void attack_step(AllianceState& state, const ReplicateDraws& draws, Streams& streams,
                   const sim::RunContext& context, sim::RunRecorder& recorder) const;
  /// Resolves one attack on `target` (a member index, or members_ for the peacekeepers).
  void resolve_attack(AllianceState& state, const ReplicateDraws& draws, std::size_t target,
                      sim::RngStream& rng, sim::RunRecorder& recorder) const;
  void initialise_attack(AllianceState& state, const ReplicateDraws& draws) const;
  /// One year of GDP (current and constant prices, and the surprise): trend and shocks beyond
  /// the data, the data within it.
  void step_economy(AllianceState& state, const ReplicateDraws& draws, sim::RngStream& rng) const;
  /// Whether a run with this context reads its GDP path from the reference scenario's run of
  /// the replicate (`context.memo`), and where this run keeps its own (`state.economy_read`,
  /// `state.economy_keep`). The path is the same bits in every scenario whose economy's
  /// inputs are (EconomyInputs), with the same draws of trend offset and volatility: the
  /// economy does not depend on budgets, policy or attacks, and its shocks come from the
  /// replicate's own stream.
  void share_economy(AllianceState& state, const ReplicateDraws& draws,
                     const sim::RunContext& context) const;

  /// What the GDP path depends on besides a replicate's draws and words, as numbers: the start
  /// year and years, the data's GDP years and its GDP in the study's years within them, the
  /// trends, the start-year GDP and the shocks' correlation. The source the path is filed under
  /// (sim::RunMemo); another model's path is read only when its inputs are these, bit for bit.
  /// `id` names this instance (never reused in the process); `same_as`, the last other
  /// instance whose inputs were found the same, spares the comparison in every run.
  struct EconomyInputs {
    std::vector<double> values;
    std::uint64_t id = 0;
    mutable std::atomic<std::uint64_t> same_as{0};

    EconomyInputs();
    EconomyInputs(const EconomyInputs& other);
    EconomyInputs& operator=(const EconomyInputs& other);
    /// Whether `other`'s values are these, bit for bit.
    bool same(const EconomyInputs& other) const;
  };

  AllianceParams params_;
  sim::ModelSchema schema_;
  int start_year_ = 2025;
  int years_ = 20;
  std::size_t members_ = 0;
  std::size_t patron_ = 0;
  SpatialStructure spatial_;
  Eigen::ArrayXd trend_;
  /// Real (constant-price) trend growth: the planners' forecast of next year's real GDP.
  Eigen::ArrayXd real_trend_;
  Eigen::ArrayXd real_trend_growth_;
  Eigen::ArrayXd start_gdp_real_;
  Eigen::ArrayXd start_gdp_;
  EconomyInputs economy_inputs_;
  Eigen::ArrayXd start_share_;
  /// General government gross debt (% of GDP) in the year before the start (fiscal room).
  Eigen::ArrayXd start_debt_pct_;
  Eigen::ArrayXd start_troops_;
  Eigen::ArrayXd exempt_;
  std::vector<int> joined_year_;
  /// By year index: allied forward presence per member (brigades) and the U.S. troops factor
  /// (troops in Europe relative to the start year).
  std::vector<Eigen::ArrayXd> forward_;
  std::vector<double> troops_factor_;
  /// Each threat event's reach per member (share of its size), and by year index the events
  /// that start in that year and those still held at full size.
  std::vector<Eigen::ArrayXd> event_reach_;
  std::vector<std::vector<std::size_t>> events_starting_;
  std::vector<std::vector<std::size_t>> events_sustained_;
  int outcomes_from_year_ = 0;
  Eigen::ArrayXd deciders_;
  /// Host of U.S. troops that may receive more (armed forces, not the patron).
  Eigen::ArrayXd hosts_;
  /// 1 for the patron only (its beliefs are not updated).
  Eigen::ArrayXd patron_mask_;
  /// By year index: threshold (% of GDP), adversary capability index, U.S. share (% of GDP).
  std::vector<double> threshold_pct_;
  std::vector<double> adversary_;
  std::vector<double> us_share_pct_;
  /// Attack model constants: adversary reach per member, allies with armed forces other than
  /// the patron (1/0), peacekeeping contributors (1/0), members' proximity to the peacekeeping
  /// force; by year index, the share of the adversary tied down and whether the force is there.
  Eigen::ArrayXd reach_;
  Eigen::ArrayXd contributors_;
  /// Who may answer Article 5 for whom ((i, j): i for a compliant j, i != j, j an ally with
  /// armed forces other than the patron), as j's neighbour and otherwise: fixed, so a
  /// replicate's response matrix is two selections rather than a test per pair.
  Eigen::Array<bool, Eigen::Dynamic, Eigen::Dynamic> answers_as_neighbour_;
  Eigen::Array<bool, Eigen::Dynamic, Eigen::Dynamic> answers_otherwise_;
  Eigen::ArrayXd pk_contributor_;
  Eigen::ArrayXd pk_proximity_;
  std::vector<double> tied_down_;
  std::vector<unsigned char> pk_present_;
};

/// Factory for the registry: parses the merged `[model]` table and builds the model.
std::unique_ptr<sim::Model> make_alliance_model(sim::config::Table& model,
                                                const sim::StudySettings& settings);

}  // namespace models
