// Checks that a tensor may take part in a collective before any rank touches the network, so
// bad input fails with a message naming the operation and the tensor instead of corrupting
// memory or hanging a peer.
#pragma once

#include <string>

#include <ATen/core/Tensor.h>

namespace segsweep {

// Throws segsweep::Error unless `tensor` is defined and contiguous and lives on the CPU
// (cuda_device < 0) or on CUDA device `cuda_device`. `where` names the call, e.g. "mpi allreduce_sum".
void check_collective_tensor(const at::Tensor& tensor, const char* where, int cuda_device);

// "Float tensor of shape [2, 3] on cpu": for error messages.
std::string describe_tensor(const at::Tensor& tensor);

}  // namespace segsweep
