#include "sim/config/parameter_log.h"

#include <algorithm>

#include <fmt/format.h>

namespace sim::config {

void ParameterLog::add(LoggedParameter entry) {
  for (LoggedParameter& existing : entries) {
    if (existing.key == entry.key) {
      existing = std::move(entry);
      return;
    }
  }
  entries.push_back(std::move(entry));
}

void ParameterLog::add_uncertain(const std::string& key, const Uncertain& value,
                                 const std::string& range) {
  const std::string prefix = key + ".";
  std::erase_if(entries, [&](const LoggedParameter& e) { return e.key.starts_with(prefix); });
  LoggedParameter entry{key, describe_uncertain(value), range, std::nullopt};
  if (!value.is_fixed()) entry.uncertain = value;
  add(std::move(entry));
}

std::vector<const LoggedParameter*> ParameterLog::uncertain() const {
  std::vector<const LoggedParameter*> result;
  for (const LoggedParameter& entry : entries) {
    if (entry.uncertain) result.push_back(&entry);
  }
  return result;
}

std::string describe_uncertain(const Uncertain& u) {
  auto bounds = [&]() {
    std::string text;
    if (u.lower > -1e299) text += fmt::format(", lower={}", u.lower);
    if (u.upper < 1e299) text += fmt::format(", upper={}", u.upper);
    return text;
  };
  switch (u.kind) {
    case Uncertain::Kind::fixed:
      return fmt::format("{}", u.a);
    case Uncertain::Kind::normal:
      return fmt::format("normal(mean={}, sd={}{})", u.a, u.b, bounds());
    case Uncertain::Kind::uniform:
      return fmt::format("uniform(low={}, high={})", u.a, u.b);
    case Uncertain::Kind::triangular:
      return fmt::format("triangular(low={}, mode={}, high={})", u.a, u.b, u.c);
    case Uncertain::Kind::beta:
      return fmt::format("beta(alpha={}, beta={}, lower={}, upper={})", u.a, u.b, u.lower, u.upper);
    case Uncertain::Kind::lognormal:
      return fmt::format("lognormal(mu={}, sigma={}{})", u.a, u.b, bounds());
    case Uncertain::Kind::posterior:
      return fmt::format("posterior(mean={}, {} particles)", u.central(), u.sample->size());
  }
  return "";
}

}  // namespace sim::config
