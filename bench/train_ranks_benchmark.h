// `segsweep bench train --ranks N`: the data-parallel training step of the FCN split into compute
// (forward, backward, Adam) and communication (the trainer's GradientAverager over the job's
// communicator, plus the two-value loss allreduce), on each of N ranks. Launch it with N ranks
// (mpirun -n N; one rank needs no launcher). The global batch is split evenly over the ranks and
// each rank uses its share of the host's cores, as the trainer does.
//
// Communication is timed inside the step as the trainer runs it, so it includes waiting for the
// slowest rank; after the timed steps the gradient average is also timed alone, between barriers
// (the transfer itself).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "worker/comm/communicator.h"
#include "worker/model/fcn_architecture.h"

namespace segsweep {

inline constexpr int kRanksBenchAllreduceRepeats = 5;  // gradient averages timed alone, best kept

struct RanksBenchmarkOptions {
    FcnArchitecture architecture;
    int ranks = 1;  // the job size this run expects (checked against the communicator)
    int image_size = 160;
    int batch = 64;   // global batch, split evenly over the ranks
    int steps = 3;    // timed steps
    int warmup = 1;   // untimed steps first
    int threads = 0;  // per rank; 0: the host's cores divided by the ranks on it
    uint64_t seed = 0;
};

struct RankStepTimes {
    int rank = 0;
    int threads = 0;
    std::string path;                    // "fast" or "reference": the model path that ran
    double compute_seconds = 0;          // per step: forward + backward + Adam
    double communication_seconds = 0;    // per step: gradient average + loss allreduce (with waiting)
    double allreduce_alone_seconds = 0;  // one gradient average between barriers, best of kRanksBenchAllreduceRepeats
};

struct RanksBenchmarkReport {
    RanksBenchmarkOptions options;
    std::string backend;  // communicator backend
    int buckets = 0;      // gradient buckets (allreduce calls per average)
    int64_t gradient_values = 0;
    std::vector<RankStepTimes> ranks;  // every rank's, on every rank
};

// Collective: every rank of comm calls it with the same options. Throws segsweep::Error when the
// job size differs from options.ranks or the batch does not split evenly.
RanksBenchmarkReport run_ranks_benchmark(Communicator& comm, const RanksBenchmarkOptions& options);

std::string format_ranks_benchmark(const RanksBenchmarkReport& report);

}  // namespace segsweep
