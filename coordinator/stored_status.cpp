// STATUS from the results store: counts per sweep and the trials recorded as running.
#include "coordinator/stored_status.h"

#include <string>
#include <vector>

#include "common/error.h"

namespace segsweep::coordinator {
namespace {

nlohmann::json sweep_json(ResultsStore& store, const SweepRecord& sweep, nlohmann::json& running) {
    const SweepStatus status = store.sweep_status(sweep.id);
    int total = 0;
    for (const auto& [state, n] : status.counts) total += n;
    for (const auto& trial : status.running)
        running.push_back({{"trial_id", trial.id},
                           {"sweep_id", trial.sweep_id},
                           {"attempt", trial.attempt},
                           {"epoch", trial.last_epoch},
                           {"epochs_planned", trial.config.num_epochs},
                           {"worker_id", trial.worker_id}});
    return {{"sweep_id", sweep.id},
            {"name", sweep.name},
            {"trials", total},
            {"counts", status.counts},
            {"cancelled", status.state == SweepState::cancelled},
            {"finished", status.state != SweepState::running},
            {"done", status.state != SweepState::running}};
}

}  // namespace

nlohmann::json stored_status_json(ResultsStore& store, std::optional<int64_t> sweep_id) {
    std::vector<SweepRecord> sweeps;
    if (sweep_id) {
        auto sweep = store.find_sweep(*sweep_id);
        if (!sweep) throw Error("no sweep " + std::to_string(*sweep_id) + " in the results store");
        sweeps.push_back(std::move(*sweep));
    } else {
        sweeps = store.unfinished_sweeps();
    }
    nlohmann::json running = nlohmann::json::array();
    nlohmann::json listed = nlohmann::json::array();
    for (const auto& sweep : sweeps) listed.push_back(sweep_json(store, sweep, running));
    return {{"sweeps", listed}, {"running", running}};
}

}  // namespace segsweep::coordinator
