#include "models/attack/contest.h"

#include <cmath>
#include <limits>

namespace models {

namespace {

double logistic(double x) { return 1.0 / (1.0 + std::exp(-x)); }

}  // namespace

double contest_index(double attacker, double defender, const ContestParams& p) {
  const double defence = p.defender_advantage * defender;
  switch (p.form) {
    case ContestForm::ratio:
      if (attacker <= 0.0) return -std::numeric_limits<double>::infinity();
      if (defence <= 0.0) return std::numeric_limits<double>::infinity();
      return p.decisiveness * std::log(attacker / defence);
    case ContestForm::difference:
      return p.decisiveness * (attacker - defence);
    case ContestForm::relative_difference:
      if (attacker + defence <= 0.0) return -std::numeric_limits<double>::infinity();
      return p.decisiveness * (attacker - defence) / (attacker + defence);
  }
  return 0.0;
}

ContestOutcome contest_outcomes(double attacker, double defender, const ContestParams& p) {
  // Without a force there is no attack to win: every form agrees on this limit.
  if (attacker <= 0.0) return ContestOutcome{0.0, 0.0, 1.0};
  const double x = contest_index(attacker, defender, p);
  ContestOutcome out;
  out.territory_lost = logistic(x - p.stalemate_width);
  out.repelled = logistic(-x - p.stalemate_width);
  out.stalemate = std::max(0.0, 1.0 - out.territory_lost - out.repelled);
  return out;
}

double contest_success(double attacker, double defender, const ContestParams& p) {
  if (attacker <= 0.0) return 0.0;
  return logistic(contest_index(attacker, defender, p) - p.stalemate_width);
}

ContestParams parse_contest(sim::config::Table& table) {
  using sim::config::Range;
  ContestParams p;
  const std::string form =
      table.choice_or("form", {"ratio", "difference", "relative_difference"}, "ratio");
  p.form = form == "ratio"        ? ContestForm::ratio
           : form == "difference" ? ContestForm::difference
                                  : ContestForm::relative_difference;
  p.decisiveness = table.number_or("decisiveness", p.decisiveness, Range{0.0, 100.0, true, false});
  p.defender_advantage =
      table.number_or("defender_advantage", p.defender_advantage, Range{0.0, 100.0, true, false});
  p.stalemate_width = table.number_or("stalemate_width", p.stalemate_width, Range::between(0, 10));
  return p;
}

}  // namespace models
