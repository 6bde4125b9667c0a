// Trial results and states: JSON round trip (NaN survives as null), state names.
#include <cmath>

#include <gtest/gtest.h>

#include "common/error.h"
#include "common/trial_result.h"

TEST(TrialResult, RoundTripWithScoreAndNaNLoss) {
    segsweep::TrialResult r;
    r.state = segsweep::TrialState::diverged;
    r.message = "loss became NaN at epoch 2";
    r.history.push_back({1, 0.9, 0.8, 0.1, 12.5, 3.0});
    r.history.push_back({2, std::nan(""), 0.7, 0.2, 12.0, 3.1});
    r.epochs_run = 2;
    r.best_epoch = 1;
    segsweep::FollowMeScore s;
    s.sets.push_back({"following_images", 542, 0.99, 0.3, 0.8588, 539, 1, 0});
    s.weight = 0.7122;
    s.final_iou = 0.5697;
    s.final_score = 0.4057;
    r.score = s;
    auto text = segsweep::to_json(r).dump();
    auto back = segsweep::trial_result_from_json(nlohmann::json::parse(text));
    EXPECT_EQ(back.state, segsweep::TrialState::diverged);
    EXPECT_EQ(back.message, r.message);
    ASSERT_EQ(back.history.size(), 2u);
    EXPECT_TRUE(std::isnan(back.history[1].train_loss));
    EXPECT_DOUBLE_EQ(back.history[1].val_loss, 0.7);
    ASSERT_TRUE(back.score.has_value());
    EXPECT_EQ(back.score->sets[0].true_positives, 539);
    EXPECT_DOUBLE_EQ(back.score->final_score, 0.4057);
}

TEST(TrialResult, MissingFieldIsNamed) {
    try {
        segsweep::trial_result_from_json({{"state", "completed"}});
        FAIL() << "expected an error";
    } catch (const segsweep::Error& e) {
        EXPECT_NE(std::string(e.what()).find("result.config: missing"), std::string::npos) << e.what();
    }
}

TEST(TrialState, NamesRoundTripAndFinality) {
    using segsweep::TrialState;
    for (auto s : {TrialState::pending, TrialState::running, TrialState::completed, TrialState::stopped_early,
                   TrialState::diverged, TrialState::failed, TrialState::cancelled})
        EXPECT_EQ(segsweep::trial_state_from_name(segsweep::trial_state_name(s)), s);
    EXPECT_FALSE(segsweep::trial_state_is_final(TrialState::running));
    EXPECT_TRUE(segsweep::trial_state_is_final(TrialState::stopped_early));
    EXPECT_THROW(segsweep::trial_state_from_name("done"), segsweep::Error);
}
