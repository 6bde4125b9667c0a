// The backend constructors behind make_communicator (communicator_factory.cpp). Internal to
// worker/comm: callers use make_communicator, which picks and validates the backend.
#pragma once

#include <memory>
#include <string>

#include "worker/comm/communicator.h"

namespace segsweep {

// MPI_COMM_WORLD (duplicated), initialising MPI if needed. CPU tensors.
std::unique_ptr<Communicator> make_mpi_communicator();

// True when this build has the NCCL backend (CUDA and NCCL were found at configure time).
bool nccl_backend_compiled();
// The GPU this rank would drive with the nccl backend, as its UUID (hex), or "" when this process
// cannot run the backend (not compiled in, LibTorch without CUDA, no GPU for this local rank).
// make_communicator("auto") picks nccl only when every rank has a GPU and no two share one.
std::string nccl_device_for_rank(int local_rank, int local_size);
// One GPU per rank, chosen by local rank; the ncclUniqueId travels through `bootstrap`
// (the MPI communicator, or the single one for a one-rank job). Throws Error when not usable
// or when two ranks would share a GPU.
std::unique_ptr<Communicator> make_nccl_communicator(std::unique_ptr<Communicator> bootstrap);

}  // namespace segsweep
