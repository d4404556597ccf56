#!/usr/bin/env bash
# Benchmark: run-years per second on 1 and 2 threads, parallel efficiency, engine overhead, CPU
# time per member-year against the floor kernel (model alone, end to end, 1 vs 16 scenarios), and
# peak memory for 1,000 vs 100,000 replicates (summaries only) (natosim_bench); then the memory
# estimate natosim prints before a run against the measured peak on the shipped studies.
# Numbers, not a test.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
"$root/scripts/install_deps.sh"
"$root/scripts/build.sh" release natosim_bench natosim >/dev/null
# The default study draws from the default calibration's posterior.
"$root/scripts/calibrate.sh" "$root/build/release/natosim" >&2
"$root/build/release/natosim_bench" "$@"
for arg in "$@"; do [ "$arg" = "--no-memory" ] && exit 0; done

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
    printf "  %-48s %8.1f MiB %8.1f MiB %7.2f%s\n", l, e, m, r, (r < 0.75 || r > 1.25) ? "  (outside 25%)" : "" }'
}
measure "run configs/baseline.toml" run configs/baseline.toml
measure "run configs/policies.toml" run configs/policies.toml
measure "run configs/backtest_2014.toml" run configs/backtest_2014.toml
measure "sweep configs/threshold_sweep.toml" sweep configs/threshold_sweep.toml
measure "run configs/baseline.toml --trajectories (300)" run configs/baseline.toml \
  --trajectories --replicates 300
