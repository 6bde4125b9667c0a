// Expansion into trials: grid order and counts, dedup, run_cap, seeded random draws, validity.
#include <set>

#include <gtest/gtest.h>

#include "sweeps/trial_planner.h"
#include "tests/sweeps/sweep_test_support.h"

namespace segsweep {
namespace {

using testing::parse_json_sweep;

TEST(TrialPlanner, GridIsTheCartesianProductLastNameFastest) {
    const auto spec = parse_json_sweep(R"({"method": "grid", "parameters": {
        "learning_rate": {"values": [0.01, 0.001]},
        "batch_size": {"values": [8, 16, 32]},
        "num_epochs": {"value": 5}}})");
    const auto plan = plan_trials(spec);
    EXPECT_EQ(plan.grid_size, 6u);
    ASSERT_EQ(plan.trials.size(), 6u);
    // Names sorted: batch_size, learning_rate, num_epochs; learning_rate varies fastest.
    const int expected_batch[] = {8, 8, 16, 16, 32, 32};
    const double expected_lr[] = {0.01, 0.001, 0.01, 0.001, 0.01, 0.001};
    for (size_t i = 0; i < 6; ++i) {
        EXPECT_EQ(plan.trials[i].index, static_cast<int>(i));
        EXPECT_EQ(plan.trials[i].config.batch_size, expected_batch[i]);
        EXPECT_DOUBLE_EQ(plan.trials[i].config.learning_rate, expected_lr[i]);
        EXPECT_EQ(plan.trials[i].config.num_epochs, 5);
        EXPECT_EQ(plan.trials[i].hash, config_hash(plan.trials[i].config));
        EXPECT_EQ(plan.trials[i].parameters["batch_size"], expected_batch[i]);
    }
    // Keys not swept keep the trial defaults.
    EXPECT_EQ(plan.trials[0].config.image_size, TrialConfig{}.image_size);
}

TEST(TrialPlanner, GridDropsDuplicateConfigs) {
    // 64 and 64.0 are the same batch size; 0.001 equals the default learning rate given twice.
    const auto spec = parse_json_sweep(R"({"method": "grid", "parameters": {
        "batch_size": {"values": [64, 32, 64.0]},
        "learning_rate": {"values": [0.001, 0.001]}}})");
    const auto plan = plan_trials(spec);
    EXPECT_EQ(plan.grid_size, 6u);
    ASSERT_EQ(plan.trials.size(), 2u);
    EXPECT_EQ(plan.duplicates_dropped, 4);
    EXPECT_EQ(plan.trials[0].config.batch_size, 64);
    EXPECT_EQ(plan.trials[1].config.batch_size, 32);
    EXPECT_NE(plan.trials[0].hash, plan.trials[1].hash);
}

TEST(TrialPlanner, GridRunCapKeepsTheFirstPoints) {
    const auto spec = parse_json_sweep(R"({"method": "grid", "run_cap": 4, "parameters": {
        "batch_size": {"min": 1, "max": 10}}})");
    const auto plan = plan_trials(spec);
    ASSERT_EQ(plan.trials.size(), 4u);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(plan.trials[i].config.batch_size, i + 1);
    ASSERT_FALSE(plan.notes.empty());
    EXPECT_NE(plan.notes.back().find("run_cap 4 keeps the first 4 of 10 grid points"), std::string::npos);
    // A run_cap above the grid size never adds trials.
    const auto small = parse_json_sweep(R"({"method": "grid", "run_cap": 50, "parameters": {
        "batch_size": {"values": [8, 16]}}})");
    EXPECT_EQ(plan_trials(small).trials.size(), 2u);
}

TEST(TrialPlanner, GridRefusesAnInvalidPoint) {
    const auto spec = parse_json_sweep(R"({"method": "grid", "parameters": {
        "encoder_filters": {"values": [[32, 64], [16, 32, 64]]}}})");
    const std::string message = testing::error_message([&] { plan_trials(spec); });
    EXPECT_NE(message.find("test.json: parameters: grid point 2 (encoder_filters=[16,32,64]) is not a valid trial: "
                           "decoder_filters: must have one entry per encoder (3)"),
              std::string::npos)
        << message;
}

TEST(TrialPlanner, RandomIsSeededAndDeterministic) {
    const std::string body = R"("method": "random", "run_cap": 12, "parameters": {
        "learning_rate": {"distribution": "log_uniform_values", "min": 1e-4, "max": 1e-1},
        "batch_size": {"values": [8, 16, 32, 64]}})";
    const auto a = plan_trials(parse_json_sweep("{\"seed\": 5, " + body + "}"));
    const auto b = plan_trials(parse_json_sweep("{\"seed\": 5, " + body + "}"));
    const auto c = plan_trials(parse_json_sweep("{\"seed\": 6, " + body + "}"));
    ASSERT_EQ(a.trials.size(), 12u);
    ASSERT_EQ(c.trials.size(), 12u);
    int same_as_other_seed = 0;
    for (size_t i = 0; i < 12; ++i) {
        EXPECT_EQ(a.trials[i].hash, b.trials[i].hash);
        same_as_other_seed += a.trials[i].hash == c.trials[i].hash;
    }
    EXPECT_EQ(same_as_other_seed, 0);
    std::set<std::string> distinct;
    for (const auto& t : a.trials) distinct.insert(t.hash);
    EXPECT_EQ(distinct.size(), 12u);
}

TEST(TrialPlanner, RandomStopsAtTheSizeOfAFiniteSpace) {
    const auto spec = parse_json_sweep(R"({"method": "random", "run_cap": 100, "parameters": {
        "batch_size": {"values": [8, 16, 32]}, "decoder_convs": {"values": [1, 2]}}})");
    const auto plan = plan_trials(spec);
    EXPECT_EQ(plan.trials.size(), 6u);  // never more trials than distinct configs
    std::set<std::string> distinct;
    for (const auto& t : plan.trials) distinct.insert(t.hash);
    EXPECT_EQ(distinct.size(), 6u);
    EXPECT_GT(plan.duplicates_dropped, 0);
}

TEST(TrialPlanner, RandomRedrawsBatchSizesThatDoNotSplitAcrossRanks) {
    const auto spec = parse_json_sweep(R"({"method": "random", "run_cap": 10, "resources": {"gpus_per_trial": 4},
        "parameters": {"batch_size": {"min": 4, "max": 200}}})");
    const auto plan = plan_trials(spec);
    ASSERT_EQ(plan.trials.size(), 10u);
    for (const auto& t : plan.trials) EXPECT_EQ(t.config.batch_size % 4, 0) << t.config.batch_size;
    EXPECT_GT(plan.invalid_draws, 0);
}

TEST(TrialPlanner, RandomWithNoValidConfigIsRefused) {
    const auto spec = parse_json_sweep(R"({"method": "random", "run_cap": 3, "resources": {"gpus_per_trial": 4},
        "parameters": {"batch_size": {"min": 5, "max": 7}}})");
    const std::string message = testing::error_message([&] { plan_trials(spec); });
    EXPECT_NE(message.find("no valid trial config in 1000 draws"), std::string::npos) << message;
    EXPECT_NE(message.find("not divisible by resources.gpus_per_trial (4)"), std::string::npos) << message;
}

TEST(TrialPlanner, BayesCreatesNothingAtSubmit) {
    const auto spec = parse_json_sweep(R"({"method": "bayes", "run_cap": 5, "parameters": {
        "learning_rate": {"min": 0.001, "max": 0.01}}})");
    EXPECT_TRUE(plan_trials(spec).trials.empty());
}

TEST(TrialPlanner, SweptValuesAndSpaceSize) {
    const auto spec = parse_json_sweep(R"({"method": "grid", "parameters": {
        "batch_size": {"values": [8, 16]}, "decoder_convs": {"min": 1, "max": 2}}})");
    EXPECT_EQ(grid_point_count(spec), 4u);
    EXPECT_EQ(finite_space_size(spec), 4u);
    TrialConfig config;
    config.batch_size = 16;
    EXPECT_EQ(swept_values(spec, config), (nlohmann::json{{"batch_size", 16}, {"decoder_convs", 2}}));
}

}  // namespace
}  // namespace segsweep
