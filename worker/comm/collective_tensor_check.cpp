// check_collective_tensor: the device/layout checks every backend runs before a collective.
#include "worker/comm/collective_tensor_check.h"

#include <string>

#include "common/error.h"

namespace segsweep {

std::string describe_tensor(const at::Tensor& tensor) {
    if (!tensor.defined()) return "undefined tensor";
    std::string shape = "[";
    for (int64_t d = 0; d < tensor.dim(); ++d) {
        if (d > 0) shape += ", ";
        shape += std::to_string(tensor.size(d));
    }
    shape += "]";
    return std::string(c10::toString(tensor.scalar_type())) + " tensor of shape " + shape + " on " +
           tensor.device().str();
}

void check_collective_tensor(const at::Tensor& tensor, const char* where, int cuda_device) {
    if (!tensor.defined()) throw Error(std::string(where) + ": the tensor is undefined");
    if (!tensor.is_contiguous()) {
        throw Error(std::string(where) + ": needs a contiguous tensor, got a strided " + describe_tensor(tensor));
    }
    if (cuda_device < 0 && !tensor.device().is_cpu()) {
        throw Error(std::string(where) + ": needs a CPU tensor, got a " + describe_tensor(tensor) +
                    " (use the nccl backend for CUDA tensors)");
    }
    if (cuda_device >= 0 && (!tensor.device().is_cuda() || tensor.device().index() != cuda_device)) {
        throw Error(std::string(where) + ": needs a tensor on cuda:" + std::to_string(cuda_device) + ", got a " +
                    describe_tensor(tensor));
    }
}

}  // namespace segsweep
