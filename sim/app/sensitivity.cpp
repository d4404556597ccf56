#include "sim/app/sensitivity.h"

#include <chrono>
#include <cmath>
#include <ctime>
#include <exception>
#include <filesystem>
#include <iostream>
#include <optional>

#include <fmt/format.h>

#include <tbb/global_control.h>
#include <tbb/info.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include "sim/app/options.h"

#include "sim/analysis/morris.h"
#include "sim/analysis/sobol.h"
#include "sim/config/sensitivity.h"
#include "sim/design/morris.h"
#include "sim/design/saltelli.h"
#include "sim/engine/progress.h"
#include "sim/io/output_path.h"
#include "sim/io/sensitivity_file.h"

namespace sim::app {

namespace {

/// Models built and held at once: memory stays flat in N.
constexpr std::size_t kPointBatch = 256;

std::string mebibytes(double bytes) { return fmt::format("{:.1f} MiB", bytes / (1024.0 * 1024.0)); }

/// Per point and output: mean and sd over replicates; per output: the noise share.
struct PointStatistics {
  std::vector<double> mean;  // point x output
  std::vector<double> sd;
  std::vector<double> noise_share;
  std::vector<double> noise_share_of_means;
  std::vector<double> output_mean;
  std::vector<double> output_variance;
};

void accumulate(const analysis::Evaluation& batch, std::size_t first_point, PointStatistics& s) {
  const std::size_t outputs = batch.outputs;
  const std::size_t k = batch.replicates;
  for (std::size_t p = 0; p < batch.points; ++p) {
    for (std::size_t o = 0; o < outputs; ++o) {
      const double mean = batch.mean(p, o);
      double squares = 0.0;
      for (std::size_t r = 0; r < k; ++r) squares += std::pow(batch.at(p, r, o) - mean, 2);
      const std::size_t cell = (first_point + p) * outputs + o;
      s.mean[cell] = mean;
      s.sd[cell] = k > 1 ? std::sqrt(squares / static_cast<double>(k - 1)) : 0.0;
    }
  }
}

/// Noise share = mean within-point variance / variance of all per-replicate values, both with
/// divisor n - 1, the total from the per-point means and variances in point order.
void summarise(PointStatistics& s, std::size_t points, std::size_t outputs, std::size_t k) {
  s.noise_share.assign(outputs, NAN);
  s.noise_share_of_means.assign(outputs, NAN);
  s.output_mean.assign(outputs, NAN);
  s.output_variance.assign(outputs, NAN);
  for (std::size_t o = 0; o < outputs; ++o) {
    double grand = 0.0;
    for (std::size_t p = 0; p < points; ++p) grand += s.mean[p * outputs + o];
    grand /= static_cast<double>(points);
    double within = 0.0;
    double between = 0.0;
    for (std::size_t p = 0; p < points; ++p) {
      const double sd = s.sd[p * outputs + o];
      within += sd * sd * static_cast<double>(k - 1);
      between += static_cast<double>(k) * std::pow(s.mean[p * outputs + o] - grand, 2);
    }
    const double n = static_cast<double>(points * k);
    s.output_mean[o] = grand;
    s.output_variance[o] = (within + between) / (n - 1);
    if (k > 1 && s.output_variance[o] > 0) {
      const double noise = within / static_cast<double>(points * (k - 1));
      s.noise_share[o] = noise / s.output_variance[o];
      // The indices are computed on per-point means, whose noise variance is noise / K.
      const double means_variance =
          between / static_cast<double>(k) / static_cast<double>(points - 1);
      if (means_variance > 0) {
        s.noise_share_of_means[o] = noise / static_cast<double>(k) / means_variance;
      }
    }
  }
}

/// Everything before the runs: the analysed scenario's model table, the spec, the design and
/// its values, checked at the design's extremes.
struct Prepared {
  toml::table base_model;
  SensitivitySpec spec;
  std::optional<design::SaltelliDesign> saltelli;
  std::optional<design::MorrisDesign> morris;
  Eigen::MatrixXd values;
  std::vector<PointKey> keys;
};

Prepared prepare(const StudySpec& study, const ModelRegistry& registry) {
  Prepared prepared;
  const std::size_t scenario = sensitivity_scenario(study);
  prepared.base_model = merged_model_table(study, scenario);
  auto log = std::make_shared<config::ParameterLog>();
  const std::unique_ptr<Model> base =
      build_model(study, prepared.base_model, registry,
                  "(set by scenario '" + study.scenarios[scenario].name + "')", log);
  prepared.spec = read_sensitivity(study, base->schema(), *log);
  const SensitivitySpec& spec = prepared.spec;
  const std::size_t d = spec.parameters.size();
  if (spec.method == SensitivitySpec::Method::sobol) {
    prepared.saltelli = design::saltelli_design(d, static_cast<std::size_t>(spec.samples),
                                                spec.second_order, spec.seed);
  } else {
    prepared.morris = design::morris_design(d, static_cast<std::size_t>(spec.samples), spec.levels,
                                            static_cast<std::size_t>(spec.candidates), spec.seed);
  }
  const Eigen::MatrixXd& unit = prepared.saltelli ? prepared.saltelli->unit : prepared.morris->unit;
  prepared.values.resize(unit.rows(), unit.cols());
  for (Eigen::Index p = 0; p < unit.rows(); ++p) {
    for (Eigen::Index i = 0; i < unit.cols(); ++i) {
      prepared.values(p, i) =
          parameter_value(spec.parameters[static_cast<std::size_t>(i)], unit(p, i));
    }
  }
  for (const SensitivityParameter& parameter : spec.parameters) {
    prepared.keys.push_back(parameter.key);
  }
  // Check every key and range on the design's extremes before any run: build the points with
  // each parameter at its lowest and highest design value.
  for (int side = 0; side < 2; ++side) {
    std::vector<double> corner(d);
    for (std::size_t i = 0; i < d; ++i) {
      corner[i] = side == 0 ? prepared.values.col(static_cast<Eigen::Index>(i)).minCoeff()
                            : prepared.values.col(static_cast<Eigen::Index>(i)).maxCoeff();
    }
    build_point_model(study, prepared.base_model, prepared.keys, corner, registry,
                      "(set by [sensitivity] at the design's extreme values)");
  }
  return prepared;
}

}  // namespace

CLI::App* add_sensitivity_command(CLI::App& app, SensitivityArguments& arguments) {
  CLI::App* command = app.add_subcommand(
      "sensitivity",
      "Global sensitivity analysis (Sobol or Morris) of a study's [sensitivity] table; see "
      "docs/SENSITIVITY.md");
  command->add_option("CONFIG", arguments.config, "Study file (TOML) with a [sensitivity] table")
      ->required()
      ->check(CLI::ExistingFile);
  command->add_option("-o,--output", arguments.output,
                      "Sensitivity file to write (default: results/<study name>_sensitivity.h5)");
  add_threads_option(command, arguments.threads);
  add_seed_option(command, arguments.seed);
  add_set_option(command, arguments.overrides);
  command->add_flag("--dry-run", arguments.dry_run,
                    "Check the study, print the plan (runs, memory), then stop");
  command->add_flag("--force", arguments.force, "Overwrite the output file if it exists");
  command->add_flag("-q,--quiet", arguments.quiet,
                    "No plan, progress bar or messages, only the result path");
  return command;
}

int command_sensitivity(const SensitivityArguments& args, const ModelRegistry& registry,
                        const std::map<std::string, std::string>& provenance,
                        const std::atomic<bool>* stop, mpi::World* world) {
  StudySpec study = read_study(args.config, registry, args.overrides);
  if (args.seed >= 0) study.seed = static_cast<std::uint64_t>(args.seed);
  Prepared prepared = prepare(study, registry);
  const toml::table& base_model = prepared.base_model;
  const SensitivitySpec& spec = prepared.spec;
  const bool sobol = spec.method == SensitivitySpec::Method::sobol;
  const std::size_t d = spec.parameters.size();
  const std::optional<design::SaltelliDesign>& saltelli = prepared.saltelli;
  const std::optional<design::MorrisDesign>& morris = prepared.morris;
  const Eigen::MatrixXd& unit = sobol ? saltelli->unit : morris->unit;
  const auto points = static_cast<std::size_t>(unit.rows());
  const Eigen::MatrixXd& values = prepared.values;
  const std::vector<PointKey>& keys = prepared.keys;
  const std::filesystem::path output =
      args.output.empty() ? std::filesystem::path("results") / (study.name + "_sensitivity.h5")
                          : std::filesystem::path(args.output);
  const int threads = args.threads > 0 ? args.threads : tbb::info::default_concurrency();
  const std::size_t outputs = spec.outputs.size();
  const auto k = static_cast<std::size_t>(spec.replicates);
  const auto runs = static_cast<std::int64_t>(points * k);
  const double kept_bytes = static_cast<double>(points * (2 * d + 2 * outputs)) * 8.0;
  const double batch_bytes = static_cast<double>(std::min(points, kPointBatch) * k * outputs) * 8.0;
  if (!args.quiet || args.dry_run) {
    std::cerr << fmt::format(
        "sensitivity '{}': {} of {} parameter{} x {} output{} on scenario '{}'\n"
        "{} design points x {} replicates = {} runs of {} years on {} thread{}\n"
        "memory: {} for the design and per-point outputs, {} per batch of {} points (plus one "
        "model per point of the batch); nothing grows with the replicates\n"
        "output: {}\n",
        study.name,
        sobol ? fmt::format("Sobol (Saltelli N = {}{})", spec.samples,
                            spec.second_order ? ", second order" : "")
              : fmt::format("Morris (r = {}, p = {})", spec.samples, spec.levels),
        d, d == 1 ? "" : "s", outputs, outputs == 1 ? "" : "s", spec.scenario, points, k, runs,
        study.years, threads, threads == 1 ? "" : "s", mebibytes(kept_bytes),
        mebibytes(batch_bytes), std::min(points, kPointBatch), output.string());
  }
  if (args.dry_run) return 0;
  if (args.output.empty()) std::filesystem::create_directories(output.parent_path());
  // Under mpirun rank 0 alone writes; the others only compute their share of the runs.
  const bool writes = world == nullptr || world->rank() == 0;
  std::optional<io::OutputLock> output_lock;
  if (writes) output_lock.emplace(io::lock_output(output, args.force, io::kSensitivityFileType));
  if (world != nullptr) world->abort_on_failure();  // a failing rank must end the whole job

  PointStatistics statistics;
  statistics.mean.assign(points * outputs, NAN);
  statistics.sd.assign(points * outputs, NAN);
  ProgressBar progress(stderr, !args.quiet);
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism,
                            static_cast<std::size_t>(threads));
  tbb::task_arena arena(threads);
  const PointModelBuilder builder(study, base_model, keys, registry);
  const auto start = std::chrono::steady_clock::now();
  const std::clock_t cpu_start = std::clock();
  for (std::size_t first = 0; first < points; first += kPointBatch) {
    const std::size_t last = std::min(points, first + kPointBatch);
    // Building a model costs about as much as a few runs: build the batch in parallel, each
    // slot by one task. The design's extremes were built already, so a failure here is rare; if
    // several points fail, the error reported is the first in point order.
    std::vector<std::unique_ptr<Model>> models(last - first);
    std::vector<std::exception_ptr> errors(last - first);
    arena.execute([&] {
      tbb::parallel_for(first, last, [&](std::size_t p) {
        std::vector<double> point(d);
        for (std::size_t i = 0; i < d; ++i) {
          point[i] = values(static_cast<Eigen::Index>(p), static_cast<Eigen::Index>(i));
        }
        try {
          models[p - first] = builder.build(point, fmt::format("(set by sensitivity point {})", p));
        } catch (...) {
          errors[p - first] = std::current_exception();
        }
      });
    });
    for (const std::exception_ptr& error : errors) {
      if (error) std::rethrow_exception(error);
    }
    std::vector<const Model*> pointers;
    pointers.reserve(models.size());
    for (const auto& model : models) pointers.push_back(model.get());
    analysis::EvaluateOptions options;
    options.seed = study.seed;
    options.start_year = study.start_year;
    options.years = study.years;
    options.replicates = spec.replicates;
    options.threads = threads;
    options.stop = stop;
    options.world = world;
    const auto done_before = static_cast<std::int64_t>(first * k);
    options.progress = [&](std::int64_t done, std::int64_t) {
      progress.update(done_before + done, runs);
    };
    accumulate(analysis::evaluate(pointers, spec.outputs, options), first, statistics);
  }
  progress.finish();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double cpu_seconds = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  summarise(statistics, points, outputs, k);

  io::SensitivityResults results;
  results.method = sobol ? "sobol" : "morris";
  for (const SensitivityParameter& parameter : spec.parameters) {
    results.parameters.push_back(parameter.key.key);
    results.parameter_sources.push_back(parameter.source);
    results.parameter_distributions.push_back(config::describe_uncertain(parameter.marginal));
  }
  results.outputs = spec.output_names;
  for (const analysis::OutputSpec& o : spec.outputs) results.output_labels.push_back(o.label);
  results.points = points;
  results.replicates = spec.replicates;
  for (std::size_t p = 0; p < points; ++p) {
    for (std::size_t i = 0; i < d; ++i) {
      results.design_unit.push_back(
          unit(static_cast<Eigen::Index>(p), static_cast<Eigen::Index>(i)));
      results.design_values.push_back(
          values(static_cast<Eigen::Index>(p), static_cast<Eigen::Index>(i)));
    }
  }
  results.point_mean = statistics.mean;
  results.point_sd = statistics.sd;
  results.noise_share = statistics.noise_share;
  results.noise_share_of_means = statistics.noise_share_of_means;
  results.output_mean = statistics.output_mean;
  results.output_variance = statistics.output_variance;

  // Index arrays are parameter x output; fill column by column (one output at a time).
  auto array = [&](const std::string& name, const std::string& long_name) -> std::vector<double>& {
    results.indices.push_back(
        io::IndexArray{name, long_name, std::vector<double>(d * outputs, NAN)});
    return results.indices.back().values;
  };
  const auto bootstrap = static_cast<std::size_t>(spec.bootstrap);
  if (sobol) {
    std::vector<std::vector<double>*> columns;
    for (const auto& [name, long_name] : std::vector<std::pair<std::string, std::string>>{
             {"S1", "first-order Sobol index (Saltelli 2010)"},
             {"S1_ci_low", "S1 bootstrap interval, low end"},
             {"S1_ci_high", "S1 bootstrap interval, high end"},
             {"ST", "total Sobol index (Jansen 1999)"},
             {"ST_ci_low", "ST bootstrap interval, low end"},
             {"ST_ci_high", "ST bootstrap interval, high end"}}) {
      array(name, long_name);
    }
    if (spec.second_order) {
      for (const char* name : {"S2", "S2_ci_low", "S2_ci_high"}) {
        results.second_order.push_back(io::IndexArray{
            name,
            std::string(name) == "S2" ? "second-order Sobol index (upper triangle)"
                                      : std::string(name) + " (bootstrap interval end)",
            std::vector<double>(d * d * outputs, NAN)});
      }
    }
    for (std::size_t o = 0; o < outputs; ++o) {
      Eigen::VectorXd y(static_cast<Eigen::Index>(points));
      for (std::size_t p = 0; p < points; ++p)
        y(static_cast<Eigen::Index>(p)) = statistics.mean[p * outputs + o];
      const analysis::SobolIndices s =
          analysis::sobol_indices(*saltelli, y, bootstrap, spec.seed, spec.confidence);
      const Eigen::VectorXd* vectors[] = {&s.first, &s.first_low, &s.first_high,
                                          &s.total, &s.total_low, &s.total_high};
      for (std::size_t a = 0; a < 6; ++a) {
        for (std::size_t i = 0; i < d; ++i) {
          results.indices[a].values[i * outputs + o] = (*vectors[a])(static_cast<Eigen::Index>(i));
        }
      }
      if (spec.second_order) {
        const Eigen::MatrixXd* matrices[] = {&s.second, &s.second_low, &s.second_high};
        for (std::size_t a = 0; a < 3; ++a) {
          for (std::size_t i = 0; i < d; ++i) {
            for (std::size_t j = 0; j < d; ++j) {
              results.second_order[a].values[(i * d + j) * outputs + o] =
                  (*matrices[a])(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j));
            }
          }
        }
      }
    }
  } else {
    for (const auto& [name, long_name] : std::vector<std::pair<std::string, std::string>>{
             {"mu", "mean elementary effect (output units per unit of probability)"},
             {"mu_star", "mean absolute elementary effect (Campolongo et al. 2007)"},
             {"mu_star_ci_low", "mu_star bootstrap interval, low end"},
             {"mu_star_ci_high", "mu_star bootstrap interval, high end"},
             {"sigma", "standard deviation of the elementary effects"}}) {
      array(name, long_name);
    }
    for (std::size_t o = 0; o < outputs; ++o) {
      Eigen::VectorXd y(static_cast<Eigen::Index>(points));
      for (std::size_t p = 0; p < points; ++p)
        y(static_cast<Eigen::Index>(p)) = statistics.mean[p * outputs + o];
      const analysis::MorrisIndices m =
          analysis::morris_indices(*morris, y, bootstrap, spec.seed, spec.confidence);
      const Eigen::VectorXd* vectors[] = {&m.mu, &m.mu_star, &m.mu_star_low, &m.mu_star_high,
                                          &m.sigma};
      for (std::size_t a = 0; a < 5; ++a) {
        for (std::size_t i = 0; i < d; ++i) {
          results.indices[a].values[i * outputs + o] = (*vectors[a])(static_cast<Eigen::Index>(i));
        }
      }
    }
  }

  results.attributes = provenance;
  results.attributes.merge(study_provenance(study));
  results.attributes["scenario"] = spec.scenario;
  results.attributes["seed"] = std::to_string(study.seed);
  results.attributes["design_seed"] = std::to_string(spec.seed);
  results.attributes["samples"] = std::to_string(spec.samples);
  results.attributes["bootstrap"] = std::to_string(spec.bootstrap);
  results.attributes["confidence"] = fmt::format("{}", spec.confidence);
  results.attributes["start_year"] = std::to_string(study.start_year);
  results.attributes["years"] = std::to_string(study.years);
  if (!sobol) {
    results.attributes["levels"] = std::to_string(spec.levels);
    results.attributes["candidates"] = std::to_string(spec.candidates);
  }
  if (!writes) return 0;
  io::write_sensitivity(results, output, args.force, stop);
  if (!args.quiet) {
    std::cerr << fmt::format("done: {} runs in {:.1f} s wall, {:.1f} s CPU\n", runs, seconds,
                             cpu_seconds);
  }
  std::cout << "sensitivity: " << output.string() << "\n";
  return 0;
}

std::string check_sensitivity(const StudySpec& study, const ModelRegistry& registry) {
  if (!parse_study_root(study).contains("sensitivity")) return "";
  const Prepared prepared = prepare(study, registry);
  const bool sobol = prepared.spec.method == SensitivitySpec::Method::sobol;
  const Eigen::Index points = sobol ? prepared.saltelli->unit.rows() : prepared.morris->unit.rows();
  return fmt::format(
      "sensitivity: {} of scenario '{}', {} parameters x {} outputs, {} design "
      "points x {} replicates",
      sobol ? "Sobol" : "Morris", prepared.spec.scenario, prepared.spec.parameters.size(),
      prepared.spec.outputs.size(), points, prepared.spec.replicates);
}

}  // namespace sim::app
