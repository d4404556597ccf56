#!/usr/bin/env bash
# Benchmark: run-years per second on 1 and 2 threads, parallel efficiency, engine overhead, CPU
# time per member-year against the floor kernel (model alone, end to end, 1 vs 16 scenarios), and
# peak memory for 1,000 vs 100,000 replicates (summaries only) (natosim_bench); then the memory
# estimate natosim prints before a run against the measured peak on the shipped studies; then,
# with --trajectories, the peak at 1,000 vs 100,000 replicates (or the most that fit in about 10
# minutes, with the slope) and the trajectory write throughput against dd on the same disk: the
# trajectories' bytes (uncompressed values) over the extra wall time a run with --trajectories
# takes (extracting, compressing, writing and syncing them). Numbers, not a test.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
"$root/scripts/install_deps.sh"
"$root/scripts/build.sh" release natosim_bench natosim >/dev/null
# The default study draws from the default calibration's posterior.
"$root/scripts/calibrate.sh" "$root/build/release/natosim" >&2
# Measured as scripts/run.sh runs a study: glibc's heap in transparent huge pages (see run.sh).
# Without it a study of many scenarios pays thousands of 4 KiB first touches: 16 copies of the
# baseline's first scenario then cost up to a fifth more per member-year than one, in a fresh
# process, where with it they cost no more (docs/MODEL.md, Speed). natosim_bench says which.
export GLIBC_TUNABLES="${GLIBC_TUNABLES:+$GLIBC_TUNABLES:}glibc.malloc.hugetlb=1"
"$root/build/release/natosim_bench" "$@"
# The memory section below belongs to the full benchmark, not to its single-purpose modes.
for arg in "$@"; do
  case "$arg" in
    --no-memory | --model-alone | --copies | --end-to-end | --scaling | --efficiency | \
    --first-touch | -h | --help) exit 0 ;;
  esac
done

echo
echo "memory estimate printed before a run vs measured peak (max RSS), 2 threads:"
printf '  %-48s %12s %12s %8s\n' "study" "estimate" "measured" "ratio"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
measure() {
  local label=$1 out estimate peak
  shift
  out=$(/usr/bin/time -f "PEAK %M" "$root/build/release/natosim" "$@" --threads 2 \
        -o "$scratch/out.h5" --force 2>&1 >/dev/null)
  estimate=$(echo "$out" | sed -n 's/.*peak memory about \([0-9.]*\) MiB.*/\1/p')
  peak=$(echo "$out" | sed -n 's/^PEAK \([0-9]*\)$/\1/p')
  awk -v l="$label" -v e="$estimate" -v p="$peak" 'BEGIN {
    m = p / 1024; r = e / m;
    printf "  %-48s %8.1f MiB %8.1f MiB %7.2f%s\n", l, e, m, r, (r < 0.8 || r > 1.2) ? "  (outside 20%)" : "" }'
}
measure "run configs/baseline.toml" run configs/baseline.toml
measure "run configs/policies.toml" run configs/policies.toml
measure "run configs/backtest_2014.toml" run configs/backtest_2014.toml
measure "sweep configs/threshold_sweep.toml" sweep configs/threshold_sweep.toml
measure "run configs/baseline.toml (100,000 replicates)" run configs/baseline.toml \
  --replicates 100000
measure "run configs/baseline.toml --trajectories (1,000)" run configs/baseline.toml \
  --trajectories --replicates 1000

# Streaming (issue 13): with --trajectories memory must not grow with replicates (target: the
# peak at 100,000 within 2x of that at 1,000), and writing the trajectories must run at >= 50% of
# the disk's sequential write speed (dd with fdatasync, in the same folder).
natosim="$root/build/release/natosim"
run_measured() {  # prints "peak_kib cpu_seconds wall_seconds" of one natosim run
  /usr/bin/time -f "MEASURED %M %U %S %e" "$natosim" "$@" --threads 2 -o "$scratch/t.h5" --force \
    2>&1 >/dev/null | awk '/^MEASURED/ { printf "%d %.2f %.2f\n", $2, $3 + $4, $5 }'
}
echo
echo "peak memory with --trajectories (run configs/baseline.toml, 2 threads):"
read -r small_peak small_cpu small_wall < <(run_measured run configs/baseline.toml --trajectories --replicates 1000)
printf '  %8s replicates: %8.1f MiB peak, %7.1f s CPU, %6.1f s wall\n' 1000 \
  "$(awk -v p="$small_peak" 'BEGIN { print p / 1024 }')" "$small_cpu" "$small_wall"
# The largest replicate count up to 100,000 that fits in 10 minutes at the 1,000-run's pace.
# NATOSIM_BENCH_MAX_REPLICATES lowers the cap for a quick look.
large=$(awk -v w="$small_wall" -v cap="${NATOSIM_BENCH_MAX_REPLICATES:-100000}" 'BEGIN {
  n = int(540 / (w / 1000) / 1000) * 1000; if (n > cap) n = cap; if (n < 2000) n = 2000; print n }')
read -r large_peak large_cpu large_wall < <(run_measured run configs/baseline.toml --trajectories --replicates "$large")
awk -v n="$large" -v p="$large_peak" -v c="$large_cpu" -v w="$large_wall" -v s="$small_peak" 'BEGIN {
  printf "  %8d replicates: %8.1f MiB peak, %7.1f s CPU, %6.1f s wall\n", n, p / 1024, c, w
  printf "  ratio %.2f (target <= 2), slope %.2f KiB per replicate\n", p / s, (p - s) / (n - 1000) }'

echo
echo "trajectory write throughput (run configs/baseline.toml, 2,000 replicates, 2 threads) vs dd:"
dd_line=$(dd if=/dev/zero of="$scratch/dd.bin" bs=1M count=1024 conv=fdatasync 2>&1 | tail -1)
rm -f "$scratch/dd.bin"
dd_mb_s=$(echo "$dd_line" | awk -F', ' '{ split($3, t, " "); printf "%.1f", 1073.741824 / t[1] }')
read -r _ plain_cpu plain_wall < <(run_measured run configs/baseline.toml --replicates 2000)
read -r _ traj_cpu traj_wall < <(run_measured run configs/baseline.toml --replicates 2000 --trajectories)
traj_mb=$(/usr/bin/python3 - "$scratch/t.h5" <<'PY'
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    names = [n.decode() if isinstance(n, bytes) else n for n in f.attrs["variables"]]
    print(sum(f[n].size * f[n].dtype.itemsize for n in names) / 1e6)
PY
)
file_mb=$(stat -c %s "$scratch/t.h5" | awk '{ print $1 / 1e6 }')
awk -v b="$traj_mb" -v f="$file_mb" -v dd="$dd_mb_s" -v pw="$plain_wall" -v tw="$traj_wall" \
    -v pc="$plain_cpu" -v tc="$traj_cpu" 'BEGIN {
  w = tw - pw; c = tc - pc; if (w < 0.01) w = 0.01; if (c < 0.01) c = 0.01
  printf "  dd (1 GiB, fdatasync):        %8.1f MB/s\n", dd
  printf "  trajectories: %.0f MB of values (%.0f MB file), %.2f s more wall, %.2f s more CPU\n", b, f, w, c
  printf "  write throughput:             %8.1f MB/s (%.0f%% of dd; target >= 50%%), %.1f MB per CPU-second\n", b / w, 100 * b / w / dd, b / c }'

# MPI (issue 13): the same study on 2 ranks x 1 thread against 1 process x 1 thread. Wall-time
# efficiency = T1 / (2 T2); CPU efficiency = CPU1 / CPU2 (user + system of every rank, mpirun's
# own start-up included). The machines are shared: read the CPU figure first.
echo
if command -v mpirun >/dev/null 2>&1; then
  launcher=(mpirun -n 2 --oversubscribe)
  [ "$(id -u)" -eq 0 ] && launcher+=(--allow-run-as-root)
  mpi_measured() {  # prints "cpu_seconds wall_seconds"
    /usr/bin/time -f "MEASURED %U %S %e" "$@" run configs/baseline.toml --replicates 4000 \
      --threads 1 --no-checkpoint -q -o "$scratch/mpi.h5" --force 2>&1 >/dev/null |
      awk '/^MEASURED/ { printf "%.2f %.2f\n", $2 + $3, $4 }'
  }
  read -r one_cpu one_wall < <(mpi_measured "$natosim")
  read -r two_cpu two_wall < <(mpi_measured "${launcher[@]}" "$natosim")
  echo "MPI, run configs/baseline.toml, 4,000 replicates, 1 thread per rank:"
  awk -v c1="$one_cpu" -v w1="$one_wall" -v c2="$two_cpu" -v w2="$two_wall" 'BEGIN {
    printf "  1 process:  %6.2f s CPU, %6.2f s wall\n", c1, w1
    printf "  2 ranks:    %6.2f s CPU, %6.2f s wall\n", c2, w2
    printf "  2-rank efficiency: %.0f%% by CPU time (CPU1 / CPU2), %.0f%% by wall time (T1 / 2 T2)\n", 100 * c1 / c2, 100 * w1 / (2 * w2) }'
else
  echo "MPI: mpirun not found (openmpi-bin); 2-rank efficiency not measured"
fi
