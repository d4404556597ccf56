#include "sim/analysis/abc_smc.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <optional>
#include <stdexcept>

#include <tbb/blocked_range.h>
#include <tbb/global_control.h>
#include <tbb/info.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>
#include <Eigen/Cholesky>
#include <Eigen/Core>

#include "sim/core/rng.h"

namespace sim::analysis {

double distance(Distance kind, std::span<const AbcTarget> targets,
                std::span<const double> simulated) {
  double total = 0.0;
  double weights = 0.0;
  for (std::size_t k = 0; k < targets.size(); ++k) {
    if (!std::isfinite(simulated[k])) return INFINITY;
    const double term = (simulated[k] - targets[k].observed) / targets[k].scale;
    total += targets[k].weight * (kind == Distance::mae ? std::abs(term) : term * term);
    weights += targets[k].weight;
  }
  const double mean = total / weights;
  return kind == Distance::mae ? mean : std::sqrt(mean);
}

const char* stop_name(AbcStop stop) {
  switch (stop) {
    case AbcStop::min_tolerance:
      return "min_tolerance";
    case AbcStop::min_acceptance:
      return "min_acceptance";
    case AbcStop::max_generations:
      return "max_generations";
    case AbcStop::max_simulations:
      return "max_simulations";
  }
  return "unknown";
}

double weighted_quantile(std::span<const double> values, std::span<const double> weights,
                         double q) {
  std::vector<std::size_t> order(values.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t i, std::size_t j) { return values[i] < values[j]; });
  const double total = std::accumulate(weights.begin(), weights.end(), 0.0);
  double running = 0.0;
  for (std::size_t i : order) {
    running += weights[i];
    if (running >= q * total) return values[i];
  }
  return values[order.back()];
}

bool should_stop(const AbcSettings& settings, const std::vector<AbcGeneration>& generations,
                 AbcStop& stop) {
  if (generations.empty()) return false;
  const AbcGeneration& last = generations.back();
  std::int64_t simulations = 0;
  for (const AbcGeneration& generation : generations) simulations += generation.simulations;
  if (generations.size() > 1 && last.tolerance <= settings.min_tolerance) {
    stop = AbcStop::min_tolerance;
  } else if (last.acceptance_rate < settings.min_acceptance) {
    stop = AbcStop::min_acceptance;
  } else if (static_cast<int>(generations.size()) >= settings.max_generations) {
    stop = AbcStop::max_generations;
  } else if (settings.max_simulations > 0 && simulations >= settings.max_simulations) {
    stop = AbcStop::max_simulations;
  } else {
    return false;
  }
  return true;
}

namespace {

using Matrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// The perturbation kernel: a multivariate normal with covariance 2 x the weighted covariance
/// of the previous generation (Beaumont et al. 2009), through its Cholesky factor.
struct Kernel {
  Eigen::MatrixXd lower;  // L with L L^T = covariance
  /// Running sums of the previous generation's weights (ancestor draws).
  std::vector<double> cumulative;
  /// The previous particles whitened by L^-1 ([N][d]): K(x|x_j) depends on |L^-1 x - y_j|^2.
  std::vector<double> whitened;
};

/// L^-1 x for each row of `points` ([n][d]).
std::vector<double> whiten(const Eigen::MatrixXd& lower, const std::vector<double>& points,
                           std::size_t d) {
  std::vector<double> result(points.size());
  Eigen::VectorXd x(static_cast<Eigen::Index>(d));
  for (std::size_t i = 0; i < points.size() / d; ++i) {
    for (std::size_t k = 0; k < d; ++k) x[static_cast<Eigen::Index>(k)] = points[i * d + k];
    lower.triangularView<Eigen::Lower>().solveInPlace(x);
    for (std::size_t k = 0; k < d; ++k) result[i * d + k] = x[static_cast<Eigen::Index>(k)];
  }
  return result;
}

Kernel make_kernel(const AbcGeneration& previous, std::size_t d) {
  const std::size_t n = previous.weights.size();
  Eigen::Map<const Matrix> x(previous.particles.data(), static_cast<Eigen::Index>(n),
                             static_cast<Eigen::Index>(d));
  Eigen::Map<const Eigen::VectorXd> w(previous.weights.data(), static_cast<Eigen::Index>(n));
  const Eigen::RowVectorXd mean = (w.transpose() * x) / w.sum();
  const Matrix centred = x.rowwise() - mean;
  Eigen::MatrixXd covariance = 2.0 * (centred.transpose() * w.asDiagonal() * centred) / w.sum();
  // A collapsed dimension (all particles equal) has no spread: a tiny jitter keeps L defined.
  double jitter = 1e-12 * std::max(covariance.diagonal().maxCoeff(), 1e-300);
  Eigen::LLT<Eigen::MatrixXd> llt(covariance);
  while (llt.info() != Eigen::Success) {
    covariance.diagonal().array() += jitter;
    jitter *= 10;
    llt.compute(covariance);
  }
  Kernel kernel{llt.matrixL(), std::vector<double>(n), {}};
  double running = 0.0;
  for (std::size_t j = 0; j < n; ++j) {
    running += previous.weights[j];
    kernel.cumulative[j] = running;
  }
  kernel.whitened = whiten(kernel.lower, previous.particles, d);
  return kernel;
}

double log_prior(const std::vector<Uncertain>& priors, const double* theta) {
  double total = 0.0;
  for (std::size_t k = 0; k < priors.size(); ++k) total += priors[k].log_density(theta[k]);
  return total;
}

/// Proposal of slot `slot` in generation `generation` (from the prior in generation 0).
void propose(const AbcProblem& problem, const AbcSettings& settings, std::size_t generation,
             std::int64_t slot, const AbcGeneration* previous, const Kernel* kernel,
             double* theta) {
  const std::size_t d = problem.priors.size();
  RngStream rng(settings.seed, static_cast<std::uint64_t>(slot),
                sub_purpose(purpose("abc.proposal"), static_cast<std::uint32_t>(generation)));
  if (previous == nullptr) {
    for (std::size_t k = 0; k < d; ++k) theta[k] = problem.priors[k].sample_from(rng);
    return;
  }
  const std::vector<double>& cumulative = kernel->cumulative;
  Eigen::VectorXd z(static_cast<Eigen::Index>(d));
  for (int attempt = 0; attempt < 100000; ++attempt) {
    // Ancestor by weight: inverse CDF of the running sums.
    const double u = rng.uniform() * cumulative.back();
    const auto ancestor = std::min(
        static_cast<std::size_t>(std::upper_bound(cumulative.begin(), cumulative.end(), u) -
                                 cumulative.begin()),
        cumulative.size() - 1);
    for (std::size_t k = 0; k < d; ++k) z[static_cast<Eigen::Index>(k)] = rng.normal();
    const Eigen::VectorXd step = kernel->lower * z;
    for (std::size_t k = 0; k < d; ++k) {
      theta[k] = previous->particles[ancestor * d + k] + step[static_cast<Eigen::Index>(k)];
    }
    if (std::isfinite(log_prior(problem.priors, theta))) return;
  }
  throw std::runtime_error("ABC-SMC: 100000 perturbations in a row left the prior's support");
}

/// Importance weights prior(theta_i) / sum_j w_j K(theta_i | theta_j), normalised.
void importance_weights(const AbcProblem& problem, const AbcGeneration& previous,
                        const Kernel& kernel, AbcGeneration& next) {
  const std::size_t d = problem.priors.size();
  const std::size_t n = next.distances.size();
  const std::size_t m = previous.weights.size();
  std::vector<double> log_weights(n);
  const std::vector<double> whitened = whiten(kernel.lower, next.particles, d);
  std::vector<double> log_previous(m);
  for (std::size_t j = 0; j < m; ++j) log_previous[j] = std::log(previous.weights[j]);
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n, 8), [&](const auto& range) {
    std::vector<double> exponents(m);
    for (std::size_t i = range.begin(); i < range.end(); ++i) {
      const double* x = whitened.data() + i * d;
      double highest = -INFINITY;
      for (std::size_t j = 0; j < m; ++j) {
        const double* y = kernel.whitened.data() + j * d;
        double squared = 0.0;
        for (std::size_t k = 0; k < d; ++k) squared += (x[k] - y[k]) * (x[k] - y[k]);
        exponents[j] = log_previous[j] - 0.5 * squared;
        highest = std::max(highest, exponents[j]);
      }
      double sum = 0.0;
      for (std::size_t j = 0; j < m; ++j) sum += std::exp(exponents[j] - highest);
      log_weights[i] =
          log_prior(problem.priors, next.particles.data() + i * d) - (highest + std::log(sum));
    }
  });
  const double highest = *std::max_element(log_weights.begin(), log_weights.end());
  double total = 0.0;
  next.weights.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    next.weights[i] = std::exp(log_weights[i] - highest);
    total += next.weights[i];
  }
  for (double& w : next.weights) w /= total;
}

/// Runs one generation; false when it was abandoned (acceptance below min_acceptance).
bool run_generation(const AbcProblem& problem, const AbcSettings& settings,
                    std::vector<AbcGeneration>& generations) {
  const std::size_t d = problem.priors.size();
  const std::size_t m = problem.summaries;
  const std::size_t n = settings.population;
  const std::size_t t = generations.size();
  const AbcGeneration* previous = t == 0 ? nullptr : &generations.back();
  std::optional<Kernel> kernel;
  AbcGeneration next;
  next.tolerance = INFINITY;
  double expected_rate = 1.0;
  if (previous != nullptr) {
    kernel = make_kernel(*previous, d);
    next.tolerance = weighted_quantile(previous->distances, previous->weights, settings.quantile);
    // The first batch's size guesses the rate: the quantile for generation 1 (its tolerance
    // admits about that share of the prior sample), the previous rate after that.
    expected_rate =
        std::max(t == 1 ? settings.quantile : previous->acceptance_rate, settings.min_acceptance);
  }
  const auto max_proposals =
      static_cast<std::int64_t>(std::ceil(static_cast<double>(n) / settings.min_acceptance));
  std::int64_t slot = 0;
  std::vector<double> points;
  std::vector<double> summaries;
  std::vector<double> distances;
  while (next.distances.size() < n) {
    if (slot >= max_proposals) return false;
    // Batch size only sets how many proposals are simulated at once (and so the wasted tail):
    // slot s's proposal and acceptance never depend on it.
    const double needed = static_cast<double>(n - next.distances.size());
    const auto batch = std::min<std::int64_t>(
        max_proposals - slot,
        std::max<std::int64_t>(64,
                               static_cast<std::int64_t>(std::ceil(1.1 * needed / expected_rate))));
    points.assign(static_cast<std::size_t>(batch) * d, 0.0);
    for (std::int64_t b = 0; b < batch; ++b) {
      propose(problem, settings, t, slot + b, previous, kernel ? &*kernel : nullptr,
              points.data() + static_cast<std::size_t>(b) * d);
    }
    problem.simulate(t, slot, points, static_cast<std::size_t>(batch), summaries, distances);
    if (summaries.size() != static_cast<std::size_t>(batch) * m ||
        distances.size() != static_cast<std::size_t>(batch)) {
      throw std::logic_error("ABC-SMC: the simulator returned the wrong number of values");
    }
    next.simulations += batch;
    std::int64_t examined = 0;
    for (std::int64_t b = 0; b < batch && next.distances.size() < n; ++b) {
      ++examined;
      const auto i = static_cast<std::size_t>(b);
      const double dist = distances[i];
      if (!(std::isfinite(dist) && dist <= next.tolerance)) continue;
      next.particles.insert(next.particles.end(),
                            points.begin() + static_cast<std::ptrdiff_t>(i * d),
                            points.begin() + static_cast<std::ptrdiff_t>((i + 1) * d));
      next.summaries.insert(next.summaries.end(),
                            summaries.begin() + static_cast<std::ptrdiff_t>(i * m),
                            summaries.begin() + static_cast<std::ptrdiff_t>((i + 1) * m));
      next.distances.push_back(dist);
    }
    slot += examined;
    expected_rate = std::max(static_cast<double>(next.distances.size()) / static_cast<double>(slot),
                             settings.min_acceptance);
  }
  next.proposals = slot;
  next.acceptance_rate = static_cast<double>(n) / static_cast<double>(slot);
  if (previous == nullptr) {
    next.weights.assign(n, 1.0 / static_cast<double>(n));
  } else {
    importance_weights(problem, *previous, *kernel, next);
  }
  double squares = 0.0;
  for (double w : next.weights) squares += w * w;
  next.ess = 1.0 / squares;
  generations.push_back(std::move(next));
  return true;
}

}  // namespace

AbcStop run_abc_smc(const AbcProblem& problem, const AbcSettings& settings,
                    std::vector<AbcGeneration>& generations, const AbcObserver& observer) {
  if (problem.priors.empty()) throw std::invalid_argument("ABC-SMC: no parameters");
  if (settings.population < 2) throw std::invalid_argument("ABC-SMC: population must be >= 2");
  if (!(settings.min_acceptance > 0.0 && settings.min_acceptance <= 1.0)) {
    throw std::invalid_argument("ABC-SMC: min_acceptance must be in (0, 1]");
  }
  const int threads = settings.threads > 0 ? settings.threads : tbb::info::default_concurrency();
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism,
                            static_cast<std::size_t>(threads));
  tbb::task_arena arena(threads);
  AbcStop stop = AbcStop::max_generations;
  while (!should_stop(settings, generations, stop)) {
    bool finished = false;
    arena.execute([&] { finished = run_generation(problem, settings, generations); });
    if (!finished) return AbcStop::min_acceptance;
    if (observer) observer(generations);
  }
  return stop;
}

}  // namespace sim::analysis
