#include "sim/design/saltelli.h"

#include <stdexcept>

#include <fmt/format.h>

#include "sim/core/rng.h"
#include "sim/design/sobol_sequence.h"

namespace sim::design {

SaltelliDesign saltelli_design(std::size_t parameters, std::size_t base_rows, bool second_order,
                               std::uint64_t seed) {
  if (parameters == 0 || 2 * parameters > kSobolMaxDimensions) {
    throw std::invalid_argument(fmt::format("Saltelli design: {} parameters (expected 1 to {})",
                                            parameters, kSobolMaxDimensions / 2));
  }
  if (base_rows < 2 || !is_power_of_two(base_rows)) {
    throw std::invalid_argument(
        fmt::format("Saltelli design: N = {} (expected a power of two >= 2)", base_rows));
  }
  const std::size_t d = parameters;
  const auto sobol = sobol_points(base_rows, 2 * d);
  std::vector<std::uint32_t> shift(2 * d);
  for (std::size_t j = 0; j < 2 * d; ++j) {
    RngStream rng(seed, j, purpose("design.saltelli.shift"));
    shift[j] = rng.next_u32();
  }
  SaltelliDesign design;
  design.base_rows = base_rows;
  design.parameters = d;
  design.second_order = second_order;
  design.unit.resize(static_cast<Eigen::Index>(base_rows * design.stride()),
                     static_cast<Eigen::Index>(d));
  auto unit = [&](std::size_t n, std::size_t j) {
    return (static_cast<double>(sobol[n][j] ^ shift[j]) + 0.5) * 0x1.0p-32;
  };
  auto set_row = [&](std::size_t row, std::size_t n, auto from_b) {
    for (std::size_t i = 0; i < d; ++i) {
      design.unit(static_cast<Eigen::Index>(row), static_cast<Eigen::Index>(i)) =
          unit(n, from_b(i) ? d + i : i);
    }
  };
  for (std::size_t n = 0; n < base_rows; ++n) {
    set_row(design.row_a(n), n, [](std::size_t) { return false; });
    set_row(design.row_b(n), n, [](std::size_t) { return true; });
    for (std::size_t k = 0; k < d; ++k) {
      set_row(design.row_ab(n, k), n, [k](std::size_t i) { return i == k; });
      if (second_order) set_row(design.row_ba(n, k), n, [k](std::size_t i) { return i != k; });
    }
  }
  return design;
}

}  // namespace sim::design
