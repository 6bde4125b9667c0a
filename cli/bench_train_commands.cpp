// `segsweep bench train`: training and eval speed of the FCN, reference modules (NCHW and
// channels_last) against the fast CPU path, with the matmul peak of the same run
// (bench/train_benchmark.h). bench/run_train_race.sh adds the PyTorch peer and the ratios.
// With --ranks N: the data-parallel step split into compute and communication on N ranks
// (bench/train_ranks_benchmark.h), launched as `mpirun -n N segsweep bench train --ranks N`.
#include <cstdio>
#include <memory>
#include <string>

#include "bench/train_benchmark.h"
#include "bench/train_ranks_benchmark.h"
#include "cli/commands.h"
#include "worker/comm/communicator.h"

namespace segsweep::cli {

void add_bench_train_commands(CLI::App& app) {
    auto options = std::make_shared<TrainBenchmarkOptions>();
    auto json = std::make_shared<bool>(false);
    auto ranks = std::make_shared<int>(0);
    auto backend = std::make_shared<std::string>("auto");
    CLI::App* train = bench_command(app).add_subcommand(
        "train",
        "Images/s and GFLOP/s of full FCN training steps (forward, backward, Adam) and eval passes: reference "
        "modules (NCHW, channels_last) and the fast CPU path, with the matmul peak of the same run");
    train->add_option("--image-size", options->image_size, "Image height and width (divisible by 4)")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    train->add_option("--batch", options->batch, "Images per step")->capture_default_str()->check(CLI::PositiveNumber);
    train->add_option("--steps", options->steps, "Timed training steps per contender")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    train->add_option("--warmup", options->warmup, "Untimed training steps first")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    train->add_option("--eval-batches", options->eval_batches, "Timed eval forward passes per contender")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    train->add_option("--threads", options->threads, "Intra-op threads (0: every core)")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    train->add_option("--contenders", options->contenders, "Which to run: reference-nchw reference-channels_last fast fast-portable")
        ->capture_default_str()
        ->check(CLI::IsMember(kTrainBenchContenders));
    train->add_option("--seed", options->seed, "Seed of the weights and the synthetic batch")->capture_default_str();
    train->add_flag("--json", *json, "Print one JSON object instead of the table");
    train->add_option("--ranks", *ranks,
                      "Instead: time the data-parallel step (compute vs communication) on this many ranks; launch "
                      "as mpirun -n N (--batch is then the global batch)")
        ->check(CLI::PositiveNumber);
    train->add_option("--comm", *backend, "Communicator backend with --ranks: auto, single, mpi or nccl")
        ->capture_default_str()
        ->check(CLI::IsMember(communicator_backend_names()));
    train->callback([options, json, ranks, backend] {
        if (*ranks > 0) {
            RanksBenchmarkOptions r;
            r.architecture = options->architecture;
            r.ranks = *ranks;
            r.image_size = options->image_size;
            r.batch = options->batch;
            r.steps = options->steps;
            r.warmup = options->warmup;
            r.threads = options->threads;
            r.seed = options->seed;
            std::unique_ptr<Communicator> comm = make_communicator(*backend);
            run_or_abort(*comm, [&] {
                const RanksBenchmarkReport report = run_ranks_benchmark(*comm, r);
                if (comm->rank() == 0) std::printf("%s", format_ranks_benchmark(report).c_str());
            });
            return;
        }
        const TrainBenchmarkReport report = run_train_benchmark(*options, [](const std::string& line) {
            std::fprintf(stderr, "bench train: %s\n", line.c_str());
        });
        if (*json)
            std::printf("%s\n", train_benchmark_json(report).dump().c_str());
        else
            std::printf("%s", format_train_benchmark(report).c_str());
    });
}

}  // namespace segsweep::cli
