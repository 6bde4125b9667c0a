// The scorer's two paths agree exactly: torch probabilities scored in-process (tensor_scoring.h,
// what the trainer does) and the same probabilities written as <stem>_prediction.png files and
// scored by `segsweep score`'s folder path, with the truth masks resized 64 -> 32 px on the way.
#include <gtest/gtest.h>

#include <cstring>

#include <ATen/ATen.h>

#include "common/error.h"
#include "tests/data/test_helpers.h"
#include "worker/data/image_set.h"
#include "worker/data/scorer.h"
#include "worker/data/tensor_scoring.h"

namespace segsweep {
namespace {

namespace fs = std::filesystem;

// Probabilities for every evaluation image: softmax of noisy logits that follow the truth, so
// TPs, FPs, FNs and values near the 128/255 threshold all occur.
at::Tensor noisy_probabilities(const ImageSet& set, uint64_t seed) {
    at::manual_seed(seed);
    at::Tensor truth = at::empty({set.count, set.size, set.size, 3}, at::kByte);
    std::memcpy(truth.data_ptr<uint8_t>(), set.masks.data(), set.masks.size());
    at::Tensor logits = truth.permute({0, 3, 1, 2}).to(at::kFloat) * 2.0 + at::randn({set.count, 3, set.size, set.size}) * 1.5;
    return at::softmax(logits, 1).contiguous();
}

TEST(TensorScoring, InProcessAndPngPathsAgreeExactly) {
    testing::ScratchDir dir("score-paths");
    const fs::path root = testing::tiny_synthetic_dataset();
    LoadOptions options;
    options.use_cache = false;
    SplitSelection only_eval;
    only_eval.train = only_eval.validation = false;
    const int size = 32;   // the truth files are 64 px: the PNG path resizes them as the original does
    const FollowMeData data = load_follow_me_data(root, size, only_eval, options);
    const fs::path pred_root = dir.path() / "pred";

    std::vector<EvalSetScore> in_process;
    for (const auto& set : data.evaluation) {
        const at::Tensor probabilities = noisy_probabilities(set, 5);
        EvalSetScorer scorer(set.name);
        add_probability_batch(scorer, set, 0, probabilities.slice(0, 0, 1));   // in two batches
        add_probability_batch(scorer, set, 1, probabilities.slice(0, 1));
        in_process.push_back(scorer.result());
        // Channels-last float arrays give the same bytes.
        EvalSetScorer hwc(set.name);
        const at::Tensor nhwc = probabilities.permute({0, 2, 3, 1}).contiguous();
        for (int i = 0; i < set.count; ++i)
            hwc.add_probabilities(set.mask(i), nhwc.data_ptr<float>() + set.values_per_item() * i,
                                  ProbabilityLayout::hwc, size, size);
        EXPECT_EQ(hwc.result().iou_hero, in_process.back().iou_hero);
        write_prediction_batch(pred_root / set.name, set, 0, probabilities);
    }
    const FollowMeScore from_memory = combine_follow_me_score(in_process);
    const FollowMeScore from_files = score_prediction_folders(root, pred_root);
    ASSERT_EQ(from_files.sets.size(), 3u);
    for (size_t i = 0; i < 3; ++i) {
        const EvalSetScore& a = from_memory.sets[i];
        const EvalSetScore& b = from_files.sets[i];
        EXPECT_EQ(a.name, b.name);
        EXPECT_EQ(a.images, b.images);
        EXPECT_EQ(a.iou_background, b.iou_background);
        EXPECT_EQ(a.iou_people, b.iou_people);
        EXPECT_EQ(a.iou_hero, b.iou_hero);
        EXPECT_EQ(a.true_positives, b.true_positives);
        EXPECT_EQ(a.false_positives, b.false_positives);
        EXPECT_EQ(a.false_negatives, b.false_negatives);
        EXPECT_GT(a.iou_background, 0.0);
    }
    EXPECT_EQ(from_memory.final_score, from_files.final_score);
    EXPECT_EQ(from_memory.weight, from_files.weight);
}

TEST(TensorScoring, TensorShapeAndRangeAreChecked) {
    LoadOptions options;
    options.use_cache = false;
    const ImageSet set = load_image_set(testing::tiny_synthetic_dataset() / kEvaluationFolder / kFollowingImages, 16, options);
    EvalSetScorer scorer(set.name);
    EXPECT_THROW(add_probability_batch(scorer, set, 0, at::zeros({1, 3, 8, 8})), Error);
    EXPECT_THROW(add_probability_batch(scorer, set, set.count, at::zeros({1, 3, 16, 16})), Error);
}

}  // namespace
}  // namespace segsweep
