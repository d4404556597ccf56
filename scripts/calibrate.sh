#!/usr/bin/env bash
# Makes the default calibration, results/calibration_2014.h5 (configs/calibration_2014.toml),
# whose posterior configs/baseline.toml and the studies extending it draw their behavioural
# parameters from. Reuses the file while its inputs are unchanged: the calibration config, the
# study it extends, the data and the model's source. Their fingerprint is kept beside the file
# (results/calibration_2014.h5.inputs); delete either to calibrate again.
# Usage: scripts/calibrate.sh [BINARY]   (default: build/release/natosim, which must be built)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

binary=${1:-$root/build/release/natosim}
if [ ! -x "$binary" ]; then
  echo "calibrate.sh: no natosim binary at $binary (build it with scripts/build.sh release)" >&2
  exit 2
fi
config="$root/configs/calibration_2014.toml"
output="$root/results/calibration_2014.h5"
stamp="$output.inputs"

# The source, not the binary: a ci and a release build of the same source are the same model.
fingerprint() {
  {
    sha256sum configs/calibration_2014.toml configs/baseline.toml configs/data/*
    find sim models -type f \( -name '*.cpp' -o -name '*.h' \) | LC_ALL=C sort | xargs sha256sum
  } | sha256sum | cut -d' ' -f1
}
wanted=$(fingerprint)
if [ -f "$output" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
  echo "default calibration is up to date: $output"
  exit 0
fi

mkdir -p "$root/results"
echo "calibrating the model to 2014-2025 (configs/calibration_2014.toml; about a minute on 2" \
  "cores, once): $output"
rm -f "$stamp"
"$binary" calibrate "$config" -o "$output" --force --quiet
echo "$wanted" >"$stamp"
