// run_allreduce_benchmark: times the gradient path, a flat allreduce and a local copy for each
// size (see allreduce_benchmark.h). float32 buffers on the communicator's device.
#include "worker/comm/allreduce_benchmark.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <limits>
#include <string>

#include <ATen/ops/empty.h>

#include "common/error.h"

namespace segsweep {
namespace {

at::TensorOptions float_options(const Communicator& comm) {
    at::TensorOptions options = at::TensorOptions().dtype(at::kFloat);
    if (comm.cuda_device() >= 0) {
        options = options.device(at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(comm.cuda_device())));
    }
    return options;
}

// Seconds per call of `step`, after warm-up, between barriers (the slowest rank's time).
double seconds_per_call(Communicator& comm, int iterations, const std::function<void()>& step) {
    for (int i = 0; i < kBenchWarmupIterations; ++i) step();
    comm.synchronize();
    comm.barrier();
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < iterations; ++i) step();
    comm.synchronize();
    comm.barrier();
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    return elapsed.count() / iterations;
}

// `bytes` of float32 split into kBenchParametersPerBuffer parameters (the last takes the rest),
// each with a gradient.
std::vector<at::Tensor> make_parameters_with_gradients(int64_t bytes, const at::TensorOptions& options) {
    const int64_t elements = bytes / static_cast<int64_t>(sizeof(float));
    const int64_t count = std::min<int64_t>(kBenchParametersPerBuffer, elements);
    std::vector<at::Tensor> parameters;
    for (int64_t k = 0; k < count; ++k) {
        const int64_t share = k + 1 < count ? elements / count : elements - (count - 1) * (elements / count);
        at::Tensor parameter = at::empty({share}, options).fill_(0.0).requires_grad_();
        parameter.mutable_grad() = at::empty({share}, options).fill_(1.0);
        parameters.push_back(parameter);
    }
    return parameters;
}

}  // namespace

double algorithm_bandwidth(int64_t bytes, double seconds) { return seconds > 0 ? bytes / seconds : 0.0; }

double bus_bandwidth(int64_t bytes, double seconds, int ranks) {
    if (ranks < 1) return 0.0;
    return algorithm_bandwidth(bytes, seconds) * 2.0 * (ranks - 1) / ranks;
}

std::vector<AllreduceBenchmarkRow> run_allreduce_benchmark(Communicator& comm, const AllreduceBenchmarkOptions& options) {
    if (options.min_bytes < static_cast<int64_t>(sizeof(float)) || options.max_bytes < options.min_bytes) {
        throw Error("bench allreduce: sizes must satisfy 4 <= min-bytes <= max-bytes, got " +
                    std::to_string(options.min_bytes) + " and " + std::to_string(options.max_bytes));
    }
    const at::TensorOptions tensor_options = float_options(comm);
    std::vector<AllreduceBenchmarkRow> rows;
    for (int64_t bytes = options.min_bytes; bytes <= options.max_bytes; bytes *= 2) {
        AllreduceBenchmarkRow row;
        row.bytes = bytes;
        row.iterations = static_cast<int>(std::clamp<int64_t>(kBenchBytesPerRepeat / bytes, kBenchMinIterations,
                                                              kBenchMaxIterations));
        const int64_t elements = bytes / static_cast<int64_t>(sizeof(float));

        std::vector<at::Tensor> parameters = make_parameters_with_gradients(bytes, tensor_options);
        GradientAverager averager(comm, parameters, options.bucket_bytes);
        row.buckets = averager.bucket_count();
        at::Tensor flat = at::empty({elements}, tensor_options).fill_(1.0);
        at::Tensor source = at::empty({elements}, tensor_options).fill_(1.0);
        at::Tensor target = at::empty({elements}, tensor_options);

        row.bucketed_seconds = row.flat_seconds = row.copy_seconds = std::numeric_limits<double>::infinity();
        for (int turn = 0; turn < kBenchRepeats; ++turn) {
            row.bucketed_seconds = std::min(
                row.bucketed_seconds, seconds_per_call(comm, row.iterations, [&averager] { averager.average_gradients(); }));
            row.flat_seconds = std::min(
                row.flat_seconds, seconds_per_call(comm, row.iterations, [&comm, &flat] { comm.allreduce_sum(flat); }));
            row.copy_seconds = std::min(
                row.copy_seconds, seconds_per_call(comm, row.iterations, [&source, &target] { target.copy_(source); }));
        }
        rows.push_back(row);
    }
    return rows;
}

}  // namespace segsweep
