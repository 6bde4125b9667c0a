// Where and how fast a rank computes: the torch intra-op thread count (Debian's LibTorch starts
// with one thread unless told otherwise) and the device (CUDA when LibTorch sees a GPU).
#pragma once

#include <string>

#include <torch/types.h>

#include "worker/comm/communicator.h"

namespace segsweep {

enum class DeviceChoice { automatic, cpu, cuda };

// "auto", "cpu", "cuda"; throws segsweep::Error naming the value otherwise.
DeviceChoice device_choice_from_name(const std::string& name);

// CPUs this process may run on (sched_getaffinity; MPI launchers and SLURM bind ranks there).
int available_cores();

// Threads for this rank when --threads is not given: the cores it may run on, shared evenly with
// the other ranks of the same host when they were not bound to separate cores (at least 1).
int default_thread_count(const Communicator* comm);

// Sets torch's intra-op thread count (threads >= 1) and returns it.
int set_torch_threads(int threads);

// automatic: CUDA device local_rank when LibTorch sees a GPU and the job is single-rank or uses
// the nccl backend (the mpi backend reduces CPU tensors); otherwise the CPU. cuda: as automatic
// but throws when there is no GPU. cpu: the CPU.
torch::Device choose_device(DeviceChoice choice, const Communicator* comm);

}  // namespace segsweep
