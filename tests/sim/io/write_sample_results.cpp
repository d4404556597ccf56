// Writes the sample results file that tests/python/test_xarray.py opens with xarray and h5py.
// Usage: write_sample_results OUT.h5 [--no-events] [--no-trajectories] [--bare] [--sweep]
// [--describe-json]
// --no-events keeps the event columns but records no event; --bare writes no events, no
// trajectories, no reference and no quantiles; --sweep names the scenario axis design_point and
// adds two swept parameters; --describe-json prints
// describe_results(OUT.h5, json = true) after writing.
#include <exception>
#include <iostream>
#include <string>

#include "sim/io/results_info.h"
#include "sim/io/results_writer.h"
#include "tests/sim/io/sample_results.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: write_sample_results OUT.h5 [--no-events] [--no-trajectories] "
                 "[--bare] [--sweep] [--describe-json]\n";
    return 2;
  }
  sim::io::testing::SampleOptions options;
  bool describe = false;
  for (int i = 2; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--no-events") {
      options.zero_events = true;
    } else if (flag == "--describe-json") {
      describe = true;
    } else if (flag == "--sweep") {
      options.sweep = true;
    } else if (flag == "--bare") {
      options.events = false;
      options.trajectories = false;
      options.reference = false;
      options.quantiles = false;
    } else if (flag == "--no-trajectories") {
      options.trajectories = false;
    } else {
      std::cerr << "write_sample_results: unknown option " << flag << "\n";
      return 2;
    }
  }
  try {
    sim::io::write_results(sim::io::testing::make_sample_results(options), argv[1], true);
    if (describe) std::cout << sim::io::describe_results(argv[1], true);
  } catch (const std::exception& error) {
    std::cerr << "write_sample_results: " << error.what() << "\n";
    return 3;
  }
  return 0;
}
