#include "sim/cli.h"
#include "sim/engine/model.h"

int main(int argc, char** argv) {
  sim::ModelRegistry registry;
  sim::register_builtin_models(registry);
  return sim::run_cli(argc, argv, registry);
}
