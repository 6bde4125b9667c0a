// NCCL_CHECK and CUDA_CHECK: the checks on every NCCL and CUDA runtime call of the nccl backend.
// A failed call throws segsweep::Error naming the call, file:line, the library's error text
// (for NCCL also ncclGetLastError) and the rank; run_or_abort then brings the job down.
#pragma once

#include <cuda_runtime_api.h>
#include <nccl.h>

namespace segsweep {

void nccl_check(ncclResult_t result, const char* call, const char* file, int line, int rank);
void cuda_check(cudaError_t result, const char* call, const char* file, int line, int rank);

}  // namespace segsweep

// Both expect a variable or member `rank_` (this process's rank) in scope.
#define NCCL_CHECK(call) ::segsweep::nccl_check((call), #call, __FILE_NAME__, __LINE__, rank_)
#define CUDA_CHECK(call) ::segsweep::cuda_check((call), #call, __FILE_NAME__, __LINE__, rank_)
