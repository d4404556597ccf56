// The arithmetic floor of one member-year (../shared/design/perf-floor.cpp, as a function built
// with natosim's flags): about three normal draws from Philox, ten exp/log over Eigen arrays, a
// Cholesky-correlated shock and a 32 x 32 matrix-vector product. Not a model: the yardstick the
// engine-speed targets are stated against.
#include "scripts/bench_floor.h"

#include <ctime>

#include <Random123/philox.h>
#include <Eigen/Dense>
#include <Random123/boxmuller.hpp>

namespace bench {

namespace {
double process_cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + 1e-9 * static_cast<double>(now.tv_nsec);
}
}  // namespace

FloorTiming floor_kernel(int replicates) {
  constexpr int kMembers = 32;
  constexpr int kYears = 20;
  using Philox = r123::Philox4x64;
  Eigen::MatrixXd cholesky = Eigen::MatrixXd::Identity(kMembers, kMembers) * 0.8;
  for (int i = 0; i < kMembers; ++i) {
    for (int j = 0; j < i; ++j) cholesky(i, j) = 0.01;
  }
  const Eigen::MatrixXd proximity = Eigen::MatrixXd::Constant(kMembers, kMembers, 1.0 / kMembers);
  Philox rng;
  const Philox::key_type key = {{42, 0}};
  double sink = 0.0;
  const double start = process_cpu_seconds();
  for (int r = 0; r < replicates; ++r) {
    Eigen::ArrayXd gdp = Eigen::ArrayXd::Constant(kMembers, 100.0);
    Eigen::ArrayXd share = Eigen::ArrayXd::Constant(kMembers, 0.02);
    Eigen::ArrayXd stock = Eigen::ArrayXd::Constant(kMembers, 10.0);
    Eigen::ArrayXd threat = Eigen::ArrayXd::Constant(kMembers, 0.5);
    Eigen::VectorXd z(kMembers);
    for (int y = 0; y < kYears; ++y) {
      for (int i = 0; i < kMembers; i += 2) {  // one Philox block: two normals (Box-Muller)
        const Philox::ctr_type counter = {
            {static_cast<std::uint64_t>(r), static_cast<std::uint64_t>(y * kMembers + i), 0, 0}};
        const auto u = rng(counter, key);
        const auto normals = r123::boxmuller(u[0], u[1]);
        z[i] = normals.x;
        z[i + 1] = normals.y;
      }
      const Eigen::ArrayXd shock = (cholesky.triangularView<Eigen::Lower>() * z).array();
      gdp *= 1.02 + 0.01 * shock;
      const Eigen::ArrayXd allied = (proximity * stock.matrix()).array();
      threat = 0.9 * threat + 0.1 * (-allied / 50.0).exp();
      // The utility of three candidate shares, two transcendental functions each.
      const Eigen::ArrayXd u0 = (1.0 - (-stock / (threat * 20.0)).exp()) - share * share * 10.0;
      const Eigen::ArrayXd s1 = share + 0.002;
      const Eigen::ArrayXd s2 = Eigen::ArrayXd::Constant(kMembers, 0.035);
      const Eigen::ArrayXd u1 =
          (1.0 - (-(stock + s1 * gdp) / (threat * 20.0)).exp()) - s1 * s1 * 10.0;
      const Eigen::ArrayXd u2 =
          (1.0 - (-(stock + s2 * gdp) / (threat * 20.0)).exp()) - s2 * s2 * 10.0 + 0.01;
      share = (u2 > u1).select(s2, (u1 > u0).select(s1, share));
      stock = 0.95 * stock + share * gdp;
      // The attack decision: a logistic and a softmax weight per target.
      const Eigen::ArrayXd utility = (stock / (stock + 30.0)).log() - allied.log();
      const Eigen::ArrayXd p = 1.0 / (1.0 + (-utility).exp());
      const Eigen::ArrayXd weight = (3.0 * p).exp();
      sink += weight.sum() / static_cast<double>(weight.size()) + share.sum() * 1e-9;
    }
  }
  const double cpu = process_cpu_seconds() - start;
  const double member_years = static_cast<double>(replicates) * kYears * kMembers;
  return FloorTiming{1e9 * cpu / member_years, sink};
}

}  // namespace bench
