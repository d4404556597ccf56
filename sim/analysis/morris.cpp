#include "sim/analysis/morris.h"

#include <cmath>
#include <vector>

#include "sim/analysis/bootstrap.h"

namespace sim::analysis {

MorrisIndices morris_indices(const design::MorrisDesign& design, const Eigen::VectorXd& y,
                             std::size_t bootstrap, std::uint64_t seed, double confidence) {
  const std::size_t d = design.parameters;
  const std::size_t r = design.trajectories;
  // effects(t, i): trajectory t's elementary effect of parameter i.
  Eigen::MatrixXd effects(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(d));
  for (std::size_t t = 0; t < r; ++t) {
    for (std::size_t k = 0; k < d; ++k) {
      const double before = y(static_cast<Eigen::Index>(design.row(t, k)));
      const double after = y(static_cast<Eigen::Index>(design.row(t, k + 1)));
      effects(static_cast<Eigen::Index>(t), static_cast<Eigen::Index>(design.changed[t * d + k])) =
          (after - before) / design.step[t * d + k];
    }
  }
  MorrisIndices out;
  out.mu = effects.colwise().mean().transpose();
  out.mu_star = effects.cwiseAbs().colwise().mean().transpose();
  out.sigma.resize(static_cast<Eigen::Index>(d));
  out.mu_star_low.resize(static_cast<Eigen::Index>(d));
  out.mu_star_high.resize(static_cast<Eigen::Index>(d));
  std::vector<std::vector<std::size_t>> resamples;
  for (std::size_t b = 0; b < bootstrap; ++b) resamples.push_back(bootstrap_rows(r, seed, b));
  for (Eigen::Index i = 0; i < static_cast<Eigen::Index>(d); ++i) {
    const Eigen::VectorXd column = effects.col(i);
    out.sigma(i) =
        std::sqrt((column.array() - out.mu(i)).square().sum() / static_cast<double>(r - 1));
    std::vector<double> values;
    for (const auto& rows : resamples) {
      double sum = 0.0;
      for (std::size_t t : rows) sum += std::abs(column(static_cast<Eigen::Index>(t)));
      values.push_back(sum / static_cast<double>(r));
    }
    std::tie(out.mu_star_low(i), out.mu_star_high(i)) =
        percentile_interval(std::move(values), confidence);
  }
  return out;
}

}  // namespace sim::analysis
