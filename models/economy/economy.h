#pragma once

#include <string>
#include <vector>

#include <Eigen/Dense>

#include "models/data/alliance_data.h"
#include "sim/config/toml_reader.h"
#include "sim/config/uncertain.h"
#include "sim/core/rng.h"

namespace models {

/// A set of members whose GDP shocks are more correlated with each other (e.g. the euro area).
struct CorrelationGroup {
  std::string name;
  std::vector<std::size_t> members;
  /// Correlation between two members of the group, in [-1, 1].
  double correlation = 0.0;
};

/// Parameters of GDP growth: `log Y[t+1] = log Y[t] + trend + offset + volatility * (L z)[t]`.
struct EconomyParams {
  /// Years of data the member-specific trend is estimated over (log growth of the last n years).
  int trend_window_years = 10;
  /// Weight of the alliance mean in each member's trend (0 = own history only), in [0, 1].
  double trend_shrinkage = 0.5;
  /// Bounds on a member's trend, log growth per year.
  double trend_min = -0.01;
  double trend_max = 0.06;
  /// Common shift of every trend, per year, drawn per replicate.
  sim::Uncertain trend_offset = sim::Uncertain::fixed_at(0.0);
  /// Standard deviation of a member's yearly log-GDP shock, drawn per replicate.
  sim::Uncertain volatility = sim::Uncertain::fixed_at(0.02);
  /// Correlation of any two members' shocks.
  double common_correlation = 0.5;
  std::vector<CorrelationGroup> groups;
  /// The correlation matrix and its lower Cholesky factor (validated positive definite).
  Eigen::MatrixXd correlation;
  Eigen::MatrixXd cholesky;
};

/// Builds the members x members correlation matrix: 1 on the diagonal, `common` elsewhere, the
/// group's value for two members of a group (the last group listing both wins).
Eigen::MatrixXd build_correlation(std::size_t members, double common,
                                  const std::vector<CorrelationGroup>& groups);

/// Reads `[model.economy]`: trend_window_years, trend_shrinkage, trend_min, trend_max,
/// trend_offset (Uncertain), volatility (Uncertain), and `[model.economy.correlation]` with
/// `common` and `groups = [{name, members = [ISO codes], correlation}]`. Throws sim::ConfigError;
/// a correlation structure that is not positive definite is reported at
/// `model.economy.correlation`.
EconomyParams parse_economy(sim::config::Table& table, const AllianceData& data);

/// Which GDP series: current US$ (what spending in dollars and capability are measured in) or
/// constant 2015 US$ (real growth, what budgets are planned against).
enum class Prices { current, constant };

/// Each member's trend growth (log growth per year): its log growth over the last
/// `trend_window_years` of GDP data, shrunk towards the members' mean and clamped.
Eigen::ArrayXd trend_growth(const AllianceData& data, const EconomyParams& params,
                            Prices prices = Prices::current);

/// GDP (US$ bn) in `year`: the data where available, else the last data year grown at
/// the member's trend (no shocks): `Y[year] = Y[last] * exp(trend * (year - last))`.
Eigen::ArrayXd gdp_in_year(const AllianceData& data, const Eigen::ArrayXd& trend, int year,
                           Prices prices = Prices::current);

/// One year of growth: draws `z` (one standard normal per member, in member order, by
/// RngStream::fill_normal) from `rng`, correlates it with `cholesky`, and multiplies `gdp` by
/// `exp(trend + offset + volatility * L z)`.
/// `z` and `shock` are caller-owned scratch of the members' size.
void grow_gdp(Eigen::ArrayXd& gdp, const Eigen::ArrayXd& trend, const Eigen::MatrixXd& cholesky,
              double offset, double volatility, sim::RngStream& rng, Eigen::ArrayXd& z,
              Eigen::ArrayXd& shock);

}  // namespace models
