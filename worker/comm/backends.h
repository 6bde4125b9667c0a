// The backend constructors behind make_communicator (communicator_factory.cpp). Internal to
// worker/comm: callers use make_communicator, which picks and validates the backend.
#pragma once

#include <memory>

#include "worker/comm/communicator.h"

namespace segsweep {

// MPI_COMM_WORLD (duplicated), initialising MPI if needed. CPU tensors.
std::unique_ptr<Communicator> make_mpi_communicator();

// True when this build has the NCCL backend (CUDA and NCCL were found at configure time).
bool nccl_backend_compiled();
// True when this process could run the NCCL backend: compiled in, LibTorch makes CUDA tensors
// and the CUDA runtime sees a device.
bool nccl_backend_usable();
// One GPU per rank, chosen by local rank; the ncclUniqueId travels through `bootstrap`
// (the MPI communicator, or the single one for a one-rank job). Throws Error when not usable.
std::unique_ptr<Communicator> make_nccl_communicator(std::unique_ptr<Communicator> bootstrap);

}  // namespace segsweep
