#!/usr/bin/env bash
# The first command for a new user: installs what is missing, builds natosim (Release), runs the
# default study configs/baseline.toml and says where the results are.
# Skips the study when its results are newer than the binary, the config and the data.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

"$root/scripts/install_deps.sh"
"$root/scripts/build.sh" release natosim >/dev/null

binary="$root/build/release/natosim"
config="$root/configs/baseline.toml"
results="$root/results/baseline.h5"
mkdir -p "$root/results"

stale=1
if [ -f "$results" ]; then
  stale=0
  for input in "$binary" "$config" "$root"/configs/data/*; do
    [ "$input" -nt "$results" ] && stale=1
  done
fi
if [ "$stale" -eq 1 ]; then
  "$binary" run "$config" -o "$results" --force
else
  echo "results are up to date: $results (delete the file to run the study again)"
fi

if [ -x "$root/scripts/report.py" ]; then
  /usr/bin/python3 "$root/scripts/report.py" "$results" -o "$root/results/report"
fi
echo
echo "results file: $results"
echo "inspect it:   $binary info $results"
