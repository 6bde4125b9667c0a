#!/usr/bin/env bash
# deploy/gpu-check.sh: build segsweep on a GPU machine against that machine's PyTorch LibTorch
# (CUDA) and NCCL, then self-test the NCCL path in one go:
#   1. the comm tests with SEGSWEEP_TEST_COMM=nccl on one rank (CUDA tensors; one rank needs no
#      MPI launcher: the ncclUniqueId stays in the process),
#   2. `segsweep bench allreduce --comm nccl` (one rank: NCCL call latency and device-copy bandwidth),
#   3. the CPU comm tests under mpirun -n 2 when the machine can run mpirun (checks MPI there),
#   4. a 1-GPU training smoke test when the trainer is built (`segsweep train --device cuda` on
#      synthetic data: the default model at 160x160, batch 64).
# Written for the project's H200 machines (PyTorch 2.11 + CUDA 13 in python3, CMake, ninja, no
# network). Debian build dependencies the machine lacks travel as .deb files, unpacked into a
# private folder (never into /).
#
#   deploy/gpu-check.sh --fetch-debs      here (Debian 12, apt): download the build dependencies'
#                                         .debs into .gpu-debs/ (ignored by git via .git/info/exclude)
#   deploy/gpu-check.sh --out DIR         there: build in build-gpu/, test, write logs to DIR
#       (device tool: carry [".gpu-debs"], command "deploy/gpu-check.sh --out $OUT", timeout ~540 s)
#   deploy/gpu-check.sh --configure-only  stop after CMake (to try the dependency set-up anywhere)
#   deploy/gpu-check.sh --use-debs        unpack .gpu-debs/ even when the machine has the headers
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

debs_dir="$repo/.gpu-debs"
out_dir="$repo/gpu-check-out"
mode=check
use_debs=0
while [ $# -gt 0 ]; do
  case "$1" in
    --fetch-debs) mode=fetch ;;
    --configure-only) mode=configure ;;
    --use-debs) use_debs=1 ;;
    --out) out_dir="$2"; shift ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "gpu-check: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done

# The Debian 12 packages the build needs beyond a CUDA/PyTorch image, with the shared libraries
# they pull in that such an image usually lacks (Open MPI's transports, ZeroMQ's).
debian_packages=(
  libopenmpi-dev libopenmpi3 openmpi-bin openmpi-common libpmix2 libpmix-dev libhwloc15
  libevent-core-2.1-7 libevent-pthreads-2.1-7 libfabric1 libucx0 libibverbs1 librdmacm1
  libnl-3-200 libnl-route-3-200 libpsm2-2 libpsm-infinipath1 libmunge2 libnuma1
  libzmq3-dev libzmq5 libsodium23 libpgm-5.3-0 libnorm1 cppzmq-dev
  nlohmann-json3-dev libcli11-dev libyaml-cpp-dev libyaml-cpp0.7
  libsqlite3-dev libsqlite3-0 libjpeg62-turbo-dev libjpeg62-turbo libpng-dev libpng16-16 zlib1g-dev
  libgtest-dev libgmock-dev
)

if [ "$mode" = fetch ]; then
  mkdir -p "$debs_dir"
  grep -qxF '/.gpu-debs/' .git/info/exclude 2>/dev/null || echo '/.gpu-debs/' >> .git/info/exclude
  (cd "$debs_dir" && apt-get download "${debian_packages[@]}")
  du -sh "$debs_dir"
  echo "gpu-check: now run the device tool with carry [\".gpu-debs\"] and: deploy/gpu-check.sh --out \$OUT"
  exit 0
fi

mkdir -p "$out_dir"
exec > >(tee "$out_dir/gpu-check.log") 2>&1
step() { echo; echo "=== gpu-check: $* ($(date -u +%H:%M:%S))"; }

step "machine"
nvidia-smi -L || echo "nvidia-smi: not available"
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "gpu", torch.cuda.is_available())'
torch_prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
echo "LibTorch CMake prefix: $torch_prefix"

# NCCL: the copy PyTorch ships with (nvidia-nccl-cu13), so one NCCL is loaded; else CUDA's.
step "NCCL"
nccl_args=()
nccl_pip=$(python3 -c 'import nvidia.nccl as m; print(list(m.__path__)[0])' 2>/dev/null || true)
if [ -n "$nccl_pip" ] && [ -f "$nccl_pip/include/nccl.h" ]; then
  nccl_lib=$(ls "$nccl_pip"/lib/libnccl.so* | head -1)
  nccl_args=(-DNCCL_INCLUDE_DIR="$nccl_pip/include" -DNCCL_LIBRARY="$nccl_lib")
  echo "NCCL from PyTorch's wheel: $nccl_lib"
elif [ -f /usr/local/cuda/include/nccl.h ]; then
  echo "NCCL from /usr/local/cuda"
else
  echo "gpu-check: no nccl.h found (neither nvidia-nccl in python3 nor /usr/local/cuda)" >&2
  exit 1
fi

# Build dependencies: the machine's own, or the carried .debs unpacked into a private root.
step "build dependencies"
missing=()
for header in mpi.h zmq.h zmq.hpp nlohmann/json.hpp CLI/CLI.hpp yaml-cpp/yaml.h sqlite3.h jpeglib.h png.h gtest/gtest.h; do
  found=0
  for dir in /usr/include /usr/local/include /usr/include/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu/openmpi/include; do
    [ -f "$dir/$header" ] && found=1
  done
  [ "$found" = 1 ] || missing+=("$header")
done
prefix_args=("-DCMAKE_PREFIX_PATH=$torch_prefix")
if [ ${#missing[@]} -gt 0 ] || [ "$use_debs" = 1 ]; then
  echo "missing here: ${missing[*]:-none (--use-debs)}"
  if ! ls "$debs_dir"/*.deb > /dev/null 2>&1; then
    echo "gpu-check: no .debs in $debs_dir: run deploy/gpu-check.sh --fetch-debs on the Debian machine and carry .gpu-debs" >&2
    exit 1
  fi
  root=/tmp/segsweep-debroot
  rm -rf "$root" && mkdir -p "$root"
  for deb in "$debs_dir"/*.deb; do dpkg-deb -x "$deb" "$root"; done
  usr="$root/usr"
  multiarch="$usr/lib/x86_64-linux-gnu"
  # pkg-config files name /usr; point them at the private root. libzmq's Requires.private
  # (krb5, sodium, pgm, norm, bsd) matter only for static linking and are not carried.
  for pc in "$multiarch"/pkgconfig/*.pc "$usr"/share/pkgconfig/*.pc; do
    if [ -f "$pc" ]; then sed -i "s#=/usr#=$usr#g" "$pc"; fi
  done
  sed -i '/^Requires.private:/d' "$multiarch/pkgconfig/libzmq.pc"
  export PKG_CONFIG_PATH="$multiarch/pkgconfig:$usr/share/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
  export LD_LIBRARY_PATH="$multiarch:$multiarch/openmpi/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export OPAL_PREFIX="$usr"  # relocates Open MPI: its wrappers, mpirun and plugins
  export PATH="$root/bin:$PATH"
  mkdir -p "$root/bin"
  ln -sf "$usr/bin/mpicxx.openmpi" "$root/bin/mpicxx"
  ln -sf "$usr/bin/mpirun.openmpi" "$root/bin/mpirun"
  prefix_args=("-DCMAKE_PREFIX_PATH=$usr;$torch_prefix" "-DMPI_CXX_COMPILER=$usr/bin/mpicxx.openmpi"
               "-DMPIEXEC_EXECUTABLE=$usr/bin/mpirun.openmpi")
  echo "unpacked $(ls "$debs_dir"/*.deb | wc -l) .debs into $root"
fi

step "configure (build-gpu)"
generator=()
command -v ninja > /dev/null && generator=(-G Ninja)
cmake -S . -B build-gpu "${generator[@]}" -DCMAKE_BUILD_TYPE=Release "${prefix_args[@]}" "${nccl_args[@]}" \
  | tee "$out_dir/configure.log" | grep -E "^-- segsweep:|Error" || true
if ! grep -q "NCCL backend on LibTorch's CUDA streams" "$out_dir/configure.log"; then
  echo "gpu-check: CMake did not build the NCCL backend against a CUDA LibTorch (see configure.log)" >&2
  exit 1
fi
[ "$mode" = configure ] && exit 0

step "build"
targets=(segsweep test_comm_single test_comm_collectives test_gradient_averager_ranks)
if cmake --build build-gpu --target help | grep -q "test_train"; then targets+=(test_train); fi
cmake --build build-gpu -j"$(nproc)" --target "${targets[@]}" 2>&1 | tail -n 20

if ldd build-gpu/cli/segsweep | grep "not found"; then
  echo "gpu-check: segsweep lacks the shared libraries above: add their Debian packages to debian_packages" >&2
  exit 1
fi

failures=0
run() {  # run NAME COMMAND...: logs to $out_dir/NAME.log, counts a failure without stopping
  local name=$1; shift
  step "$name: $*"
  if "$@" > "$out_dir/$name.log" 2>&1; then echo "PASS $name"; else echo "FAIL $name (exit $?)"; failures=$((failures + 1)); fi
  tail -n 25 "$out_dir/$name.log"
}

run nccl-collectives env SEGSWEEP_TEST_COMM=nccl build-gpu/tests/comm/test_comm_collectives
run nccl-gradient-averager env SEGSWEEP_TEST_COMM=nccl build-gpu/tests/comm/test_gradient_averager_ranks
run comm-single build-gpu/tests/comm/test_comm_single
run nccl-bench-allreduce build-gpu/cli/segsweep bench allreduce --comm nccl
if command -v mpirun > /dev/null; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  run mpi-collectives-2ranks env SEGSWEEP_TEST_COMM=mpi mpirun -n 2 --oversubscribe build-gpu/tests/comm/test_comm_collectives
fi
if [ -x build-gpu/tests/train/test_train ]; then
  run train-tests build-gpu/tests/train/test_train
fi
# 1-GPU training smoke test: a small synthetic dataset, one short epoch of the default model at
# 160x160, batch 64, on cuda (images/s is in its log and result.json).
if build-gpu/cli/segsweep train --help > /dev/null 2>&1 && build-gpu/cli/segsweep data synth --help > /dev/null 2>&1; then
  smoke=/tmp/segsweep-gpu-smoke
  rm -rf "$smoke"
  run synth-data build-gpu/cli/segsweep data synth --out "$smoke/data" --train 640 --validation 128
  run train-smoke-1gpu build-gpu/cli/segsweep train --data "$smoke/data" --out "$smoke/run" --device cuda \
    --num-epochs 2 --steps-per-epoch 10 --validation-steps 2 --batch-size 64 --no-progress
  [ -f "$smoke/run/result.json" ] && cp "$smoke/run/result.json" "$out_dir/train-smoke-result.json"
else
  step "train smoke test: skipped (this build has no 'segsweep train' or 'segsweep data synth')"
fi

step "done: $failures failure(s); logs in $out_dir"
[ "$failures" = 0 ]
