#include "tests/toy/toy_models.h"

#include <cmath>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>

#include "sim/config/uncertain.h"

namespace toy {

namespace {

struct RandomWalkParams {
  int members = 3;
  sim::Uncertain drift = sim::Uncertain::fixed_at(0.0);
  double volatility = 1.0;
  double threshold = 0.5;
  double start = 0.0;
  bool multiplicative = false;
  bool events = true;
  /// What "maybe" records: the level, or (`step`) `maybe_scale` times the replicate's number
  /// divided by 64, rounded down: constant within blocks of 64 replicates, not between them.
  bool maybe_step = false;
  double maybe_scale = 1.0;
  /// Which replicates "maybe" is missing on: "odd", "even", "none" or "all".
  std::string maybe_missing = "odd";
  /// Replicate whose run throws (for error-path tests); -1 for none.
  std::int64_t fail_replicate = -1;
  /// Optional per-member starting values read from a one-column file.
  std::vector<double> starts;
  /// `[model.axes]`: what the results file calls the member and time axes (engine tests of a
  /// model that names its own axes, e.g. member = "walker", time = "step").
  std::string member_axis = "member";
  std::string time_axis = "year";
};

RandomWalkParams parse_random_walk(sim::config::Table& table) {
  RandomWalkParams params;
  params.members = static_cast<int>(table.integer_or("members", 3, 1, 26));
  params.drift =
      sim::config::uncertain_or(table, "drift", 0.0, sim::config::Range::between(-10, 10));
  params.volatility = table.number_or("volatility", 1.0, sim::config::Range::positive());
  params.threshold = table.number_or("threshold", 0.5);
  params.start = table.number_or("start", 0.0);
  params.fail_replicate = table.integer_or("fail_replicate", -1, -1, INT64_MAX);
  params.maybe_step = table.choice_or("maybe_value", {"level", "step"}, "level") == "step";
  params.maybe_scale = table.number_or("maybe_scale", 1.0);
  params.maybe_missing = table.choice_or("maybe_missing", {"odd", "even", "none", "all"}, "odd");
  params.multiplicative =
      table.choice_or("mode", {"additive", "multiplicative"}, "additive") == "multiplicative";
  if (auto events = table.table_if("events")) {
    params.events = events->boolean_or("enabled", true);
    events->finish();
  }
  if (auto axes = table.table_if("axes")) {
    params.member_axis = axes->string_or("member", params.member_axis);
    params.time_axis = axes->string_or("time", params.time_axis);
    axes->finish();
  }
  if (table.node("starts_file") != nullptr) {
    std::ifstream file(table.existing_file("starts_file"));
    double value = 0.0;
    while (file >> value) params.starts.push_back(value);
    if (static_cast<int>(params.starts.size()) != params.members) {
      table.fail("starts_file", "wrong number of values", std::to_string(params.starts.size()),
                 std::to_string(params.members));
    }
  }
  return params;
}

class RandomWalk final : public sim::Model {
 public:
  explicit RandomWalk(RandomWalkParams params) : params_(std::move(params)) {
    schema_.member_axis = params_.member_axis;
    schema_.member_axis_long_name = params_.member_axis + " code";
    schema_.time_axis = params_.time_axis;
    schema_.time_axis_long_name = params_.time_axis == "year" ? "calendar year" : params_.time_axis;
    schema_.time_axis_units = params_.time_axis;
    for (int m = 0; m < params_.members; ++m) {
      const std::string code{static_cast<char>('A' + m), static_cast<char>('A' + m)};
      schema_.members.push_back(code);
      schema_.member_names.push_back("Member " + code);
    }
    schema_.variables = {
        {"level", "1", "random walk level", sim::Level::member, false, false},
        {"flag", "1", "level above threshold", sim::Level::member, true, false},
        {"maybe", "1", "level, missing on odd replicates (or as set)", sim::Level::member, false,
         true},
        {"total", "1", "sum of levels", sim::Level::global, false, false},
    };
    if (params_.events) {
      schema_.event_columns = {{schema_.member_axis, "1", "member that crossed", schema_.members},
                               {"value", "1", "level after crossing", {}}};
    }
  }

  const sim::ModelSchema& schema() const override { return schema_; }

  void run(const sim::RunContext& context, sim::RunRecorder& recorder) const override {
    if (static_cast<std::int64_t>(context.replicate) == params_.fail_replicate) {
      throw std::runtime_error("toy model failed on purpose");
    }
    const double drift = params_.drift.draw(context.seed, context.replicate);
    std::vector<double> level(static_cast<std::size_t>(params_.members), params_.start);
    for (std::size_t m = 0; m < params_.starts.size(); ++m) level[m] = params_.starts[m];
    std::vector<sim::RngStream> streams;
    for (int m = 0; m < params_.members; ++m) {
      streams.push_back(context.stream(
          sim::sub_purpose(sim::purpose("toy.walk"), static_cast<std::uint32_t>(m))));
    }
    for (int y = 0; y < context.years; ++y) {
      double total = 0.0;
      for (std::size_t m = 0; m < level.size(); ++m) {
        const double before = level[m];
        const double step = drift + params_.volatility * streams[m].normal();
        level[m] = params_.multiplicative ? level[m] * std::exp(step) : level[m] + step;
        total += level[m];
        recorder.set(0, y, m, level[m]);
        recorder.set(1, y, m, level[m] > params_.threshold ? 1.0 : 0.0);
        recorder.set(2, y, m, maybe_missing(context.replicate) ? NAN : maybe(context, level[m]));
        if (params_.events && before <= params_.threshold && level[m] > params_.threshold) {
          const double row[] = {static_cast<double>(m), level[m]};
          recorder.add_event(y, row);
        }
      }
      recorder.set_global(3, y, total);
    }
  }

 private:
  bool maybe_missing(std::uint64_t replicate) const {
    const std::string& missing = params_.maybe_missing;
    return missing == "all" || (missing == "odd" && replicate % 2 == 1) ||
           (missing == "even" && replicate % 2 == 0);
  }
  double maybe(const sim::RunContext& context, double level) const {
    return params_.maybe_step ? params_.maybe_scale * static_cast<double>(context.replicate / 64)
                              : level;
  }

  RandomWalkParams params_;
  sim::ModelSchema schema_;
};

class Counter final : public sim::Model {
 public:
  Counter() {
    schema_.members = {"XX"};
    schema_.member_names = {"Only member"};
    schema_.variables = {{"replicate", "1", "replicate index", sim::Level::member, false, false},
                         {"even", "1", "replicate index is even", sim::Level::global, true, false}};
  }
  const sim::ModelSchema& schema() const override { return schema_; }
  void run(const sim::RunContext& context, sim::RunRecorder& recorder) const override {
    for (int y = 0; y < context.years; ++y) {
      recorder.set(0, y, 0, static_cast<double>(context.replicate));
      recorder.set_global(1, y, context.replicate % 2 == 0 ? 1.0 : 0.0);
    }
  }

 private:
  sim::ModelSchema schema_;
};

/// Known values for analysis tests: `x` (global) is `mean + sd * z` with a fresh standard normal
/// z each year from the stream "toy.gauss"; `trend` (members AA, BB) is slope * (year index + 1)
/// + member index, exactly.
struct GaussParams {
  sim::Uncertain mean = sim::Uncertain::fixed_at(0.0);
  double sd = 1.0;
  sim::Uncertain slope = sim::Uncertain::fixed_at(0.0);
};

class Gauss final : public sim::Model {
 public:
  explicit Gauss(GaussParams params) : params_(params) {
    schema_.members = {"AA", "BB"};
    schema_.member_names = {"Member AA", "Member BB"};
    schema_.variables = {
        {"trend", "1", "slope x (year index + 1) + member index", sim::Level::member, false, false},
        {"x", "1", "normal draw with mean `mean` and sd `sd`", sim::Level::global, false, false}};
  }
  const sim::ModelSchema& schema() const override { return schema_; }
  void run(const sim::RunContext& context, sim::RunRecorder& recorder) const override {
    const double mean = params_.mean.draw(context.seed, context.replicate);
    const double slope = params_.slope.draw(context.seed, context.replicate);
    sim::RngStream rng = context.stream(sim::purpose("toy.gauss"));
    for (int y = 0; y < context.years; ++y) {
      for (std::size_t m = 0; m < 2; ++m) {
        recorder.set(0, y, m, slope * (y + 1) + static_cast<double>(m));
      }
      recorder.set_global(1, y, mean + params_.sd * rng.normal());
    }
  }

 private:
  GaussParams params_;
  sim::ModelSchema schema_;
};

}  // namespace

void register_toy_models(sim::ModelRegistry& registry) {
  registry.add("random_walk", "member random walks (engine tests)",
               [](sim::config::Table& table, const sim::StudySettings&) {
                 return std::make_unique<RandomWalk>(parse_random_walk(table));
               });
  registry.add(
      "counter", "records the replicate index (engine tests)",
      [](sim::config::Table&, const sim::StudySettings&) { return std::make_unique<Counter>(); });
  registry.add("gauss", "a normal draw with a known mean and sd (analysis tests)",
               [](sim::config::Table& table, const sim::StudySettings&) {
                 GaussParams params;
                 params.mean = sim::config::uncertain_or(table, "mean", 0.0,
                                                         sim::config::Range::between(-1000, 1000));
                 params.sd = table.number_or("sd", 1.0, sim::config::Range::positive());
                 params.slope = sim::config::uncertain_or(table, "slope", 0.0,
                                                          sim::config::Range::between(-100, 100));
                 return std::make_unique<Gauss>(params);
               });
}

sim::ModelRegistry toy_registry() {
  sim::ModelRegistry registry;
  register_toy_models(registry);
  return registry;
}

}  // namespace toy
