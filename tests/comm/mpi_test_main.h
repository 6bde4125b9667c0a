// Shared by the comm test binaries that mpirun launches: the process's one communicator and the
// device its tensors live on. The backend comes from SEGSWEEP_TEST_COMM (auto, mpi, nccl;
// default auto, which is mpi for several CPU ranks and nccl for several GPU ranks).
#pragma once

#include <ATen/core/Tensor.h>

#include "worker/comm/communicator.h"

namespace segsweep::test {

Communicator& comm();
// CPU, or the communicator's CUDA device (nccl).
at::TensorOptions tensor_options(at::ScalarType type = at::kFloat);

}  // namespace segsweep::test
