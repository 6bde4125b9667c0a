// `segsweep train`, `predict` and `score` end to end through the executable: --help documents the
// seed's recipe and --seed-recipe gives it (0.001, 64, 50, 65, 50); a tiny run with --db is
// recorded in the results store as a one-trial sweep (once, also when a finished run is resumed);
// the prediction PNGs it writes score, with `segsweep score`, exactly as the trainer scored
// in-process; a missing --data is an "error: ..." with exit code 1.
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "results/results_store.h"
#include "tests/common/run_segsweep_command.h"
#include "worker/data/synth_dataset.h"

namespace segsweep {
namespace {

namespace fs = std::filesystem;

using segsweep::testing::CommandRun;
using segsweep::testing::run_segsweep;

nlohmann::json read_json(const fs::path& file) {
    std::FILE* f = std::fopen(file.c_str(), "rb");
    if (!f) return nullptr;
    std::string text;
    std::array<char, 4096> buffer;
    size_t n = 0;
    while ((n = std::fread(buffer.data(), 1, buffer.size(), f)) > 0) text.append(buffer.data(), n);
    std::fclose(f);
    return nlohmann::json::parse(text);
}

// A folder of this test process's own (ctest runs tests side by side), removed at the end.
class ScratchFolder {
public:
    explicit ScratchFolder(const std::string& name)
        : path_(fs::path(SEGSWEEP_TEST_TMP) / "train_cli" / (name + "-" + std::to_string(::getpid()))) {
        fs::remove_all(path_);
        fs::create_directories(path_);
    }
    ~ScratchFolder() {
        std::error_code ignored;
        fs::remove_all(path_, ignored);
    }
    ScratchFolder(const ScratchFolder&) = delete;
    ScratchFolder& operator=(const ScratchFolder&) = delete;
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

// The tiny model of the trainer tests at 64 px; seed 2 reaches a hero IoU above 0 within 3 epochs,
// so the scores compared below are not all zeros.
const std::string kTinyRunFlags =
    "--encoder-filters 8,16 --conv1x1-filters 16 --decoder-filters 16,8 --decoder-convs 1 --image-size 64 "
    "--batch-size 8 --learning-rate 0.03 --num-epochs 3 --patience 0 --workers 1 --seed 2 --threads 1 "
    "--no-progress";

TEST(TrainCli, HelpDocumentsTheSeedRecipe) {
    const CommandRun help = run_segsweep("train --help");
    ASSERT_EQ(help.status, 0) << help.output;
    for (const char* text : {"--seed-recipe", "0.001", "64", "50", "65 steps", "50 validation steps", "--db",
                             "--learning-rate", "--steps-per-epoch", "--validation-steps", "--patience"})
        EXPECT_NE(help.output.find(text), std::string::npos) << text << " missing from:\n" << help.output;
}

TEST(TrainCli, SeedRecipeIsOneFlagAwayAndFlagsOverrideIt) {
    const CommandRun recipe = run_segsweep("train --seed-recipe --print-config");
    ASSERT_EQ(recipe.status, 0) << recipe.output;
    const nlohmann::json config = nlohmann::json::parse(recipe.output);
    EXPECT_DOUBLE_EQ(config.at("learning_rate").get<double>(), 0.001);
    EXPECT_EQ(config.at("batch_size"), 64);
    EXPECT_EQ(config.at("num_epochs"), 50);
    EXPECT_EQ(config.at("steps_per_epoch"), 65);
    EXPECT_EQ(config.at("validation_steps"), 50);

    const CommandRun changed = run_segsweep("train --seed-recipe --num-epochs 3 --print-config");
    ASSERT_EQ(changed.status, 0) << changed.output;
    EXPECT_EQ(nlohmann::json::parse(changed.output).at("num_epochs"), 3);
    EXPECT_EQ(nlohmann::json::parse(changed.output).at("steps_per_epoch"), 65);
}

TEST(TrainCli, MissingDataIsAnError) {
    const CommandRun run = run_segsweep("train --num-epochs 1");
    EXPECT_EQ(run.status, 1) << run.output;
    EXPECT_NE(run.output.find("error: "), std::string::npos) << run.output;
    EXPECT_NE(run.output.find("--data"), std::string::npos) << run.output;
}

TEST(TrainCli, RunIsRecordedInTheStoreAndItsPredictionsScoreAsTheRun) {
    ScratchFolder scratch("record");
    SynthOptions synth;
    synth.out = scratch.path() / "data";
    synth.seed = 7;
    synth.train = 192;
    synth.validation = 48;
    synth.evaluation = 48;
    synth.size = 64;
    synth.threads = 2;
    synthesize_dataset(synth);
    const std::string data = synth.out.string();
    const fs::path run_dir = scratch.path() / "run";
    const fs::path store = scratch.path() / "store" / "results.db";
    const std::string cache = " --cache-dir " + (scratch.path() / "cache").string();

    const CommandRun train = run_segsweep("train --data " + data + " --out " + run_dir.string() + " --db " +
                                          store.string() + cache + " " + kTinyRunFlags);
    ASSERT_EQ(train.status, 0) << train.output;
    EXPECT_NE(train.output.find("recorded in " + store.string()), std::string::npos) << train.output;
    const nlohmann::json result = read_json(run_dir / "result.json");
    ASSERT_TRUE(result.is_object());
    EXPECT_EQ(result.at("state"), "completed");
    const double final_score = result.at("final_score").get<double>();

    // Resuming the finished run returns its result and does not record it again.
    const CommandRun again =
        run_segsweep("train --data " + data + " --resume " + run_dir.string() + " --db " + store.string() + cache);
    ASSERT_EQ(again.status, 0) << again.output;
    EXPECT_EQ(again.output.find("recorded in"), std::string::npos) << again.output;

    {
        ResultsStore results(store.string(), {StoreOpenMode::existing, StoreDurability::full});
        const auto board = results.leaderboard({});
        ASSERT_EQ(board.size(), 1u);
        EXPECT_EQ(board[0].state, "completed");
        EXPECT_EQ(board[0].epochs_run, 3);
        EXPECT_EQ(board[0].config.seed, 2);
        ASSERT_TRUE(board[0].final_score.has_value());
        EXPECT_DOUBLE_EQ(*board[0].final_score, final_score);
        const auto sweeps = results.list_sweeps();
        ASSERT_EQ(sweeps.size(), 1u);
        EXPECT_EQ(sweeps[0].name, "train " + run_dir.string());
        EXPECT_EQ(results.trial_curve(board[0].trial_id).size(), 3u);
    }

    const fs::path predictions = scratch.path() / "predictions";
    const CommandRun predict = run_segsweep("predict --run " + run_dir.string() + " --data " + data + " --out " +
                                            predictions.string() + " --threads 1");
    ASSERT_EQ(predict.status, 0) << predict.output;
    EXPECT_NE(predict.output.find("images/s"), std::string::npos) << predict.output;
    EXPECT_TRUE(fs::is_directory(predictions / "overlays" / "following_images"));

    const CommandRun score =
        run_segsweep("score --truth " + data + " --pred " + predictions.string() + " --format json");
    ASSERT_EQ(score.status, 0) << score.output;
    const nlohmann::json from_files = nlohmann::json::parse(score.output);
    EXPECT_EQ(from_files.at("final_score").get<double>(), final_score);
    const nlohmann::json& in_process = result.at("score").at("sets");
    ASSERT_EQ(from_files.at("sets").size(), in_process.size());
    double hero_iou_sum = 0;
    for (size_t i = 0; i < in_process.size(); ++i) {
        for (const char* key : {"iou_background", "iou_people", "iou_hero"})
            EXPECT_EQ(from_files["sets"][i].at(key).get<double>(), in_process[i].at(key).get<double>())
                << in_process[i].at("name") << " " << key;
        for (const char* key : {"true_positives", "false_positives", "false_negatives"})
            EXPECT_EQ(from_files["sets"][i].at(key), in_process[i].at(key)) << in_process[i].at("name") << " " << key;
        hero_iou_sum += in_process[i].at("iou_hero").get<double>();
    }
    EXPECT_GT(hero_iou_sum, 0.0) << "the compared scores should not all be zero";
}

}  // namespace
}  // namespace segsweep
