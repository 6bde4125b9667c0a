#!/usr/bin/env bash
# demo.sh: the README's "On a SLURM cluster" steps, run on a real SLURM cluster on this machine
# (local-cluster.sh): synthesize a small dataset, launch deploy/slurm/demo_sweep.yaml with
# `segsweep slurm launch` (coordinator job + 2 array workers of 2 MPI ranks each), wait, print the
# leaderboard, stop. Brings the cluster up if it is down and takes it down again on exit, also
# when a step fails. Needs root (the cluster's daemons).
#
#   deploy/slurm/demo.sh                 work files under out/slurm_demo/
#   SLURM_DEMO_DIR=/tmp/d deploy/slurm/demo.sh
#   SEGSWEEP=/path/to/segsweep deploy/slurm/demo.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
segsweep=$(readlink -f "${SEGSWEEP:-build/cli/segsweep}")
out=${SLURM_DEMO_DIR:-out/slurm_demo}
readonly kWaitTimeoutS=900   # s the sweep may take before the demo gives up
readonly kStatusWaitS=60     # s to wait for the workers to start trials before showing the status

[ -x "$segsweep" ] || { echo "demo: $segsweep not built yet (run deploy/setup.sh)" >&2; exit 1; }
mkdir -p "$out"
out=$(readlink -f "$out")
export SEGSWEEP_HOME=$out/home
unset SEGSWEEP_COORDINATOR SEGSWEEP_KEYS SEGSWEEP_DB

started_cluster=0
run_dir=""
cleanup() {
  [ -z "$run_dir" ] || "$segsweep" slurm stop "$run_dir" || true
  [ "$started_cluster" = 0 ] || "$root/deploy/slurm/local-cluster.sh" down || true
}
trap cleanup EXIT

if ! "$root/deploy/slurm/local-cluster.sh" status > /dev/null 2>&1; then
  "$root/deploy/slurm/local-cluster.sh" up
  started_cluster=1
fi

cd "$out"
echo "== synthesize a small dataset =="
"$segsweep" data synth --out data/slurm_demo --seed 1 --train 64 --validation 32 --eval 64 --size 64 > /dev/null
cp "$root/deploy/slurm/demo_sweep.yaml" slurm_demo.yaml

echo "== 1. submit the sweep file: coordinator job + worker job array =="
echo "\$ segsweep slurm launch slurm_demo.yaml --workers 2 --time 00:30:00"
"$segsweep" slurm launch slurm_demo.yaml --workers 2 --time 00:30:00
run_dir=$(readlink -f "$SEGSWEEP_HOME/slurm/latest")

echo "== 2. run on SLURM: jobs, workers and trials, then wait for the sweep =="
# Show the status once the workers have trials (or after kStatusWaitS).
for ((i = 0; i < kStatusWaitS; i++)); do
  "$segsweep" slurm status | grep -q " trial [0-9]" && break
  sleep 1
done
echo "\$ segsweep slurm status"
"$segsweep" slurm status
echo "\$ eval \"\$(segsweep slurm env)\""
eval "$("$segsweep" slurm env)"
sweep=$(cat "$run_dir/sweep.id")
echo "\$ segsweep wait $sweep"
"$segsweep" wait "$sweep" --timeout "$kWaitTimeoutS"

echo "== 3. query the leaderboard =="
echo "\$ segsweep leaderboard $sweep"
"$segsweep" leaderboard "$sweep"

echo "\$ segsweep slurm stop"
"$segsweep" slurm stop
echo "demo: run folder $run_dir (logs/, coordinator.db)"
run_dir=""
