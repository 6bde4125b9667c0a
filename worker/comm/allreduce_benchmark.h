// The allreduce benchmark behind `segsweep bench allreduce`: for each buffer size it times, in the
// same run on the same ranks, (1) the gradient path the trainer uses (GradientAverager over
// several parameters: pack into buckets, allreduce, divide, unpack), (2) one allreduce_sum of a
// flat buffer of the same size (the raw MPI_Allreduce / ncclAllReduce) and (3) a local copy of
// the buffer (this rank's memory bandwidth, the bottleneck of a one-host allreduce).
// Bandwidths follow nccl-tests (doc/PERFORMANCE.md): algbw = bytes / time and
// busbw = algbw * 2 (n - 1) / n for n ranks.
#pragma once

#include <cstdint>
#include <vector>

#include "worker/comm/communicator.h"
#include "worker/comm/gradient_averager.h"

namespace segsweep {

constexpr int64_t kBenchAllreduceMinBytes = int64_t{1} << 10;   // bytes (1 KiB)
constexpr int64_t kBenchAllreduceMaxBytes = int64_t{64} << 20;  // bytes (64 MiB)
constexpr int kBenchParametersPerBuffer = 16;  // gradient tensors the buffer is split into
constexpr int64_t kBenchBytesPerRepeat = int64_t{32} << 20;   // bytes per timed repeat of a path: sets iterations
constexpr int kBenchMinIterations = 2;
constexpr int kBenchMaxIterations = 50;
constexpr int kBenchWarmupIterations = 2;
constexpr int kBenchRepeats = 7;  // the three paths take turns this many times; the best time of each is kept

struct AllreduceBenchmarkOptions {
    int64_t min_bytes = kBenchAllreduceMinBytes;  // first size; sizes double up to max_bytes
    int64_t max_bytes = kBenchAllreduceMaxBytes;
    size_t bucket_bytes = kDefaultGradientBucketBytes;
};

struct AllreduceBenchmarkRow {
    int64_t bytes = 0;
    int iterations = 0;            // timed calls per turn
    int buckets = 0;               // buckets the gradient path used
    double bucketed_seconds = 0;   // one GradientAverager::average_gradients
    double flat_seconds = 0;       // one allreduce_sum of a flat buffer
    double copy_seconds = 0;       // one local copy of the buffer
};

// nccl-tests' bandwidths in bytes per second.
double algorithm_bandwidth(int64_t bytes, double seconds);
double bus_bandwidth(int64_t bytes, double seconds, int ranks);

// Collective: every rank calls it with the same options; every rank gets the rows. Times are
// measured between barriers (the slowest rank's), per call, best of kBenchRepeats turns: on a
// shared machine the best turn is the one least disturbed by other work.
std::vector<AllreduceBenchmarkRow> run_allreduce_benchmark(Communicator& comm, const AllreduceBenchmarkOptions& options);

}  // namespace segsweep
