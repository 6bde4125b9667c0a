// mpi_check: turns a failed MPI call into a segsweep::Error with the call, where, why and rank.
#include "worker/comm/mpi_check.h"

#include <cstdio>
#include <string>

#include "common/error.h"

namespace segsweep {
namespace {

// This process's rank in MPI_COMM_WORLD, or -1 when MPI is not running.
int world_rank_or_unknown() {
    int initialized = 0;
    int finalized = 0;
    MPI_Initialized(&initialized);
    MPI_Finalized(&finalized);
    if (!initialized || finalized) return -1;
    int rank = -1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    return rank;
}

}  // namespace

void mpi_check(int code, const char* call, const char* file, int line) {
    if (code == MPI_SUCCESS) return;
    char text[MPI_MAX_ERROR_STRING] = {};
    int length = 0;
    if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) {
        std::snprintf(text, sizeof text, "MPI error code %d", code);
    }
    throw Error(std::string(call) + " failed at " + file + ":" + std::to_string(line) + " on rank " +
                std::to_string(world_rank_or_unknown()) + ": " + text);
}

}  // namespace segsweep
