#include "sim/analysis/sobol.h"

#include <cmath>
#include <limits>
#include <vector>

#include "sim/analysis/bootstrap.h"

namespace sim::analysis {

namespace {

/// Point estimates over the given base rows (with repeats for a bootstrap resample).
struct Estimates {
  Eigen::VectorXd first;
  Eigen::VectorXd total;
  Eigen::MatrixXd second;
  double variance = 0.0;
};

Estimates estimate(const design::SaltelliDesign& design, const Eigen::VectorXd& y,
                   const std::vector<std::size_t>& rows) {
  const auto d = static_cast<Eigen::Index>(design.parameters);
  const auto n = static_cast<double>(rows.size());
  double sum = 0.0;
  for (std::size_t r : rows) {
    sum += y(static_cast<Eigen::Index>(design.row_a(r))) +
           y(static_cast<Eigen::Index>(design.row_b(r)));
  }
  const double mean = sum / (2 * n);
  // Centred values: the estimators are shift-invariant in expectation, and centring removes the
  // variance a large output mean adds to the products f(B) (f(AB_i) - f(A)).
  auto f = [&](std::size_t row) { return y(static_cast<Eigen::Index>(row)) - mean; };
  double sum_sq = 0.0;
  for (std::size_t r : rows) {
    const double a = f(design.row_a(r));
    const double b = f(design.row_b(r));
    sum_sq += a * a + b * b;
  }
  Estimates e;
  e.variance = sum_sq / (2 * n);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double scale = e.variance > 0 ? 1.0 / e.variance : nan;
  e.first = Eigen::VectorXd::Zero(d);
  e.total = Eigen::VectorXd::Zero(d);
  for (Eigen::Index i = 0; i < d; ++i) {
    double first = 0.0;
    double total = 0.0;
    for (std::size_t r : rows) {
      const double a = f(design.row_a(r));
      const double b = f(design.row_b(r));
      const double ab = f(design.row_ab(r, static_cast<std::size_t>(i)));
      first += b * (ab - a);
      total += (a - ab) * (a - ab);
    }
    e.first(i) = first / n * scale;
    e.total(i) = 0.5 * total / n * scale;
  }
  if (design.second_order) {
    e.second = Eigen::MatrixXd::Constant(d, d, nan);
    for (Eigen::Index i = 0; i < d; ++i) {
      for (Eigen::Index j = i + 1; j < d; ++j) {
        double joint = 0.0;
        for (std::size_t r : rows) {
          const double ba = f(design.row_ba(r, static_cast<std::size_t>(i)));
          const double ab = f(design.row_ab(r, static_cast<std::size_t>(j)));
          joint += ba * ab - f(design.row_a(r)) * f(design.row_b(r));
        }
        e.second(i, j) = joint / n * scale - e.first(i) - e.first(j);
      }
    }
  }
  return e;
}

}  // namespace

SobolIndices sobol_indices(const design::SaltelliDesign& design, const Eigen::VectorXd& y,
                           std::size_t bootstrap, std::uint64_t seed, double confidence) {
  std::vector<std::size_t> all(design.base_rows);
  for (std::size_t r = 0; r < all.size(); ++r) all[r] = r;
  const Estimates point = estimate(design, y, all);
  const auto d = static_cast<Eigen::Index>(design.parameters);
  std::vector<Estimates> resampled;
  resampled.reserve(bootstrap);
  for (std::size_t b = 0; b < bootstrap; ++b) {
    resampled.push_back(estimate(design, y, bootstrap_rows(design.base_rows, seed, b)));
  }
  const double nan = std::numeric_limits<double>::quiet_NaN();
  auto interval = [&](auto pick) {
    std::vector<double> values;
    values.reserve(resampled.size());
    for (const Estimates& e : resampled) values.push_back(pick(e));
    return percentile_interval(std::move(values), confidence);
  };
  SobolIndices out;
  out.variance = point.variance;
  out.first = point.first;
  out.total = point.total;
  out.first_low = out.first_high = out.total_low = out.total_high =
      Eigen::VectorXd::Constant(d, nan);
  for (Eigen::Index i = 0; i < d; ++i) {
    std::tie(out.first_low(i), out.first_high(i)) =
        interval([i](const Estimates& e) { return e.first(i); });
    std::tie(out.total_low(i), out.total_high(i)) =
        interval([i](const Estimates& e) { return e.total(i); });
  }
  if (design.second_order) {
    out.second = point.second;
    out.second_low = out.second_high = Eigen::MatrixXd::Constant(d, d, nan);
    for (Eigen::Index i = 0; i < d; ++i) {
      for (Eigen::Index j = i + 1; j < d; ++j) {
        std::tie(out.second_low(i, j), out.second_high(i, j)) =
            interval([i, j](const Estimates& e) { return e.second(i, j); });
      }
    }
  }
  return out;
}

}  // namespace sim::analysis
