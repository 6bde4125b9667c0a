// `segsweep bench allreduce`: allreduce bandwidth of the data-parallel gradient path against a
// flat allreduce and a local copy measured in the same run (worker/comm/allreduce_benchmark.h).
// Run it under an MPI launcher: mpirun -n 2 segsweep bench allreduce.
#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "worker/comm/allreduce_benchmark.h"
#include "worker/comm/communicator.h"

namespace segsweep::cli {
namespace {

struct BenchAllreduceArgs {
    std::string backend = "auto";
    int64_t min_bytes = kBenchAllreduceMinBytes;
    int64_t max_bytes = kBenchAllreduceMaxBytes;
    double bucket_mb = static_cast<double>(kDefaultGradientBucketBytes) / (1 << 20);
};

std::string human_bytes(int64_t bytes) {
    if (bytes >= (int64_t{1} << 20) && bytes % (int64_t{1} << 20) == 0) return std::to_string(bytes >> 20) + "M";
    if (bytes >= (int64_t{1} << 10) && bytes % (int64_t{1} << 10) == 0) return std::to_string(bytes >> 10) + "K";
    return std::to_string(bytes);
}

void print_table(const Communicator& comm, const std::vector<AllreduceBenchmarkRow>& rows, double bucket_mb) {
    const int n = comm.size();
    constexpr double kGB = 1e9;  // nccl-tests reports GB/s in 10^9 bytes
    std::printf("# segsweep bench allreduce: %d rank(s), backend %s, float32, gradient path = %d tensors per "
                "buffer in %.0f MB buckets\n",
                n, comm.backend_name(), kBenchParametersPerBuffer, bucket_mb);
    std::printf("# algbw = bytes/time, busbw = algbw*2(n-1)/n (nccl-tests); copy = one local copy of the buffer\n");
    std::printf("%8s %6s %4s | %10s %8s %8s | %10s %8s %8s | %8s | %9s %9s\n", "size", "iters", "bkts",
                "grad us", "algbw", "busbw", "flat us", "algbw", "busbw", "copy GB/s", "grad/flat", "flat/copy");
    for (const AllreduceBenchmarkRow& row : rows) {
        const double copy_bandwidth = algorithm_bandwidth(row.bytes, row.copy_seconds);
        const double flat_bus = bus_bandwidth(row.bytes, row.flat_seconds, n);
        std::printf("%8s %6d %4d | %10.2f %8.3f %8.3f | %10.2f %8.3f %8.3f | %9.3f | %9.2f %9.2f\n",
                    human_bytes(row.bytes).c_str(), row.iterations, row.buckets, row.bucketed_seconds * 1e6,
                    algorithm_bandwidth(row.bytes, row.bucketed_seconds) / kGB,
                    bus_bandwidth(row.bytes, row.bucketed_seconds, n) / kGB, row.flat_seconds * 1e6,
                    algorithm_bandwidth(row.bytes, row.flat_seconds) / kGB, flat_bus / kGB, copy_bandwidth / kGB,
                    row.bucketed_seconds / row.flat_seconds, copy_bandwidth > 0 ? flat_bus / copy_bandwidth : 0.0);
    }
    if (n == 1) std::printf("# one rank: nothing is exchanged (busbw 0); run under mpirun -n 2\n");
}

}  // namespace

void add_comm_commands(CLI::App& app) {
    auto args = std::make_shared<BenchAllreduceArgs>();
    CLI::App* allreduce = bench_command(app).add_subcommand(
        "allreduce",
        "Allreduce bandwidth (algbw, busbw as nccl-tests) of the gradient path against a flat allreduce and a "
        "local copy, 1 KB to 64 MB; run under mpirun -n 2");
    allreduce->add_option("--comm", args->backend, "Communicator backend: auto, single, mpi or nccl")
        ->capture_default_str()
        ->check(CLI::IsMember(communicator_backend_names()));
    allreduce->add_option("--min-bytes", args->min_bytes, "Smallest buffer in bytes")->capture_default_str();
    allreduce->add_option("--max-bytes", args->max_bytes, "Largest buffer in bytes (sizes double)")->capture_default_str();
    allreduce->add_option("--bucket-mb", args->bucket_mb, "Gradient bucket size in MiB")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    allreduce->callback([args] {
        std::unique_ptr<Communicator> comm = make_communicator(args->backend);
        run_or_abort(*comm, [&] {
            AllreduceBenchmarkOptions options;
            options.min_bytes = args->min_bytes;
            options.max_bytes = args->max_bytes;
            options.bucket_bytes = static_cast<size_t>(args->bucket_mb * (1 << 20));
            const std::vector<AllreduceBenchmarkRow> rows = run_allreduce_benchmark(*comm, options);
            if (comm->rank() == 0) print_table(*comm, rows, args->bucket_mb);
        });
    });
}

}  // namespace segsweep::cli
