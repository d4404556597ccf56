#include "models/economy/economy.h"

#include <cmath>

#include <fmt/format.h>

#include "sim/core/matrix_vector.h"

namespace models {

Eigen::MatrixXd build_correlation(std::size_t members, double common,
                                  const std::vector<CorrelationGroup>& groups) {
  const auto n = static_cast<Eigen::Index>(members);
  Eigen::MatrixXd matrix = Eigen::MatrixXd::Constant(n, n, common);
  for (const CorrelationGroup& group : groups) {
    for (std::size_t a : group.members) {
      for (std::size_t b : group.members) {
        matrix(static_cast<Eigen::Index>(a), static_cast<Eigen::Index>(b)) = group.correlation;
      }
    }
  }
  matrix.diagonal().setOnes();
  return matrix;
}

EconomyParams parse_economy(sim::config::Table& table, const AllianceData& data) {
  using sim::config::Range;
  EconomyParams p;
  p.trend_window_years = static_cast<int>(table.integer_or(
      "trend_window_years", p.trend_window_years, 1, data.gdp_last_year - data.gdp_first_year));
  p.trend_shrinkage = table.number_or("trend_shrinkage", p.trend_shrinkage, Range::unit());
  p.trend_min = table.number_or("trend_min", p.trend_min, Range::between(-0.2, 0.2));
  p.trend_max = table.number_or("trend_max", p.trend_max, Range::between(p.trend_min, 0.3));
  p.trend_offset = sim::config::uncertain_or(table, "trend_offset", p.trend_offset.central(),
                                             Range::between(-0.1, 0.1));
  p.volatility = sim::config::uncertain_or(table, "volatility", p.volatility.central(),
                                           Range::between(0.0, 0.5));

  if (auto correlation = table.table_if("correlation")) {
    p.common_correlation =
        correlation->number_or("common", p.common_correlation, Range::between(-1.0, 1.0));
    if (correlation->has("groups")) {
      for (sim::config::Table& block : correlation->tables("groups")) {
        CorrelationGroup group;
        group.name = block.string_or("name", "");
        group.correlation = block.number("correlation", Range::between(-1.0, 1.0));
        const std::vector<std::string> codes = block.strings("members");
        for (std::size_t k = 0; k < codes.size(); ++k) {
          auto index = data.find(codes[k]);
          if (!index) {
            throw sim::ConfigError(block.position("members"),
                                   block.dotted(fmt::format("members[{}]", k)), "unknown ISO code",
                                   "\"" + codes[k] + "\"", "a member's code");
          }
          group.members.push_back(*index);
        }
        block.finish();
        p.groups.push_back(std::move(group));
      }
    } else {
      correlation->node("groups");
    }
    correlation->finish();
  }
  p.correlation = build_correlation(data.size(), p.common_correlation, p.groups);
  Eigen::LLT<Eigen::MatrixXd> llt(p.correlation);
  // LLT succeeds on some semi-definite matrices through rounding; require a clear margin.
  const bool definite =
      llt.info() == Eigen::Success && llt.matrixL().toDenseMatrix().diagonal().minCoeff() > 1e-6;
  if (!definite) {
    const double smallest =
        Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(p.correlation).eigenvalues().minCoeff();
    table.fail("correlation", "correlation matrix is not positive definite",
               fmt::format("smallest eigenvalue {:.3g}", smallest),
               fmt::format("common in ({:.4f}, 1) and group correlations that keep the matrix "
                           "positive definite",
                           -1.0 / (static_cast<double>(data.size()) - 1.0)));
  }
  p.cholesky = llt.matrixL();
  return p;
}

namespace {

double gdp_of(const AllianceData& data, std::size_t member, int year, Prices prices) {
  return prices == Prices::current ? data.gdp_usd_bn(member, year)
                                   : data.gdp_real_usd_bn(member, year);
}

}  // namespace

Eigen::ArrayXd trend_growth(const AllianceData& data, const EconomyParams& params, Prices prices) {
  const auto n = static_cast<Eigen::Index>(data.size());
  Eigen::ArrayXd own(n);
  const int last = data.gdp_last_year;
  const int first = last - params.trend_window_years;
  for (Eigen::Index i = 0; i < n; ++i) {
    const auto m = static_cast<std::size_t>(i);
    const double from = gdp_of(data, m, first, prices);
    const double to = gdp_of(data, m, last, prices);
    own(i) = from > 0.0 && to > 0.0
                 ? std::log(to / from) / static_cast<double>(params.trend_window_years)
                 : 0.0;
  }
  const double mean = own.mean();
  Eigen::ArrayXd trend = (1.0 - params.trend_shrinkage) * own + params.trend_shrinkage * mean;
  return trend.max(params.trend_min).min(params.trend_max);
}

Eigen::ArrayXd gdp_in_year(const AllianceData& data, const Eigen::ArrayXd& trend, int year,
                           Prices prices) {
  Eigen::ArrayXd gdp(trend.size());
  for (Eigen::Index i = 0; i < trend.size(); ++i) {
    const auto m = static_cast<std::size_t>(i);
    if (year <= data.gdp_last_year && year >= data.gdp_first_year) {
      gdp(i) = gdp_of(data, m, year, prices);
    } else {
      const int base = year > data.gdp_last_year ? data.gdp_last_year : data.gdp_first_year;
      gdp(i) =
          gdp_of(data, m, base, prices) * std::exp(trend(i) * static_cast<double>(year - base));
    }
  }
  return gdp;
}

void grow_gdp(Eigen::ArrayXd& gdp, const Eigen::ArrayXd& trend, const Eigen::MatrixXd& cholesky,
              double offset, double volatility, sim::RngStream& rng, Eigen::ArrayXd& z,
              Eigen::ArrayXd& shock) {
  rng.fill_normal({z.data(), static_cast<std::size_t>(z.size())});
  sim::multiply_lower(cholesky, z, shock);
  gdp *= (trend + offset + volatility * shock).exp();
}

}  // namespace models
