// Resume equals an uninterrupted run: a run preempted mid-epoch (interrupt_requested) and resumed
// from its newest checkpoint gives bit-identical losses, IoUs and score to one never interrupted
// (1 torch thread, CPU, same seed). Also: a preempted run reports state running.
#include <filesystem>

#include <gtest/gtest.h>

#include "trainer_fixture.h"
#include "worker/train/run_files.h"

using namespace segsweep;
using segsweep::test::TinyTrainingTest;

class Resume : public TinyTrainingTest {};

TEST_F(Resume, PreemptedAndResumedRunEqualsAnUninterruptedOne) {
    TrialConfig config = tiny_config();
    config.num_epochs = 3;
    config.flip = true;  // augmentation draws must continue where they stopped too
    const TrialResult straight = run_trial(config, options_for("resume_straight"));
    ASSERT_EQ(straight.state, TrialState::completed) << straight.message;

    // 192 images / batch 8 = 24 training polls + 48 / 8 = 6 validation polls per epoch: poll 34 is
    // the 4th training batch of epoch 2.
    TrainOptions options = options_for("resume_interrupted");
    int polls = 0;
    TrainCallbacks preempt;
    preempt.interrupt_requested = [&]() { return ++polls == 34; };
    const TrialResult stopped = run_trial(config, options, preempt);
    ASSERT_TRUE(was_preempted(stopped)) << trial_state_name(stopped.state) << ": " << stopped.message;
    EXPECT_EQ(stopped.epochs_run, 1);
    EXPECT_FALSE(read_run_result(options.run_dir).has_value());

    options.resume = true;
    std::vector<int> reported;
    TrainCallbacks record;
    record.on_epoch = [&](const EpochMetrics& m) {
        reported.push_back(m.epoch);
        return EpochDecision::proceed;
    };
    const TrialResult resumed = run_trial(config, options, record);
    ASSERT_EQ(resumed.state, TrialState::completed) << resumed.message;
    EXPECT_EQ(reported, (std::vector<int>{2, 3}));
    ASSERT_EQ(resumed.history.size(), straight.history.size());
    for (size_t i = 0; i < straight.history.size(); ++i) {
        EXPECT_EQ(resumed.history[i].train_loss, straight.history[i].train_loss) << "epoch " << i + 1;
        EXPECT_EQ(resumed.history[i].val_loss, straight.history[i].val_loss) << "epoch " << i + 1;
        EXPECT_EQ(resumed.history[i].val_iou, straight.history[i].val_iou) << "epoch " << i + 1;
    }
    EXPECT_EQ(resumed.best_epoch, straight.best_epoch);
    ASSERT_TRUE(resumed.score && straight.score);
    EXPECT_EQ(resumed.score->final_score, straight.score->final_score);
    EXPECT_EQ(resumed.score->final_iou, straight.score->final_iou);
    EXPECT_EQ(read_history(options.run_dir).size(), 3u);
}

TEST_F(Resume, ResumeWithoutACheckpointStartsAfresh) {
    TrialConfig config = tiny_config();
    config.num_epochs = 1;
    TrainOptions options = options_for("resume_fresh");
    options.resume = true;
    const TrialResult result = run_trial(config, options);
    EXPECT_EQ(result.state, TrialState::completed);
    EXPECT_EQ(result.epochs_run, 1);
}

TEST_F(Resume, PreemptionBeforeTheFirstCheckpointLeavesNothingToResume) {
    TrialConfig config = tiny_config();
    TrainOptions options = options_for("resume_early_preempt");
    TrainCallbacks preempt;
    preempt.interrupt_requested = []() { return true; };
    const TrialResult stopped = run_trial(config, options, preempt);
    EXPECT_TRUE(was_preempted(stopped));
    EXPECT_EQ(stopped.epochs_run, 0);
    EXPECT_FALSE(std::filesystem::exists(options.run_dir / kRunCheckpointFile));
}
