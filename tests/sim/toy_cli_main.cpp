#include "sim/cli.h"
#include "tests/toy/toy_models.h"

int main(int argc, char** argv) {
  sim::ModelRegistry registry;
  toy::register_toy_models(registry);
  return sim::run_cli(argc, argv, registry);
}
