// Sharded validation and final scoring of the FCN (see evaluation.h).
#include "worker/train/evaluation.h"

#include <chrono>

#include <torch/torch.h>

#include "common/error.h"
#include "worker/data/scorer.h"
#include "worker/data/tensor_scoring.h"
#include "worker/model/loss.h"
#include "worker/train/rank_reduce.h"

namespace segsweep {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Adds each image of a probability batch to `scorer`, pairing image i with set.mask(indices[i]).
void score_batch_images(EvalSetScorer& scorer, const ImageSet& set, const std::vector<int>& indices,
                        const torch::Tensor& probabilities) {
    torch::Tensor host = probabilities.to(torch::kCPU);
    const bool channels_last = host.is_contiguous(torch::MemoryFormat::ChannelsLast) && !host.is_contiguous();
    const ProbabilityLayout layout = channels_last ? ProbabilityLayout::hwc : ProbabilityLayout::chw;
    host = channels_last ? host.permute({0, 2, 3, 1}).contiguous() : host.contiguous();
    const int side = set.size;
    const float* data = host.data_ptr<float>();
    const size_t per_image = static_cast<size_t>(side) * side * 3;
    for (size_t i = 0; i < indices.size(); ++i)
        scorer.add_probabilities(set.mask(indices[i]), data + per_image * i, layout, side, side);
}

}  // namespace

void average_batch_norm_statistics(FcnImpl& model, GradientAverager& averager) {
    std::vector<at::Tensor> statistics;
    for (auto& bn : model.batch_norms()) {
        statistics.push_back(bn->running_mean);
        statistics.push_back(bn->running_var);
    }
    averager.average_tensors(statistics);
}

std::optional<ValidationMetrics> validate(FcnImpl& model, BatchLoader& loader, int64_t steps, const ImageSet& set,
                                          Communicator& comm, const torch::Device& device,
                                          const std::function<bool()>& interrupted) {
    const auto start = std::chrono::steady_clock::now();
    model.eval();
    torch::InferenceMode inference;
    EvalSetScorer scorer(set.name);
    double loss_sum = 0, pixels = 0;
    for (int64_t step = 0; step < steps; ++step) {
        if (interrupted && any_rank(comm, interrupted(), device)) return std::nullopt;
        Batch batch = loader.next();
        const int64_t local = batch.x.size(0);
        if (local == 0) continue;
        torch::Tensor x = batch.x.to(device), y = batch.y.to(device);
        torch::Tensor probabilities = model.forward(x);
        loss_sum += categorical_crossentropy_sum(probabilities, y).item<double>();
        pixels += static_cast<double>(local) * x.size(2) * x.size(3);
        score_batch_images(scorer, set, batch.indices, probabilities);
    }
    const EvalSetScore local = scorer.result();
    std::vector<double> sums = {loss_sum, pixels, local.iou_hero * local.images, static_cast<double>(local.images)};
    allreduce_sums(comm, sums, device);
    ValidationMetrics metrics;
    metrics.loss = sums[1] > 0 ? sums[0] / sums[1] : 0.0;
    metrics.hero_iou = sums[3] > 0 ? sums[2] / sums[3] : 0.0;
    metrics.images = static_cast<int64_t>(sums[3]);
    metrics.seconds = seconds_since(start);
    return metrics;
}

EvaluationRun score_evaluation_sets(FcnImpl& model, const std::vector<ImageSet>& sets, Communicator& comm,
                                    const torch::Device& device, int batch_per_rank, int workers,
                                    bool channels_last) {
    const auto start = std::chrono::steady_clock::now();
    model.eval();
    torch::InferenceMode inference;
    std::vector<EvalSetScore> scores;
    EvaluationRun run;
    for (const ImageSet& set : sets) {
        BatchLoaderOptions options;
        options.batch_size = batch_per_rank * comm.size();
        options.shuffle = false;
        options.workers = workers;
        options.channels_last = channels_last;
        options.rank = comm.rank();
        options.ranks = comm.size();
        BatchLoader loader(set, options);
        EvalSetScorer scorer(set.name);
        for (int64_t step = 0; step < loader.batches_per_pass(); ++step) {
            Batch batch = loader.next();
            if (batch.indices.empty()) continue;
            // Unshuffled, a rank's slice is one contiguous run of the set.
            add_probability_batch(scorer, set, batch.indices.front(), model.forward(batch.x.to(device)));
        }
        const EvalSetScore local = scorer.result();
        std::vector<double> sums = {static_cast<double>(local.images),
                                    local.iou_background * local.images,
                                    local.iou_people * local.images,
                                    local.iou_hero * local.images,
                                    static_cast<double>(local.true_positives),
                                    static_cast<double>(local.false_positives),
                                    static_cast<double>(local.false_negatives)};
        allreduce_sums(comm, sums, device);
        EvalSetScore total = local;
        if (comm.size() > 1) {
            total.images = static_cast<int>(sums[0]);
            total.iou_background = sums[0] > 0 ? sums[1] / sums[0] : 0.0;
            total.iou_people = sums[0] > 0 ? sums[2] / sums[0] : 0.0;
            total.iou_hero = sums[0] > 0 ? sums[3] / sums[0] : 0.0;
            total.true_positives = static_cast<int>(sums[4]);
            total.false_positives = static_cast<int>(sums[5]);
            total.false_negatives = static_cast<int>(sums[6]);
        }
        if (total.images != set.count)
            throw Error("evaluation of " + set.name + ": scored " + std::to_string(total.images) + " of " +
                        std::to_string(set.count) + " images");
        run.images += total.images;
        scores.push_back(total);
    }
    run.score = combine_follow_me_score(scores);
    run.seconds = seconds_since(start);
    run.images_per_sec = run.seconds > 0 ? run.images / run.seconds : 0.0;
    return run;
}

}  // namespace segsweep
