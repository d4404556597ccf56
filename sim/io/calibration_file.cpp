#include "sim/io/calibration_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cmath>
#include <numeric>
#include <optional>

#include <fmt/format.h>

#include "sim/core/error.h"
#include "sim/io/h5_file.h"
#include "sim/io/output_path.h"

namespace sim::io {

namespace fs = std::filesystem;

namespace {

std::string major_of(const std::string& version) { return version.substr(0, version.find('.')); }

/// Gathers one per-particle field of every generation into a [generation][...] array.
template <class Field>
std::vector<double> stack(const CalibrationData& data, Field field) {
  std::vector<double> all;
  for (const analysis::AbcGeneration& g : data.generations) {
    const std::vector<double>& values = field(g);
    all.insert(all.end(), values.begin(), values.end());
  }
  return all;
}

template <class Value>
std::vector<Value> per_generation(const CalibrationData& data,
                                  Value (*field)(const analysis::AbcGeneration&)) {
  std::vector<Value> values;
  for (const analysis::AbcGeneration& g : data.generations) values.push_back(field(g));
  return values;
}

void describe(H5Dataset& dataset, const std::string& units, const std::string& long_name) {
  dataset.write_string_attribute("units", units);
  dataset.write_string_attribute("long_name", long_name);
}

void write_contents(H5File& file, const CalibrationData& data) {
  const std::uint64_t g = data.generations.size();
  const std::uint64_t n = data.population;
  const std::uint64_t d = data.parameters.size();
  const std::uint64_t m = data.targets.size();

  file.write_string_attribute("file_type", kCalibrationFileType);
  file.write_string_attribute("schema_version", kCalibrationSchemaVersion);
  file.write_string_attribute("model", data.model);
  file.write_string_attribute("stop_reason", data.stop_reason);
  file.write_attribute<std::uint64_t>("seed", data.seed);
  file.write_attribute<std::uint64_t>("population", n);
  for (const auto& [key, value] : data.attributes) file.write_string_attribute(key, value);

  std::vector<std::int64_t> generation_index(g);
  std::iota(generation_index.begin(), generation_index.end(), std::int64_t{0});
  std::vector<std::int64_t> particle_index(n);
  std::iota(particle_index.begin(), particle_index.end(), std::int64_t{0});
  const std::uint64_t dim_g[] = {g};
  const std::uint64_t dim_n[] = {n};
  H5Dataset generation = file.create_dataset<std::int64_t>("generation", dim_g, generation_index);
  generation.make_dimension_scale("generation");
  describe(generation, "1", "ABC-SMC generation (0 samples the prior)");
  H5Dataset particle = file.create_dataset<std::int64_t>("particle", dim_n, particle_index);
  particle.make_dimension_scale("particle");
  describe(particle, "1", "particle index within a generation");
  H5Dataset parameter = file.create_string_dataset("parameter", data.parameters);
  parameter.make_dimension_scale("parameter");
  describe(parameter, "1", "calibrated [model] key");
  H5Dataset target = file.create_string_dataset("target", data.targets);
  target.make_dimension_scale("target");
  describe(target, "1", "target summary (variable[member]@year)");

  struct Axis {
    const H5Dataset* scale;
    std::uint64_t length;
  };
  const auto variable = [&](const std::string& name, const std::vector<Axis>& axes,
                            const auto& values, const std::string& units,
                            const std::string& long_name) {
    std::vector<std::uint64_t> dims;
    dims.reserve(axes.size());
    for (const Axis& axis : axes) dims.push_back(axis.length);
    using T = typename std::decay_t<decltype(values)>::value_type;
    H5Dataset dataset = [&] {
      if constexpr (std::is_same_v<T, std::string>) {
        return file.create_string_dataset(name, values);
      } else {
        return file.create_dataset<T>(name, dims, values);
      }
    }();
    for (std::size_t i = 0; i < axes.size(); ++i) {
      dataset.attach_dimension_scale(*axes[i].scale, static_cast<unsigned>(i));
    }
    describe(dataset, units, long_name);
    dataset.close();
  };
  const Axis G{&generation, g};
  const Axis N{&particle, n};
  const Axis D{&parameter, d};
  const Axis M{&target, m};

  variable("prior", {D}, data.priors, "1", "prior distribution of the parameter");
  variable("observed", {M}, data.observed, "1", "observed value of the target");
  variable("target_scale", {M}, data.scales, "1",
           "scale a deviation from the target is measured in");
  variable("target_weight", {M}, data.weights, "1", "weight of the target in the distance");
  variable("particles", {G, N, D},
           stack(
               data, [](const auto& x) -> const auto& { return x.particles; }),
           "1", "accepted parameter values");
  variable("weights", {G, N},
           stack(
               data, [](const auto& x) -> const auto& { return x.weights; }),
           "1", "normalised importance weight");
  variable("distances", {G, N},
           stack(
               data, [](const auto& x) -> const auto& { return x.distances; }),
           "1", "distance of the particle's simulated summaries to the targets");
  variable("simulated", {G, N, M},
           stack(
               data, [](const auto& x) -> const auto& { return x.summaries; }),
           "1", "simulated target summary (mean over the replicates)");
  variable("tolerance", {G},
           per_generation<double>(data, [](const auto& x) { return x.tolerance; }), "1",
           "acceptance threshold on the distance (inf: the prior sample)");
  variable("acceptance_rate", {G},
           per_generation<double>(data, [](const auto& x) { return x.acceptance_rate; }), "1",
           "accepted / proposed particles");
  variable("ess", {G}, per_generation<double>(data, [](const auto& x) { return x.ess; }), "1",
           "effective sample size 1 / sum w^2");
  variable("proposals", {G},
           per_generation<std::int64_t>(data, [](const auto& x) { return x.proposals; }), "1",
           "proposals examined until the population was full");
  variable("simulations", {G},
           per_generation<std::int64_t>(data, [](const auto& x) { return x.simulations; }), "1",
           "parameter points simulated (each replicates runs)");
  if (g > 0) {
    const analysis::AbcGeneration& last = data.generations.back();
    variable("posterior_particles", {N, D}, last.particles, "1",
             "final posterior: the last generation's particles");
    variable("posterior_weights", {N}, last.weights, "1",
             "final posterior: the last generation's weights");
  }
  generation.close();
  particle.close();
  parameter.close();
  target.close();
}

void write_file(const CalibrationData& data, const fs::path& path) {
  for (const analysis::AbcGeneration& g : data.generations) {
    if (g.particles.size() != data.population * data.parameters.size() ||
        g.weights.size() != data.population || g.distances.size() != data.population ||
        g.summaries.size() != data.population * data.targets.size()) {
      throw std::invalid_argument("write_calibration: a generation's arrays have the wrong size");
    }
  }
  H5File file = H5File::create(path);
  write_contents(file, data);
  file.close();
}

void remove_quietly(const fs::path& path) {
  std::error_code ignored;
  fs::remove(path, ignored);
}

void sync_folder(const fs::path& file) {
  const fs::path folder = file.parent_path().empty() ? fs::path(".") : file.parent_path();
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

}  // namespace

void write_calibration(const CalibrationData& data, const fs::path& out, bool force,
                       const std::atomic<bool>* stop) {
  check_output_path(out, force, kCalibrationFileType);
  const fs::path partial = partial_path(out);
  try {
    remove_quietly(partial);
    write_file(data, partial);
    if (stop != nullptr && stop->load()) throw Interrupted();
    // Whatever appeared under the name meanwhile gets the same policy as at the start.
    check_output_path(out, force, kCalibrationFileType);
    std::error_code error;
    fs::rename(partial, out, error);
    if (error) {
      throw OutputError(out.string() + ": cannot rename " + partial.string() +
                        " onto it: " + error.message());
    }
    sync_folder(out);
  } catch (...) {
    remove_quietly(partial);
    throw;
  }
}

void write_calibration_checkpoint(const CalibrationData& data, const fs::path& path) {
  const fs::path temporary = fs::path(path.string() + ".tmp");
  try {
    remove_quietly(temporary);
    write_file(data, temporary);  // H5File::close syncs the file
    std::error_code error;
    fs::rename(temporary, path, error);
    if (error) {
      throw OutputError(path.string() +
                        ": cannot rename the new checkpoint onto it: " + error.message());
    }
    sync_folder(path);
  } catch (...) {
    remove_quietly(temporary);
    throw;
  }
}

bool is_calibration_file(const fs::path& file) {
  std::error_code error;
  if (!fs::exists(file, error) || !H5File::is_hdf5(file)) return false;
  const H5File h5 = H5File::open_read_only(file);
  return h5.has_attribute("file_type") && h5.attribute_type("file_type") == ElementType::string &&
         h5.read_string_attribute("file_type") == kCalibrationFileType;
}

namespace {
/// The calibration file opened for reading, its type and schema version checked.
H5File open_calibration(const fs::path& file) {
  if (!is_calibration_file(file)) {
    throw OutputError(file.string() + ": not a natosim calibration file (no root attribute " +
                      "file_type = \"" + kCalibrationFileType + "\")");
  }
  H5File h5 = H5File::open_read_only(file);
  const std::string version = h5.read_string_attribute("schema_version");
  if (major_of(version) != major_of(kCalibrationSchemaVersion)) {
    throw OutputError(
        fmt::format("{}: calibration schema version {} is not supported (this "
                    "natosim reads {}.x)",
                    file.string(), version, major_of(kCalibrationSchemaVersion)));
  }
  return h5;
}
}  // namespace

CalibrationData read_calibration(const fs::path& file) {
  const H5File h5 = open_calibration(file);
  CalibrationData data;
  data.model = h5.read_string_attribute("model");
  data.stop_reason = h5.read_string_attribute("stop_reason");
  data.seed = h5.read_attribute<std::uint64_t>("seed");
  data.population = static_cast<std::size_t>(h5.read_attribute<std::uint64_t>("population"));
  for (const std::string& name : h5.attribute_names()) {
    if (name == "file_type" || name == "schema_version" || name == "model" ||
        name == "stop_reason" || name == "seed" || name == "population") {
      continue;
    }
    if (h5.attribute_type(name) == ElementType::string) {
      data.attributes[name] = h5.read_string_attribute(name);
    }
  }
  data.parameters = h5.open_dataset("parameter").read_strings();
  data.priors = h5.open_dataset("prior").read_strings();
  data.targets = h5.open_dataset("target").read_strings();
  data.observed = h5.open_dataset("observed").read<double>();
  data.scales = h5.open_dataset("target_scale").read<double>();
  data.weights = h5.open_dataset("target_weight").read<double>();
  const std::size_t g = static_cast<std::size_t>(h5.open_dataset("generation").size());
  const std::size_t n = data.population;
  const std::size_t d = data.parameters.size();
  const std::size_t m = data.targets.size();
  const std::vector<double> particles = h5.open_dataset("particles").read<double>();
  const std::vector<double> weights = h5.open_dataset("weights").read<double>();
  const std::vector<double> distances = h5.open_dataset("distances").read<double>();
  const std::vector<double> simulated = h5.open_dataset("simulated").read<double>();
  const std::vector<double> tolerance = h5.open_dataset("tolerance").read<double>();
  const std::vector<double> acceptance = h5.open_dataset("acceptance_rate").read<double>();
  const std::vector<double> ess = h5.open_dataset("ess").read<double>();
  const auto proposals = h5.open_dataset("proposals").read<std::int64_t>();
  const auto simulations = h5.open_dataset("simulations").read<std::int64_t>();
  if (particles.size() != g * n * d || weights.size() != g * n || distances.size() != g * n ||
      simulated.size() != g * n * m || tolerance.size() != g || acceptance.size() != g ||
      ess.size() != g || proposals.size() != g || simulations.size() != g ||
      data.priors.size() != d || data.observed.size() != m || data.scales.size() != m ||
      data.weights.size() != m) {
    throw OutputError(file.string() + ": malformed calibration file (dataset shapes disagree)");
  }
  const auto slice = [](const std::vector<double>& all, std::size_t at, std::size_t width) {
    return std::vector<double>(all.begin() + static_cast<std::ptrdiff_t>(at * width),
                               all.begin() + static_cast<std::ptrdiff_t>((at + 1) * width));
  };
  for (std::size_t t = 0; t < g; ++t) {
    analysis::AbcGeneration generation;
    generation.tolerance = tolerance[t];
    generation.acceptance_rate = acceptance[t];
    generation.ess = ess[t];
    generation.proposals = proposals[t];
    generation.simulations = simulations[t];
    generation.particles = slice(particles, t, n * d);
    generation.weights = slice(weights, t, n);
    generation.distances = slice(distances, t, n);
    generation.summaries = slice(simulated, t, n * m);
    data.generations.push_back(std::move(generation));
  }
  return data;
}

WeightedSample read_posterior(const fs::path& file) {
  const std::string name = file.string();
  std::error_code error;
  if (!fs::exists(file, error)) throw ConfigError(name + ": no such posterior file");
  if (!is_calibration_file(file)) {
    throw ConfigError(name +
                      ": not a natosim calibration file (expected the output of natosim "
                      "calibrate)");
  }
  // Only the final generation, which the file also holds on its own: every scenario of a study
  // reads the posterior, and the whole history is some megabytes.
  WeightedSample sample;
  sample.file = name;
  try {
    const H5File h5 = open_calibration(file);
    const bool finished = !h5.read_string_attribute("stop_reason").empty() &&
                          h5.open_dataset("generation").size() > 0;
    if (!finished || !h5.has_dataset("posterior_particles")) {
      throw ConfigError(name + ": calibration did not finish (a checkpoint, not a posterior)");
    }
    sample.model = h5.read_string_attribute("model");
    sample.keys = h5.open_dataset("parameter").read_strings();
    sample.values = h5.open_dataset("posterior_particles").read<double>();
    sample.weights = h5.open_dataset("posterior_weights").read<double>();
    const auto population = h5.read_attribute<std::uint64_t>("population");
    if (sample.weights.size() != population ||
        sample.values.size() != population * sample.keys.size()) {
      throw OutputError(name + ": malformed calibration file (dataset shapes disagree)");
    }
  } catch (const OutputError& problem) {
    throw ConfigError(problem.what());
  }
  try {
    sample.finish();
  } catch (const std::invalid_argument& problem) {
    throw ConfigError(name + ": " + problem.what());
  }
  return sample;
}

namespace {
std::string json_quote(const std::string& text) {
  std::string quoted = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      quoted += '\\';
      quoted += c;
    } else if (c == '\n') {
      quoted += "\\n";
    } else if (static_cast<unsigned char>(c) < 0x20) {
      quoted += fmt::format("\\u{:04x}", static_cast<int>(c));
    } else {
      quoted += c;
    }
  }
  return quoted + "\"";
}

std::string json_number(double value) {
  return std::isfinite(value) ? fmt::format("{}", value) : "null";
}

std::string attribute_or(const CalibrationData& data, const std::string& key) {
  const auto found = data.attributes.find(key);
  return found == data.attributes.end() ? "(not recorded)" : found->second;
}
}  // namespace

std::string describe_calibration(const fs::path& file, bool json) {
  const CalibrationData data = read_calibration(file);
  const std::size_t d = data.parameters.size();
  // Posterior mean and sd of each parameter (last generation).
  std::vector<double> mean(d, 0.0);
  std::vector<double> sd(d, 0.0);
  if (!data.generations.empty()) {
    const analysis::AbcGeneration& last = data.generations.back();
    for (std::size_t i = 0; i < data.population; ++i) {
      for (std::size_t k = 0; k < d; ++k) mean[k] += last.weights[i] * last.particles[i * d + k];
    }
    for (std::size_t i = 0; i < data.population; ++i) {
      for (std::size_t k = 0; k < d; ++k) {
        const double deviation = last.particles[i * d + k] - mean[k];
        sd[k] += last.weights[i] * deviation * deviation;
      }
    }
    for (double& value : sd) value = std::sqrt(value);
  }
  const std::string status =
      data.stop_reason.empty() ? "unfinished (checkpoint)" : data.stop_reason;
  if (json) {
    std::string text = "{";
    text += fmt::format("\"file\": {}, \"file_type\": {}, \"model\": {}, \"study\": {}, ",
                        json_quote(file.string()), json_quote(kCalibrationFileType),
                        json_quote(data.model), json_quote(attribute_or(data, "study_name")));
    text += fmt::format(
        "\"seed\": {}, \"population\": {}, \"generations\": {}, \"stop_reason\": {}, ", data.seed,
        data.population, data.generations.size(), json_quote(data.stop_reason));
    text += "\"parameters\": [";
    for (std::size_t k = 0; k < d; ++k) {
      text += fmt::format(
          "{}{{\"key\": {}, \"prior\": {}, \"posterior_mean\": {}, "
          "\"posterior_sd\": {}}}",
          k ? ", " : "", json_quote(data.parameters[k]), json_quote(data.priors[k]),
          json_number(mean[k]), json_number(sd[k]));
    }
    text += "], \"targets\": [";
    for (std::size_t k = 0; k < data.targets.size(); ++k) {
      text += fmt::format("{}{{\"target\": {}, \"observed\": {}}}", k ? ", " : "",
                          json_quote(data.targets[k]), json_number(data.observed[k]));
    }
    text += "], \"tolerance\": [";
    for (std::size_t t = 0; t < data.generations.size(); ++t) {
      text += (t ? ", " : "") + json_number(data.generations[t].tolerance);
    }
    text += "]}\n";
    return text;
  }
  std::string text = "natosim calibration file " + file.string() + "\n";
  const auto line = [&text](const std::string& label, const std::string& value) {
    text += fmt::format("  {:<20}{}\n", label + ":", value);
  };
  line("study", attribute_or(data, "study_name"));
  line("model", data.model);
  line("natosim version", attribute_or(data, "natosim_version"));
  line("created (UTC)", attribute_or(data, "created_utc"));
  line("seed", std::to_string(data.seed));
  line("population", std::to_string(data.population));
  line("replicates", attribute_or(data, "replicates"));
  line("distance", attribute_or(data, "distance"));
  line("status", status);
  line("generations", std::to_string(data.generations.size()));
  text += "  generation  tolerance     acceptance  ESS       simulations\n";
  for (std::size_t t = 0; t < data.generations.size(); ++t) {
    const analysis::AbcGeneration& g = data.generations[t];
    text += fmt::format("  {:<10}  {:<12.6g}  {:<10.4f}  {:<8.1f}  {}\n", t, g.tolerance,
                        g.acceptance_rate, g.ess, g.simulations);
  }
  line("parameters", std::to_string(d));
  for (std::size_t k = 0; k < d; ++k) {
    text += fmt::format("    {}  prior {}  posterior mean {:.6g} sd {:.6g}\n", data.parameters[k],
                        data.priors[k], mean[k], sd[k]);
  }
  line("targets", std::to_string(data.targets.size()));
  for (std::size_t k = 0; k < data.targets.size(); ++k) {
    text += fmt::format("    {}  observed {:.6g}\n", data.targets[k], data.observed[k]);
  }
  return text;
}

}  // namespace sim::io
