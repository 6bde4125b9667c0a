// Evaluation passes of the FCN, sharded over the ranks of a data-parallel job with their sums
// reduced (one rank: plain loops):
//   - validate(): validation loss (Keras: the mean over every pixel of every image, i.e. batch
//     means weighted by batch size) and validation hero IoU (the Udacity scorer's mean of per-image
//     IoUs), over `steps` batches of the validation stream;
//   - score_evaluation_sets(): the exact Follow-Me score of the three evaluation sets through the
//     data layer's scorer (each rank scores contiguous slices; TP/FP/FN and IoU sums are reduced).
// Both run the model in eval mode under InferenceMode. Call average_batch_norm_statistics first
// in a multi-rank job, so every rank evaluates the same model.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include <torch/types.h>

#include "common/trial_result.h"
#include "worker/comm/communicator.h"
#include "worker/comm/gradient_averager.h"
#include "worker/data/batch_loader.h"
#include "worker/data/image_set.h"
#include "worker/model/fcn.h"

namespace segsweep {

struct ValidationMetrics {
    double loss = 0;       // mean cross-entropy per pixel, all ranks
    double hero_iou = 0;   // mean per-image hero IoU, all ranks
    int64_t images = 0;    // images evaluated, all ranks
    double seconds = 0;
};

// BN running mean/variance := their mean over ranks (a no-op with one rank).
void average_batch_norm_statistics(FcnImpl& model, GradientAverager& averager);

// `loader` streams `set` (validation, this rank's slice). `interrupted` is polled before each
// batch (agreed across ranks); nullopt when it asked to stop.
std::optional<ValidationMetrics> validate(FcnImpl& model, BatchLoader& loader, int64_t steps, const ImageSet& set,
                                          Communicator& comm, const torch::Device& device,
                                          const std::function<bool()>& interrupted = {});

struct EvaluationRun {
    FollowMeScore score;
    int64_t images = 0;    // all ranks
    double seconds = 0;
    double images_per_sec = 0;
};

// sets: the three evaluation sets (any order; names as kEvaluationSetNames). batch_per_rank
// images per forward on each rank; workers: loader threads.
EvaluationRun score_evaluation_sets(FcnImpl& model, const std::vector<ImageSet>& sets, Communicator& comm,
                                    const torch::Device& device, int batch_per_rank, int workers,
                                    bool channels_last);

}  // namespace segsweep
