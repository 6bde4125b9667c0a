// The median stopping rule (Vizier): grace period, minimum finished trials, running averages,
// strictly-worse comparison, and that running trials are not references. Values worked by hand.
#include <gtest/gtest.h>

#include "sweeps/early_stopping.h"
#include "tests/sweeps/sweep_test_support.h"

namespace segsweep {
namespace {

SweepSpec median_sweep(const std::string& metric, int grace_period, int min_trials) {
    return testing::parse_json_sweep(R"({"method": "grid", "metric": {"name": ")" + metric +
                                     R"("}, "parameters": {"batch_size": {"value": 8}},
        "early_terminate": {"type": "median", "grace_period": )" +
                                     std::to_string(grace_period) + ", \"min_trials\": " + std::to_string(min_trials) +
                                     "}}");
}

EpochMetrics epoch(int number, double val_loss, double val_iou = 0) {
    EpochMetrics m;
    m.epoch = number;
    m.val_loss = val_loss;
    m.val_iou = val_iou;
    return m;
}

void finished_trial(EarlyStopper& stopper, int64_t id, const std::vector<double>& losses) {
    for (size_t i = 0; i < losses.size(); ++i) stopper.observe_epoch(id, 1, epoch(static_cast<int>(i + 1), losses[i]));
    stopper.observe_finished(id);
}

TEST(MedianRule, StopsBelowTheMedianOfRunningAverages) {
    EarlyStopper stopper(median_sweep("val_loss", 2, 2));
    // Running averages at epoch 2: A (1.0+0.8)/2 = 0.9, B (0.9+0.7)/2 = 0.8, C (1.2+1.0)/2 = 1.1.
    finished_trial(stopper, 1, {1.0, 0.8, 0.6});
    finished_trial(stopper, 2, {0.9, 0.7, 0.5});
    finished_trial(stopper, 3, {1.2, 1.0, 0.9});
    // Within the grace period nothing stops, however bad.
    EXPECT_FALSE(stopper.on_epoch(10, 1, epoch(1, 5.0)).stop);
    // Epoch 2: best so far 0.95 against the median of {0.8, 0.9, 1.1} = 0.9: worse, stop.
    const StopDecision decision = stopper.on_epoch(10, 1, epoch(2, 0.95));
    EXPECT_TRUE(decision.stop);
    EXPECT_NE(decision.reason.find("median rule: best val_loss 0.95 by epoch 2 is worse than the median 0.9 of 3 "
                                   "finished trials"),
              std::string::npos)
        << decision.reason;
    // A trial whose best (0.85, at epoch 1) beats the median continues even with a bad epoch 2.
    stopper.observe_epoch(11, 1, epoch(1, 0.85));
    EXPECT_FALSE(stopper.on_epoch(11, 1, epoch(2, 1.3)).stop);
}

TEST(MedianRule, EvenCountTakesTheMiddleMeanAndTiesContinue) {
    EarlyStopper stopper(median_sweep("val_loss", 1, 2));
    finished_trial(stopper, 1, {1.0, 0.8});  // averages 1.0, 0.9
    finished_trial(stopper, 2, {0.9, 0.7});  // averages 0.9, 0.8
    stopper.observe_epoch(3, 1, epoch(1, 1.0));
    EXPECT_TRUE(stopper.on_epoch(3, 1, epoch(2, 0.86)).stop);  // median (0.8 + 0.9)/2 = 0.85 < 0.86
    stopper.observe_epoch(4, 1, epoch(1, 1.0));
    EXPECT_FALSE(stopper.on_epoch(4, 1, epoch(2, 0.85)).stop);  // equal is not strictly worse
}

TEST(MedianRule, NeedsMinTrialsFinishedAtThatEpoch) {
    EarlyStopper stopper(median_sweep("val_loss", 1, 2));
    finished_trial(stopper, 1, {0.1, 0.1, 0.1});
    finished_trial(stopper, 2, {0.1});  // finished after one epoch: no reference at epoch 2
    // Running trials are not references either.
    stopper.observe_epoch(3, 1, epoch(1, 0.01));
    stopper.observe_epoch(3, 1, epoch(2, 0.01));
    EXPECT_TRUE(stopper.on_epoch(4, 1, epoch(1, 0.5)).stop);   // epoch 1: 2 finished trials, median 0.1
    EXPECT_FALSE(stopper.on_epoch(4, 1, epoch(2, 0.5)).stop);  // epoch 2: only trial 1 reached it
}

TEST(MedianRule, MaximisedMetric) {
    EarlyStopper stopper(median_sweep("val_iou", 1, 1));
    EpochMetrics good = epoch(1, 0, 0.6);
    stopper.observe_epoch(1, 1, good);
    stopper.observe_finished(1);
    EXPECT_TRUE(stopper.on_epoch(2, 1, epoch(1, 0, 0.5)).stop);   // 0.5 < 0.6
    EXPECT_FALSE(stopper.on_epoch(3, 1, epoch(1, 0, 0.7)).stop);  // 0.7 > 0.6
}

}  // namespace
}  // namespace segsweep
