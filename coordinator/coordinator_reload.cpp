// Coordinator start-up: reload every unfinished sweep from the results store, so a restarted
// coordinator carries on (pending trials queue again, running ones wait for re-attach).
#include <map>

#include "common/error.h"
#include "common/log.h"
#include "coordinator/coordinator.h"
#include "sweeps/sweep_metric.h"
#include "sweeps/sweep_parser.h"
#include "sweeps/sweep_text.h"

namespace segsweep::coordinator {

void Coordinator::reload(int64_t now) {
    StoreOptions store_options;
    store_options.mode = StoreOpenMode::create;
    store_options.durability = options_.durability;
    ResultsStore store(options_.db_path, store_options);
    for (const SweepRecord& sweep : store.unfinished_sweeps()) {
        SweepSpec spec;
        try {
            SweepFormat format = sweep.file_format == "yaml" ? SweepFormat::yaml : SweepFormat::json;
            spec = parse_sweep_text(sweep.file_text, format, sweep.source);
        } catch (const Error& e) {
            LOG_E("sweep %lld '%s' cannot be reloaded (its stored file no longer parses): %s",
                  static_cast<long long>(sweep.id), sweep.name.c_str(), e.what());
            continue;
        }
        add_runtime(sweep.id, sweep.name, spec);
        SweepRuntime& runtime = runtimes_.at(sweep.id);
        std::map<std::string, int> counts;
        std::map<int64_t, std::optional<double>> final_values;  // replayed after the curves
        for (const TrialRecord& record : store.list_trials(sweep.id)) {
            TrialEntry trial;
            trial.trial_id = record.id;
            trial.sweep_id = sweep.id;
            trial.config = record.config;
            trial.trial_dir = trial_dir(sweep.id, record.id);
            trial.state = record.state;
            trial.attempt = record.attempt;
            trial.restarts = record.restarts;
            trial.preemptions = record.preemptions;
            trial.worker_id = record.worker_id;
            trial.message = record.message;
            runtime.add_trial(record.id, record.config);
            if (trial_state_is_final(record.state)) {
                std::optional<ResultRecord> result = store.find_result(record.id);
                if (result) trial.result_attempt = result->attempt;
                std::optional<double> value;
                const std::string& metric = spec.metric.name;
                if (metric == "final_score") value = record.final_score;
                else if (metric == "final_iou") value = record.final_iou;
                else if (result && metric == "val_loss") value = result->best_val_loss;
                else if (result && metric == "val_iou") value = result->best_val_iou;
                final_values[record.id] = value;
            }
            ++counts[trial_state_name(record.state)];
            scheduler_.add_trial(trial, now);
        }
        // Curves first, then the finished marks: the median rule compares against finished curves.
        for (const EpochRecord& epoch : store.sweep_epochs(sweep.id))
            runtime.replay_epoch(epoch.trial_id, epoch.attempt, epoch.metrics);
        for (const auto& [trial_id, value] : final_values) runtime.replay_final(trial_id, value);
        LOG_I("reloaded sweep %lld '%s': %d pending, %d running (waiting %d ms for their workers), %d final",
              static_cast<long long>(sweep.id), sweep.name.c_str(), counts["pending"], counts["running"],
              options_.scheduler.restart_grace_ms,
              runtime.trials() - counts["pending"] - counts["running"]);
    }
    scheduler_.check_sweeps_done();
}

}  // namespace segsweep::coordinator
