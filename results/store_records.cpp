// Names of sweep states and attempt outcomes, and JSON forms of the store's records.
#include "results/store_records.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/error.h"

namespace segsweep {
namespace {

nlohmann::json optional_number(const std::optional<double>& value) {
    if (!value || !std::isfinite(*value)) return nullptr;
    return *value;
}

struct OutcomeName {
    AttemptOutcome outcome;
    const char* name;
};

const OutcomeName kOutcomeNames[] = {
    {AttemptOutcome::running, "running"},
    {AttemptOutcome::completed, "completed"},
    {AttemptOutcome::stopped_early, "stopped_early"},
    {AttemptOutcome::diverged, "diverged"},
    {AttemptOutcome::failed, "failed"},
    {AttemptOutcome::cancelled, "cancelled"},
    {AttemptOutcome::lost, "lost"},
    {AttemptOutcome::preempted, "preempted"},
};

}  // namespace

const char* sweep_state_name(SweepState state) {
    switch (state) {
        case SweepState::running:
            return "running";
        case SweepState::finished:
            return "finished";
        case SweepState::cancelled:
            return "cancelled";
    }
    return "unknown";
}

SweepState sweep_state_from_name(const std::string& name) {
    if (name == "running") return SweepState::running;
    if (name == "finished") return SweepState::finished;
    if (name == "cancelled") return SweepState::cancelled;
    throw Error("unknown sweep state '" + name + "' (valid: running, finished, cancelled)");
}

const char* attempt_outcome_name(AttemptOutcome outcome) {
    for (const auto& entry : kOutcomeNames)
        if (entry.outcome == outcome) return entry.name;
    return "unknown";
}

AttemptOutcome attempt_outcome_from_name(const std::string& name) {
    for (const auto& entry : kOutcomeNames)
        if (name == entry.name) return entry.outcome;
    throw Error("unknown attempt outcome '" + name + "'");
}

AttemptOutcome attempt_outcome_for(TrialState final_state) {
    switch (final_state) {
        case TrialState::completed:
            return AttemptOutcome::completed;
        case TrialState::stopped_early:
            return AttemptOutcome::stopped_early;
        case TrialState::diverged:
            return AttemptOutcome::diverged;
        case TrialState::failed:
            return AttemptOutcome::failed;
        case TrialState::cancelled:
            return AttemptOutcome::cancelled;
        default:
            return AttemptOutcome::running;
    }
}

nlohmann::json to_json(const SweepRecord& s, bool with_file_text) {
    nlohmann::json j = {{"id", s.id},
                        {"name", s.name},
                        {"source", s.source},
                        {"format", s.file_format},
                        {"state", sweep_state_name(s.state)},
                        {"message", s.message},
                        {"created_at", s.created_at},
                        {"finished_at", optional_number(s.finished_at)},
                        {"trials", s.trial_counts},
                        {"spec", s.spec}};
    if (with_file_text) j["file_text"] = s.file_text;
    return j;
}

nlohmann::json to_json(const TrialRecord& t) {
    return {{"id", t.id},
            {"sweep", t.sweep_id},
            {"index", t.trial_index},
            {"config", to_json(t.config)},
            {"config_hash", t.config_hash},
            {"state", trial_state_name(t.state)},
            {"attempt", t.attempt},
            {"restarts", t.restarts},
            {"preemptions", t.preemptions},
            {"worker", t.worker_id},
            {"message", t.message},
            {"created_at", t.created_at},
            {"started_at", optional_number(t.started_at)},
            {"ended_at", optional_number(t.ended_at)},
            {"last_epoch", t.last_epoch},
            {"mean_epoch_seconds", t.mean_epoch_seconds},
            {"final_score", optional_number(t.final_score)},
            {"final_iou", optional_number(t.final_iou)}};
}

nlohmann::json to_json(const AttemptRecord& a) {
    return {{"attempt", a.attempt}, {"worker", a.worker_id},      {"outcome", attempt_outcome_name(a.outcome)},
            {"message", a.message}, {"started_at", a.started_at}, {"ended_at", optional_number(a.ended_at)}};
}

nlohmann::json to_json(const ResultRecord& r) {
    return {{"trial", r.trial_id},
            {"sweep", r.sweep_id},
            {"attempt", r.attempt},
            {"state", trial_state_name(r.state)},
            {"message", r.message},
            {"score", r.score ? to_json(*r.score) : nlohmann::json()},
            {"epochs_run", r.epochs_run},
            {"best_epoch", r.best_epoch},
            {"wall_seconds", r.wall_seconds},
            {"images_per_sec", r.images_per_sec},
            {"best_val_loss", optional_number(r.best_val_loss)},
            {"best_val_iou", optional_number(r.best_val_iou)},
            {"recorded_at", r.recorded_at}};
}

nlohmann::json to_json(const SweepStatus& s) {
    nlohmann::json running = nlohmann::json::array();
    for (const auto& t : s.running) running.push_back(to_json(t));
    return {{"sweep", s.sweep_id}, {"state", sweep_state_name(s.state)}, {"counts", s.counts}, {"running", running}};
}

}  // namespace segsweep

namespace segsweep {

std::vector<EpochRecord> effective_curve(std::vector<EpochRecord> rows) {
    std::sort(rows.begin(), rows.end(), [](const EpochRecord& a, const EpochRecord& b) {
        return a.attempt != b.attempt ? a.attempt > b.attempt : a.metrics.epoch < b.metrics.epoch;
    });
    std::vector<EpochRecord> curve;
    int boundary = std::numeric_limits<int>::max();  // epochs below this are still open
    size_t i = 0;
    while (i < rows.size()) {
        const int attempt = rows[i].attempt;
        int first_epoch = boundary;
        for (; i < rows.size() && rows[i].attempt == attempt; ++i) {
            if (rows[i].metrics.epoch >= boundary) continue;
            curve.push_back(rows[i]);
            first_epoch = std::min(first_epoch, rows[i].metrics.epoch);
        }
        boundary = first_epoch;
    }
    std::sort(curve.begin(), curve.end(),
              [](const EpochRecord& a, const EpochRecord& b) { return a.metrics.epoch < b.metrics.epoch; });
    return curve;
}

}  // namespace segsweep
