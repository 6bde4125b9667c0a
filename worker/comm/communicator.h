// Communicator: what the data-parallel trainer needs from its ranks, with one interface and three
// backends: single (one rank; every call is a no-op that costs nothing), mpi (CPU tensors,
// MPI_Allreduce) and nccl (CUDA tensors, one GPU per rank, ncclUniqueId broadcast over MPI).
// The trainer codes against this interface only; worker/comm/*.cpp hold the backends.
//
// Rules for callers (all backends):
// - Create ONE communicator per process (make_communicator) and keep it until the process ends:
//   MPI can be initialised only once, and destroying the last MPI/NCCL communicator finalises it.
// - Every rank must issue the same collectives in the same order with the same tensor sizes;
//   a rank that skips one leaves the others blocked. Only one thread at a time may call it.
// - Any error on any rank must end the whole job: wrap each rank's work in run_or_abort().
//   An exception that unwinds past a multi-rank communicator aborts the job from its destructor.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

namespace segsweep {

class Communicator {
public:
    virtual ~Communicator() = default;

    virtual int rank() const = 0;        // 0 .. size-1; rank 0 talks to the coordinator and writes files
    virtual int size() const = 0;        // ranks in the job
    virtual int local_rank() const = 0;  // index among the ranks on this host (picks the GPU)
    virtual const char* backend_name() const = 0;  // "single", "mpi" or "nccl"

    // In place: tensor = sum over ranks of tensor. Contiguous float32, float64, int32 or int64
    // (nccl also float16, bfloat16); CPU for mpi, CUDA for nccl. Anything else throws Error.
    virtual void allreduce_sum(at::Tensor& tensor) = 0;
    // In place: every rank's tensor becomes root's.
    virtual void broadcast(at::Tensor& tensor, int root) = 0;
    // Every rank's text becomes root's (trial configs, STOP decisions).
    virtual void broadcast_string(std::string& text, int root) = 0;
    virtual void barrier() = 0;
    // Brings the whole job down now (MPI_Abort, ncclCommAbort) after logging why. Never returns.
    [[noreturn]] virtual void abort(int exit_code, const std::string& why) = 0;

    // ---- added after the first declaration; the defaults are right for a one-rank job ----
    // Ranks on this host (divide the host's cores among them).
    virtual int local_size() const { return 1; }
    // The CUDA device this rank's tensors must live on (nccl), or -1: CPU tensors (single, mpi).
    virtual int cuda_device() const { return -1; }
    // Every rank gets every rank's text, indexed by rank (rank 0 collects hosts and GPUs).
    virtual std::vector<std::string> allgather_string(const std::string& text);
    // Waits until the collectives issued so far have finished (nccl runs them on a CUDA stream;
    // the CPU backends finish them before returning). For timing; results never need it.
    virtual void synchronize() {}
};

// The one-rank communicator: rank 0 of 1, every collective returns at once.
std::unique_ptr<Communicator> make_single_communicator();

// The communicator for this process. backend: "auto", "single", "mpi" or "nccl".
// auto: one rank (not launched by an MPI launcher, or a launcher of one task) -> single, with no
// MPI call at all; several ranks -> nccl when NCCL is compiled in and LibTorch sees a GPU, else mpi.
// Launchers are recognised by their environment (mpirun: OMPI_COMM_WORLD_SIZE; srun --mpi=pmix:
// PMIX_RANK; MPICH/Intel MPI: PMI_RANK). Throws segsweep::Error for an unknown backend or one
// that this build or machine cannot provide.
std::unique_ptr<Communicator> make_communicator(const std::string& backend);

// The backend names make_communicator accepts, for --comm's help and validation.
const std::vector<std::string>& communicator_backend_names();

// Runs body(). If it throws: with one rank the exception propagates (the CLI prints it); with
// several ranks it is logged and the whole job is brought down by comm.abort(1, ...), so no
// other rank stays blocked in a collective.
void run_or_abort(Communicator& comm, const std::function<void()>& body);

}  // namespace segsweep
