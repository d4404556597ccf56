#!/usr/bin/env bash
# Fuzzes the input readers with libFuzzer: builds the fuzz preset (clang, ASan + UBSan) and runs
# each target of tests/fuzz/ for an equal share of TOTAL_SECONDS (default 60):
#   scripts/fuzz.sh [TOTAL_SECONDS]
# The seed corpus is drawn from configs/ into build/fuzz/corpus/ (the working corpus grows there
# between runs). Prints each target's executions. Exits 1 when a target crashes, hangs or runs
# out of memory; the input is copied to tests/fuzz/regressions/<target>/, where the ctest tests
# fuzz_replay_<target> replay it in every build: commit it with the fix.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
total=${1:-60}
targets=(config data_csv sweep_points)
per_target=$(( total / ${#targets[@]} ))
[ "$per_target" -ge 1 ] || per_target=1

if [ ! -f build/fuzz/CMakeCache.txt ]; then
  cmake --preset fuzz >/dev/null
fi
cmake --build --preset fuzz -j "$(nproc 2>/dev/null || echo 2)" >/dev/null

# Seeds: the shipped studies, the data files behind each CSV reader (the first byte of a data_csv
# input picks the reader, see tests/fuzz/fuzz_entries.h) and a small points design.
build=build/fuzz
seeds=$build/seeds
rm -rf "$seeds"
mkdir -p "$seeds"/{config,data_csv,sweep_points}
cp configs/*.toml "$seeds/config/"
seed_csv() {  # seed_csv READER FILE
  { printf "\\x$(printf %02x "$1")"; cat "$2"; } >"$seeds/data_csv/$1_$(basename "$2")"
}
seed_csv 0 configs/data/geography.csv
seed_csv 1 configs/data/defence_share.csv
seed_csv 2 configs/data/gdp_usd.csv
seed_csv 3 configs/data/geography.csv
seed_csv 4 configs/data/contiguity.csv
seed_csv 5 configs/data/us_troops_europe.csv
printf '# threshold x enforcement\npolicy.threshold,policy.enforcement_probability\n2.0,0.5\n3.5,1.0\n' \
  >"$seeds/sweep_points/grid.csv"
printf 'economy.trend_shrinkage\n0.25\n' >"$seeds/sweep_points/one_key.csv"

status=0
for target in "${targets[@]}"; do
  corpus=$build/corpus/$target
  artifacts=$build/artifacts/$target
  log=$build/fuzz_$target.log
  mkdir -p "$corpus" "$artifacts"
  rc=0
  dict=()
  [ -f "tests/fuzz/$target.dict" ] && dict=(-dict="tests/fuzz/$target.dict")
  # -timeout: an input slower than 10 s is a hang; -rss_limit_mb: more than 2 GiB is a finding.
  "$build/tests/fuzz/fuzz_$target" -max_total_time="$per_target" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts/" \
    "${dict[@]}" "$corpus" "$seeds/$target" >"$log" 2>&1 || rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  if [ "$rc" -eq 0 ]; then
    echo "fuzz: $target: $execs executions in ${per_target} s, no crash"
    continue
  fi
  status=1
  mkdir -p "tests/fuzz/regressions/$target"
  kept=()
  for input in "$artifacts"/*; do
    [ -f "$input" ] || continue
    cp "$input" "tests/fuzz/regressions/$target/"
    kept+=("tests/fuzz/regressions/$target/$(basename "$input")")
    rm -f "$input"
  done
  echo "fuzz: $target: FAILED (exit $rc) after $execs executions; report in $log" >&2
  grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|terminate called|  what\(\))' "$log" | head -5 >&2 || true
  echo "fuzz: kept ${kept[*]:-no input} (replayed by ctest fuzz_replay_$target)" >&2
done
exit "$status"
