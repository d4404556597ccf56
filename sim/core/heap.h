#pragma once

#include <cstddef>
#include <vector>

namespace sim {

/// Bytes by which the C library's heaps grow at least, and keep at their top when trimmed; the
/// size of block from which it maps each block apart. The same as kHugeBufferBytes.
inline constexpr std::size_t kHeapGrowthBytes = std::size_t{4} << 20;

/// Has every heap of the C library's allocator grow kHeapGrowthBytes at a time (glibc's top
/// pad), and blocks smaller than that come from the heaps (its mmap threshold), unless the user
/// chose either (GLIBC_TUNABLES naming glibc.malloc.top_pad or glibc.malloc.mmap_threshold);
/// does nothing with other C libraries or a sanitizer's allocator. Call it at the start of a
/// program, before threads allocate.
///
/// Why: glibc gives each new thread a heap of its own, which by default grows about 128 KiB at a
/// time, so that its pages are 4 KiB even with glibc.malloc.hugetlb=1 (a transparent huge page
/// needs a whole aligned 2 MiB of the heap's mapping at its first touch). On the virtual
/// machines we measure on each such page's first touch costs 7-20 us of kernel time. Since the
/// folds run in parts on every thread, the worker's sparse sketch bins and the reference's
/// random words came from its own heap. `natosim run` of the baseline (2,000 replicates, three
/// fresh runs each, 6 December 2026): 2,760-3,570 page faults on 2 threads against 4,170-5,260
/// without this, 2,210-2,590 against 2,700-3,040 on one; policies on 2 threads 5,120-6,210
/// against 6,170-7,600; peak memory and a calibration's time unchanged. One heap for all
/// threads (M_ARENA_MAX 1) took the worker's faults away too, but a calibration's model
/// building on two threads then waited on the heap's lock: 9.3 s of system time against 0.25.
void grow_heaps_in_huge_pages();

/// The size of each of the allocator's heaps (glibc's arenas: the main one first, then the
/// newest first), in bytes taken from the system; empty when it does not say (not glibc's
/// allocator).
std::vector<std::size_t> heap_sizes();

}  // namespace sim
