// bench sweep replay (bench/sweep_efficiency_replay.h) on a small hand-built recording: epochs
// accounting, the policies' stop points and scores worked out by hand, determinism, every method
// asking only recorded configs, and the recording file round trip. Then issue 8's target on the
// recordings shipped in bench/recordings/ (real training, replayed deterministically).
#include <cmath>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "bench/sweep_efficiency_recording.h"
#include "bench/sweep_efficiency_replay.h"
#include "common/error.h"
#include "sweeps/trial_planner.h"

namespace segsweep {
namespace {

// Four trials of four epochs, grid order = learning_rate order. val_loss per epoch, the score of the
// best-so-far weights after each epoch, and the final score (= the last epoch's best-so-far score).
struct ScriptedTrial {
    double learning_rate;
    std::vector<double> val_loss;
    std::vector<double> best_score;
};

const std::vector<ScriptedTrial> kScript = {
    {0.001, {0.9, 0.8, 0.7, 0.6}, {0.1, 0.7, 0.72, 0.74}},   // A: slow start, good later
    {0.002, {0.5, 0.4, 0.3, 0.2}, {0.3, 0.4, 0.5, 0.6}},     // B: best curve
    {0.003, {1.0, 0.95, 0.9, 0.85}, {0.05, 0.06, 0.07, 0.08}},  // C: worst
    {0.004, {0.95, 0.9, 0.85, 0.8}, {0.02, 0.03, 0.04, 0.05}},  // D
};

nlohmann::json scripted_sweep() {
    return nlohmann::json::parse(R"({
      "method": "grid",
      "metric": {"name": "val_loss", "goal": "minimize"},
      "parameters": {"learning_rate": {"values": [0.001, 0.002, 0.003, 0.004]}, "num_epochs": {"value": 4}}
    })");
}

FollowMeScore score_of(double final_score) {
    FollowMeScore score;
    score.final_score = final_score;
    score.final_iou = final_score;
    score.weight = 1.0;
    return score;
}

SweepRecording scripted_recording() {
    SweepRecording recording;
    recording.created = "2026-11-28T00:00:00Z";
    recording.sweep = scripted_sweep();
    for (const ScriptedTrial& script : kScript) {
        RecordedTrial trial;
        trial.config = config_with_values({{"learning_rate", script.learning_rate}, {"num_epochs", 4}});
        for (size_t i = 0; i < script.val_loss.size(); ++i) {
            RecordedEpoch epoch;
            epoch.metrics.epoch = static_cast<int>(i) + 1;
            epoch.metrics.val_loss = script.val_loss[i];
            epoch.metrics.train_loss = script.val_loss[i];
            epoch.best_epoch = epoch.metrics.epoch;  // every curve here improves every epoch
            epoch.best_score = score_of(script.best_score[i]);
            trial.epochs.push_back(epoch);
        }
        trial.final_score = score_of(script.best_score.back());
        recording.trials.push_back(trial);
    }
    return recording;
}

ReplayOptions scripted_options() {
    ReplayOptions options;
    options.metric = "val_loss";
    options.workers = 2;
    options.run_cap = 3;
    options.seeds = 3;
    options.median = {{"type", "median"}, {"grace_period", 1}, {"min_trials", 1}};
    options.hyperband = {{"type", "hyperband"}, {"min_iter", 1}, {"eta", 3}};
    return options;
}

ReplayRun replay(const SweepRecording& recording, SearchMethod method, EarlyTerminateType policy, int workers,
                 uint64_t seed = 1) {
    ReplayOptions options = scripted_options();
    return replay_sweep(recording, replay_spec(recording, method, policy, options, seed), workers);
}

TEST(SweepReplay, GridWithoutStoppingSpendsEveryRecordedEpoch) {
    const ReplayRun run = replay(scripted_recording(), SearchMethod::grid, EarlyTerminateType::none, 2);
    EXPECT_EQ(run.epochs, 16);
    EXPECT_EQ(run.trials, 4);
    EXPECT_EQ(run.stopped, 0);
    EXPECT_DOUBLE_EQ(run.best_score, 0.74);  // A's final score
    EXPECT_DOUBLE_EQ(run.best_parameters.at("learning_rate").get<double>(), 0.001);
}

// Two workers, bands 1, 3 (eta 3). By hand, tick by tick (worker 0 first):
//   t1: A e1 0.9, band 1 = {0.9}: threshold [floor(1/3)=0] 0.9, continue.  B e1 0.5, band 1 {0.5, 0.9}: [0] 0.5, continue.
//   t2: A e2, judged at band 1 on 0.9 > 0.5: STOP A after 2 epochs (score 0.7); worker 0 takes C.  B e2: 0.5, continue.
//   t3: C e1 1.0, band 1 {0.5, 0.9, 1.0}: [1] 0.9, STOP C after 1 epoch; worker 0 takes D.  B e3 0.3, band 3 {0.3}: continue.
//   t4: D e1 0.95, band 1 {0.5, 0.9, 0.95, 1.0}: [1] 0.9, STOP D after 1.  B e4: completed (score 0.6).
// Epochs 2 + 4 + 1 + 1 = 8; best score: stopped A's best-so-far weights, 0.7.
TEST(SweepReplay, HyperbandStopsWhereWorkedOutByHand) {
    const ReplayRun run = replay(scripted_recording(), SearchMethod::grid, EarlyTerminateType::hyperband, 2);
    EXPECT_EQ(run.epochs, 8);
    EXPECT_EQ(run.trials, 4);
    EXPECT_EQ(run.stopped, 3);
    EXPECT_DOUBLE_EQ(run.best_score, 0.7);  // a stopped trial is scored on its best weights at the stop
    EXPECT_DOUBLE_EQ(run.best_parameters.at("learning_rate").get<double>(), 0.001);
}

// One worker, grace 1, min_trials 1. A and B run alone or ahead of every finished curve and complete
// (B's best is below A's running averages). C at epoch 1: 1.0 > median(0.5, 0.9) = 0.7: stop.
// D at epoch 1: 0.95 > median(0.5, 0.9, 1.0) = 0.9: stop. Epochs 4 + 4 + 1 + 1 = 10.
TEST(SweepReplay, MedianRuleStopsWhereWorkedOutByHand) {
    const ReplayRun run = replay(scripted_recording(), SearchMethod::grid, EarlyTerminateType::median, 1);
    EXPECT_EQ(run.epochs, 10);
    EXPECT_EQ(run.stopped, 2);
    EXPECT_DOUBLE_EQ(run.best_score, 0.74);
}

// With four workers every trial starts in tick 1: band 1 fills in worker order A 0.9, B 0.5, C 1.0,
// D 0.95, and each is judged on the values recorded so far: A (alone) and B (best) continue, C
// (threshold [1] of {0.5, 0.9, 1.0} = 0.9) and D ([1] of 4 = 0.9) stop after 1 epoch. Tick 2: A is
// judged again at band 1 against all 4 values ([1] = 0.9): 0.9 is not worse, A continues. Tick 3:
// A reaches band 3 first ({0.7}: continue), then B ({0.3, 0.7}: [0] = 0.3, continue). Tick 4: A is
// judged at band 3 against 0.3 and stops, at its last epoch (a stop there still counts as
// stopped_early, scored on its best weights, 0.74, but saves nothing: not counted as stopped).
// Epochs 4 + 4 + 1 + 1 = 10.
TEST(SweepReplay, MoreWorkersChangeTheOrderOfArrivals) {
    const ReplayRun run = replay(scripted_recording(), SearchMethod::grid, EarlyTerminateType::hyperband, 4);
    EXPECT_EQ(run.epochs, 10);
    EXPECT_EQ(run.stopped, 2);
    EXPECT_DOUBLE_EQ(run.best_score, 0.74);
}

TEST(SweepReplay, DivergedTrialSpendsItsBadEpochAndHasNoScore) {
    SweepRecording recording = scripted_recording();
    RecordedTrial& d = recording.trials[3];
    d.state = TrialState::diverged;
    d.epochs.resize(2);  // the third epoch's loss was not finite: the trainer ended the trial there
    d.final_score.reset();
    const ReplayRun run = replay(recording, SearchMethod::grid, EarlyTerminateType::none, 2);
    EXPECT_EQ(run.epochs, 4 + 4 + 4 + 3);
    EXPECT_EQ(run.stopped, 0);
    EXPECT_DOUBLE_EQ(run.best_score, 0.74);
}

TEST(SweepReplay, RandomAndBayesRunTheirRunCapOfRecordedConfigs) {
    const SweepRecording recording = scripted_recording();
    for (SearchMethod method : {SearchMethod::random, SearchMethod::bayes}) {
        for (uint64_t seed = 1; seed <= 3; ++seed) {
            const ReplayRun run = replay(recording, method, EarlyTerminateType::none, 2, seed);
            EXPECT_EQ(run.trials, 3) << search_method_name(method) << " seed " << seed;
            EXPECT_EQ(run.epochs, 12) << search_method_name(method) << " seed " << seed;
        }
    }
}

TEST(SweepReplay, ReplaysAreDeterministic) {
    const SweepRecording recording = scripted_recording();
    const ReplayOptions options = scripted_options();
    const nlohmann::json first = replay_report_json(replay_all(recording, options));
    const nlohmann::json second = replay_report_json(replay_all(recording, options));
    EXPECT_EQ(first, second);
}

TEST(SweepReplay, ReportCoversEveryCellAndTheGridsBest) {
    const ReplayReport report = replay_all(scripted_recording(), scripted_options());
    EXPECT_EQ(report.grid_trials, 4);
    EXPECT_EQ(report.grid_epochs, 16);
    EXPECT_DOUBLE_EQ(report.grid_best_score, 0.74);
    ASSERT_EQ(report.cells.size(), 9u);
    EXPECT_EQ(report.cells[0].runs.size(), 1u);  // grid: one run
    EXPECT_EQ(report.cells[3].runs.size(), 3u);  // random: one per seed
    // grid + hyperband: 8 of 16 epochs, best 0.7: 0.04 below the grid's best, so not within 0.01.
    const ReplayCell& hyperband = report.cells[2];
    EXPECT_EQ(hyperband.method, SearchMethod::grid);
    EXPECT_EQ(hyperband.early_terminate, EarlyTerminateType::hyperband);
    EXPECT_DOUBLE_EQ(mean_epochs(hyperband), 8.0);
    EXPECT_EQ(runs_within_target(hyperband, report.grid_best_score), 0);
    EXPECT_FALSE(cell_meets_target(hyperband, report));
    // grid + none is within the gap (it is the grid) but spends every epoch.
    EXPECT_EQ(runs_within_target(report.cells[0], report.grid_best_score), 1);
    EXPECT_FALSE(cell_meets_target(report.cells[0], report));
}

TEST(SweepReplay, TargetNeedsTheGapAndTheEpochShareInEveryRun) {
    ReplayReport report;
    report.grid_epochs = 90;
    report.grid_best_score = 0.5;
    ReplayCell cell;
    cell.runs.push_back(ReplayRun{30, 9, 5, 0.495, {}});
    EXPECT_TRUE(cell_meets_target(cell, report));  // 30/90 = 1/3, gap 0.005
    cell.runs.push_back(ReplayRun{31, 9, 5, 0.5, {}});
    EXPECT_FALSE(cell_meets_target(cell, report));  // 31/90 > 1/3
    cell.runs.back().epochs = 20;
    cell.runs.back().best_score = 0.48;
    EXPECT_FALSE(cell_meets_target(cell, report));  // gap 0.02
}

TEST(SweepReplay, ConfigMissingFromTheRecordingIsRefused) {
    SweepRecording recording = scripted_recording();
    recording.trials.pop_back();
    try {
        replay(recording, SearchMethod::grid, EarlyTerminateType::none, 2);
        FAIL() << "expected a segsweep::Error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("no trial for the config"), std::string::npos) << e.what();
    }
}

TEST(SweepRecordingFile, RoundTripKeepsCurvesAndScores) {
    const std::filesystem::path file = std::filesystem::path(SEGSWEEP_TEST_TMP) / "sweep_recording_round_trip.json";
    std::filesystem::create_directories(file.parent_path());
    const SweepRecording original = scripted_recording();
    write_sweep_recording(original, file.string());
    const SweepRecording read = read_sweep_recording(file.string());
    ASSERT_EQ(read.trials.size(), original.trials.size());
    for (size_t t = 0; t < read.trials.size(); ++t) {
        EXPECT_EQ(config_hash(read.trials[t].config), config_hash(original.trials[t].config));
        ASSERT_EQ(read.trials[t].epochs.size(), original.trials[t].epochs.size());
        for (size_t e = 0; e < read.trials[t].epochs.size(); ++e) {
            EXPECT_DOUBLE_EQ(read.trials[t].epochs[e].metrics.val_loss, original.trials[t].epochs[e].metrics.val_loss);
            ASSERT_TRUE(read.trials[t].epochs[e].best_score.has_value());
            EXPECT_DOUBLE_EQ(read.trials[t].epochs[e].best_score->final_score,
                             original.trials[t].epochs[e].best_score->final_score);
        }
    }
    EXPECT_EQ(replay_report_json(replay_all(read, scripted_options())),
              replay_report_json(replay_all(original, scripted_options())));
    std::filesystem::remove(file);
}

TEST(SweepRecordingFile, BadFilesAreRefusedWithTheirName) {
    const std::filesystem::path file = std::filesystem::path(SEGSWEEP_TEST_TMP) / "sweep_recording_bad.json";
    std::filesystem::create_directories(file.parent_path());
    {
        std::ofstream out(file);
        out << R"({"format": "something-else"})";
    }
    try {
        read_sweep_recording(file.string());
        FAIL() << "expected a segsweep::Error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(file.string()), std::string::npos) << e.what();
    }
    nlohmann::json json = to_json(scripted_recording());
    json["trials"][1]["epochs"].erase(1);  // epochs 1, 3, 4
    try {
        sweep_recording_from_json(json, "rec.json");
        FAIL() << "expected a segsweep::Error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("rec.json: trials[1]"), std::string::npos) << e.what();
    }
    std::filesystem::remove(file);
}

// Issue 8's target on the shipped recordings, with the benchmark's defaults (sweep metric
// final_score, hyperband min_iter 1, eta 3, strict; 4 workers): grid + hyperband finds a config
// within 0.01 of the grid's best final_score with at most 1/3 of the grid's epochs.
TEST(SweepReplay, ShippedRecordingsMeetTheTargetWithGridHyperband) {
    for (const char* name : {"sweep_grid_48px.json", "sweep_grid_48px_seed12.json"}) {
        const std::string path = std::string(SEGSWEEP_SOURCE_DIR) + "/bench/recordings/" + name;
        const SweepRecording recording = read_sweep_recording(path);
        const ReplayReport report = replay_all(recording, ReplayOptions{});
        bool found = false;
        for (const ReplayCell& cell : report.cells) {
            if (cell.method != SearchMethod::grid) continue;
            ASSERT_EQ(cell.runs.size(), 1u);
            if (cell.early_terminate == EarlyTerminateType::none) {
                EXPECT_EQ(cell.runs[0].epochs, report.grid_epochs) << name;
                EXPECT_DOUBLE_EQ(cell.runs[0].best_score, report.grid_best_score) << name;
            }
            if (cell.early_terminate != EarlyTerminateType::hyperband) continue;
            found = true;
            EXPECT_TRUE(cell_meets_target(cell, report))
                << name << ": " << cell.runs[0].epochs << " of " << report.grid_epochs << " epochs, best "
                << cell.runs[0].best_score << " vs the grid's " << report.grid_best_score;
        }
        EXPECT_TRUE(found) << name;
    }
}

}  // namespace
}  // namespace segsweep
