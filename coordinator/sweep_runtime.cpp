// SweepRuntime: early stopping, metric.target and bayes asks for one sweep.
#include "coordinator/sweep_runtime.h"

#include <cstdio>

#include "sweeps/sweep_metric.h"

namespace segsweep::coordinator {

SweepRuntime::SweepRuntime(int64_t sweep_id, SweepSpec spec)
    : sweep_id_(sweep_id), spec_(std::move(spec)), stopper_(spec_) {
    if (spec_.method == SearchMethod::bayes) search_.emplace(spec_);
}

SweepEntry SweepRuntime::sweep_entry(const std::string& name) const {
    SweepEntry entry;
    entry.sweep_id = sweep_id_;
    entry.name = name;
    entry.metric = spec_.metric.name;
    entry.max_restarts = spec_.max_restarts;
    // gpus_per_trial is the rank count of one data-parallel trial; a rank uses a GPU when its
    // worker has one, so GPUs are not required (CPU-only machines run the same sweep files).
    entry.needs.ranks = std::max(1, spec_.resources.gpus_per_trial);
    entry.needs.gpus = 0;
    entry.data_root = spec_.data;
    entry.open = is_bayes();
    return entry;
}

void SweepRuntime::add_trial(int64_t trial_id, const TrialConfig& config) {
    SearchObservation observation;
    observation.config = config;
    observations_.emplace(trial_id, observation);
}

EpochVerdict SweepRuntime::on_epoch(int64_t trial_id, int attempt, const EpochMetrics& metrics, std::string& why) {
    StopDecision decision = stopper_.on_epoch(trial_id, attempt, metrics);
    if (metric_target_reached(spec_.metric, metrics)) {
        char text[160];
        std::snprintf(text, sizeof text, "trial %lld reached metric.target (%s %.4g) at epoch %d",
                      static_cast<long long>(trial_id), spec_.metric.name.c_str(),
                      epoch_metric_value(spec_.metric, metrics), metrics.epoch);
        why = text;
        return EpochVerdict::finish_sweep;
    }
    if (decision.stop) {
        why = decision.reason;
        return EpochVerdict::stop_trial;
    }
    return EpochVerdict::proceed;
}

bool SweepRuntime::on_final(int64_t trial_id, const TrialResult* result, std::string& why) {
    stopper_.observe_finished(trial_id);
    auto it = observations_.find(trial_id);
    if (it != observations_.end()) {
        it->second.finished = true;
        if (result) it->second.value = trial_metric_value(spec_.metric, *result);
    }
    if (result == nullptr || !metric_target_reached(spec_.metric, *result)) return false;
    auto value = trial_metric_value(spec_.metric, *result);
    char text[160];
    std::snprintf(text, sizeof text, "trial %lld reached metric.target (%s %.4g)", static_cast<long long>(trial_id),
                  spec_.metric.name.c_str(), value ? *value : 0.0);
    why = text;
    return true;
}

void SweepRuntime::replay_epoch(int64_t trial_id, int attempt, const EpochMetrics& metrics) {
    stopper_.observe_epoch(trial_id, attempt, metrics);
}

void SweepRuntime::replay_final(int64_t trial_id, std::optional<double> value) {
    stopper_.observe_finished(trial_id);
    auto it = observations_.find(trial_id);
    if (it == observations_.end()) return;
    it->second.finished = true;
    it->second.value = value;
}

std::optional<PlannedTrial> SweepRuntime::ask() const {
    if (!search_) return std::nullopt;
    std::vector<SearchObservation> observations;
    observations.reserve(observations_.size());
    for (const auto& [id, observation] : observations_) observations.push_back(observation);
    return search_->ask(observations);
}

}  // namespace segsweep::coordinator
