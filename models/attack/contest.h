#pragma once

#include "sim/config/toml_reader.h"

namespace models {

/// How the force ratio or difference maps to an outcome (see docs/MODEL.md, "Contest").
enum class ContestForm {
  /// Tullock: x = m ln(A / (k D)).
  ratio,
  /// Hirshleifer: x = m (A - k D), forces in brigade equivalents.
  difference,
  /// Relative difference: x = m (A - k D) / (A + k D).
  relative_difference,
};

/// A contest between an attacker A and a defence D (brigade equivalents). The attacker takes
/// territory with probability `logistic(x - w)`, is repelled with `logistic(-x - w)`, and the rest
/// is a stalemate; with the ratio form and w = 0 this is Tullock's `A^m / (A^m + (k D)^m)`.
struct ContestParams {
  ContestForm form = ContestForm::ratio;
  /// m: how decisive force is; > 0 (per brigade for the difference form).
  double decisiveness = 2.0;
  /// k: force multiplier of a prepared defence; the attacker needs A = k D for even odds.
  /// About 3 (Mearsheimer 1989, the 3:1 rule).
  double defender_advantage = 3.0;
  /// w >= 0: width of the stalemate band on the logistic scale.
  double stalemate_width = 0.5;
};

/// Probabilities of the three outcomes of one attack; they sum to 1.
struct ContestOutcome {
  double territory_lost = 0.0;
  double stalemate = 0.0;
  double repelled = 1.0;
};

/// The contest's index x (see ContestForm); +inf with no defence, -inf with no attacker.
double contest_index(double attacker, double defender, const ContestParams& params);

/// All three outcome probabilities for forces `attacker` and `defender` (>= 0, brigades).
/// No attacker: repelled with certainty. No defence against a positive force: the ratio form
/// gives territory lost with certainty.
ContestOutcome contest_outcomes(double attacker, double defender, const ContestParams& params);

/// The attacker's probability of a quick success (territory lost), `contest_outcomes(...)
/// .territory_lost`: increasing in `attacker`, decreasing in `defender`.
double contest_success(double attacker, double defender, const ContestParams& params);

/// Reads `form` ("ratio", "difference", "relative_difference"), `decisiveness`,
/// `defender_advantage` and `stalemate_width` from `table` (all optional). Throws ConfigError.
ContestParams parse_contest(sim::config::Table& table);

}  // namespace models
