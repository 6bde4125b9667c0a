// Small cross-rank reductions the trainer needs besides gradients: sums of a few numbers (losses,
// pixel and image counts, IoU sums, TP/FP/FN) and "did any rank ask to stop". With one rank they
// return at once. The tensor lives on `device` (the nccl backend reduces CUDA tensors only).
#pragma once

#include <vector>

#include <torch/types.h>

#include "worker/comm/communicator.h"

namespace segsweep {

// values[i] = sum over ranks of values[i] (float64). Every rank must call it with the same count.
void allreduce_sums(Communicator& comm, std::vector<double>& values, const torch::Device& device);

// True on every rank when `flag` is true on any rank.
bool any_rank(Communicator& comm, bool flag, const torch::Device& device);

}  // namespace segsweep
