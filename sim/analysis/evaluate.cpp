#include "sim/analysis/evaluate.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>
#include <tbb/blocked_range.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/global_control.h>
#include <tbb/info.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include "sim/core/error.h"

namespace sim::analysis {

namespace {

const std::vector<std::string> kAggregates = {"at", "mean", "sum", "max", "last"};

std::string join(const std::vector<std::string>& names, std::size_t limit = 12) {
  std::string text;
  for (std::size_t i = 0; i < names.size() && i < limit; ++i) {
    text += (i ? ", " : "") + names[i];
  }
  if (names.size() > limit) text += fmt::format(", ... ({} in all)", names.size());
  return text;
}

std::vector<std::string> variable_names(const ModelSchema& schema) {
  std::vector<std::string> names;
  for (const VariableSpec& variable : schema.variables) names.push_back(variable.name);
  return names;
}

std::string year_range(const StudySettings& settings) {
  return fmt::format("a year in {}-{}", settings.start_year,
                     settings.start_year + settings.years - 1);
}

}  // namespace

OutputSpec make_output(const ModelSchema& schema, const StudySettings& settings,
                       const std::string& variable, const std::string& member, int first_year,
                       int last_year, Aggregate aggregate, const SourcePosition& where,
                       const std::string& key) {
  OutputSpec output;
  const auto found = std::find_if(schema.variables.begin(), schema.variables.end(),
                                  [&](const VariableSpec& spec) { return spec.name == variable; });
  if (found == schema.variables.end()) {
    throw ConfigError(where, key, "unknown variable", "\"" + variable + "\"",
                      "one of: " + join(variable_names(schema)));
  }
  output.variable = static_cast<std::size_t>(found - schema.variables.begin());
  const bool member_level = found->level == Level::member;
  if (member_level) {
    const auto at = std::find(schema.members.begin(), schema.members.end(), member);
    if (member.empty()) {
      throw ConfigError(where, key, "variable has one value per member: name the member",
                        "\"" + variable + "\" without a member",
                        "a member such as \"" + schema.members.front() + "\"");
    }
    if (at == schema.members.end()) {
      throw ConfigError(where, key, "unknown member", "\"" + member + "\"",
                        "one of: " + join(schema.members));
    }
    output.member = static_cast<std::size_t>(at - schema.members.begin());
  } else if (!member.empty()) {
    throw ConfigError(where, key, "variable is alliance-level: it has no member",
                      "member \"" + member + "\"", "no member for \"" + variable + "\"");
  }
  const int last_study_year = settings.start_year + settings.years - 1;
  for (int year : {first_year, last_year}) {
    if (year < settings.start_year || year > last_study_year) {
      throw ConfigError(where, key, "year outside the study", std::to_string(year),
                        year_range(settings));
    }
  }
  if (last_year < first_year) {
    throw ConfigError(where, key, "empty year range",
                      fmt::format("[{}, {}]", first_year, last_year), "first year <= last year");
  }
  output.first_year = first_year - settings.start_year;
  output.last_year = last_year - settings.start_year;
  output.aggregate = aggregate;
  // fmt rather than operator+: GCC 12 raises a false -Wrestrict on chained string additions.
  output.label =
      fmt::format("{}{}@{}", variable, member_level ? fmt::format("[{}]", member) : "", first_year);
  if (last_year != first_year) output.label += fmt::format("-{}", last_year);
  if (aggregate != Aggregate::at && first_year != last_year) {
    output.label += fmt::format(":{}", kAggregates[static_cast<std::size_t>(aggregate)]);
  }
  return output;
}

OutputSpec read_output(config::Table& table, const ModelSchema& schema,
                       const StudySettings& settings) {
  const std::string variable = table.string("variable");
  std::string member;
  if (table.has("member")) member = table.string("member");
  table.node("member");
  const int last_study_year = settings.start_year + settings.years - 1;
  const config::Range years_range = config::Range::between(settings.start_year, last_study_year);
  int first = 0;
  int last = 0;
  Aggregate aggregate = Aggregate::at;
  if (table.has("years")) {
    if (table.has("year")) {
      table.fail("year", "give either year or years", "both", "one of them");
    }
    const std::vector<double> years = table.numbers("years", years_range, 2);
    if (years.size() != 2 || years[1] < years[0] || years[0] != std::floor(years[0]) ||
        years[1] != std::floor(years[1])) {
      table.fail("years", "not a year range", fmt::format("{} values", years.size()),
                 "[first, last] whole years, first <= last");
    }
    first = static_cast<int>(years[0]);
    last = static_cast<int>(years[1]);
    const std::string name = table.choice_or("aggregate", kAggregates, "mean");
    aggregate = static_cast<Aggregate>(std::find(kAggregates.begin(), kAggregates.end(), name) -
                                       kAggregates.begin());
    if (aggregate == Aggregate::at) {
      table.fail("aggregate", "\"at\" takes one year", "\"at\" with years",
                 "year = Y, or mean, sum, max or last over years");
    }
  } else {
    table.node("years");
    first = last = static_cast<int>(table.integer("year", settings.start_year, last_study_year));
    table.choice_or("aggregate", {"at"}, "at");
  }
  // Place an error about the member at `member` when it is given, else at `variable`.
  const bool known = std::any_of(schema.variables.begin(), schema.variables.end(),
                                 [&](const VariableSpec& v) { return v.name == variable; });
  const std::string key = known && table.has("member") ? "member" : "variable";
  return make_output(schema, settings, variable, member, first, last, aggregate,
                     table.position(key), table.dotted(key));
}

double extract(const OutputSpec& output, const RunRecorder& recorder) {
  const std::span<const double> values = recorder.values();
  auto value_at = [&](int year) {
    return values[static_cast<std::size_t>(year) * recorder.stride() +
                  recorder.offset(output.variable) + output.member];
  };
  switch (output.aggregate) {
    case Aggregate::at:
      return value_at(output.first_year);
    case Aggregate::last:
      return value_at(output.last_year);
    case Aggregate::mean:
    case Aggregate::sum:
    case Aggregate::max: {
      double total = 0.0;
      double high = -INFINITY;
      int count = 0;
      for (int year = output.first_year; year <= output.last_year; ++year) {
        const double value = value_at(year);
        if (std::isnan(value)) continue;
        total += value;
        high = std::max(high, value);
        ++count;
      }
      if (count == 0) return NAN;
      if (output.aggregate == Aggregate::sum) return total;
      if (output.aggregate == Aggregate::max) return high;
      return total / count;
    }
  }
  return NAN;
}

double Evaluation::mean(std::size_t point, std::size_t output) const {
  double total = 0.0;
  for (std::size_t r = 0; r < replicates; ++r) total += at(point, r, output);
  return total / static_cast<double>(replicates);
}

Evaluation evaluate(const std::vector<const Model*>& models, const std::vector<OutputSpec>& outputs,
                    const EvaluateOptions& options) {
  if (options.replicates < 1) throw std::invalid_argument("evaluate: replicates must be >= 1");
  if (options.years < 1) throw std::invalid_argument("evaluate: years must be >= 1");
  Evaluation result;
  result.points = models.size();
  result.replicates = static_cast<std::size_t>(options.replicates);
  result.outputs = outputs.size();
  result.values.assign(result.points * result.replicates * result.outputs, NAN);
  if (models.empty()) return result;
  const ModelSchema& schema = models.front()->schema();
  for (const Model* model : models) {
    if (model->schema().members != schema.members ||
        model->schema().variables.size() != schema.variables.size()) {
      throw std::logic_error("evaluate: the points' models record different schemas");
    }
  }
  for (const OutputSpec& output : outputs) {
    if (output.variable >= schema.variables.size() || output.last_year >= options.years ||
        output.first_year < 0 ||
        (schema.variables[output.variable].level == Level::member &&
         output.member >= schema.members.size())) {
      throw std::logic_error("evaluate: output '" + output.label + "' is outside the schema");
    }
  }

  if (!options.first_replicate.empty() && options.first_replicate.size() != models.size()) {
    throw std::invalid_argument("evaluate: first_replicate needs one entry per point");
  }
  const int threads = options.threads > 0 ? options.threads : tbb::info::default_concurrency();
  // Both the worker limit and the arena: an arena alone cannot exceed the machine's default
  // worker count (oneTBB warns and ignores it).
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism,
                            static_cast<std::size_t>(threads));
  tbb::task_arena arena(threads);
  tbb::enumerable_thread_specific<RunRecorder> recorders(schema, options.years);
  const auto runs = static_cast<std::int64_t>(result.points * result.replicates);
  // Under MPI this rank runs runs [mine_first, mine_last); each run's values do not depend on
  // who computes it, so the gathered values are the same for any number of ranks.
  const int ranks = options.world != nullptr ? options.world->size() : 1;
  const int rank = options.world != nullptr ? options.world->rank() : 0;
  std::vector<std::int64_t> shares(static_cast<std::size_t>(ranks) + 1);
  for (int r = 0; r <= ranks; ++r) shares[static_cast<std::size_t>(r)] = runs * r / ranks;
  const std::int64_t mine_first = shares[static_cast<std::size_t>(rank)];
  const std::int64_t mine_last = shares[static_cast<std::size_t>(rank) + 1];
  // Batches only pace the progress reports and the stop check; every run is independent.
  constexpr std::int64_t kBatch = 2048;
  for (std::int64_t first = mine_first; first < mine_last; first += kBatch) {
    if (options.stop != nullptr && options.stop->load()) throw Interrupted();
    const std::int64_t last = std::min(mine_last, first + kBatch);
    arena.execute([&] {
      tbb::parallel_for(tbb::blocked_range<std::int64_t>(first, last, 1),
                        [&](const tbb::blocked_range<std::int64_t>& range) {
                          RunRecorder& recorder = recorders.local();
                          for (std::int64_t run = range.begin(); run < range.end(); ++run) {
                            const auto slot = static_cast<std::size_t>(run);
                            const std::size_t point = slot / result.replicates;
                            const std::size_t replicate = slot % result.replicates;
                            recorder.clear();
                            const std::uint64_t offset = options.first_replicate.empty()
                                                             ? 0
                                                             : options.first_replicate[point];
                            const RunContext context{options.seed, offset + replicate,
                                                     options.start_year, options.years};
                            models[point]->run(context, recorder);
                            double* out = result.values.data() + slot * result.outputs;
                            for (std::size_t o = 0; o < outputs.size(); ++o) {
                              out[o] = extract(outputs[o], recorder);
                            }
                          }
                        });
    });
    if (options.progress) options.progress(last - mine_first, mine_last - mine_first);
  }
  if (ranks > 1) {
    for (std::int64_t& share : shares) share *= static_cast<std::int64_t>(result.outputs);
    options.world->allgather(result.values, shares);
  }
  return result;
}

}  // namespace sim::analysis
