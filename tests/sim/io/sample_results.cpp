#include "tests/sim/io/sample_results.h"

#include <cmath>
#include <cstdint>
#include <limits>

namespace sim::io::testing {

namespace {

// Fills a summary with distinct values derived from the cell index, so a transposed or shifted
// read shows up as a mismatch.
VariableSummary make_summary(std::size_t cells, std::size_t quantiles, std::int64_t replicates,
                             double scale, bool binary) {
  VariableSummary summary;
  for (std::size_t c = 0; c < cells; ++c) {
    const double x = static_cast<double>(c);
    const double mean = binary ? 0.125 * static_cast<double>(c % 8) : scale * (1.0 + 0.1 * x);
    summary.mean.push_back(mean);
    summary.sd.push_back(binary ? std::sqrt(mean * (1.0 - mean)) : 0.05 * scale * (1.0 + x));
    summary.mcse.push_back(summary.sd.back() / std::sqrt(static_cast<double>(replicates)));
    summary.min.push_back(binary ? 0.0 : mean - 0.5 * scale);
    summary.max.push_back(binary ? 1.0 : mean + 0.5 * scale);
    for (std::size_t q = 0; q < quantiles; ++q) {
      summary.quantiles.push_back(binary ? (q == 0 ? 0.0 : 1.0)
                                         : mean + scale * (0.1 * static_cast<double>(q) - 0.1));
    }
    summary.count.push_back(replicates);
    if (binary) {
      summary.wilson_low.push_back(std::max(0.0, mean - 0.2));
      summary.wilson_high.push_back(std::min(1.0, mean + 0.2));
    }
  }
  return summary;
}

VariableDifference make_difference(const VariableSummary& summary, std::size_t cells_per_scenario) {
  VariableDifference difference;
  for (std::size_t c = 0; c < summary.mean.size(); ++c) {
    const bool reference = c < cells_per_scenario;
    const double d = reference ? 0.0 : summary.mean[c] - summary.mean[c - cells_per_scenario];
    const double se = reference ? 0.0 : 0.01 * (1.0 + static_cast<double>(c));
    difference.mean.push_back(d);
    difference.mcse.push_back(se);
    difference.ci_low.push_back(d - 1.96 * se);
    difference.ci_high.push_back(d + 1.96 * se);
  }
  return difference;
}

}  // namespace

Results make_sample_results(const SampleOptions& options) {
  Results r;
  r.scenarios = {"baseline", "surge"};
  r.scenario_descriptions = {"Current spending plans", "All members reach 3% of GDP by 2027"};
  r.scenario_labels = {"Baseline", "Surge to 3%"};
  r.scenario_groups = {"", "surge"};
  r.years = {2025, 2026, 2027};
  r.members = {"DE", "FR", "PL"};
  r.member_names = {"Germany", "France", "Poland"};
  if (options.quantiles) r.quantile_levels = {0.05, 0.5, 0.95};
  if (options.sweep) {
    r.scenario_dimension = "design_point";
    r.scenarios = {"point_0", "point_1"};
    r.scenario_descriptions = {"model.drift = 0.1, threat_growth = 0",
                               "model.drift = 0.3, "
                               "threat_growth = 0.05"};
    r.design_parameters = {{"model.drift", {0.1, 0.3}}, {"threat_growth", {0.0, 0.05}}};
    r.scenario_labels.clear();
    r.scenario_groups.clear();
  }
  r.replicates = 4;
  r.seed = 18446744073709551557ULL;  // above 2^63: checks the unsigned attribute
  r.variables = {
      {"defence_spending_share", "1", "Defence spending as a share of GDP", Level::member, false,
       true},
      {"meets_target", "1", "Meets the 2% of GDP spending target", Level::member, true, false},
      {"alliance_spending_usd_bn", "USD bn", "Total alliance defence spending", Level::global,
       false, false},
  };
  const std::size_t quantiles = r.quantile_levels.size();
  const double scales[] = {0.02, 1.0, 1200.0};
  for (std::size_t v = 0; v < r.variables.size(); ++v) {
    r.summaries.push_back(make_summary(r.cells(r.variables[v]), quantiles, r.replicates, scales[v],
                                       r.variables[v].binary));
  }
  // The first variable is missing in one cell for every replicate and in another for one.
  VariableSummary& share = r.summaries[0];
  const double nan = std::numeric_limits<double>::quiet_NaN();
  share.count[4] = 0;
  share.mean[4] = share.sd[4] = share.mcse[4] = share.min[4] = share.max[4] = nan;
  for (std::size_t q = 0; q < quantiles; ++q) share.quantiles[4 * quantiles + q] = nan;
  share.count[7] = 3;

  if (options.reference) {
    r.reference_scenario = 0;
    for (std::size_t v = 0; v < r.variables.size(); ++v) {
      r.differences.push_back(
          make_difference(r.summaries[v], r.cells(r.variables[v]) / r.scenarios.size()));
    }
  }

  if (options.trajectories) {
    r.has_trajectories = true;
    for (std::size_t v = 0; v < r.variables.size(); ++v) {
      const std::size_t size = r.cells(r.variables[v]) * static_cast<std::size_t>(r.replicates);
      std::vector<double> values(size);
      for (std::size_t i = 0; i < size; ++i) {
        values[i] = r.variables[v].binary ? static_cast<double>((i * 7) % 3 == 0)
                                          : scales[v] * (1.0 + 0.01 * static_cast<double>(i));
      }
      r.trajectories.push_back(std::move(values));
    }
    r.trajectories[0][5] = nan;
  }

  if (options.events) {
    r.event_columns = {
        {"scenario", "1", "scenario index", {}},
        {"replicate", "1", "replicate index", {}},
        {"year", "year", "calendar year", {}},
        {"member", "1", "member that triggered the event", {"DE", "FR", "PL"}},
        {"kind", "1", "kind of event", {"budget_cut", "spending_surge", "free_riding"}},
        {"size_usd_bn", "USD bn", "size of the budget change", {}},
    };
    r.event_values.resize(r.event_columns.size());
    if (!options.zero_events) {
      const double rows[][6] = {
          {0, 0, 2025, 2, 0, -1.5}, {0, 1, 2026, 0, 1, 12.25}, {0, 3, 2027, 1, 2, 0.0},
          {1, 0, 2025, 1, 1, 30.5}, {1, 2, 2026, 2, 1, 7.75},
      };
      for (const auto& row : rows) {
        for (std::size_t c = 0; c < r.event_columns.size(); ++c)
          r.event_values[c].push_back(row[c]);
      }
    }
  }

  r.attributes = {
      {"natosim_version", "0.1.0"},
      {"git_commit", "0123456789ab"},
      {"build_type", "Debug"},
      {"compiler", "GNU 12.2.0"},
      {"library_versions", "HDF5 1.10.8"},
      {"created_utc", "2025-01-02T03:04:05Z"},
      {"command_line", "natosim run study.toml -o out.h5"},
      {"config_text", "[study]\nname = \"sample \\\"quoted\\\"\"\n\tseed = 7\n"},
      {"config_sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
      {"study_name", "sample_study"},
  };
  return r;
}

}  // namespace sim::io::testing
