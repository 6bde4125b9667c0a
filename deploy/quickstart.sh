#!/usr/bin/env bash
# The README's main command: a whole sweep on this machine, end to end.
#   1. set up if needed (deploy/setup.sh builds build/cli/segsweep)
#   2. synthesize a small Follow-Me dataset in data/quickstart (the sweep file's "data"), once
#   3. make CURVE keys, start a coordinator on loopback and two local workers
#   4. submit sweeps/examples/quickstart.json, wait for it, print the leaderboard
#   5. stop everything it started: no process is left behind, also on Ctrl-C or an error
# A few minutes on 2 cores.
#
#   deploy/quickstart.sh                    run folder out/quickstart (store, trial folders, logs, keys)
#   QUICKSTART_DIR=/tmp/qs deploy/quickstart.sh
#   SEGSWEEP=/path/to/segsweep deploy/quickstart.sh   use that binary instead of build/cli/segsweep
set -euo pipefail
cd "$(dirname "$0")/.."

segsweep=${SEGSWEEP:-build/cli/segsweep}
out=${QUICKSTART_DIR:-out/quickstart}
sweep_file=sweeps/examples/quickstart.json
data=data/quickstart              # where quickstart.json's "data" points (relative to the repository)
wait_limit_s=900                  # give up on the sweep after this long

if [ ! -x "$segsweep" ]; then
  echo "quickstart: $segsweep not built yet: running deploy/setup.sh"
  deploy/setup.sh
fi

# Everything of this run lives under $out; nothing of ~/.segsweep is read or written.
mkdir -p "$out"
out=$(cd "$out" && pwd)
export SEGSWEEP_HOME="$out/home"
export SEGSWEEP_CACHE_DIR="$out/cache"
unset SEGSWEEP_COORDINATOR SEGSWEEP_KEYS SEGSWEEP_DB
rm -rf "$out/store.db" "$out/store.db-wal" "$out/store.db-shm" "$out/runs" "$out/logs" "$SEGSWEEP_HOME/coordinator.endpoint"
mkdir -p "$out/logs"

pids=()
cleanup() {
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== 1. a small synthetic dataset in $data =="
if [ -f "$data/.quickstart-complete" ]; then
  echo "already there"
else
  rm -rf "$data"
  "$segsweep" data synth --out "$data" --seed 1 --train 200 --validation 60 --eval 90 --size 128
  touch "$data/.quickstart-complete"
fi

echo "== 2. CURVE keys in $SEGSWEEP_HOME/keys =="
if [ -f "$SEGSWEEP_HOME/keys/coordinator.secret" ]; then
  echo "already there"
else
  "$segsweep" keygen --out "$SEGSWEEP_HOME/keys"
fi

echo "== 3. a coordinator on loopback and two workers =="
"$segsweep" coordinator --listen 'tcp://127.0.0.1:*' --db "$out/store.db" --runs "$out/runs" \
  > "$out/logs/coordinator.log" 2>&1 &
pids+=($!)
for _ in $(seq 300); do
  [ -s "$SEGSWEEP_HOME/coordinator.endpoint" ] && break
  kill -0 "${pids[0]}" 2>/dev/null || { cat "$out/logs/coordinator.log"; echo "quickstart: the coordinator did not start" >&2; exit 1; }
  sleep 0.1
done
echo "coordinator at $(cat "$SEGSWEEP_HOME/coordinator.endpoint") (log $out/logs/coordinator.log)"
for n in 1 2; do
  "$segsweep" worker --exit-when-idle --threads 1 > "$out/logs/worker-$n.log" 2>&1 &
  pids+=($!)
done
echo "two workers started (logs $out/logs/worker-1.log, worker-2.log)"

echo "== 4. submit $sweep_file and wait =="
sweep=$("$segsweep" submit "$sweep_file")
"$segsweep" wait "$sweep" --timeout "$wait_limit_s"
"$segsweep" status "$sweep"

echo "== 5. the leaderboard (answered by the coordinator) =="
"$segsweep" leaderboard "$sweep"

echo "quickstart: store $out/store.db, trial folders $out/runs, logs $out/logs"
