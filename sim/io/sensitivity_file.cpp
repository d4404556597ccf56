#include "sim/io/sensitivity_file.h"

#include <optional>
#include <span>

#include "sim/core/error.h"
#include "sim/io/h5_file.h"
#include "sim/io/output_path.h"

namespace sim::io {

namespace fs = std::filesystem;

namespace {

H5Dataset string_scale(H5File& file, const std::string& name,
                       const std::vector<std::string>& values, const std::string& long_name) {
  H5Dataset scale = file.create_string_dataset(name, values);
  scale.make_dimension_scale(name);
  scale.write_string_attribute("long_name", long_name);
  return scale;
}

H5Dataset index_scale(H5File& file, const std::string& name, std::size_t size,
                      const std::string& long_name) {
  std::vector<std::int64_t> index(size);
  for (std::size_t i = 0; i < size; ++i) index[i] = static_cast<std::int64_t>(i);
  const std::uint64_t dims[1] = {size};
  H5Dataset scale = file.create_dataset<std::int64_t>(name, dims, index);
  scale.make_dimension_scale(name);
  scale.write_string_attribute("long_name", long_name);
  return scale;
}

void write_array(H5File& file, const std::string& name, const std::string& long_name,
                 const std::vector<const H5Dataset*>& axes, const std::vector<double>& values) {
  std::vector<std::uint64_t> dims;
  dims.reserve(axes.size());
  for (const H5Dataset* axis : axes) dims.push_back(axis->size());
  H5Dataset dataset = file.create_dataset<double>(name, dims, values);
  for (std::size_t i = 0; i < axes.size(); ++i) {
    dataset.attach_dimension_scale(*axes[i], static_cast<unsigned>(i));
  }
  dataset.write_string_attribute("long_name", long_name);
  dataset.close();
}

void write_strings(H5File& file, const std::string& name, const std::string& long_name,
                   const H5Dataset& axis, const std::vector<std::string>& values) {
  H5Dataset dataset = file.create_string_dataset(name, values);
  dataset.attach_dimension_scale(axis, 0);
  dataset.write_string_attribute("long_name", long_name);
  dataset.close();
}

void write_contents(H5File& file, const SensitivityResults& r) {
  file.write_string_attribute("file_type", kSensitivityFileType);
  file.write_string_attribute("schema_version", kSensitivitySchemaVersion);
  file.write_string_attribute("method", r.method);
  file.write_attribute<std::int64_t>("replicates", r.replicates);
  for (const auto& [key, value] : r.attributes) file.write_string_attribute(key, value);

  H5Dataset parameter = string_scale(file, "parameter", r.parameters, "dotted [model] key");
  H5Dataset output = string_scale(file, "output", r.outputs, "output name");
  H5Dataset point = index_scale(file, "point", r.points, "design point index");
  write_strings(file, "parameter_source", "how the range was given", parameter,
                r.parameter_sources);
  write_strings(file, "parameter_distribution", "marginal distribution sampled", parameter,
                r.parameter_distributions);
  write_strings(file, "output_label", "variable, member and years of the output", output,
                r.output_labels);
  for (const IndexArray& index : r.indices) {
    write_array(file, index.name, index.long_name, {&parameter, &output}, index.values);
  }
  write_array(file, "noise_share",
              "mean within-point replicate variance / total variance of per-replicate outputs",
              {&output}, r.noise_share);
  write_array(file, "noise_share_of_means",
              "(within-point variance / replicates) / variance of the per-point means", {&output},
              r.noise_share_of_means);
  write_array(file, "output_mean", "mean of per-replicate outputs over the design", {&output},
              r.output_mean);
  write_array(file, "output_variance", "variance of per-replicate outputs over the design",
              {&output}, r.output_variance);
  write_array(file, "design_unit", "design point in the unit cube (probability of each marginal)",
              {&point, &parameter}, r.design_unit);
  write_array(file, "design_value", "parameter value at the design point", {&point, &parameter},
              r.design_values);
  write_array(file, "point_mean", "output mean over the point's replicates", {&point, &output},
              r.point_mean);
  write_array(file, "point_sd", "output standard deviation over the point's replicates",
              {&point, &output}, r.point_sd);
  if (!r.second_order.empty()) {
    H5Dataset parameter_2 = string_scale(file, "parameter_2", r.parameters, "dotted [model] key");
    for (const IndexArray& index : r.second_order) {
      write_array(file, index.name, index.long_name, {&parameter, &parameter_2, &output},
                  index.values);
    }
    parameter_2.close();
  }
  parameter.close();
  output.close();
  point.close();
}

}  // namespace

void write_sensitivity(const SensitivityResults& results, const fs::path& out, bool force,
                       const std::atomic<bool>* stop) {
  check_output_path(out, force, kSensitivityFileType);
  write_via_partial(
      out, force, kSensitivityFileType,
      [&](const fs::path& partial) {
        H5File file = H5File::create(partial);
        write_contents(file, results);
        file.close();
      },
      stop);
}

}  // namespace sim::io
