#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace fuzz {

/// One fuzz entry: feeds `size` bytes to natosim's input readers and returns 0. The documented
/// input errors (sim::ConfigError, sim::OutputError) are caught: they are clean refusals. Anything
/// else (a sanitizer report, an abort, another exception) is a crash for libFuzzer and for the
/// replay test.
using Entry = int (*)(const std::uint8_t* data, std::size_t size);

/// The bytes are a study file (TOML) in configs/, so that `extends = "baseline.toml"` and the
/// data paths resolve; checked as `natosim validate` checks it (scenarios built, [sweep],
/// [sensitivity] and [calibration] read).
int config_entry(const std::uint8_t* data, std::size_t size);

/// The first byte picks a reader (modulo 7), the rest is a CSV file: 0 the CSV splitter and its
/// field parsers, 1-4 defence_share / gdp / geography / contiguity and 6 gov_debt given to the
/// alliance data loader (the other files from configs/data), 5 a year,value,source schedule file.
int data_csv_entry(const std::uint8_t* data, std::size_t size);

/// The bytes are a sweep points CSV (`[sweep] design = "points"`) of a study extending
/// configs/baseline.toml; small designs are also built into models, as `natosim validate` does.
int sweep_points_entry(const std::uint8_t* data, std::size_t size);

/// The entry named `name` ("config", "data_csv", "sweep_points"), or nullptr.
Entry find_entry(std::string_view name);

}  // namespace fuzz
