// `sweep preview` renderings: the JSON parses and carries the counts; the text lists the trials and,
// for hyperband, the rungs.
#include <gtest/gtest.h>

#include "sweeps/sweep_preview.h"
#include "tests/sweeps/sweep_test_support.h"

namespace segsweep {
namespace {

const char* kGridWithHyperband = R"({"method": "grid", "name": "demo", "program": "train.py",
    "parameters": {"learning_rate": {"values": [0.001, 0.01]}, "batch_size": {"values": [8, 16, 32]},
                   "num_epochs": {"value": 9}},
    "early_terminate": {"type": "hyperband", "min_iter": 1, "eta": 3}})";

TEST(SweepPreview, JsonParsesAndCounts) {
    const auto preview = make_sweep_preview(testing::parse_json_sweep(kGridWithHyperband));
    const auto parsed = nlohmann::json::parse(sweep_preview_json(preview).dump());
    EXPECT_EQ(parsed["trial_count"], 6);
    EXPECT_EQ(parsed["grid_size"], 6);
    ASSERT_EQ(parsed["trials"].size(), 6u);
    EXPECT_EQ(parsed["trials"][0]["parameters"]["batch_size"], 8);
    EXPECT_EQ(parsed["sweep"]["name"], "demo");
    EXPECT_EQ(parsed["warnings"].size(), 1u);  // program
    // Bands 1 and 3 lie below 9 epochs: 6 trials -> 3 continue -> 2 continue.
    EXPECT_EQ(parsed["early_terminate"]["bands"], nlohmann::json({1, 3}));
    EXPECT_EQ(parsed["early_terminate"]["epoch_metric"], "val_loss");  // the default metric is final_score
    EXPECT_EQ(parsed["early_terminate"]["rungs"][0]["judged"], 6);
    EXPECT_EQ(parsed["early_terminate"]["rungs"][0]["continuing"], 3);
    EXPECT_EQ(parsed["early_terminate"]["rungs"][1]["continuing"], 2);
    EXPECT_EQ(parsed["early_terminate"]["epochs_without_stopping"], 54);
    EXPECT_EQ(parsed["early_terminate"]["epochs_with_full_rungs"], 3 * 1 + 1 * 3 + 2 * 9);
}

TEST(SweepPreview, TextListsTrialsAndRungs) {
    const auto text = sweep_preview_text(make_sweep_preview(testing::parse_json_sweep(kGridWithHyperband)));
    EXPECT_NE(text.find("6 trial(s) from a grid of 6"), std::string::npos) << text;
    EXPECT_NE(text.find("batch_size  learning_rate  num_epochs"), std::string::npos) << text;
    EXPECT_NE(text.find("warning: program: a W&B key that segsweep ignores"), std::string::npos) << text;
    EXPECT_NE(text.find("early_terminate: hyperband, eta 3, strict; epochs judged on val_loss"), std::string::npos)
        << text;
    EXPECT_NE(text.find("band (epoch)  trials reaching it  continuing past it"), std::string::npos) << text;
    EXPECT_NE(text.find("epochs: 24 when every band keeps its top share; at most 54"), std::string::npos) << text;
}

TEST(SweepPreview, Bayes) {
    const auto preview = make_sweep_preview(testing::parse_json_sweep(R"({"method": "bayes", "run_cap": 30,
        "parameters": {"learning_rate": {"distribution": "log_uniform_values", "min": 1e-4, "max": 0.1}}})"));
    const auto j = sweep_preview_json(preview);
    EXPECT_EQ(j["trial_count"], 30);
    EXPECT_EQ(j["bayes"]["startup_trials"], 10);
    EXPECT_NE(sweep_preview_text(preview).find("bayes (TPE) creates up to 30 trials"), std::string::npos);
}

}  // namespace
}  // namespace segsweep
