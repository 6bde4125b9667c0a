// What a trial produces: per-epoch metrics, the Udacity Follow-Me score and the final result,
// plus the trial states of ../shared/DESIGN.md. Plain structs with JSON conversion, shared by the
// trainer (worker/), the results store (results/) and the protocol (common/protocol).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/trial_config.h"

namespace segsweep {

// pending --assign--> running --> completed | stopped_early | diverged | failed | cancelled
enum class TrialState { pending, running, completed, stopped_early, diverged, failed, cancelled };

const char* trial_state_name(TrialState state);
// Throws segsweep::Error on an unknown name.
TrialState trial_state_from_name(const std::string& name);
// completed, stopped_early, diverged, failed and cancelled are final.
bool trial_state_is_final(TrialState state);

// One epoch of one trial, as the trainer reports it.
struct EpochMetrics {
    int epoch = 0;                 // 1-based
    double train_loss = 0;         // mean categorical cross-entropy over the epoch's training batches
    double val_loss = 0;           // mean over the validation batches
    double val_iou = 0;            // validation hero IoU (mean of per-image IoU, as the Udacity scorer)
    double images_per_sec = 0;     // training throughput of this epoch (all ranks together)
    double seconds = 0;            // wall time of the epoch, validation included
};

// The Udacity score of one evaluation set (following_images, patrol_non_targ, patrol_with_targ).
struct EvalSetScore {
    std::string name;
    int images = 0;
    double iou_background = 0;     // mean over all images of the per-image IoU (empty union scores 0)
    double iou_people = 0;
    double iou_hero = 0;
    int true_positives = 0;        // hero in the mask (>3 px) and in the prediction (>3 px)
    int false_positives = 0;       // hero only in the prediction
    int false_negatives = 0;       // hero only in the mask
};

// The whole Follow-Me score: weight = TP/(TP+FN+FP) over the three sets; final_iou = mean hero IoU
// of following_images and patrol_with_targ; final_score = final_iou * weight.
struct FollowMeScore {
    std::vector<EvalSetScore> sets;
    double weight = 0;
    double final_iou = 0;
    double final_score = 0;
};

// The final report of one trial run (one attempt).
struct TrialResult {
    TrialState state = TrialState::completed;  // completed | stopped_early | diverged | failed | cancelled
    std::string message;                        // why it ended this way ("val_loss did not improve for 5 epochs")
    TrialConfig config;
    std::vector<EpochMetrics> history;          // every epoch run, in order
    int epochs_run = 0;
    int best_epoch = 0;                         // epoch whose weights were scored
    std::optional<FollowMeScore> score;         // absent when the trial diverged or failed before scoring
    double wall_seconds = 0;
    double images_per_sec = 0;                  // training throughput over the whole run
};

nlohmann::json to_json(const EpochMetrics& metrics);
EpochMetrics epoch_metrics_from_json(const nlohmann::json& object);
nlohmann::json to_json(const EvalSetScore& score);
EvalSetScore eval_set_score_from_json(const nlohmann::json& object);
nlohmann::json to_json(const FollowMeScore& score);
FollowMeScore follow_me_score_from_json(const nlohmann::json& object);
nlohmann::json to_json(const TrialResult& result);
// Throws segsweep::Error naming the missing or mistyped field.
TrialResult trial_result_from_json(const nlohmann::json& object);

}  // namespace segsweep
