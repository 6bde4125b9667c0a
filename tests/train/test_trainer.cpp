// run_trial on the tiny synthetic set: it learns (validation loss falls, hero IoU rises above a
// stated threshold), writes the run files, early-stops at the right epoch keeping the best
// weights, obeys the coordinator's stop/cancel, refuses to overwrite a run, and returns a
// finished run's result on resume without training.
#include <filesystem>

#include <gtest/gtest.h>

#include "common/error.h"
#include "trainer_fixture.h"
#include "worker/train/run_files.h"

using namespace segsweep;
using segsweep::test::TinyTrainingTest;
namespace fs = std::filesystem;

namespace {

// The tiny model at 64 px, lr 0.03, 10 epochs (1 thread, seed 1) measured a best-epoch validation
// hero IoU of 0.21 and a final_score of 0.22 here; an untrained model scores 0 on both. About 45%
// of the validation images hold no hero and score 0 whatever the model does, which caps the IoU.
// The margin is not luck of one seed: seeds 1-4 gave best-epoch IoUs 0.19-0.28 and final_scores
// 0.16-0.32. One torch thread makes the run deterministic, so machine load cannot change it.
constexpr double kTinySetHeroIouThreshold = 0.15;
constexpr double kTinySetFinalScoreThreshold = 0.10;

}  // namespace

class Trainer : public TinyTrainingTest {};

TEST_F(Trainer, LearnsOnTinySyntheticSetAndWritesRunFiles) {
    TrialConfig config = tiny_config();
    config.image_size = 64;
    config.learning_rate = 0.03;
    config.num_epochs = 10;
    TrainOptions options = options_for("learns");
    TrialResult result = run_trial(config, options);

    ASSERT_EQ(result.state, TrialState::completed) << result.message;
    ASSERT_EQ(result.history.size(), 10u);
    EXPECT_EQ(result.epochs_run, 10);
    const EpochMetrics& first = result.history.front();
    const EpochMetrics& best = result.history.at(result.best_epoch - 1);
    EXPECT_LT(best.val_loss, first.val_loss);
    EXPECT_LT(result.history.back().train_loss, first.train_loss);
    EXPECT_GT(best.val_iou, kTinySetHeroIouThreshold) << "best epoch " << result.best_epoch;
    for (const auto& m : result.history) EXPECT_GE(m.val_loss, best.val_loss);  // best = lowest val_loss

    ASSERT_TRUE(result.score.has_value());
    EXPECT_EQ(result.score->sets.size(), 3u);
    int images = 0;
    for (const auto& set : result.score->sets) images += set.images;
    EXPECT_EQ(images, 48);
    EXPECT_GT(result.score->final_score, kTinySetFinalScoreThreshold);
    EXPECT_GT(result.images_per_sec, 0);

    for (const char* file : {kRunConfigFile, kRunHistoryFile, kRunCurvesFile, kRunCheckpointFile, kRunModelFile,
                             kRunResultFile})
        EXPECT_TRUE(fs::exists(options.run_dir / file)) << file;
    EXPECT_EQ(read_history(options.run_dir).size(), 10u);
    const nlohmann::json json = nlohmann::json::parse(read_text_file(options.run_dir / kRunResultFile));
    EXPECT_EQ(json.at("state"), "completed");
    EXPECT_DOUBLE_EQ(json.at("final_score").get<double>(), result.score->final_score);
    EXPECT_DOUBLE_EQ(json.at("final_IoU").get<double>(), result.score->final_iou);
    EXPECT_DOUBLE_EQ(json.at("weight").get<double>(), result.score->weight);
    EXPECT_TRUE(json.at("tp_fp_fn").contains("patrol_with_targ"));
    EXPECT_EQ(json.at("epochs_run"), 10);
    EXPECT_GT(json.at("eval_images_per_sec").get<double>(), 0);
    EXPECT_EQ(trial_result_from_json(json).history.size(), 10u);
}

TEST_F(Trainer, PatienceStopsAtTheRightEpochAndScoresTheBestWeights) {
    // min_delta 100: only the first epoch (from +inf) counts as an improvement, so with patience 2
    // epochs 2 and 3 do not improve and training stops after epoch 3 with best epoch 1.
    TrialConfig config = tiny_config();
    config.num_epochs = 6;
    config.patience = 2;
    config.min_delta = 100;
    TrialResult result = run_trial(config, options_for("patience"));
    ASSERT_EQ(result.state, TrialState::stopped_early) << result.message;
    EXPECT_EQ(result.epochs_run, 3);
    EXPECT_EQ(result.history.size(), 3u);
    EXPECT_EQ(result.best_epoch, 1);
    EXPECT_TRUE(result.score.has_value());
    EXPECT_NE(result.message.find("best epoch 1"), std::string::npos) << result.message;
}

TEST_F(Trainer, CoordinatorStopEarlyScoresAndCancelDoesNot) {
    TrialConfig config = tiny_config();
    TrainCallbacks stop;
    int calls = 0;
    stop.on_epoch = [&](const EpochMetrics& m) {
        ++calls;
        return m.epoch == 2 ? EpochDecision::stop_early : EpochDecision::proceed;
    };
    TrialResult stopped = run_trial(config, options_for("coordinator_stop"), stop);
    EXPECT_EQ(stopped.state, TrialState::stopped_early);
    EXPECT_EQ(stopped.epochs_run, 2);
    EXPECT_EQ(calls, 2);
    EXPECT_TRUE(stopped.score.has_value());

    TrainCallbacks cancel;
    cancel.on_epoch = [](const EpochMetrics&) { return EpochDecision::cancel; };
    TrainOptions options = options_for("coordinator_cancel");
    TrialResult cancelled = run_trial(config, options, cancel);
    EXPECT_EQ(cancelled.state, TrialState::cancelled);
    EXPECT_EQ(cancelled.epochs_run, 1);
    EXPECT_FALSE(cancelled.score.has_value());
    EXPECT_EQ(read_run_result(options.run_dir)->state, TrialState::cancelled);
}

TEST_F(Trainer, RefusesToOverwriteARunAndResumeOfAFinishedRunReturnsItsResult) {
    TrialConfig config = tiny_config();
    config.num_epochs = 1;
    TrainOptions options = options_for("finished");
    TrialResult first = run_trial(config, options);
    ASSERT_EQ(first.state, TrialState::completed);
    EXPECT_THROW(run_trial(config, options), Error);

    options.resume = true;
    TrainCallbacks never;
    never.on_epoch = [](const EpochMetrics&) -> EpochDecision {
        ADD_FAILURE() << "a finished run must not train again";
        return EpochDecision::proceed;
    };
    TrialResult again = run_trial(config, options, never);
    EXPECT_EQ(again.state, TrialState::completed);
    ASSERT_TRUE(again.score.has_value());
    EXPECT_DOUBLE_EQ(again.score->final_score, first.score->final_score);

    TrialConfig other = config;
    other.learning_rate = 0.02;
    EXPECT_THROW(run_trial(other, options), Error);
}

TEST_F(Trainer, MissingDataRootIsAClearError) {
    TrainOptions options = options_for("no_data");
    options.data_root = options.run_dir / "nowhere";
    try {
        run_trial(tiny_config(), options);
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("nowhere"), std::string::npos) << e.what();
    }
}
