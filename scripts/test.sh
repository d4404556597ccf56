#!/usr/bin/env bash
# The second command: installs what is missing, builds with warnings as errors, runs every test
# (Catch2 through ctest, and the Python tests that ctest runs under /usr/bin/python3).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

"$root/scripts/install_deps.sh"
"$root/scripts/build.sh" ci
# The shipped studies draw from the default calibration's posterior (tests/python run them).
"$root/scripts/calibrate.sh" "$root/build/ci/natosim"
jobs=$(nproc 2>/dev/null || echo 2)
ctest --preset ci -j "$jobs"
