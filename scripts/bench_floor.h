#pragma once

namespace bench {

struct FloorTiming {
  /// CPU nanoseconds per member-year (process CPU time, one thread).
  double cpu_ns_per_member_year = 0.0;
  /// The kernel's result, returned so that the compiler cannot drop the work.
  double sink = 0.0;
};

/// Runs the floor kernel for `replicates` 32-member, 20-year replicates.
FloorTiming floor_kernel(int replicates);

}  // namespace bench
