#pragma once

// Some store- or arithmetic-bound loops have a second build for AVX2, chosen at run time
// (x86-64, GCC or Clang: Clang defines __GNUC__ too). Each gives the same bits as the portable
// build: no fused multiply-add, the same operations lane by lane.
#if defined(__x86_64__) && defined(__GNUC__)
#define NATOSIM_WIDE_VECTORS 1
#else
#define NATOSIM_WIDE_VECTORS 0
#endif

#include <cstddef>

namespace sim {

/// kLanes doubles side by side (a GCC/Clang vector): two fill an SSE2 register, four an AVX2
/// one. Kernels written on them lane by lane do the scalar arithmetic in each lane, so their
/// portable and AVX2 builds give the same bits.
template <std::size_t kLanes>
struct DoubleLanes;
template <>
struct DoubleLanes<2> {
  using type = double __attribute__((vector_size(16)));
};
template <>
struct DoubleLanes<4> {
  using type = double __attribute__((vector_size(32)));
};

/// Whether this processor runs AVX2 code (false when the operating system does not save the AVX
/// registers, and on builds without the wide code).
inline bool processor_has_avx2() {
#if NATOSIM_WIDE_VECTORS
  // The detection may be asked for before the constructors have run (a static's initialiser).
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") != 0;
#else
  return false;
#endif
}

}  // namespace sim
