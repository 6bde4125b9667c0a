// The Udacity scorer on hand-built masks: every branch (empty union, 3 against 4 hero pixels, TP,
// FP, FN, the >127 threshold), the published worked example, and the prediction-folder path's
// errors. (test_tensor_scoring.cpp checks that the in-process and PNG paths agree.)
#include <gtest/gtest.h>

#include "common/error.h"
#include "tests/data/test_helpers.h"
#include "worker/data/image_set.h"
#include "worker/data/scorer.h"

namespace segsweep {
namespace {

namespace fs = std::filesystem;

// A side x side truth mask and prediction: the first `truth_hero` pixels are hero in the truth,
// the first `predicted_hero` pixels are predicted hero (so the smaller is inside the larger);
// every other pixel is background in both.
struct HandMade {
    std::vector<uint8_t> truth, prediction;
    int side;
};

HandMade hand_made(int side, int truth_hero, int predicted_hero) {
    HandMade m{std::vector<uint8_t>(static_cast<size_t>(side) * side * 3, 0),
               std::vector<uint8_t>(static_cast<size_t>(side) * side * 3, 0), side};
    for (int p = 0; p < side * side; ++p) {
        m.truth[p * 3 + (p < truth_hero ? kHeroChannel : kBackgroundChannel)] = 1;
        m.prediction[p * 3 + (p < predicted_hero ? kHeroChannel : kBackgroundChannel)] = 255;
    }
    return m;
}

void add(EvalSetScorer& scorer, const HandMade& m) { scorer.add_image(m.truth.data(), m.prediction.data(), m.side, m.side); }

TEST(Scorer, PredictionByteTruncatesLikeNumpy) {
    EXPECT_EQ(prediction_byte(0.0f), 0);
    EXPECT_EQ(prediction_byte(1.0f), 255);
    EXPECT_EQ(prediction_byte(0.5f), 127);              // 127.5 truncates: not counted (> 127 is needed)
    EXPECT_EQ(prediction_byte(128.0f / 255.0f), 128);   // the smallest probability that counts
    EXPECT_EQ(prediction_byte(0.9999f), 254);
    EXPECT_EQ(prediction_byte(-0.1f), 0);
    EXPECT_EQ(prediction_byte(std::nanf("")), 0);
    EXPECT_EQ(prediction_file_name("0_run1cam1_00005.jpeg"), "0_run1cam1_00005_prediction.png");
}

TEST(Scorer, EmptyUnionScoresZeroAndCountsInTheMean) {
    EvalSetScorer scorer("following_images");
    add(scorer, hand_made(4, 0, 0));   // no hero anywhere: IoU 0 (not 1), no TP/FP/FN
    add(scorer, hand_made(4, 6, 6));   // perfect: IoU 1
    const EvalSetScore score = scorer.result();
    EXPECT_EQ(score.images, 2);
    EXPECT_DOUBLE_EQ(score.iou_hero, 0.5);
    EXPECT_DOUBLE_EQ(score.iou_background, 1.0);   // background matches in both
    EXPECT_EQ(score.iou_people, 0.0);              // empty union in both images
    EXPECT_EQ(score.true_positives, 1);
    EXPECT_EQ(score.false_positives + score.false_negatives, 0);
}

TEST(Scorer, HeroCountsOnlyAboveThreePixels) {
    struct Case {
        int truth, predicted, tp, fp, fn;
    };
    const Case cases[] = {
        {3, 4, 0, 1, 0},   // 3 in the mask is "absent", 4 predicted is "present": false positive
        {4, 3, 0, 0, 1},   // false negative
        {4, 4, 1, 0, 0},   // true positive
        {3, 3, 0, 0, 0},   // true negative: not counted
        {0, 9, 0, 1, 0},
        {9, 0, 0, 0, 1},
    };
    for (const Case& c : cases) {
        EvalSetScorer scorer("s");
        add(scorer, hand_made(4, c.truth, c.predicted));
        const EvalSetScore score = scorer.result();
        EXPECT_EQ(score.true_positives, c.tp) << c.truth << " vs " << c.predicted;
        EXPECT_EQ(score.false_positives, c.fp) << c.truth << " vs " << c.predicted;
        EXPECT_EQ(score.false_negatives, c.fn) << c.truth << " vs " << c.predicted;
        // IoU still counts the pixels: min/max of the nested regions.
        const int lo = std::min(c.truth, c.predicted), hi = std::max(c.truth, c.predicted);
        EXPECT_DOUBLE_EQ(score.iou_hero, hi == 0 ? 0.0 : static_cast<double>(lo) / hi);
    }
}

TEST(Scorer, PredictedPixelsCountAbove127PerChannel) {
    HandMade m = hand_made(3, 9, 0);
    for (int p = 0; p < 9; ++p) m.prediction[p * 3 + kHeroChannel] = p < 4 ? 128 : 127;
    EvalSetScorer scorer("s");
    add(scorer, m);
    EXPECT_DOUBLE_EQ(scorer.result().iou_hero, 4.0 / 9.0);
    EXPECT_EQ(scorer.result().true_positives, 1);
}

TEST(Scorer, PartialOverlapIoU) {
    // Truth: pixels 0..5 hero; prediction: pixels 3..8 hero. Intersection 3, union 9.
    HandMade m = hand_made(3, 6, 0);
    for (int p = 0; p < 9; ++p) {
        m.prediction[p * 3 + kHeroChannel] = p >= 3 ? 255 : 0;
        m.prediction[p * 3 + kBackgroundChannel] = p < 3 ? 255 : 0;
    }
    EvalSetScorer scorer("s");
    add(scorer, m);
    EXPECT_DOUBLE_EQ(scorer.result().iou_hero, 3.0 / 9.0);
    // Background: truth pixels 6..8, predicted 0..2: no overlap, union 6.
    EXPECT_DOUBLE_EQ(scorer.result().iou_background, 0.0);
}

// The published example (shahramk61 Writeup.md): following IoU 0.8588 with TP/FP/FN 539/1/0,
// non_targ 0/175/0, with_targ IoU 0.2805 with 191/9/110 -> weight 0.7122, final IoU 0.5697,
// final score 0.4057. Built from masks whose per-image IoUs are exact fractions:
//   following (542 images, 8x8): 403 perfect TPs, 136 TPs at 17/37, 1 FP, 2 empty;
//     mean IoU = (403 + 136*17/37)/542 = 0.858831
//   patrol_non_targ (270): 175 FPs (5 px predicted, none true), 95 empty
//   patrol_with_targ (322, 12x12): 191 TPs at 61/129, 9 FPs (4 px), 110 FNs (nothing predicted),
//     12 empty; mean IoU = 191*61/129/322 = 0.280490
TEST(Scorer, ReproducesThePublishedWorkedExample) {
    EvalSetScorer following(kFollowingImages), non_targ(kPatrolNonTarg), with_targ(kPatrolWithTarg);
    for (int i = 0; i < 403; ++i) add(following, hand_made(8, 17, 17));
    for (int i = 0; i < 136; ++i) add(following, hand_made(8, 17, 37));
    add(following, hand_made(8, 0, 5));
    for (int i = 0; i < 2; ++i) add(following, hand_made(8, 0, 0));
    for (int i = 0; i < 175; ++i) add(non_targ, hand_made(8, 0, 5));
    for (int i = 0; i < 95; ++i) add(non_targ, hand_made(8, 0, 0));
    for (int i = 0; i < 191; ++i) add(with_targ, hand_made(12, 61, 129));
    for (int i = 0; i < 9; ++i) add(with_targ, hand_made(12, 0, 4));
    for (int i = 0; i < 110; ++i) add(with_targ, hand_made(12, 61, 0));
    for (int i = 0; i < 12; ++i) add(with_targ, hand_made(12, 0, 0));

    // Any order of the sets.
    const FollowMeScore score = combine_follow_me_score({with_targ.result(), following.result(), non_targ.result()});
    ASSERT_EQ(score.sets.size(), 3u);
    const EvalSetScore& f = score.sets[0];
    const EvalSetScore& n = score.sets[1];
    const EvalSetScore& w = score.sets[2];
    EXPECT_EQ(f.name, kFollowingImages);
    EXPECT_EQ(f.images, 542);
    EXPECT_EQ(f.true_positives, 539);
    EXPECT_EQ(f.false_positives, 1);
    EXPECT_EQ(f.false_negatives, 0);
    EXPECT_NEAR(f.iou_hero, 0.8588, 0.00005);
    EXPECT_EQ(n.true_positives, 0);
    EXPECT_EQ(n.false_positives, 175);
    EXPECT_EQ(n.false_negatives, 0);
    EXPECT_EQ(w.true_positives, 191);
    EXPECT_EQ(w.false_positives, 9);
    EXPECT_EQ(w.false_negatives, 110);
    EXPECT_NEAR(w.iou_hero, 0.2805, 0.00005);
    EXPECT_DOUBLE_EQ(score.weight, 730.0 / 1025.0);
    EXPECT_NEAR(score.weight, 0.7122, 0.00005);
    EXPECT_NEAR(score.final_iou, 0.5697, 0.00005);
    EXPECT_NEAR(score.final_score, 0.4057, 0.00005);
    EXPECT_DOUBLE_EQ(score.final_score, score.final_iou * score.weight);
    const std::string table = format_score_table(score);
    EXPECT_NE(table.find("final_score 0.4057"), std::string::npos) << table;
}

TEST(Scorer, SummarizeSetEqualsTheIncrementalScorer) {
    EvalSetScorer scorer("s");
    add(scorer, hand_made(5, 7, 9));
    add(scorer, hand_made(5, 0, 4));
    add(scorer, hand_made(5, 8, 2));
    const EvalSetScore direct = scorer.result();
    const EvalSetScore summarized = summarize_set("s", scorer.image_scores());
    EXPECT_EQ(direct.iou_hero, summarized.iou_hero);
    EXPECT_EQ(direct.false_negatives, 1);
    EXPECT_EQ(direct.false_positives, 1);
    EXPECT_EQ(direct.true_positives, 1);
}

TEST(Scorer, CombineNeedsEachSetOnce) {
    const EvalSetScore f{kFollowingImages}, n{kPatrolNonTarg}, w{kPatrolWithTarg}, x{"other"};
    EXPECT_THROW(combine_follow_me_score({f, n}), Error);
    EXPECT_THROW(combine_follow_me_score({f, n, w, w}), Error);
    EXPECT_THROW(combine_follow_me_score({f, n, w, x}), Error);
    EXPECT_EQ(combine_follow_me_score({f, n, w}).weight, 0.0);   // no TP, FP or FN at all
}

TEST(Scorer, FolderCountMismatchNamesBothFolders) {
    testing::ScratchDir dir("score-mismatch");
    const fs::path truth = testing::tiny_synthetic_dataset() / kEvaluationFolder / kFollowingImages;
    const fs::path pred = dir.path() / kFollowingImages;
    fs::create_directories(pred);
    write_png(pred / "only_prediction.png", testing::solid_mask(16, 16, 0));
    try {
        score_prediction_folder(truth, pred, kFollowingImages);
        FAIL() << "expected an error";
    } catch (const Error& e) {
        const std::string text = e.what();
        EXPECT_NE(text.find(pred.string()), std::string::npos) << text;
        EXPECT_NE(text.find((truth / "masks").string()), std::string::npos) << text;
    }
    EXPECT_THROW(score_prediction_folders(testing::tiny_synthetic_dataset(), dir.path() / "none"), Error);
}

}  // namespace
}  // namespace segsweep
