#pragma once

#include <Eigen/Dense>

#include "models/data/alliance_data.h"
#include "sim/config/toml_reader.h"
#include "sim/config/uncertain.h"

namespace models {

/// Capability stock by perpetual inventory: `K[t] = (1 - depreciation) K[t-1] + share[t]/100 *
/// GDP[t]` (US$ bn of depreciated past spending).
struct CapabilityParams {
  /// Share of the stock lost per year, in (0, 1); drawn per replicate.
  sim::Uncertain depreciation = sim::Uncertain::fixed_at(0.1);
};

/// Reads `[model.capability]` (`depreciation`, optional). Throws sim::ConfigError.
CapabilityParams parse_capability(sim::config::Table& table);

/// One step of the perpetual inventory for every member, in place. Units: US$ bn, % of GDP.
inline void accumulate_capability(Eigen::ArrayXd& stock_usd_bn, const Eigen::ArrayXd& share_pct,
                                  const Eigen::ArrayXd& gdp_usd_bn, double depreciation) {
  stock_usd_bn = (1.0 - depreciation) * stock_usd_bn + 0.01 * share_pct * gdp_usd_bn;
}

/// The stock at the end of `start_year` from the data: steady state `share[ref] * GDP[ref] /
/// depreciation` at the end of the year before the reference year, then the recursion through
/// `start_year` with shares interpolated linearly between the reference and the latest figure
/// (flat after it) and GDP from `gdp_by_year(member, year)`. Exempt members: 0.
template <typename GdpByYear>
Eigen::ArrayXd initial_capability(const AllianceData& data, double depreciation, int start_year,
                                  const GdpByYear& gdp_by_year) {
  Eigen::ArrayXd stock(static_cast<Eigen::Index>(data.size()));
  for (std::size_t i = 0; i < data.size(); ++i) {
    const MemberData& m = data.members[i];
    double k = 0.0;
    if (!m.exempt) {
      const int ref = m.reference_year;
      k = 0.01 * m.reference_share_pct * gdp_by_year(i, ref) / depreciation;
      for (int year = ref; year <= start_year; ++year) {
        double share = m.latest_share_pct;
        if (year < m.latest_year) {
          const double w =
              static_cast<double>(year - ref) / static_cast<double>(m.latest_year - ref);
          share = m.reference_share_pct + w * (m.latest_share_pct - m.reference_share_pct);
        }
        k = (1.0 - depreciation) * k + 0.01 * share * gdp_by_year(i, year);
      }
    }
    stock(static_cast<Eigen::Index>(i)) = k;
  }
  return stock;
}

}  // namespace models
