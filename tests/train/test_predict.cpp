// predict_run on a trained tiny run: one <stem>_prediction.png per evaluation image and an
// overlay each, and scoring those PNG files with the data layer's file scorer gives exactly the
// score the trainer computed in-process on the same best weights.
#include <filesystem>

#include <gtest/gtest.h>

#include "common/error.h"
#include "trainer_fixture.h"
#include "worker/data/scorer.h"
#include "worker/train/predict.h"

using namespace segsweep;
using segsweep::test::TinyTrainingTest;
namespace fs = std::filesystem;

class Predict : public TinyTrainingTest {};

namespace {

int count_files(const fs::path& dir, const std::string& suffix) {
    int n = 0;
    for (const auto& entry : fs::directory_iterator(dir))
        if (entry.path().string().ends_with(suffix)) ++n;
    return n;
}

}  // namespace

TEST_F(Predict, PredictionFilesScoreExactlyAsTheTrainerScored) {
    TrialConfig config = tiny_config();
    config.num_epochs = 2;
    TrainOptions train = options_for("predict_run");
    const TrialResult result = run_trial(config, train);
    ASSERT_TRUE(result.score.has_value()) << result.message;

    PredictOptions options;
    options.run_dir = train.run_dir;
    options.data_root = data_root();
    options.out_dir = train.run_dir / "predictions";
    options.threads = 1;
    options.device = DeviceChoice::cpu;
    options.batch_size = 5;  // not a divisor of the set sizes: short last batches
    const PredictReport report = predict_run(options);
    EXPECT_EQ(report.sets.size(), 3u);
    EXPECT_EQ(report.images, 48);
    EXPECT_GT(report.images_per_sec, 0);
    for (size_t i = 0; i < report.sets.size(); ++i) {
        EXPECT_EQ(count_files(options.out_dir / report.sets[i], "_prediction.png"), report.images_per_set[i]);
        EXPECT_EQ(count_files(options.out_dir / "overlays" / report.sets[i], "_overlay.jpeg"),
                  report.images_per_set[i]);
    }

    const FollowMeScore from_files = score_prediction_folders(data_root(), options.out_dir);
    EXPECT_EQ(from_files.final_score, result.score->final_score);
    EXPECT_EQ(from_files.final_iou, result.score->final_iou);
    EXPECT_EQ(from_files.weight, result.score->weight);
    for (size_t i = 0; i < from_files.sets.size(); ++i) {
        EXPECT_EQ(from_files.sets[i].true_positives, result.score->sets[i].true_positives);
        EXPECT_EQ(from_files.sets[i].false_positives, result.score->sets[i].false_positives);
        EXPECT_EQ(from_files.sets[i].false_negatives, result.score->sets[i].false_negatives);
        EXPECT_EQ(from_files.sets[i].iou_background, result.score->sets[i].iou_background);
        EXPECT_EQ(from_files.sets[i].iou_people, result.score->sets[i].iou_people);
        EXPECT_EQ(from_files.sets[i].iou_hero, result.score->sets[i].iou_hero);
    }
}

TEST_F(Predict, RunFolderWithoutWeightsIsAClearError) {
    PredictOptions options;
    options.run_dir = options_for("predict_empty").run_dir;
    fs::create_directories(options.run_dir);
    options.data_root = data_root();
    options.out_dir = options.run_dir / "out";
    EXPECT_THROW(predict_run(options), Error);  // no config.json
}
