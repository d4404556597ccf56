#pragma once

#include <Eigen/Dense>

#include "models/policy/beliefs.h"

namespace models {

/// The mutable world of one replicate (structure of arrays, one entry per member in data order).
/// Allocated once per run; the year loop never allocates. An attack step reads and writes it
/// between the budget and belief steps (see AllianceModel::attack_step).
struct AllianceState {
  int year_index = 0;
  int year = 0;
  /// This year's threshold, % of GDP.
  double threshold_pct = 0.0;

  Eigen::ArrayXd gdp_usd_bn;
  /// Core defence spending, % of GDP (exempt members 0).
  Eigen::ArrayXd share_pct;
  /// Capability stock, US$ bn of depreciated spending.
  Eigen::ArrayXd capability_usd_bn;
  /// Threat index (geography x adversary + events) and its event part.
  Eigen::ArrayXd threat;
  Eigen::ArrayXd event_threat;
  /// U.S. troops stationed, thousands.
  Eigen::ArrayXd us_troops_thousands;
  /// 1 if the member meets this year's threshold, else 0; exempt members count as 1 here (they
  /// are never treated as non-compliers) and are recorded as missing.
  Eigen::ArrayXd compliant;
  /// Readiness multiplier of own capability: 1 + exercise bonus when exercising with the U.S.
  Eigen::ArrayXd readiness;
  BeliefState beliefs;

  /// Per-replicate constants: geographic exposure, calibrated reference share (% of GDP), cost
  /// curvature, and the belief-weighted spatial matrix W o b.
  Eigen::ArrayXd exposure;
  Eigen::ArrayXd reference_pct;
  Eigen::ArrayXd cost;
  Eigen::MatrixXd allied_weights;

  /// Scratch buffers (members-sized).
  Eigen::ArrayXd z;
  Eigen::ArrayXd shock;
  Eigen::ArrayXd uniforms;
  Eigen::ArrayXd effective_ratio;
  Eigen::ArrayXd allied_security;
  Eigen::ArrayXd troop_target;
};

}  // namespace models
