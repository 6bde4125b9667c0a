// SweepRuntime: what the coordinator keeps per running sweep to make its decisions with the
// sweeps/ library: the parsed spec, the early stopper (asked after each EPOCH), the metric.target
// check (after each EPOCH and RESULT) and, for method bayes, the TPE search and its observations.
// Pure logic; the coordinator feeds it and acts on its answers.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "coordinator/scheduler.h"
#include "sweeps/early_stopping.h"
#include "sweeps/sweep_spec.h"
#include "sweeps/tpe_search.h"
#include "sweeps/trial_planner.h"

namespace segsweep::coordinator {

class SweepRuntime {
public:
    SweepRuntime(int64_t sweep_id, SweepSpec spec);

    const SweepSpec& spec() const { return spec_; }
    int64_t sweep_id() const { return sweep_id_; }
    bool is_bayes() const { return search_.has_value(); }

    // The scheduler's SweepEntry for this sweep (restarts, needs, data root, open for bayes).
    SweepEntry sweep_entry(const std::string& name) const;

    // A trial of this sweep exists (submitted, asked or reloaded), in trial order.
    void add_trial(int64_t trial_id, const TrialConfig& config);
    // One EPOCH: the early stopper's verdict, or finish_sweep when the epoch reaches metric.target.
    EpochVerdict on_epoch(int64_t trial_id, int attempt, const EpochMetrics& metrics, std::string& why);
    // The trial is final; `result` when it has one. True when that result reaches metric.target.
    bool on_final(int64_t trial_id, const TrialResult* result, std::string& why);
    // Reloading after a restart: a stored epoch, and a finished trial's value for the search.
    void replay_epoch(int64_t trial_id, int attempt, const EpochMetrics& metrics);
    void replay_final(int64_t trial_id, std::optional<double> value);

    // Bayes: the next config to create, or nothing (run_cap reached or the space used up).
    std::optional<PlannedTrial> ask() const;
    int trials() const { return static_cast<int>(observations_.size()); }

private:
    int64_t sweep_id_;
    SweepSpec spec_;
    EarlyStopper stopper_;
    std::optional<BayesSearch> search_;
    std::map<int64_t, SearchObservation> observations_;  // by trial id = trial order
};

}  // namespace segsweep::coordinator
