#!/usr/bin/env bash
# Runs clang-tidy (.clang-tidy: bugprone-*, performance-*, a few modernize checks) over the C++
# sources of sim/ and models/ with the ci preset's compile_commands.json:
#   scripts/tidy.sh [FOLDER...]     (default: sim models; e.g. scripts/tidy.sh sim/engine)
# Prints each warning once (a header's warning is reported by every file that includes it) and a
# count per folder; exits 1 when there is any warning or error.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
folders=("$@")
[ ${#folders[@]} -gt 0 ] || folders=(sim models)

if [ ! -f build/ci/compile_commands.json ]; then
  cmake --preset ci >/dev/null
fi
jobs=$(nproc 2>/dev/null || echo 2)
pattern="^$root/($(IFS='|'; echo "${folders[*]}"))/.*\\.cpp\$"
files=$(grep -o '"file": *"[^"]*"' build/ci/compile_commands.json | sed 's/.*"\([^"]*\)"$/\1/' |
        grep -E "$pattern" | sort -u || true)
if [ -z "$files" ]; then
  echo "tidy: no sources under ${folders[*]} in build/ci/compile_commands.json" >&2
  exit 2
fi
count=$(echo "$files" | wc -l)
echo "tidy: clang-tidy on $count files under ${folders[*]} ($jobs jobs)" >&2

log=$(mktemp)
trap 'rm -f "$log"' EXIT
if command -v run-clang-tidy >/dev/null 2>&1; then
  run-clang-tidy -p build/ci -quiet -j "$jobs" "$pattern" >"$log" 2>&1 || true
else
  echo "$files" | xargs -P "$jobs" -n 1 clang-tidy -p build/ci --quiet >"$log" 2>&1 || true
fi
# One line per finding (run-clang-tidy colours its output), relative paths, each finding once.
findings=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^/[^ ]+:[0-9]+:[0-9]+: (warning|error): ' | sed "s#^$root/##" |
           sort -u || true)
if [ -z "$findings" ]; then
  echo "tidy: no warnings"
  exit 0
fi
echo "$findings"
echo "tidy: $(echo "$findings" | wc -l) warnings; per folder:" >&2
echo "$findings" | cut -d: -f1 | xargs -n 1 dirname | sort | uniq -c >&2
exit 1
