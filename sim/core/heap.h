#pragma once

namespace sim {

/// Has the C library's allocator serve every thread from one heap (glibc: one arena), unless
/// the user chose otherwise (GLIBC_TUNABLES naming glibc.malloc.arena_max); does nothing with
/// other C libraries. Call it at the start of a program, before any thread allocates.
///
/// Why: glibc gives each new thread a heap of its own, which grows 4 KiB page by page even
/// with glibc.malloc.hugetlb=1 (only the main heap takes transparent huge pages), and on the
/// virtual machines we measure on each page's first touch costs 7-20 us of kernel time. On two
/// threads the second thread's folds and reference runs took 1,600-2,400 page faults a
/// baseline study more than one thread did (2,000 replicates: 4,750-5,630 against 2,770-3,170;
/// with one heap 3,380-3,400; 6 December 2026). The engine's threads call the allocator past
/// their own caches about 14,000 times a CPU second, so one heap's lock is not contended.
void use_one_heap();

/// Heaps the allocator has made so far, or 0 when it does not say (not glibc).
int heap_count();

}  // namespace sim
