#!/usr/bin/env bash
# Quickstart (first version): set up if needed, synthesize a small Follow-Me dataset in the
# original layout, validate it, write a trivial prediction of its evaluation sets (the ground truth
# shifted 6 px to the right, as 160x160 prediction PNGs) and print the exact Udacity score table.
# Later issues replace the trivial prediction with a trained model and a whole sweep.
#
#   deploy/quickstart.sh                 output under out/quickstart/
#   QUICKSTART_DIR=/tmp/qs deploy/quickstart.sh
#   SEGSWEEP=/path/to/segsweep deploy/quickstart.sh   use that binary instead of build/cli/segsweep
set -euo pipefail
cd "$(dirname "$0")/.."

segsweep=${SEGSWEEP:-build/cli/segsweep}
out=${QUICKSTART_DIR:-out/quickstart}

if [ ! -x "$segsweep" ]; then
  echo "quickstart: $segsweep not built yet: running deploy/setup.sh"
  deploy/setup.sh
fi

echo "== 1. synthesize a small dataset (same seed, same bytes) =="
"$segsweep" data synth --out "$out/data" --seed 1 --train 300 --validation 100 --eval 200

echo "== 2. validate it =="
"$segsweep" data check "$out/data"

echo "== 3. a trivial prediction: the evaluation masks shifted 6 px right, at 160x160 =="
rm -rf "$out/predictions"
"$segsweep" data trivial-predictions --truth "$out/data" --out "$out/predictions" --kind shifted --size 160 --shift 6

echo "== 4. the Udacity score of that prediction =="
"$segsweep" score --truth "$out/data" --pred "$out/predictions"
echo "quickstart: dataset in $out/data, predictions in $out/predictions"
