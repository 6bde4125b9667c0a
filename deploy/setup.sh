#!/usr/bin/env bash
# Set up segsweep on Debian 12: install every Debian package it needs (only those missing;
# non-interactive), then configure and build in build/. Safe to run again.
#
#   deploy/setup.sh                 install what is missing, build
#   deploy/setup.sh --no-install    build only
#   deploy/setup.sh --with-bench    also install the benchmark peers (python3-torch, python3-optuna)
#   SEGSWEEP_WERROR=ON deploy/setup.sh   warnings are errors (CI)
set -euo pipefail
cd "$(dirname "$0")/.."

install=1
bench=0
for arg in "$@"; do
  case "$arg" in
    --no-install) install=0 ;;
    --with-bench) bench=1 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

# Build and runtime: compiler, LibTorch (CPU), MPI, ZeroMQ, JSON, CLI, YAML, SQLite, images, tests.
# libopenblas0-pthread: without it Debian's LibTorch falls back to the reference BLAS (~60x slower matmul).
# libdnnl-dev: oneDNN's headers for the FCN's fast CPU path (worker/model/fast/; LibTorch already
# ships the library); without it the build keeps only the reference path.
packages=(
  g++ cmake make pkg-config git
  libtorch-dev libopenblas0-pthread libdnnl-dev
  libopenmpi-dev openmpi-bin
  libzmq3-dev cppzmq-dev
  nlohmann-json3-dev libcli11-dev libyaml-cpp-dev
  libsqlite3-dev
  libjpeg62-turbo-dev libpng-dev
  libgtest-dev libgmock-dev
  # the data tests check the PIL-exact resize and JPEG decode against Pillow itself
  python3-pil
  # a real SLURM cluster for the SLURM tests (deploy/slurm/local-cluster.sh)
  slurmctld slurmd slurm-client munge libpmix-dev
)
if [ "$bench" = 1 ]; then
  packages+=(python3-torch python3-numpy python3-optuna)
fi

if [ "$install" = 1 ]; then
  missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -q
    $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
  else
    echo "setup: all Debian packages present"
  fi
fi

jobs=$(nproc)
log=$(mktemp)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DSEGSWEEP_WERROR="${SEGSWEEP_WERROR:-OFF}" > "$log" 2>&1 \
  || { cat "$log"; rm -f "$log"; exit 1; }
grep -E "^-- segsweep:" "$log" || true
rm -f "$log"
cmake --build build -j"$jobs"
echo "setup: built build/cli/segsweep"
