#!/usr/bin/env bash
# One task of a Slurm job array that runs a study as N shards (natosim run --shard I/N), each
# writing a part that `natosim merge` turns into the results file one process would have written,
# bit for bit (README, "Scaling out"; docs/OUTPUT.md, "Shards and merge").
#
# Usage, from the repository root (Slurm starts each task in the folder sbatch was run from, so
# relative paths are taken from there):
#
#   sbatch --array=0-$((N-1)) scripts/slurm_shards.sh CONFIG N OUTDIR [natosim run options...]
#
# Task I runs
#   $NATOSIM_BIN run CONFIG --shard I/N -o OUTDIR/part_I.part -q \
#       --threads ${SLURM_CPUS_PER_TASK:-all cores} [natosim run options...]
# with I = $SLURM_ARRAY_TASK_ID. The options (--trajectories, --no-events, --compression,
# --seed, --replicates, --set, --scenario, --store-draws, --force) apply as for a whole run and
# are the same for every task; -o, --shard, --threads, --resume, --checkpoint and
# --no-checkpoint are the script's or not allowed with --shard. N may not exceed the study's
# blocks of 64 replicates.
#
# NATOSIM_BIN names the binary (default: build/release/natosim in this repository). Merge must
# use the very binary that ran the shards (its SHA-256 is checked), so do not rebuild it while
# the job runs; to keep building, copy it first and point NATOSIM_BIN at the copy
# (sbatch passes the environment on to the tasks).
#
# Merge when every task has succeeded, with a job that waits for the array:
#
#   jobid=$(sbatch --parsable --array=0-2 scripts/slurm_shards.sh configs/baseline.toml 3 parts)
#   sbatch --dependency=afterok:$jobid --wrap \
#       "build/release/natosim merge parts/part_*.part -o results/baseline.h5"
#
# `natosim merge` refuses, in one line and writing nothing, a missing or duplicated shard, a
# part from another run or binary, and a truncated or damaged part. A task that failed is run
# again alone, e.g. shard 1: sbatch --array=1 scripts/slurm_shards.sh CONFIG N OUTDIR [...].
# Without Slurm (a test, or a loop on one machine), set SLURM_ARRAY_TASK_ID yourself:
#   SLURM_ARRAY_TASK_ID=0 scripts/slurm_shards.sh configs/baseline.toml 3 parts
#
# The defaults below are examples: edit them, or override them on sbatch's command line.
#SBATCH --job-name=natosim-shards
#SBATCH --cpus-per-task=4
#SBATCH --mem=2G
#SBATCH --time=01:00:00
#SBATCH --output=natosim-shards_%A_%a.log
set -euo pipefail

usage="usage: sbatch --array=0-\$((N-1)) scripts/slurm_shards.sh CONFIG N OUTDIR"
usage+=" [natosim run options...]"
fail() {
  echo "slurm_shards.sh: $*" >&2
  exit 2
}

if [ "$#" -lt 3 ]; then
  fail "CONFIG, N and OUTDIR are required ($usage)"
fi
config=$1
shards=$2
outdir=$3
shift 3

if [ -z "${SLURM_ARRAY_TASK_ID:-}" ]; then
  fail "SLURM_ARRAY_TASK_ID is not set: submit as a job array ($usage), or set it to the shard" \
    "to run"
fi
task=$SLURM_ARRAY_TASK_ID
if ! [[ $task =~ ^[0-9]+$ ]]; then
  fail "SLURM_ARRAY_TASK_ID must be a shard number 0, 1, ..., got \"$task\""
fi
if ! [[ $shards =~ ^[1-9][0-9]*$ ]]; then
  fail "N must be the number of shards, a whole number >= 1, got \"$shards\" ($usage)"
fi
if [ ! -f "$config" ]; then
  fail "no study file $config ($usage)"
fi
if [ -z "$outdir" ]; then
  fail "OUTDIR must be a folder for the parts ($usage)"
fi
for option in "$@"; do
  case $option in
    -o | --output | --output=* | --shard | --shard=* | --threads | --threads=* | --resume | \
      --checkpoint | --checkpoint-every | --checkpoint-every=* | --no-checkpoint)
      fail "$option is not allowed here: the script sets -o, --shard and --threads, and a" \
        "shard keeps no checkpoint"
      ;;
  esac
done

if [ -n "${NATOSIM_BIN:-}" ]; then
  binary=$NATOSIM_BIN
else
  # sbatch runs a copy of this script from Slurm's spool folder, so look for the repository
  # beside the script first, then in the folder the job was submitted from.
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  if [ -f "$here/slurm_shards.sh" ] && [ -x "$here/../build/release/natosim" ]; then
    binary=$(cd "$here/.." && pwd)/build/release/natosim
  else
    binary=${SLURM_SUBMIT_DIR:-$PWD}/build/release/natosim
  fi
fi
if [ ! -x "$binary" ]; then
  fail "no natosim binary at $binary (build it with scripts/build.sh release, or set NATOSIM_BIN)"
fi

mkdir -p -- "$outdir"
threads=${SLURM_CPUS_PER_TASK:-$(nproc)}
exec "$binary" run "$config" --shard "$task/$shards" -o "$outdir/part_$task.part" -q \
  --threads "$threads" "$@"
