// Communicator: what the data-parallel trainer needs from its ranks, with one interface and three
// backends: single (one rank; every call is a no-op that costs nothing), mpi (CPU tensors,
// MPI_Allreduce) and nccl (CUDA tensors, one GPU per rank, ncclUniqueId broadcast over MPI).
// The trainer codes against this interface only; worker/comm/*.cpp hold the backends.
#pragma once

#include <memory>
#include <string>

#include <ATen/core/Tensor.h>

namespace segsweep {

class Communicator {
public:
    virtual ~Communicator() = default;

    virtual int rank() const = 0;        // 0 .. size-1; rank 0 talks to the coordinator and writes files
    virtual int size() const = 0;        // ranks in the job
    virtual int local_rank() const = 0;  // index among the ranks on this host (picks the GPU)
    virtual const char* backend_name() const = 0;  // "single", "mpi" or "nccl"

    // In place: tensor = sum over ranks of tensor. Contiguous float32 (or float64);
    // CPU for mpi, CUDA for nccl.
    virtual void allreduce_sum(at::Tensor& tensor) = 0;
    // In place: every rank's tensor becomes root's.
    virtual void broadcast(at::Tensor& tensor, int root) = 0;
    // Every rank's text becomes root's (trial configs, STOP decisions).
    virtual void broadcast_string(std::string& text, int root) = 0;
    virtual void barrier() = 0;
    // Brings the whole job down now (MPI_Abort, ncclCommAbort) after logging why. Never returns.
    [[noreturn]] virtual void abort(int exit_code, const std::string& why) = 0;
};

// The one-rank communicator: rank 0 of 1, every collective returns at once.
std::unique_ptr<Communicator> make_single_communicator();

}  // namespace segsweep
