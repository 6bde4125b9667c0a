// The nccl backend's entry points in a build without CUDA/NCCL: it is never usable there.
#include "common/error.h"
#include "worker/comm/backends.h"

namespace segsweep {

bool nccl_backend_compiled() { return false; }
std::string nccl_device_for_rank(int, int) { return ""; }

std::unique_ptr<Communicator> make_nccl_communicator(std::unique_ptr<Communicator>) {
    throw Error("nccl backend: this segsweep was built without CUDA and NCCL");
}

}  // namespace segsweep
