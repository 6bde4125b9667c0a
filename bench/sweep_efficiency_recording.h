// SweepRecording: what `segsweep bench sweep record` keeps of a fully trained grid, and what
// `bench sweep replay` replays. One trial per grid point, each trained to its last epoch (patience 0),
// with every epoch's curve point (train/val loss, val hero IoU) and, at every epoch, the Follow-Me
// score of the weights a trial stopped there would be scored on: the best-so-far weights (lowest
// val_loss, as the trainer keeps them). So a replayed stopped trial gets the score the trainer would
// give it after its final evaluation, with no approximation.
//
// File format (compact JSON, numbers rounded to kRecordingDigits significant digits):
//   {"format": "segsweep-sweep-recording", "version": 1, "created": "...", "dataset": {...},
//    "sweep": <the grid sweep file as JSON>,
//    "trials": [{"config": {...}, "state": "completed", "final_score": x, "final_iou": x, "weight": x,
//                "epochs": [[epoch, train_loss, val_loss, val_iou, seconds, best_epoch,
//                            best_final_score, best_final_iou, best_weight], ...]}, ...]}
// A diverged trial keeps the epochs before the bad one and has no scores (null).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/trial_config.h"
#include "common/trial_result.h"

namespace segsweep {

inline constexpr const char* kSweepRecordingFormat = "segsweep-sweep-recording";
inline constexpr int kSweepRecordingVersion = 1;
inline constexpr int kRecordingDigits = 6;  // significant digits kept per number

// One epoch of a recorded trial.
struct RecordedEpoch {
    EpochMetrics metrics;
    int best_epoch = 0;                    // the best-so-far epoch (lowest val_loss) after this epoch
    std::optional<FollowMeScore> best_score;  // score of that epoch's weights (sets left out)
};

struct RecordedTrial {
    TrialConfig config;
    TrialState state = TrialState::completed;  // completed or diverged (the recording runs every epoch)
    std::optional<FollowMeScore> final_score;  // the trainer's own final score (sets left out)
    std::vector<RecordedEpoch> epochs;         // epochs 1..n in order
};

struct SweepRecording {
    std::string created;       // UTC date and time of the recording
    nlohmann::json dataset;    // how the dataset was made (synth settings) and its root
    nlohmann::json sweep;      // the grid sweep file (JSON) that planned the trials
    std::vector<RecordedTrial> trials;  // in grid order
};

nlohmann::json to_json(const SweepRecording& recording);
// Throws segsweep::Error naming `source` and the problem (wrong format, missing field, epochs out of order).
SweepRecording sweep_recording_from_json(const nlohmann::json& object, const std::string& source);

// Reads / writes a recording file (written atomically: a temporary file, then rename).
SweepRecording read_sweep_recording(const std::string& path);
void write_sweep_recording(const SweepRecording& recording, const std::string& path);

}  // namespace segsweep
