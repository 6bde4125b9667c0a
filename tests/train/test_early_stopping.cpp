// EarlyStopping on scripted validation curves: Keras' rule (improve = below best - min_delta,
// stop once `patience` epochs in a row did not improve), patience 0 never stops, NaN never
// improves, and the state survives a checkpoint round trip.
#include <cmath>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

#include "common/error.h"
#include "worker/train/early_stopping.h"

using namespace segsweep;

namespace {

// Feeds the curve until the stopper says stop; returns the epoch it stopped after (0 = never).
int stop_epoch(EarlyStopping& stopping, const std::vector<double>& curve) {
    for (size_t i = 0; i < curve.size(); ++i) {
        stopping.update(static_cast<int>(i) + 1, curve[i]);
        if (stopping.should_stop()) return static_cast<int>(i) + 1;
    }
    return 0;
}

}  // namespace

TEST(EarlyStopping, StopsAfterPatienceEpochsWithoutImprovement) {
    // Best at epoch 3 (0.5); epochs 4, 5, 6 do not improve: patience 3 stops after epoch 6.
    EarlyStopping stopping(3, 0.0);
    EXPECT_EQ(stop_epoch(stopping, {0.9, 0.7, 0.5, 0.6, 0.55, 0.51, 0.4, 0.3}), 6);
    EXPECT_EQ(stopping.best_epoch(), 3);
    EXPECT_DOUBLE_EQ(stopping.best_value(), 0.5);
}

TEST(EarlyStopping, ImprovementResetsTheWait) {
    EarlyStopping stopping(2, 0.0);
    // 1:1.0 best, 2:1.1 wait 1, 3:0.9 best, 4:0.95 wait 1, 5:0.8 best, 6:0.85, 7:0.85 -> stop after 7.
    EXPECT_EQ(stop_epoch(stopping, {1.0, 1.1, 0.9, 0.95, 0.8, 0.85, 0.85, 0.1}), 7);
    EXPECT_EQ(stopping.best_epoch(), 5);
}

TEST(EarlyStopping, MinDeltaDemandsAClearImprovement) {
    // With min_delta 0.05 the drops 1.0 -> 0.97 -> 0.96 are not improvements.
    EarlyStopping stopping(2, 0.05);
    EXPECT_EQ(stop_epoch(stopping, {1.0, 0.97, 0.96, 0.5}), 3);
    EXPECT_EQ(stopping.best_epoch(), 1);
    // ... but 1.0 -> 0.94 is.
    EarlyStopping other(2, 0.05);
    EXPECT_TRUE(other.update(1, 1.0));
    EXPECT_TRUE(other.update(2, 0.94));
}

TEST(EarlyStopping, EqualLossIsNotAnImprovement) {
    EarlyStopping stopping(1, 0.0);
    EXPECT_EQ(stop_epoch(stopping, {0.5, 0.5}), 2);
}

TEST(EarlyStopping, PatienceZeroNeverStopsButTracksTheBest) {
    EarlyStopping stopping(0, 0.0);
    EXPECT_EQ(stop_epoch(stopping, {0.3, 0.4, 0.5, 0.6, 0.7, 0.8}), 0);
    EXPECT_EQ(stopping.best_epoch(), 1);
}

TEST(EarlyStopping, NanNeverImproves) {
    EarlyStopping stopping(2, 0.0);
    EXPECT_FALSE(stopping.update(1, std::numeric_limits<double>::quiet_NaN()));
    EXPECT_EQ(stopping.best_epoch(), 0);
    EXPECT_TRUE(stopping.update(2, 0.7));
    EXPECT_FALSE(stopping.update(3, std::nan("")));
    EXPECT_FALSE(stopping.update(4, std::nan("")));
    EXPECT_TRUE(stopping.should_stop());
}

TEST(EarlyStopping, StateRoundTripContinuesTheSameWay) {
    const std::vector<double> curve = {0.9, 0.8, 0.85, 0.86, 0.87, 0.88};
    EarlyStopping straight(3, 0.0);
    const int expected = stop_epoch(straight, curve);
    ASSERT_EQ(expected, 5);

    EarlyStopping first(3, 0.0);
    first.update(1, curve[0]);
    first.update(2, curve[1]);
    first.update(3, curve[2]);
    EarlyStopping resumed(3, 0.0);
    resumed.restore(nlohmann::json::parse(first.state().dump()));
    EXPECT_EQ(resumed.wait(), 1);
    resumed.update(4, curve[3]);
    EXPECT_FALSE(resumed.should_stop());
    resumed.update(5, curve[4]);
    EXPECT_TRUE(resumed.should_stop());
    EXPECT_EQ(resumed.best_epoch(), 2);
}

TEST(EarlyStopping, FreshStateRoundTripsWithoutABest) {
    EarlyStopping fresh(2, 0.0);
    EarlyStopping copy(2, 0.0);
    copy.restore(nlohmann::json::parse(fresh.state().dump()));
    EXPECT_EQ(copy.best_epoch(), 0);
    EXPECT_TRUE(copy.update(1, 123.0));
}

TEST(EarlyStopping, RejectsNegativePatienceAndBadState) {
    EXPECT_THROW(EarlyStopping(-1, 0.0), Error);
    EarlyStopping stopping(1, 0.0);
    EXPECT_THROW(stopping.restore(nlohmann::json{{"wait", 1}}), Error);
}
