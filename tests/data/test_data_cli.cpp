// The data verbs end to end through the segsweep executable: synth -> check -> trivial
// predictions -> score (table and JSON), and bad input as "error: ..." with exit code 1.
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>

#include <nlohmann/json.hpp>

#include "tests/data/test_helpers.h"
#include "tests/common/run_segsweep_command.h"

namespace segsweep {
namespace {

namespace fs = std::filesystem;

using segsweep::testing::CommandRun;
using segsweep::testing::run_segsweep;

TEST(DataCli, SynthCheckPredictAndScore) {
    testing::ScratchDir dir("cli");
    const std::string root = (dir.path() / "root").string();
    const std::string pred = (dir.path() / "pred").string();
    CommandRun run = run_segsweep("data synth --out " + root + " --seed 3 --train 4 --validation 2 --eval 12 --size 64");
    ASSERT_EQ(run.status, 0) << run.output;
    EXPECT_NE(run.output.find("patrol_with_targ"), std::string::npos) << run.output;

    run = run_segsweep("data check " + root);
    ASSERT_EQ(run.status, 0) << run.output;
    EXPECT_NE(run.output.find("following_images"), std::string::npos) << run.output;
    EXPECT_NE(run.output.find("ok: "), std::string::npos) << run.output;

    // The truth itself at the file size: every image with the hero is a TP, nothing else counts.
    run = run_segsweep("data trivial-predictions --truth " + root + " --out " + pred + " --kind truth --size 64");
    ASSERT_EQ(run.status, 0) << run.output;
    run = run_segsweep("score --truth " + root + " --pred " + pred + " --format json");
    ASSERT_EQ(run.status, 0) << run.output;
    const nlohmann::json score = nlohmann::json::parse(run.output);
    ASSERT_EQ(score["sets"].size(), 3u);
    for (const auto& set : score["sets"]) {
        EXPECT_EQ(set["false_positives"], 0) << set.dump();
        EXPECT_EQ(set["false_negatives"], 0) << set.dump();
        EXPECT_DOUBLE_EQ(set["iou_background"].get<double>(), 1.0) << set.dump();
    }
    EXPECT_DOUBLE_EQ(score["weight"].get<double>(), 1.0);

    // All background: no hero anywhere, so no TP and a final score of 0.
    run = run_segsweep("data trivial-predictions --truth " + root + " --out " + pred + "-bg --kind background");
    ASSERT_EQ(run.status, 0) << run.output;
    run = run_segsweep("score --truth " + root + "/sample_evaluation_data --pred " + pred + "-bg");
    ASSERT_EQ(run.status, 0) << run.output;
    EXPECT_NE(run.output.find("final_score 0.0000"), std::string::npos) << run.output;
}

TEST(DataCli, BadInputIsAnErrorLine) {
    testing::ScratchDir dir("cli-bad");
    CommandRun run = run_segsweep("data check " + (dir.path() / "missing").string());
    EXPECT_EQ(run.status, 1);
    EXPECT_NE(run.output.find("error: "), std::string::npos) << run.output;
    EXPECT_NE(run.output.find("missing"), std::string::npos) << run.output;
    run = run_segsweep("score --truth " + (dir.path() / "missing").string() + " --pred " + dir.path().string());
    EXPECT_EQ(run.status, 1);
    EXPECT_NE(run.output.find("error: "), std::string::npos) << run.output;
    run = run_segsweep("data trivial-predictions --truth x --out y --kind nonsense");
    EXPECT_EQ(run.status, 1);
}

}  // namespace
}  // namespace segsweep
