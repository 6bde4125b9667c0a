// `segsweep bench sweep replay`: replays sweep policies on a SweepRecording, deterministically, so
// every policy sees the same curves. Each replay drives the coordinator's own per-sweep logic
// (coordinator::SweepRuntime: sweeps/ EarlyStopper after every epoch, metric.target, BayesSearch
// asks with running trials as constant liars) and the sweeps/ planners (grid and random), with a
// fixed number of simulated workers:
//   - time advances in ticks; in each tick every busy worker, in worker order, runs one epoch of its
//     trial (the recorded epoch) and reports it; the runtime answers proceed or stop;
//   - a trial ends when stopped (stopped_early) or at its last recorded epoch (completed, or diverged:
//     its bad epoch is counted as spent, as the trainer ran it); the runtime is told its result;
//   - a freed worker takes the next trial at once (grid/random: the plan's next; bayes: ask()); the
//     new trial's first epoch runs in the next tick.
// A stopped trial's score is the recorded score of its best-so-far weights at the stop epoch: the
// trainer's final evaluation of a stopped trial scores exactly those weights.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/sweep_efficiency_recording.h"
#include "sweeps/sweep_spec.h"

namespace segsweep {

inline constexpr int kReplayDefaultWorkers = 4;             // simulated concurrent workers
inline constexpr int kReplayDefaultRunCap = 9;              // trials of random and bayes sweeps
inline constexpr int kReplayDefaultSeeds = 5;               // random and bayes: seeds 1..n
inline constexpr double kReplayTargetGap = 0.01;            // final_score below the grid's best
inline constexpr double kReplayTargetEpochFraction = 1.0 / 3.0;  // of the full grid's epochs

struct ReplayOptions {
    int workers = kReplayDefaultWorkers;
    int run_cap = kReplayDefaultRunCap;  // random and bayes (grid runs every recorded trial)
    int seeds = kReplayDefaultSeeds;     // random and bayes replay seeds 1..seeds; grid is seed-free
    std::string metric = "final_score";  // the sweep metric (sweep_metric.h); its goal is the natural one
    nlohmann::json hyperband = {{"type", "hyperband"}, {"min_iter", 1}, {"eta", 3}};
    nlohmann::json median = {{"type", "median"}, {"grace_period", 3}, {"min_trials", 3}};
};

// One replayed sweep.
struct ReplayRun {
    int64_t epochs = 0;    // epochs spent by every trial together
    int trials = 0;        // trials started
    int stopped = 0;       // trials the policy stopped before their last epoch (a stop at the last
                           // epoch still ends stopped_early, but saves nothing: not counted)
    double best_score = 0;        // the best final_score among the sweep's scored trials
    nlohmann::json best_parameters;  // that trial's swept values
};

struct ReplayCell {
    SearchMethod method = SearchMethod::grid;
    EarlyTerminateType early_terminate = EarlyTerminateType::none;
    std::vector<ReplayRun> runs;  // one per seed (grid: one)
};

struct ReplayReport {
    std::string metric;
    int workers = 0;
    int run_cap = 0;
    int seeds = 0;
    nlohmann::json hyperband;  // the early_terminate blocks replayed
    nlohmann::json median;
    int grid_trials = 0;
    int64_t grid_epochs = 0;         // every recorded epoch (what the full grid without stopping spends)
    double grid_best_score = 0;      // the best final_score of the recording
    nlohmann::json grid_best_parameters;
    std::vector<ReplayCell> cells;   // methods grid, random, bayes x none, median, hyperband
};

// The spec a replay runs: the recording's grid sweep file with method, metric, run_cap, seed and
// early_terminate replaced. Throws segsweep::Error when the sweep file does not parse.
SweepSpec replay_spec(const SweepRecording& recording, SearchMethod method, EarlyTerminateType early_terminate,
                      const ReplayOptions& options, uint64_t seed);

// One sweep replayed with `workers` simulated workers. Throws segsweep::Error when the spec asks for
// a config the recording does not hold.
ReplayRun replay_sweep(const SweepRecording& recording, const SweepSpec& spec, int workers);

// Every cell (3 methods x 3 policies), in that order.
ReplayReport replay_all(const SweepRecording& recording, const ReplayOptions& options);

// Means over a cell's runs.
double mean_epochs(const ReplayCell& cell);
double mean_best_score(const ReplayCell& cell);
// Runs whose best score is within kReplayTargetGap of the grid's best.
int runs_within_target(const ReplayCell& cell, double grid_best_score);
// True when the cell meets the target in every run: within kReplayTargetGap of the grid's
// best with at most kReplayTargetEpochFraction of the grid's epochs.
bool cell_meets_target(const ReplayCell& cell, const ReplayReport& report);

std::string format_replay_report(const ReplayReport& report);
nlohmann::json replay_report_json(const ReplayReport& report);

}  // namespace segsweep
