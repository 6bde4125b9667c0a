// `segsweep bench train --ranks N` (see train_ranks_benchmark.h): each rank runs the trainer's
// data-parallel step on its share of a synthetic batch and times compute and communication apart;
// the ranks' figures are gathered on every rank as JSON text.
#include "bench/train_ranks_benchmark.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <limits>
#include <thread>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "common/error.h"
#include "worker/comm/gradient_averager.h"
#include "worker/model/fast/fast_fcn.h"
#include "worker/model/fcn.h"
#include "worker/model/loss.h"

namespace segsweep {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_between(Clock::time_point start, Clock::time_point end) {
    return std::chrono::duration<double>(end - start).count();
}

int threads_per_rank(const Communicator& comm, int requested) {
    if (requested > 0) return requested;
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    return std::max(1, cores / std::max(1, comm.local_size()));
}

nlohmann::json to_json(const RankStepTimes& t) {
    return {{"rank", t.rank},
            {"threads", t.threads},
            {"path", t.path},
            {"compute_seconds", t.compute_seconds},
            {"communication_seconds", t.communication_seconds},
            {"allreduce_alone_seconds", t.allreduce_alone_seconds}};
}

RankStepTimes from_json(const nlohmann::json& j) {
    RankStepTimes t;
    t.rank = j.at("rank").get<int>();
    t.threads = j.at("threads").get<int>();
    t.path = j.at("path").get<std::string>();
    t.compute_seconds = j.at("compute_seconds").get<double>();
    t.communication_seconds = j.at("communication_seconds").get<double>();
    t.allreduce_alone_seconds = j.at("allreduce_alone_seconds").get<double>();
    return t;
}

}  // namespace

RanksBenchmarkReport run_ranks_benchmark(Communicator& comm, const RanksBenchmarkOptions& o) {
    if (comm.size() != o.ranks)
        throw Error("bench train --ranks " + std::to_string(o.ranks) + ": the job has " + std::to_string(comm.size()) +
                    " rank(s); launch it as `mpirun -n " + std::to_string(o.ranks) + " segsweep bench train --ranks " +
                    std::to_string(o.ranks) + "`");
    if (o.batch % o.ranks != 0)
        throw Error("bench train --ranks: --batch " + std::to_string(o.batch) +
                    " is the global batch and must divide by " + std::to_string(o.ranks) + " ranks");
    if (o.steps < 1 || o.warmup < 0)
        throw Error("bench train --ranks: --steps must be at least 1, --warmup at least 0");

    RankStepTimes mine;
    mine.rank = comm.rank();
    mine.threads = threads_per_rank(comm, o.threads);
    at::set_num_threads(mine.threads);

    Fcn model(o.architecture, o.seed);
    model->train();
    std::vector<at::Tensor> parameters = model->parameters();
    GradientAverager averager(comm, parameters);
    averager.broadcast_from_root(parameters);
    torch::optim::Adam optimizer(parameters, torch::optim::AdamOptions(1e-3).betas({0.9, 0.999}).eps(1e-8));

    const int64_t local = o.batch / o.ranks;
    torch::manual_seed(o.seed + 1 + static_cast<uint64_t>(comm.rank()));  // each rank its own images
    const torch::Tensor x = torch::rand({local, kFcnInputChannels, o.image_size, o.image_size}) * 2 - 1;
    const torch::Tensor labels = torch::randint(0, kFcnClasses, {local, o.image_size, o.image_size});
    const torch::Tensor y = torch::one_hot(labels, kFcnClasses).permute({0, 3, 1, 2}).to(torch::kFloat32).contiguous();
    mine.path = fast_fcn_unsupported_reason(*model, x).empty() ? "fast" : "reference";

    // The trainer's step (worker/train/trainer.cpp): forward + backward, gradient average, the
    // loss sums' allreduce, Adam.
    double compute = 0, communication = 0;
    for (int step = 0; step < o.warmup + o.steps; ++step) {
        const Clock::time_point start = Clock::now();
        optimizer.zero_grad();
        torch::Tensor loss = categorical_crossentropy(model->forward(x), y);
        const double local_loss = loss.item<double>();
        loss.backward();
        const Clock::time_point backward_done = Clock::now();
        averager.average_gradients();
        at::Tensor sums =
            torch::tensor({local_loss * static_cast<double>(local), static_cast<double>(local)}, torch::kFloat64);
        comm.allreduce_sum(sums);
        comm.synchronize();
        const Clock::time_point communication_done = Clock::now();
        optimizer.step();
        const Clock::time_point end = Clock::now();
        if (step < o.warmup) continue;
        compute += seconds_between(start, backward_done) + seconds_between(communication_done, end);
        communication += seconds_between(backward_done, communication_done);
    }
    mine.compute_seconds = compute / o.steps;
    mine.communication_seconds = communication / o.steps;

    double best = std::numeric_limits<double>::infinity();
    for (int i = 0; i < kRanksBenchAllreduceRepeats; ++i) {
        comm.barrier();
        const Clock::time_point start = Clock::now();
        averager.average_gradients();
        comm.synchronize();
        best = std::min(best, seconds_between(start, Clock::now()));
    }
    mine.allreduce_alone_seconds = best;

    RanksBenchmarkReport report;
    report.options = o;
    report.backend = comm.backend_name();
    report.buckets = averager.bucket_count();
    for (const at::Tensor& p : parameters) report.gradient_values += p.numel();
    for (const std::string& text : comm.allgather_string(to_json(mine).dump()))
        report.ranks.push_back(from_json(nlohmann::json::parse(text)));
    return report;
}

std::string format_ranks_benchmark(const RanksBenchmarkReport& r) {
    const RanksBenchmarkOptions& o = r.options;
    std::string out;
    char line[320];
    std::snprintf(line, sizeof line,
                  "# segsweep bench train --ranks %d: FCN at %dx%d, global batch %d (%d/rank), %d steps after %d "
                  "warm-up, %s communicator, %lld gradient values (%.2f MB) in %d bucket(s)\n",
                  o.ranks, o.image_size, o.image_size, o.batch, o.batch / o.ranks, o.steps, o.warmup, r.backend.c_str(),
                  static_cast<long long>(r.gradient_values), r.gradient_values * 4.0 / 1e6, r.buckets);
    out += line;
    std::snprintf(line, sizeof line, "%4s %7s %-9s %13s %13s %13s %11s %15s\n", "rank", "threads", "path", "step ms",
                  "compute ms", "comm ms", "comm share", "allreduce ms");
    out += line;
    double slowest_step = 0, worst_share = 0, alone = 0, step_sum = 0;
    for (const RankStepTimes& t : r.ranks) {
        const double step = t.compute_seconds + t.communication_seconds;
        const double share = step > 0 ? t.communication_seconds / step : 0;
        slowest_step = std::max(slowest_step, step);
        worst_share = std::max(worst_share, share);
        alone = std::max(alone, t.allreduce_alone_seconds);
        step_sum += step;
        std::snprintf(line, sizeof line, "%4d %7d %-9s %13.1f %13.1f %13.2f %10.2f%% %15.3f\n", t.rank, t.threads,
                      t.path.c_str(), step * 1e3, t.compute_seconds * 1e3, t.communication_seconds * 1e3, 100 * share,
                      t.allreduce_alone_seconds * 1e3);
        out += line;
    }
    const double mean_step = r.ranks.empty() ? 0 : step_sum / static_cast<double>(r.ranks.size());
    std::snprintf(line, sizeof line,
                  "# communication share of a step: %.2f%% (worst rank, waiting for the slower rank included); the "
                  "gradient average alone: %.3f ms = %.3f%% of a step\n",
                  100 * worst_share, alone * 1e3, mean_step > 0 ? 100 * alone / mean_step : 0.0);
    out += line;
    std::snprintf(line, sizeof line, "# job: %.2f images/s (global batch / slowest rank's step)\n",
                  slowest_step > 0 ? o.batch / slowest_step : 0.0);
    out += line;
    return out;
}

}  // namespace segsweep
