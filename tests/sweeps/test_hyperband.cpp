// Hyperband: band arithmetic (W&B's documented examples), the keep rule, keep/stop decisions on
// scripted curves worked out by hand, W&B's hyperband_stop_runs docstring example, and the preview.
#include <gtest/gtest.h>

#include "sweeps/early_stopping.h"
#include "sweeps/hyperband_bands.h"
#include "tests/sweeps/sweep_test_support.h"

namespace segsweep {
namespace {

HyperbandSpec by_min_iter(int min_iter, double eta) {
    HyperbandSpec spec;
    spec.min_iter = min_iter;
    spec.eta = eta;
    return spec;
}

HyperbandSpec by_max_iter(int max_iter, int s, double eta) {
    HyperbandSpec spec;
    spec.max_iter = max_iter;
    spec.s = s;
    spec.eta = eta;
    return spec;
}

std::vector<int> first_bands(const HyperbandSpec& spec, size_t count) {
    auto bands = hyperband_bands(spec);
    if (bands.size() > count) bands.resize(count);
    return bands;
}

SweepSpec hyperband_sweep(const std::string& metric, const std::string& early_terminate) {
    return testing::parse_json_sweep(R"({"method": "grid", "metric": {"name": ")" + metric +
                                     R"("}, "parameters": {"batch_size": {"value": 8}}, "early_terminate": )" +
                                     early_terminate + "}");
}

EpochMetrics loss_epoch(int epoch, double val_loss) {
    EpochMetrics m;
    m.epoch = epoch;
    m.val_loss = val_loss;
    return m;
}

EpochMetrics iou_epoch(int epoch, double val_iou) {
    EpochMetrics m;
    m.epoch = epoch;
    m.val_iou = val_iou;
    return m;
}

// Reports a whole curve (epochs 1..n) for one trial's attempt 1.
void report(EarlyStopper& stopper, int64_t trial, const std::vector<double>& losses) {
    for (size_t i = 0; i < losses.size(); ++i)
        stopper.observe_epoch(trial, 1, loss_epoch(static_cast<int>(i + 1), losses[i]));
}

TEST(HyperbandBands, WandbDocumentedExamples) {
    // W&B docs: min_iter 3 (eta 3) -> brackets 3, 9, 27, 81; max_iter 27, s 2 -> 27/3 = 9 and 9/3 = 3.
    EXPECT_EQ(first_bands(by_min_iter(3, 3), 4), (std::vector<int>{3, 9, 27, 81}));
    EXPECT_EQ(hyperband_bands(by_max_iter(27, 2, 3)), (std::vector<int>{3, 9}));
    // hyperband_stop_runs docstring: max_iter 5, eta 2, s 2 -> 2.5 -> 2, 1.25 -> 1.
    EXPECT_EQ(hyperband_bands(by_max_iter(5, 2, 2)), (std::vector<int>{1, 2}));
}

TEST(HyperbandBands, Arithmetic) {
    // max_iter stops once a band would fall below 1: 81/3 = 27, 9, 3, 1, then 1/3 < 1.
    EXPECT_EQ(hyperband_bands(by_max_iter(81, 10, 3)), (std::vector<int>{1, 3, 9, 27}));
    // Fractional eta: 1, 1.5, 2.25, 3.375, 5.06, 7.59, 11.39 truncate to 1, 1, 2, 3, 5, 7, 11 (deduplicated).
    EXPECT_EQ(first_bands(by_min_iter(1, 1.5), 6), (std::vector<int>{1, 2, 3, 5, 7, 11}));
    EXPECT_TRUE(hyperband_bands(by_max_iter(2, 1, 3)).empty());  // 2/3 < 1
    const auto long_bands = hyperband_bands(by_min_iter(1, 2));
    EXPECT_LE(long_bands.back(), kMaxHyperbandBandEpoch);
}

TEST(HyperbandBands, KeepRule) {
    // Element floor(n/eta) of the sorted values is the threshold: floor(n/eta) + 1 trials pass.
    EXPECT_EQ(hyperband_kept(1, 3), 1);
    EXPECT_EQ(hyperband_kept(2, 3), 1);
    EXPECT_EQ(hyperband_kept(3, 3), 2);
    EXPECT_EQ(hyperband_kept(9, 3), 4);
    EXPECT_EQ(hyperband_kept(27, 3), 10);
    EXPECT_EQ(hyperband_kept(5, 2), 3);
    EXPECT_EQ(hyperband_kept(0, 3), 0);
}

TEST(HyperbandStopping, WandbDocstringExample) {
    // wandb/sweeps hyperband_stop_runs: max_iter 5, eta 2, s 2 (bands 1 and 2), metric loss minimised.
    // W&B histories (iteration 0 first): a finished [10, 9], b running [10, 10], c running [10, 8, 8],
    // d running [10, 7, 7], e finished [10, 6, 6]. W&B stops b and c ("c passes band 1 but not band 2").
    // Our epochs are W&B's iterations 1.. (the iteration-0 entry is dropped).
    const auto spec = hyperband_sweep("val_loss", R"({"type": "hyperband", "max_iter": 5, "s": 2, "eta": 2})");
    EarlyStopper stopper(spec);
    report(stopper, 1, {9});
    report(stopper, 2, {10});
    report(stopper, 3, {8, 8});
    report(stopper, 4, {7, 7});
    report(stopper, 5, {6, 6});
    stopper.observe_finished(1);
    stopper.observe_finished(5);
    EXPECT_TRUE(stopper.decide(2).stop);   // band 1: sorted [6,7,8,9,10], threshold [5/2] = 8; 10 > 8
    EXPECT_TRUE(stopper.decide(3).stop);   // band 2: sorted [6,7,8], threshold [3/2] = 7; 8 > 7
    EXPECT_FALSE(stopper.decide(4).stop);  // 7 is not worse than 7
    EXPECT_FALSE(stopper.decide(1).stop);  // finished trials are not judged
    EXPECT_NE(stopper.decide(3).reason.find("hyperband: val_loss 8 at epoch 2 is worse than the threshold 7 of band 2"),
              std::string::npos)
        << stopper.decide(3).reason;
}

TEST(HyperbandStopping, ScriptedCurvesWorkedByHand) {
    // min_iter 2, eta 3: bands 2, 6, 18. Judged at band 2 against element floor(n/3).
    const auto spec = hyperband_sweep("val_loss", R"({"type": "hyperband", "min_iter": 2, "eta": 3})");
    EarlyStopper stopper(spec);
    EXPECT_FALSE(stopper.on_epoch(1, 1, loss_epoch(1, 1.0)).stop);  // before the first band
    EXPECT_FALSE(stopper.on_epoch(1, 1, loss_epoch(2, 0.8)).stop);  // band 2: [0.8], threshold 0.8
    stopper.observe_epoch(2, 1, loss_epoch(1, 0.9));
    EXPECT_TRUE(stopper.on_epoch(2, 1, loss_epoch(2, 0.85)).stop);  // [0.8, 0.85], floor(2/3)=0 -> 0.8
    stopper.observe_epoch(3, 1, loss_epoch(1, 0.7));
    EXPECT_FALSE(stopper.on_epoch(3, 1, loss_epoch(2, 0.6)).stop);  // [0.6, 0.8, 0.85], [1] = 0.8
    EXPECT_FALSE(stopper.decide(1).stop);                           // 0.8 is not worse than 0.8
    stopper.observe_epoch(4, 1, loss_epoch(1, 0.75));
    EXPECT_FALSE(stopper.on_epoch(4, 1, loss_epoch(2, 0.7)).stop);  // [0.6, 0.7, 0.8, 0.85], [1] = 0.7
    // Thresholds are recomputed as trials arrive: trial 1 (0.8 at band 2) now fails band 2.
    const StopDecision late = stopper.decide(1);
    EXPECT_TRUE(late.stop);
    EXPECT_NE(late.reason.find("(2 of 4 trials continue)"), std::string::npos) << late.reason;
    // Trial 3 runs on to epoch 6: the next band, alone there, so it continues.
    for (int e = 3; e <= 6; ++e) EXPECT_FALSE(stopper.on_epoch(3, 1, loss_epoch(e, 0.5)).stop);
}

TEST(HyperbandStopping, StrictJudgesTheBandValueNonStrictTheBestSoFar) {
    const std::string body = R"("type": "hyperband", "min_iter": 2, "eta": 3)";
    for (bool strict : {true, false}) {
        SCOPED_TRACE(strict ? "strict" : "not strict");
        EarlyStopper stopper(
            hyperband_sweep("val_loss", "{" + body + ", \"strict\": " + (strict ? "true" : "false") + "}"));
        report(stopper, 1, {1.0, 0.8});
        report(stopper, 2, {0.9, 0.85});
        report(stopper, 3, {0.7, 0.6});
        report(stopper, 4, {0.75, 0.7});
        report(stopper, 5, {0.5, 0.9});  // good at epoch 1, bad at the band
        // band 2: [0.6, 0.7, 0.8, 0.85, 0.9], threshold element 1 = 0.7.
        EXPECT_EQ(stopper.decide(5).stop, strict);  // strict: 0.9 > 0.7; otherwise best 0.5 <= 0.7
        EXPECT_TRUE(stopper.decide(2).stop);        // 0.85 at the band and best 0.85: both worse
    }
}

TEST(HyperbandStopping, MaximisedMetricUsesValIou) {
    // A val_iou sweep is judged per epoch on val_iou (maximised). min_iter 1, eta 2.
    EarlyStopper stopper(hyperband_sweep("val_iou", R"({"type": "hyperband", "min_iter": 1, "eta": 2})"));
    EXPECT_FALSE(stopper.on_epoch(1, 1, iou_epoch(1, 0.5)).stop);
    EXPECT_FALSE(stopper.on_epoch(2, 1, iou_epoch(1, 0.3)).stop);          // 2 values: floor(2/2)+1 = 2 pass
    const StopDecision third = stopper.on_epoch(3, 1, iou_epoch(1, 0.1));  // [0.5, 0.3, 0.1]: threshold 0.3
    EXPECT_TRUE(third.stop);
    EXPECT_NE(third.reason.find("val_iou 0.1 at epoch 1 is worse than the threshold 0.3"), std::string::npos)
        << third.reason;
}

TEST(HyperbandStopping, FinalScoreSweepIsJudgedOnValLoss) {
    // final_score (maximised) has no per-epoch value: its epochs are judged on val_loss, minimised,
    // whatever val_iou says. min_iter 1, eta 2.
    EarlyStopper stopper(hyperband_sweep("final_score", R"({"type": "hyperband", "min_iter": 1, "eta": 2})"));
    EpochMetrics first = loss_epoch(1, 0.2);
    first.val_iou = 0.0;
    EXPECT_FALSE(stopper.on_epoch(1, 1, first).stop);
    EpochMetrics second = loss_epoch(1, 0.4);
    second.val_iou = 0.9;  // the best IoU, but the worse loss
    EXPECT_FALSE(stopper.on_epoch(2, 1, second).stop);  // [0.2, 0.4]: threshold element 1 = 0.4
    EpochMetrics third = loss_epoch(1, 0.6);
    third.val_iou = 0.9;
    const StopDecision decision = stopper.on_epoch(3, 1, third);  // [0.2, 0.4, 0.6]: threshold 0.4
    EXPECT_TRUE(decision.stop);
    EXPECT_NE(decision.reason.find("val_loss 0.6 at epoch 1 is worse than the threshold 0.4"), std::string::npos)
        << decision.reason;
    EXPECT_FALSE(stopper.decide(1).stop);
    EXPECT_FALSE(stopper.decide(2).stop);
}

TEST(HyperbandStopping, NewAttemptReplacesTheOldCurve) {
    EarlyStopper stopper(hyperband_sweep("val_loss", R"({"type": "hyperband", "min_iter": 2, "eta": 3})"));
    report(stopper, 1, {1.0, 0.5});
    report(stopper, 2, {1.0, 0.6});
    EXPECT_TRUE(stopper.decide(2).stop);  // [0.5, 0.6]: threshold 0.5
    // Trial 1 restarts from scratch (attempt 2): its epoch-2 value of attempt 1 no longer counts.
    stopper.observe_epoch(1, 2, loss_epoch(1, 1.1));
    EXPECT_FALSE(stopper.decide(2).stop);  // [0.6] alone
    // A repeated report of the same attempt changes nothing; a stale attempt is ignored.
    stopper.observe_epoch(2, 1, loss_epoch(2, 0.1));
    stopper.observe_epoch(1, 1, loss_epoch(2, 0.01));
    stopper.observe_epoch(1, 2, loss_epoch(2, 0.7));
    EXPECT_TRUE(stopper.decide(1).stop);  // [0.6, 0.7]: 0.7 > 0.6
    EXPECT_FALSE(stopper.decide(2).stop);
}

TEST(HyperbandStopping, DivergedEpochIsTheWorst) {
    EarlyStopper stopper(hyperband_sweep("val_loss", R"({"type": "hyperband", "min_iter": 1, "eta": 2})"));
    report(stopper, 1, {0.9});
    report(stopper, 2, {0.8});
    stopper.observe_epoch(3, 1, loss_epoch(1, std::numeric_limits<double>::quiet_NaN()));
    EXPECT_TRUE(stopper.decide(3).stop);  // [0.8, 0.9, inf]: threshold 0.9
}

TEST(HyperbandStopping, NoneNeverStops) {
    EarlyStopper stopper(
        testing::parse_json_sweep(R"({"method": "grid", "parameters": {"batch_size": {"value": 8}}})"));
    report(stopper, 1, {0.1});
    report(stopper, 2, {10.0});
    EXPECT_EQ(stopper.type(), EarlyTerminateType::none);
    EXPECT_FALSE(stopper.decide(2).stop);
}

TEST(HyperbandPreview, RungsWorkedByHand) {
    // 27 trials of 81 epochs, min_iter 3, eta 3: band 3 keeps 10 of 27, band 9 keeps 4 of 10,
    // band 27 keeps 2 of 4; band 81 is the last epoch. Epochs: 17*3 + 6*9 + 2*27 + 2*81 = 321.
    const auto preview = preview_hyperband(by_min_iter(3, 3), std::vector<int>(27, 81));
    ASSERT_EQ(preview.rungs.size(), 3u);
    EXPECT_EQ(preview.rungs[0].epoch, 3);
    EXPECT_EQ(preview.rungs[0].judged, 27);
    EXPECT_EQ(preview.rungs[0].continuing, 10);
    EXPECT_EQ(preview.rungs[1].epoch, 9);
    EXPECT_EQ(preview.rungs[1].judged, 10);
    EXPECT_EQ(preview.rungs[1].continuing, 4);
    EXPECT_EQ(preview.rungs[2].epoch, 27);
    EXPECT_EQ(preview.rungs[2].judged, 4);
    EXPECT_EQ(preview.rungs[2].continuing, 2);
    EXPECT_EQ(preview.epochs_without_stopping, 27 * 81);
    EXPECT_EQ(preview.epochs_with_full_rungs, 321);
}

TEST(HyperbandPreview, MixedPlannedEpochs) {
    // [10, 10, 10, 5], min_iter 2, eta 2. Band 2: 4 judged, 3 kept (the 5-epoch trial stops: 2 epochs).
    // Band 4: 3 judged, 2 kept (one stops: 4). Band 8: 2 judged, 2 kept. Total 2 + 4 + 10 + 10 = 26.
    const auto preview = preview_hyperband(by_min_iter(2, 2), {10, 5, 10, 10});
    ASSERT_EQ(preview.rungs.size(), 3u);
    EXPECT_EQ(preview.rungs[0].judged, 4);
    EXPECT_EQ(preview.rungs[0].continuing, 3);
    EXPECT_EQ(preview.rungs[1].judged, 3);
    EXPECT_EQ(preview.rungs[1].continuing, 2);
    EXPECT_EQ(preview.rungs[2].epoch, 8);
    EXPECT_EQ(preview.rungs[2].continuing, 2);
    EXPECT_EQ(preview.epochs_without_stopping, 35);
    EXPECT_EQ(preview.epochs_with_full_rungs, 26);
}

}  // namespace
}  // namespace segsweep
