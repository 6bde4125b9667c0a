// The nccl backend's entry points in a build without CUDA/NCCL: it is never usable there.
#include "common/error.h"
#include "worker/comm/backends.h"

namespace segsweep {

bool nccl_backend_compiled() { return false; }
bool nccl_backend_usable() { return false; }

std::unique_ptr<Communicator> make_nccl_communicator(std::unique_ptr<Communicator>) {
    throw Error("nccl backend: this segsweep was built without CUDA and NCCL");
}

}  // namespace segsweep
