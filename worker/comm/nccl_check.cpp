// nccl_check / cuda_check: turn a failed NCCL or CUDA runtime call into a segsweep::Error.
#include "worker/comm/nccl_check.h"

#include <string>

#include "common/error.h"

namespace segsweep {
namespace {

std::string where(const char* call, const char* file, int line, int rank) {
    return std::string(call) + " failed at " + file + ":" + std::to_string(line) + " on rank " + std::to_string(rank);
}

}  // namespace

void nccl_check(ncclResult_t result, const char* call, const char* file, int line, int rank) {
    if (result == ncclSuccess) return;
    std::string message = where(call, file, line, rank) + ": " + ncclGetErrorString(result);
    const char* detail = ncclGetLastError(nullptr);
    if (detail != nullptr && *detail != '\0') message += std::string(" (") + detail + ")";
    throw Error(message);
}

void cuda_check(cudaError_t result, const char* call, const char* file, int line, int rank) {
    if (result == cudaSuccess) return;
    throw Error(where(call, file, line, rank) + ": " + cudaGetErrorName(result) + ": " + cudaGetErrorString(result));
}

}  // namespace segsweep
