#!/usr/bin/env bash
# The test command: set up (install what is missing, build), then run every test with ctest.
# Extra arguments go to ctest (e.g. -L unit, -R Scorer).
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/setup.sh
# Open MPI refuses root without these; CI runs as root. More ranks than cores need oversubscribe.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
ctest --test-dir build --output-on-failure -j"$(nproc)" "$@"
