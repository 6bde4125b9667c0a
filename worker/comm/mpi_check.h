// MPI_CHECK: the one check on every MPI call. A failed call throws segsweep::Error naming the
// call, file:line, MPI_Error_string's text and this process's rank; run_or_abort then brings the
// job down. The communicators set MPI_ERRORS_RETURN on their communicator so errors reach it.
#pragma once

#include <mpi.h>

namespace segsweep {

// Throws segsweep::Error when code != MPI_SUCCESS.
void mpi_check(int code, const char* call, const char* file, int line);

}  // namespace segsweep

#define MPI_CHECK(call) ::segsweep::mpi_check((call), #call, __FILE_NAME__, __LINE__)
