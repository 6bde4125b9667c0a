#!/usr/bin/env bash
# The FCN training-speed race: runs `segsweep bench train` (reference modules in NCHW and
# channels_last, the fast CPU path with its AVX-512 and its portable kernels, matmul peaks) and
# then the PyTorch peer
# (bench/peers/pytorch_train_peer.py, Debian's python3-torch eager, NCHW and channels_last) one
# after the other with the same image size, batch, steps and thread count, and prints each
# contender's images/s with the ratios against the targets of issue 3:
#   fast >= 2x PyTorch channels_last, >= 4x PyTorch NCHW, >= 40% of the matmul peak of the same run.
# Achieved GFLOP/s count multiply-adds as `segsweep model summary` does, 6 FLOP per multiply-add
# for a training step, for every contender.
#
# Usage: bench/run_train_race.sh [--image-size N] [--batch N] [--steps N] [--threads N]
#                                [--segsweep PATH] [--repeat N] [--contenders "fast fast-portable ..."]
# --contenders picks segsweep's contenders (default: all four; the reference modules are slow and
# the PyTorch peer already stands for them).
# Check `uptime` first: the machine is shared, and only ratios measured in one run mean anything.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
image_size=160
batch=64
steps=3
threads=2
repeat=1
contenders="reference-nchw reference-channels_last fast fast-portable"
segsweep="${SEGSWEEP:-$here/../build/cli/segsweep}"
while [ $# -gt 0 ]; do
  case "$1" in
    --image-size) image_size="$2"; shift 2 ;;
    --batch) batch="$2"; shift 2 ;;
    --steps) steps="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --segsweep) segsweep="$2"; shift 2 ;;
    --repeat) repeat="$2"; shift 2 ;;
    --contenders) contenders="$2"; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "run_train_race.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
done
if [ ! -x "$segsweep" ]; then
  echo "run_train_race.sh: no segsweep binary at $segsweep (build it, or pass --segsweep PATH)" >&2
  exit 1
fi
if ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  echo "run_train_race.sh: /usr/bin/python3 cannot import torch (deploy/setup.sh --with-bench installs python3-torch)" >&2
  exit 1
fi

for run in $(seq 1 "$repeat"); do
  echo "# run $run/$repeat, $(date -u +%Y-%m-%dT%H:%M:%SZ), load before:$(uptime | sed 's/.*load average://')"
  segsweep_json="$("$segsweep" bench train --image-size "$image_size" --batch "$batch" --steps "$steps" \
                    --threads "$threads" --contenders $contenders --json)"
  peer_json="$(/usr/bin/python3 "$here/peers/pytorch_train_peer.py" --image-size "$image_size" --batch "$batch" \
                 --steps "$steps" --threads "$threads" --layout both)"
  echo "# load after:$(uptime | sed 's/.*load average://')"
  /usr/bin/python3 - "$segsweep_json" "$peer_json" <<'EOF'
import json, sys

segsweep = json.loads(sys.argv[1])
peers = [json.loads(line) for line in sys.argv[2].splitlines() if line.strip()]
flops_per_image = segsweep["forward_macs_per_image"] * segsweep["train_flops_per_mac"]
def label(c):
    kernels = c.get("kernels", "-")
    return c["contender"] + " [" + c["path"] + ("" if kernels == "-" else ", " + kernels) + "]"

rows = [(label(c), c["train_images_per_s"], c["eval_images_per_s"], c.get("predict_images_per_s"))
        for c in segsweep["contenders"]]
rows += [(p["contender"], p["train_images_per_s"], p["eval_images_per_s"], None) for p in peers]
mm, sgemm = segsweep["mm_peak_gflops"], segsweep["sgemm_peak_gflops"]
print(f"# {segsweep['image_size']}x{segsweep['image_size']}, batch {segsweep['batch']}, {segsweep['steps']} steps, "
      f"{segsweep['threads']} threads; {flops_per_image / 1e9:.2f} GFLOP per image per training step")
print(f"# matmul peak (2048^2, same run): at::mm {mm:.1f} GFLOP/s, oneDNN sgemm {sgemm:.1f} GFLOP/s")
print(f"{'contender':42} {'train img/s':>11} {'GFLOP/s':>8} {'%mm':>6} {'%sgemm':>7} {'eval img/s':>10} "
      f"{'predict img/s':>13}")
for name, train, evaluation, predict in rows:
    gflops = train * flops_per_image / 1e9
    predict_text = f"{predict:13.1f}" if predict is not None else f"{'-':>13}"
    print(f"{name:42} {train:11.2f} {gflops:8.1f} {100 * gflops / mm:5.1f}% "
          f"{100 * gflops / sgemm if sgemm else 0:6.1f}% {evaluation:10.1f} {predict_text}")

fast = next((c for c in segsweep["contenders"] if c["contender"] == "fast"), None)
peer = {p["contender"]: p for p in peers}
if fast and "pytorch-eager-channels_last" in peer and "pytorch-eager-nchw" in peer:
    fast_gflops = fast["train_images_per_s"] * flops_per_image / 1e9
    checks = [
        ("fast / PyTorch channels_last (train)", fast["train_images_per_s"] / peer["pytorch-eager-channels_last"]["train_images_per_s"], 2.0),
        ("fast / PyTorch NCHW (train)", fast["train_images_per_s"] / peer["pytorch-eager-nchw"]["train_images_per_s"], 4.0),
        ("fast share of at::mm peak", fast_gflops / mm, 0.40),
    ]
    for label, value, target in checks:
        print(f"{label:42} {value:8.2f}   target {target:.2f}   {'met' if value >= target else 'NOT met'}")
    if sgemm:
        print(f"{'fast share of oneDNN sgemm peak':42} {fast_gflops / sgemm:8.2f}   (for reference)")
    print(f"{'fast / PyTorch channels_last (eval)':42} "
          f"{fast['eval_images_per_s'] / peer['pytorch-eager-channels_last']['eval_images_per_s']:8.2f}")
    portable = next((c for c in segsweep["contenders"] if c["contender"] == "fast-portable"), None)
    if portable:
        print(f"{'fast-portable / PyTorch channels_last':42} "
              f"{portable['train_images_per_s'] / peer['pytorch-eager-channels_last']['train_images_per_s']:8.2f}"
              f"   (the kernels a CPU without AVX-512 runs)")
EOF
done
