#include "sim/engine/model.h"

#include <algorithm>
#include <limits>
#include <stdexcept>

#include "sim/core/cpu.h"

namespace sim {

RunRecorder::RunRecorder(const ModelSchema& schema, int years) {
  const std::size_t members = schema.members.size();
  members_ = members;
  years_ = years;
  for (const VariableSpec& variable : schema.variables) level_.push_back(variable.level);
  std::size_t offset = 0;
  offset_.resize(schema.variables.size());
  for (std::size_t v = 0; v < schema.variables.size(); ++v) {
    if (schema.variables[v].level != Level::member) continue;
    offset_[v] = offset;
    offset += members;
  }
  for (std::size_t v = 0; v < schema.variables.size(); ++v) {
    if (schema.variables[v].level != Level::global) continue;
    offset_[v] = offset;
    offset += 1;
  }
  stride_ = offset;
  event_width_ = schema.event_columns.size();
  size_ = stride_ * static_cast<std::size_t>(years);
  own_.assign(size_, std::numeric_limits<double>::quiet_NaN());
  values_ = own_.data();
  cleared_years_ = years_;
}

void RunRecorder::add_event(int year_index, std::span<const double> row) {
  if (row.size() != event_width_) {
    throw std::logic_error("RunRecorder::add_event: row has " + std::to_string(row.size()) +
                           " values, the schema has " + std::to_string(event_width_) +
                           " event columns");
  }
  event_years_.push_back(year_index);
  event_values_.insert(event_values_.end(), row.begin(), row.end());
}

void RunRecorder::refuse_write(std::size_t variable, int year_index) {
  throw std::out_of_range(
      "RunRecorder: write to a variable or year outside the schema (variable index " +
      std::to_string(variable) + ", year index " + std::to_string(year_index) + ")");
}

namespace {

void fill_with_nan(double* first, double* last) {
  std::fill(first, last, std::numeric_limits<double>::quiet_NaN());
}

#if NATOSIM_WIDE_VECTORS
// The fill is bound by its stores: AVX2 stores 32 bytes at a time, SSE2 16.
__attribute__((target("avx2"), flatten)) void fill_with_nan_wide(double* first, double* last) {
  std::fill(first, last, std::numeric_limits<double>::quiet_NaN());
}

const bool kFillWide = processor_has_avx2();
#endif

}  // namespace

void RunRecorder::clear_through(int year_index) const {
  // Callers pass cleared_years_ <= year_index < years_ (check() and reach() see to it).
  double* const first = values_ + static_cast<std::size_t>(cleared_years_) * stride_;
  double* const last = values_ + static_cast<std::size_t>(year_index + 1) * stride_;
  cleared_years_ = year_index + 1;
#if NATOSIM_WIDE_VECTORS
  if (kFillWide) {
    fill_with_nan_wide(first, last);
    return;
  }
#endif
  fill_with_nan(first, last);
}

void RunRecorder::clear() { clear_into(own_); }

void RunRecorder::clear_into(std::span<double> into) {
  if (into.size() != size_) {
    throw std::logic_error("RunRecorder::clear_into: a buffer of " + std::to_string(into.size()) +
                           " values for a run of " + std::to_string(size_));
  }
  values_ = into.data();
  cleared_years_ = 0;
  event_years_.clear();
  event_values_.clear();
}

void ModelRegistry::add(const std::string& name, const std::string& description,
                        ModelFactory factory) {
  if (!entries_.emplace(name, Entry{description, std::move(factory)}).second) {
    throw std::logic_error("model registered twice: " + name);
  }
}

const ModelFactory* ModelRegistry::find(const std::string& name) const {
  auto found = entries_.find(name);
  return found == entries_.end() ? nullptr : &found->second.factory;
}

std::vector<std::string> ModelRegistry::names() const {
  std::vector<std::string> result;
  for (const auto& [name, entry] : entries_) result.push_back(name);
  return result;
}

const std::string& ModelRegistry::description(const std::string& name) const {
  return entries_.at(name).description;
}

}  // namespace sim
