// Helpers for the results tests: a fresh scratch store path per test, and small builders for
// configs and results.
#pragma once

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "common/trial_result.h"
#include "results/results_store.h"

namespace segsweep::testing {

// SEGSWEEP_TEST_TMP/results/<suite>.<test>/store.db, removed first.
inline std::string fresh_store_path() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    const std::filesystem::path folder = std::filesystem::path(SEGSWEEP_TEST_TMP) / "results" /
                                         (std::string(info->test_suite_name()) + "." + info->name());
    std::filesystem::remove_all(folder);
    std::filesystem::create_directories(folder);
    return (folder / "store.db").string();
}

inline TrialConfig config_with(double learning_rate, int batch_size, int num_epochs = 10) {
    TrialConfig config;
    config.learning_rate = learning_rate;
    config.batch_size = batch_size;
    config.num_epochs = num_epochs;
    return config;
}

inline SweepSubmission submission(const std::string& name) {
    SweepSubmission s;
    s.name = name;
    s.source = name + ".json";
    s.file_format = "json";
    s.file_text = "{\"method\": \"grid\"}";
    s.spec = {{"method", "grid"}, {"name", name}};
    return s;
}

inline EpochMetrics epoch(int number, double val_loss, double val_iou) {
    EpochMetrics m;
    m.epoch = number;
    m.train_loss = val_loss * 0.9;
    m.val_loss = val_loss;
    m.val_iou = val_iou;
    m.images_per_sec = 100;
    m.seconds = 2;
    return m;
}

inline TrialResult scored_result(const TrialConfig& config, double final_score, double final_iou, double weight,
                                 TrialState state = TrialState::completed, int epochs_run = 10) {
    TrialResult result;
    result.state = state;
    result.config = config;
    result.epochs_run = epochs_run;
    result.best_epoch = epochs_run;
    FollowMeScore score;
    score.final_score = final_score;
    score.final_iou = final_iou;
    score.weight = weight;
    EvalSetScore following;
    following.name = "following_images";
    following.images = 542;
    following.iou_hero = 0.9;
    following.true_positives = 539;
    following.false_negatives = 0;
    following.false_positives = 0;
    score.sets.push_back(following);
    result.score = score;
    result.wall_seconds = 125;
    result.images_per_sec = 80;
    return result;
}

}  // namespace segsweep::testing
