// The replay of sweep policies on a recording (see sweep_efficiency_replay.h): simulated workers
// advancing one recorded epoch per tick, with coordinator::SweepRuntime deciding.
#include "bench/sweep_efficiency_replay.h"

#include <algorithm>
#include <map>
#include <optional>

#include "common/error.h"
#include "coordinator/sweep_runtime.h"
#include "sweeps/sweep_parser.h"
#include "sweeps/trial_planner.h"

namespace segsweep {
namespace {

constexpr int kReplayAttempt = 1;  // every replayed trial runs once (no lost workers)

struct WorkerSlot {
    int64_t trial_id = 0;  // 0: idle
    const RecordedTrial* trial = nullptr;
    nlohmann::json parameters;
    int epochs_done = 0;
};

// The trial's result as the coordinator would store it after it ends at `epochs_done` epochs.
TrialResult replayed_result(const RecordedTrial& trial, int epochs_done, bool stopped) {
    TrialResult result;
    result.config = trial.config;
    result.epochs_run = epochs_done;
    for (int i = 0; i < epochs_done; ++i) result.history.push_back(trial.epochs[i].metrics);
    if (epochs_done > 0) result.best_epoch = trial.epochs[epochs_done - 1].best_epoch;
    if (stopped) {
        result.state = TrialState::stopped_early;
        result.score = trial.epochs[epochs_done - 1].best_score;
    } else {
        result.state = trial.state;
        result.score = trial.final_score;
    }
    return result;
}

const char* method_key(SearchMethod method) { return search_method_name(method); }

}  // namespace

SweepSpec replay_spec(const SweepRecording& recording, SearchMethod method, EarlyTerminateType early_terminate,
                      const ReplayOptions& options, uint64_t seed) {
    nlohmann::json sweep = recording.sweep;
    sweep["method"] = method_key(method);
    sweep["metric"] = {{"name", options.metric}};
    sweep["seed"] = seed;
    sweep.erase("run_cap");
    if (method != SearchMethod::grid) sweep["run_cap"] = options.run_cap;
    switch (early_terminate) {
        case EarlyTerminateType::none: sweep["early_terminate"] = {{"type", "none"}}; break;
        case EarlyTerminateType::median: sweep["early_terminate"] = options.median; break;
        case EarlyTerminateType::hyperband: sweep["early_terminate"] = options.hyperband; break;
    }
    return parse_sweep_json(sweep, "the recording's sweep (" + std::string(method_key(method)) + ", " +
                                       early_terminate_type_name(early_terminate) + ")");
}

ReplayRun replay_sweep(const SweepRecording& recording, const SweepSpec& spec, int workers) {
    if (workers < 1) throw Error("bench sweep replay: workers must be at least 1");
    std::map<std::string, const RecordedTrial*> by_hash;
    for (const RecordedTrial& trial : recording.trials) by_hash.emplace(config_hash(trial.config), &trial);

    coordinator::SweepRuntime runtime(/*sweep_id=*/1, spec);
    std::vector<PlannedTrial> plan;
    if (spec.method != SearchMethod::bayes) plan = plan_trials(spec).trials;
    size_t next_planned = 0;
    int64_t next_trial_id = 1;
    ReplayRun run;
    bool have_best = false;

    auto start_next = [&](WorkerSlot& slot) {
        slot = WorkerSlot{};
        std::optional<PlannedTrial> planned;
        if (spec.method == SearchMethod::bayes)
            planned = runtime.ask();
        else if (next_planned < plan.size())
            planned = plan[next_planned++];
        if (!planned) return;
        auto found = by_hash.find(planned->hash);
        if (found == by_hash.end())
            throw Error("bench sweep replay: the recording has no trial for the config " + planned->parameters.dump() +
                        " (" + spec.source + ")");
        runtime.add_trial(next_trial_id, planned->config);
        slot.trial_id = next_trial_id++;
        slot.trial = found->second;
        slot.parameters = planned->parameters;
        ++run.trials;
    };
    auto finish = [&](WorkerSlot& slot, bool stopped) {
        const TrialResult result = replayed_result(*slot.trial, slot.epochs_done, stopped);
        std::string why;
        runtime.on_final(slot.trial_id, &result, why);
        if (stopped && slot.epochs_done < static_cast<int>(slot.trial->epochs.size())) ++run.stopped;
        if (result.score && (!have_best || result.score->final_score > run.best_score)) {
            have_best = true;
            run.best_score = result.score->final_score;
            run.best_parameters = slot.parameters;
        }
    };

    std::vector<WorkerSlot> slots(workers);
    for (WorkerSlot& slot : slots) start_next(slot);
    bool sweep_finished = false;
    while (!sweep_finished && std::any_of(slots.begin(), slots.end(), [](const WorkerSlot& s) { return s.trial_id != 0; })) {
        for (WorkerSlot& slot : slots) {
            if (slot.trial_id == 0 || sweep_finished) continue;
            const RecordedTrial& trial = *slot.trial;
            if (slot.epochs_done == static_cast<int>(trial.epochs.size())) {
                // A diverged trial's bad epoch: it runs, reports nothing and ends the trial.
                ++run.epochs;
                finish(slot, /*stopped=*/false);
                start_next(slot);
                continue;
            }
            const RecordedEpoch& epoch = trial.epochs[slot.epochs_done];
            ++slot.epochs_done;
            ++run.epochs;
            std::string why;
            const coordinator::EpochVerdict verdict = runtime.on_epoch(slot.trial_id, kReplayAttempt, epoch.metrics, why);
            const bool last = slot.epochs_done == static_cast<int>(trial.epochs.size());
            if (verdict == coordinator::EpochVerdict::finish_sweep) {
                sweep_finished = true;
                break;
            }
            if (verdict == coordinator::EpochVerdict::stop_trial || (last && trial.state != TrialState::diverged)) {
                finish(slot, verdict == coordinator::EpochVerdict::stop_trial);
                start_next(slot);
            }
        }
    }
    if (sweep_finished) {
        // metric.target reached: the coordinator stops every running trial; each is still scored.
        for (WorkerSlot& slot : slots)
            if (slot.trial_id != 0 && slot.epochs_done > 0) finish(slot, /*stopped=*/true);
    }
    return run;
}

ReplayReport replay_all(const SweepRecording& recording, const ReplayOptions& options) {
    if (options.seeds < 1) throw Error("bench sweep replay: seeds must be at least 1");
    ReplayReport report;
    report.metric = options.metric;
    report.workers = options.workers;
    report.run_cap = options.run_cap;
    report.seeds = options.seeds;
    report.hyperband = options.hyperband;
    report.median = options.median;
    report.grid_trials = static_cast<int>(recording.trials.size());
    bool have_best = false;
    for (const RecordedTrial& trial : recording.trials) {
        report.grid_epochs += static_cast<int64_t>(trial.epochs.size()) + (trial.state == TrialState::diverged ? 1 : 0);
        if (trial.final_score && (!have_best || trial.final_score->final_score > report.grid_best_score)) {
            have_best = true;
            report.grid_best_score = trial.final_score->final_score;
            report.grid_best_parameters = to_json(trial.config);
        }
    }
    const SearchMethod methods[] = {SearchMethod::grid, SearchMethod::random, SearchMethod::bayes};
    const EarlyTerminateType policies[] = {EarlyTerminateType::none, EarlyTerminateType::median,
                                           EarlyTerminateType::hyperband};
    for (SearchMethod method : methods) {
        for (EarlyTerminateType policy : policies) {
            ReplayCell cell;
            cell.method = method;
            cell.early_terminate = policy;
            const int seeds = method == SearchMethod::grid ? 1 : options.seeds;
            for (int seed = 1; seed <= seeds; ++seed)
                cell.runs.push_back(replay_sweep(recording, replay_spec(recording, method, policy, options, seed),
                                                 options.workers));
            report.cells.push_back(std::move(cell));
        }
    }
    // The grid's best as swept values (the full config is long).
    const SweepSpec grid = replay_spec(recording, SearchMethod::grid, EarlyTerminateType::none, options, 1);
    if (have_best) report.grid_best_parameters = swept_values(grid, trial_config_from_json(report.grid_best_parameters));
    return report;
}

double mean_epochs(const ReplayCell& cell) {
    double sum = 0;
    for (const ReplayRun& run : cell.runs) sum += static_cast<double>(run.epochs);
    return cell.runs.empty() ? 0.0 : sum / static_cast<double>(cell.runs.size());
}

double mean_best_score(const ReplayCell& cell) {
    double sum = 0;
    for (const ReplayRun& run : cell.runs) sum += run.best_score;
    return cell.runs.empty() ? 0.0 : sum / static_cast<double>(cell.runs.size());
}

int runs_within_target(const ReplayCell& cell, double grid_best_score) {
    int count = 0;
    for (const ReplayRun& run : cell.runs)
        if (grid_best_score - run.best_score <= kReplayTargetGap) ++count;
    return count;
}

bool cell_meets_target(const ReplayCell& cell, const ReplayReport& report) {
    if (cell.runs.empty() || report.grid_epochs == 0) return false;
    for (const ReplayRun& run : cell.runs) {
        const double fraction = static_cast<double>(run.epochs) / static_cast<double>(report.grid_epochs);
        if (report.grid_best_score - run.best_score > kReplayTargetGap || fraction > kReplayTargetEpochFraction)
            return false;
    }
    return true;
}

}  // namespace segsweep
