#pragma once

#include <Eigen/Dense>

#include "models/data/alliance_data.h"
#include "sim/config/toml_reader.h"
#include "sim/config/uncertain.h"

namespace models {

/// How allies' capability spills over to a member: spatial weights from contiguity and distance
/// between capitals, and beliefs that an ally would help.
struct SpatialParams {
  /// Share of a pair's proximity that comes from a shared land border (the rest from distance).
  double contiguity_weight = 0.5;
  /// Distance decay of proximity between capitals, km.
  double distance_scale_km = 1500.0;
  /// Belief that an ally would come to help, in [0, 1]; drawn per replicate.
  sim::Uncertain ally_reliability = sim::Uncertain::fixed_at(0.7);
  /// Relative increase of that belief for an ally sharing a land border (capped at 1).
  double neighbour_reliability_bonus = 0.2;
};

/// Reads `[model.spillover]` (all keys optional). Throws sim::ConfigError.
SpatialParams parse_spatial(sim::config::Table& table);

/// The spatial structure, fixed by geography (computed once per model).
struct SpatialStructure {
  /// 1 where two members share a land border, else 0.
  Eigen::MatrixXd contiguity;
  /// `contiguity_weight * contiguity + (1 - contiguity_weight) * exp(-distance / scale)`, zero
  /// diagonal, symmetric.
  Eigen::MatrixXd proximity;
  /// Row-normalised proximity over the contributors (members with armed forces other than the
  /// patron): `W[i,j] = proximity[i,j] / sum_k proximity[i,k]`, j and k contributors, j != i.
  /// Rows sum to 1 (the patron's and exempt members' columns are 0).
  Eigen::MatrixXd weights;
};

SpatialStructure build_spatial(const AllianceData& data, const SpatialParams& params);

/// `W[i,j] * b[i,j]` with `b[i,j] = min(1, ally_reliability * (1 + bonus * contiguity[i,j]))`:
/// the weight member i puts on ally j's capability. Written into `out` (members x members).
void believed_weights(const SpatialStructure& spatial, double ally_reliability, double bonus,
                      Eigen::MatrixXd& out);

}  // namespace models
