#!/usr/bin/env bash
# The first command for a new user: installs what is missing, builds natosim (Release), runs the
# default study configs/baseline.toml (or the study given as the first argument), writes the
# report with its figures and says where everything is.
# Skips the study when its results are newer than the binary, the config and the data.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

config=$(realpath "${1:-$root/configs/baseline.toml}")
if [ ! -f "$config" ]; then
  echo "run.sh: no such study file: ${1:-configs/baseline.toml}" >&2
  exit 2
fi
name=$(basename "$config" .toml)

"$root/scripts/install_deps.sh"

binary="$root/build/release/natosim"
# The build's progress on one line (a terminal) or one line per step; its full output only when
# it fails.
show_progress() {
  local last="" line
  while IFS= read -r line; do
    if [[ $line =~ ^\[\ *([0-9]+)%\] ]] && [ "${BASH_REMATCH[1]}" != "$last" ]; then
      last=${BASH_REMATCH[1]}
      if [ -t 1 ]; then printf '\r  build: %3s%%' "$last"; else echo "  build: $last%"; fi
    fi
  done
  if [ -t 1 ] && [ -n "$last" ]; then printf '\n'; fi
}
if [ -x "$binary" ]; then
  echo "building natosim (only what changed)"
else
  echo "building natosim (first time: a few minutes)"
fi
build_log=$(mktemp)
trap 'rm -f "$build_log"' EXIT
if ! "$root/scripts/build.sh" release natosim 2>&1 | tee "$build_log" | show_progress; then
  echo "run.sh: the build failed:" >&2
  cat "$build_log" >&2
  exit 1
fi

# configs/baseline.toml and the studies extending it draw from the default calibration's
# posterior: made once (about a minute), then reused while its inputs are unchanged.
"$root/scripts/calibrate.sh" "$binary"

results="$root/results/$name.h5"
report="$root/results/${name}_report"
mkdir -p "$root/results"

stale=1
if [ -f "$results" ]; then
  stale=0
  for input in "$binary" "$config" "$root"/configs/*.toml "$root"/configs/data/* \
      "$root/results/calibration_2014.h5"; do
    [ "$input" -nt "$results" ] && stale=1
  done
fi
if [ "$stale" -eq 1 ]; then
  # glibc's allocator (2.35 and later; older ones ignore it) asks for transparent huge pages for
  # the heap: a study first touches some hundreds of megabytes once, and on the virtual machines
  # we measure on each 4 KiB page's first touch costs 7-20 us of kernel time. It cut the CPU time
  # of the baseline and policies studies by 7-8% at the same peak memory (docs/MODEL.md, Speed).
  GLIBC_TUNABLES="${GLIBC_TUNABLES:+$GLIBC_TUNABLES:}glibc.malloc.hugetlb=1" \
    "$binary" run "$config" -o "$results" --force
else
  echo "results are up to date: $results (delete the file to run the study again)"
fi

report_stale=1
if [ -f "$report/index.html" ]; then
  report_stale=0
  for input in "$results" "$root"/scripts/*.py "$root"/scripts/natosim_plot/*.py; do
    [ "$input" -nt "$report/index.html" ] && report_stale=1
  done
fi
if [ "$report_stale" -eq 1 ]; then
  echo "writing the report (figures in two processes, one line each)"
  /usr/bin/python3 "$root/scripts/report.py" "$results" -o "$report"
else
  echo "report is up to date: $report/index.html"
fi
echo
echo "results file: $results"
echo "report:       $report/index.html"
echo "inspect it:   $binary info $results"
