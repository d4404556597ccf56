#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/config/toml_reader.h"
#include "sim/core/rng.h"

namespace sim {

/// Whether a recorded variable has one value per member or one for the whole system.
enum class Level { member, global };

/// One recorded variable. Its summaries are written as `<name>_mean`, `<name>_sd`, ...
struct VariableSpec {
  std::string name;
  std::string units;
  std::string long_name;
  Level level = Level::member;
  /// 0/1 values: the mean is a probability and gets a Wilson 95% interval.
  bool binary = false;
  /// Values may be NaN ("not applicable"); statistics skip them and the count is written.
  bool may_be_missing = false;
};

/// One column of the model's event table. Non-empty `categories` make it a categorical column:
/// the value is an index into `categories`.
struct EventColumnSpec {
  std::string name;
  std::string units;
  std::string long_name;
  std::vector<std::string> categories;
};

/// What a model records: the names and labels of its axes and the variables it fills each year.
struct ModelSchema {
  /// Name of the member axis in the results file: its dimension, its coordinate (holding
  /// `members`) and, with `_name` appended, the coordinate of `member_names`. A dataset name.
  std::string member_axis = "member";
  /// long_name of the member coordinate, e.g. "member code".
  std::string member_axis_long_name = "member code";
  /// Name of the time axis in the results file (one step per simulated year; its coordinate
  /// holds start_year + index) and of the event table's time column. A dataset name.
  std::string time_axis = "year";
  /// long_name of the time coordinate and of the event table's time column.
  std::string time_axis_long_name = "calendar year";
  /// Units of the event table's time column.
  std::string time_axis_units = "year";
  /// Member labels (for the alliance model, ISO 3166 alpha-2 codes) and display names.
  std::vector<std::string> members;
  std::vector<std::string> member_names;
  std::vector<VariableSpec> variables;
  /// Columns a model adds to the event table; the engine prepends scenario, replicate and the
  /// time column (named `time_axis`).
  std::vector<EventColumnSpec> event_columns;
};

/// The per-run output buffer a model writes into. Owned by the engine; one per run.
/// Layout: year-major; within a year, member-level variables (each `members` values) in schema
/// order, then global variables in schema order.
class RunRecorder {
 public:
  RunRecorder(const ModelSchema& schema, int years);
  // It may point into a caller's buffer (clear_into): a copy would write where the original does.
  // A move keeps its own buffer's address (the vector's storage moves with it).
  RunRecorder(const RunRecorder&) = delete;
  RunRecorder& operator=(const RunRecorder&) = delete;
  RunRecorder(RunRecorder&&) = default;
  RunRecorder& operator=(RunRecorder&&) = default;

  /// Pointer to the `members` values of a member-level variable in one year. Checked (a model
  /// of another schema than the buffer's must not write past it): std::out_of_range.
  double* member_row(std::size_t variable, int year_index) {
    check(variable, year_index, Level::member);
    reach(year_index);
    return values_ + static_cast<std::size_t>(year_index) * stride_ + offset_[variable];
  }
  void set(std::size_t variable, int year_index, std::size_t member, double value) {
    if (member >= members_) [[unlikely]] {
      throw std::out_of_range("RunRecorder: member index out of range");
    }
    member_row(variable, year_index)[member] = value;
  }
  /// Sets a global variable for one year.
  void set_global(std::size_t variable, int year_index, double value) {
    check(variable, year_index, Level::global);
    reach(year_index);
    values_[static_cast<std::size_t>(year_index) * stride_ + offset_[variable]] = value;
  }
  /// Appends an event row: `year_index` and one value per model event column (categorical
  /// columns take the category index).
  void add_event(int year_index, std::span<const double> row);

  /// Resets values to NaN (unset) and drops events before a new run. A year's values are set to
  /// NaN when the run first writes to that year or a later one (or at values()): the NaN go in
  /// while the year's few kilobytes are in the cache the model's writes then hit, not as a pass
  /// over the whole run ahead of it. Every value still reads NaN until it is written.
  void clear();
  /// clear(), the run's values then going to `into` (stride() x years values, the caller's)
  /// rather than to the recorder's own buffer: the engine's block of runs takes them where the
  /// model writes them, with no copy. `into` must outlive the writes.
  void clear_into(std::span<double> into);

  /// Sets the years the run never wrote to NaN (values() does it too): for a caller reading the
  /// buffer given to clear_into directly.
  void finish() const { reach(years_ - 1); }
  /// The run's values; years the run never wrote to are NaN.
  std::span<const double> values() const {
    finish();
    return {values_, size_};
  }
  std::size_t stride() const { return stride_; }
  std::size_t offset(std::size_t variable) const { return offset_[variable]; }
  std::size_t event_count() const { return event_years_.size(); }
  std::span<const int> event_years() const { return event_years_; }
  std::span<const double> event_values() const { return event_values_; }

 private:
  // The test inline, the message out of line: a model makes a few dozen checked writes a year,
  // and with the message's string building inline the compiler called the whole check instead.
  void check(std::size_t variable, int year_index, Level level) const {
    if (variable >= offset_.size() || level_[variable] != level || year_index < 0 ||
        year_index >= years_) [[unlikely]] {
      refuse_write(variable, year_index);
    }
  }
  [[noreturn, gnu::cold, gnu::noinline]] static void refuse_write(std::size_t variable,
                                                                  int year_index);
  /// Sets years [cleared_years_, year_index] to NaN, if any.
  void reach(int year_index) const {
    if (year_index >= cleared_years_) [[unlikely]]
      clear_through(year_index);
  }
  void clear_through(int year_index) const;

  /// Where the values go: `own_` or a caller's buffer (clear_into).
  double* values_ = nullptr;
  std::size_t size_ = 0;
  /// Years [0, cleared_years_) of this run are NaN or written (mutable: values() completes it).
  mutable int cleared_years_ = 0;
  std::vector<double> own_;
  std::vector<std::size_t> offset_;
  std::vector<Level> level_;
  std::size_t members_ = 0;
  int years_ = 0;
  std::size_t stride_ = 0;
  std::size_t event_width_ = 0;
  std::vector<int> event_years_;
  std::vector<double> event_values_;
};

/// What a model needs to know about the run it is doing.
/// What a paired study's reference run of a replicate works out that the other scenarios' runs
/// of the replicate would work out again, the same bits, where their inputs are the same (an
/// exogenous path, say): the reference's run keeps it, the others read it rather than work it
/// out (RunOptions::share_run_memos). The model decides what goes in and when a run may read
/// it: the keeping run files the values under a kind (what they are), a source (the unchanging
/// inputs they come from, alive while the study runs) and a key (the replicate's own inputs),
/// which a reading run compares with its own. One per replicate of a block; `clear` keeps the
/// memory.
class RunMemo {
 public:
  void clear() {
    kind_ = nullptr;
    source_ = nullptr;
    key_.clear();
    values_.clear();
  }
  /// Starts filing values (the keeping run, before its first append).
  void file(const void* kind, const void* source, std::span<const double> key) {
    kind_ = kind;
    source_ = source;
    key_.assign(key.begin(), key.end());
    values_.clear();
  }
  void append(std::span<const double> values) {
    values_.insert(values_.end(), values.begin(), values.end());
  }
  /// What the values are and where they come from, as filed (null: nothing filed).
  const void* kind() const { return kind_; }
  const void* source() const { return source_; }
  /// Whether the values were filed under `key`, bit for bit.
  bool filed_under(std::span<const double> key) const {
    return key.size() == key_.size() &&
           (key.empty() || std::memcmp(key.data(), key_.data(), key.size_bytes()) == 0);
  }
  std::span<const double> values() const { return values_; }

 private:
  const void* kind_ = nullptr;
  const void* source_ = nullptr;
  std::vector<double> key_;
  std::vector<double> values_;
};

struct RunContext {
  std::uint64_t seed = 0;
  std::uint64_t replicate = 0;
  int start_year = 2025;
  int years = 1;
  /// Where this run's streams read the words another scenario's run of the replicate made, or
  /// keep theirs for the other scenarios (RandomWords); null: every stream makes its own. The
  /// same words either way.
  RandomWordsRun* words = nullptr;
  /// What the reference scenario's run of the replicate kept for this one to read, or where this
  /// run keeps its own (`keep_memo`: it is the reference's) for the others (RunMemo); null: none.
  RunMemo* memo = nullptr;
  bool keep_memo = false;

  /// The stream for one purpose in this run; identical in every scenario (common random numbers).
  RngStream stream(StreamPurpose purpose) const {
    return RngStream(seed, replicate, purpose, words);
  }
};

/// A model: immutable after construction from validated parameters; all mutable state of a run
/// lives inside `run`. One instance per scenario; `run` is called concurrently from many threads.
class Model {
 public:
  virtual ~Model() = default;
  virtual const ModelSchema& schema() const = 0;
  /// Simulates one replicate over `context.years` years and records every variable every year.
  virtual void run(const RunContext& context, RunRecorder& recorder) const = 0;
};

/// Study-level settings a model factory may need.
struct StudySettings {
  std::uint64_t seed = 0;
  int start_year = 2025;
  int years = 20;
};

/// Builds a model from its config table (`[model]` merged with one scenario's overrides). The
/// factory must read every key it accepts; the engine calls `finish()` afterwards so unknown keys
/// are rejected. Throws ConfigError on bad input.
using ModelFactory =
    std::function<std::unique_ptr<Model>(config::Table& table, const StudySettings& settings)>;

/// The explicit map from a config's `study.model` name to a model factory.
class ModelRegistry {
 public:
  /// Registers a factory. Throws std::logic_error on a duplicate name.
  void add(const std::string& name, const std::string& description, ModelFactory factory);
  /// nullptr when unknown.
  const ModelFactory* find(const std::string& name) const;
  std::vector<std::string> names() const;
  const std::string& description(const std::string& name) const;

 private:
  struct Entry {
    std::string description;
    ModelFactory factory;
  };
  std::map<std::string, Entry> entries_;
};

/// Registers the models shipped with natosim. Declared here, defined by the models library
/// (models/registry.cpp) so that sim/ never includes models/.
void register_builtin_models(ModelRegistry& registry);

}  // namespace sim
