#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "sim/config/uncertain.h"

namespace sim::analysis {

/// How simulated summaries are compared with observed ones: each term is
/// (simulated - observed) / scale, weighted; `mae` is sum w |term| / sum w, `rmse` is
/// sqrt(sum w term^2 / sum w).
enum class Distance { mae, rmse };

/// One observed summary: its value, the scale a deviation is measured in, and its weight.
struct AbcTarget {
  double observed = 0.0;
  double scale = 1.0;
  double weight = 1.0;
};

/// The distance between simulated summaries and the targets; +infinity when a simulated value
/// is not finite (the particle is then never accepted).
double distance(Distance kind, std::span<const AbcTarget> targets,
                std::span<const double> simulated);

/// ABC-SMC settings (defaults as pyabc's: median tolerance schedule).
struct AbcSettings {
  std::uint64_t seed = 1;
  /// Accepted particles per generation.
  std::size_t population = 1000;
  /// The next tolerance is this weighted quantile of the accepted distances (0.5: median).
  double quantile = 0.5;
  /// Stop once a generation's tolerance is at or below this.
  double min_tolerance = 0.0;
  /// Stop once a generation's acceptance rate falls below this; a generation that would need
  /// more than population / min_acceptance proposals is abandoned. In (0, 1].
  double min_acceptance = 0.02;
  /// Generations in all, the prior generation 0 included.
  int max_generations = 8;
  /// Stop before a generation once this many parameter points were simulated; 0: no limit.
  std::int64_t max_simulations = 0;
  /// Worker threads for the weights (0: all cores); never changes the result.
  int threads = 0;
};

/// One finished generation (population N, d parameters, m summaries).
struct AbcGeneration {
  /// Particles accept distance <= tolerance (+infinity for generation 0, the prior sample).
  double tolerance = 0.0;
  /// Accepted / proposed (proposals examined in slot order until the population was full).
  double acceptance_rate = 0.0;
  /// Effective sample size 1 / sum w^2 of the normalised weights.
  double ess = 0.0;
  /// Proposals examined and parameter points simulated (a batch's tail is simulated too).
  std::int64_t proposals = 0;
  std::int64_t simulations = 0;
  /// [N][d] row-major, normalised weights [N], distances [N], simulated summaries [N][m].
  std::vector<double> particles;
  std::vector<double> weights;
  std::vector<double> distances;
  std::vector<double> summaries;
};

/// Simulates `count` points ([count][d] row-major), the proposals of slots first_slot,
/// first_slot + 1, ... of `generation`, and returns their summaries ([count][m]) and distances
/// ([count]). Must depend only on (generation, slot, point), never on threads or batching.
using AbcSimulator = std::function<void(
    std::size_t generation, std::int64_t first_slot, std::span<const double> points,
    std::size_t count, std::vector<double>& summaries, std::vector<double>& distances)>;

/// What to calibrate: one prior per parameter (a distribution, not fixed or posterior), the
/// number of summaries, and the simulator.
struct AbcProblem {
  std::vector<Uncertain> priors;
  std::size_t summaries = 0;
  AbcSimulator simulate;
};

/// Why run_abc_smc stopped.
enum class AbcStop { min_tolerance, min_acceptance, max_generations, max_simulations };
const char* stop_name(AbcStop stop);

/// Called after each new generation with all generations so far (to checkpoint, report).
using AbcObserver = std::function<void(const std::vector<AbcGeneration>&)>;

/// ABC-SMC (Beaumont et al. 2009 population Monte Carlo; adaptive tolerance as Del Moral et al.
/// 2012): generation 0 samples the prior; generation t draws an ancestor from t-1 by weight and
/// perturbs it with a multivariate normal of covariance 2 x the weighted particle covariance
/// (proposals outside the prior's support are redrawn without simulating), accepts distances
/// <= the weighted `quantile` of t-1's distances, and weights prior / sum_j w_j K(theta|theta_j).
/// Proposal slot s of generation t uses the Philox stream (seed, s, "abc.proposal" / t); slots
/// are simulated in batches and accepted in slot order, so the result is bit-identical for any
/// thread count and batching. `generations` may hold finished generations to continue from
/// (resume); new ones are appended. Returns why it stopped. Throws what the simulator throws.
AbcStop run_abc_smc(const AbcProblem& problem, const AbcSettings& settings,
                    std::vector<AbcGeneration>& generations, const AbcObserver& observer);

/// The stop rule after `generations` (nullopt-like: returns false and leaves `stop` alone when
/// another generation should run).
bool should_stop(const AbcSettings& settings, const std::vector<AbcGeneration>& generations,
                 AbcStop& stop);

/// Weighted quantile q of `values` (the smallest value whose cumulative normalised weight,
/// in increasing value order, reaches q).
double weighted_quantile(std::span<const double> values, std::span<const double> weights, double q);

}  // namespace sim::analysis
