// The sweep metric: per-epoch values, a trial's value, and metric.target as a pure check.
#include <cmath>

#include <gtest/gtest.h>

#include "sweeps/sweep_metric.h"

namespace segsweep {
namespace {

MetricSpec metric(const std::string& name, std::optional<double> target) {
    MetricSpec m;
    m.name = name;
    m.goal = natural_goal(name);
    m.target = target;
    return m;
}

EpochMetrics epoch(int n, double val_loss, double val_iou) {
    EpochMetrics e;
    e.epoch = n;
    e.val_loss = val_loss;
    e.val_iou = val_iou;
    return e;
}

TEST(SweepMetric, PerEpochMetricOfEachName) {
    EXPECT_EQ(epoch_metric_name(metric("val_loss", {})), "val_loss");
    EXPECT_EQ(epoch_metric_name(metric("val_iou", {})), "val_iou");
    EXPECT_EQ(epoch_metric_name(metric("final_score", {})), "val_loss");
    EXPECT_EQ(epoch_metric_name(metric("final_iou", {})), "val_loss");
    EXPECT_EQ(epoch_metric_goal(metric("val_iou", {})), MetricGoal::maximize);
    EXPECT_EQ(epoch_metric_goal(metric("final_score", {})), MetricGoal::minimize);
    EXPECT_EQ(epoch_metric_goal(metric("final_iou", {})), MetricGoal::minimize);
    EXPECT_EQ(natural_goal("val_loss"), MetricGoal::minimize);
    EXPECT_EQ(natural_goal("final_score"), MetricGoal::maximize);
}

TEST(SweepMetric, TrialValue) {
    TrialResult result;
    result.history = {epoch(1, 0.5, 0.2), epoch(2, 0.3, 0.4), epoch(3, std::nan(""), 0.35)};
    EXPECT_DOUBLE_EQ(*trial_metric_value(metric("val_loss", {}), result), 0.3);
    EXPECT_DOUBLE_EQ(*trial_metric_value(metric("val_iou", {}), result), 0.4);
    EXPECT_FALSE(trial_metric_value(metric("final_score", {}), result));  // not scored
    FollowMeScore score;
    score.final_score = 0.41;
    score.final_iou = 0.55;
    result.score = score;
    EXPECT_DOUBLE_EQ(*trial_metric_value(metric("final_score", {}), result), 0.41);
    EXPECT_DOUBLE_EQ(*trial_metric_value(metric("final_iou", {}), result), 0.55);
}

TEST(SweepMetric, TargetReached) {
    EXPECT_FALSE(metric_target_reached(metric("final_score", {}), 1.0));  // no target
    EXPECT_TRUE(metric_target_reached(metric("final_score", 0.4), 0.4));
    EXPECT_FALSE(metric_target_reached(metric("final_score", 0.4), 0.39));
    EXPECT_TRUE(metric_target_reached(metric("val_loss", 0.1), 0.09));
    EXPECT_FALSE(metric_target_reached(metric("val_loss", 0.1), 0.11));
    EXPECT_FALSE(metric_target_reached(metric("val_loss", 0.1), std::nan("")));
    // Epoch reports count for the per-epoch metrics only; final metrics need a result.
    EXPECT_TRUE(metric_target_reached(metric("val_iou", 0.5), epoch(3, 1.0, 0.6)));
    EXPECT_FALSE(metric_target_reached(metric("final_iou", 0.5), epoch(3, 1.0, 0.6)));
    TrialResult result;
    FollowMeScore score;
    score.final_iou = 0.6;
    result.score = score;
    EXPECT_TRUE(metric_target_reached(metric("final_iou", 0.5), result));
}

}  // namespace
}  // namespace segsweep
