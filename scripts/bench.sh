#!/usr/bin/env bash
# Benchmark: run-years per second on 1 and 2 threads, parallel efficiency, engine overhead, and
# peak memory for 1,000 vs 100,000 replicates (summaries only). Numbers, not a test.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
"$root/scripts/install_deps.sh"
"$root/scripts/build.sh" release natosim_bench natosim >/dev/null
# The default study draws from the default calibration's posterior.
"$root/scripts/calibrate.sh" "$root/build/release/natosim" >&2
exec "$root/build/release/natosim_bench" "$@"
