// submit_sweep_text/_document, bayes trial creation, search observations, early-stopper replay and standalone trials.
#include "results/sweep_records.h"

#include "common/error.h"
#include "sweeps/sweep_parser.h"
#include "sweeps/sweep_text.h"

namespace segsweep {
namespace {

SubmittedSweep store_sweep(ResultsStore& store, SweepSpec spec, const std::string& source, const std::string& format,
                           const std::string& text) {
    SubmittedSweep submitted;
    submitted.plan = plan_trials(spec);  // throws on a bad grid point before anything is written
    SweepSubmission submission;
    submission.name = spec.name;
    submission.source = source;
    submission.file_format = format;
    submission.file_text = text;
    submission.spec = to_json(spec);
    std::vector<TrialConfig> configs;
    for (const auto& trial : submitted.plan.trials) configs.push_back(trial.config);
    submitted.created = store.create_sweep(submission, configs);
    submitted.spec = std::move(spec);
    return submitted;
}

}  // namespace

SubmittedSweep submit_sweep_text(ResultsStore& store, const std::string& text, const std::string& source) {
    const SweepFormat format = sweep_format_for(source, text);
    SweepSpec spec = parse_sweep_text(text, format, source);
    return store_sweep(store, std::move(spec), source, sweep_format_name(format), text);
}

SubmittedSweep submit_sweep_document(ResultsStore& store, const nlohmann::json& document, const std::string& source) {
    SweepSpec spec = parse_sweep_json(document, source);
    return store_sweep(store, std::move(spec), source, "json", document.dump(2));
}

std::vector<SearchObservation> search_observations(ResultsStore& store, int64_t sweep_id, const MetricSpec& metric) {
    std::vector<SearchObservation> observations;
    for (const auto& trial : store.list_trials(sweep_id)) {
        SearchObservation o;
        o.config = trial.config;
        o.finished = trial_state_is_final(trial.state);
        if (o.finished) {
            if (metric.name == "final_score")
                o.value = trial.final_score;
            else if (metric.name == "final_iou")
                o.value = trial.final_iou;
            else if (const auto result = store.find_result(trial.id))
                o.value = metric.name == "val_loss" ? result->best_val_loss : result->best_val_iou;
        }
        observations.push_back(std::move(o));
    }
    return observations;
}

std::optional<int64_t> add_bayes_trial(ResultsStore& store, int64_t sweep_id, const BayesSearch& search) {
    const auto next = search.ask(search_observations(store, sweep_id, search.spec().metric));
    if (!next) return std::nullopt;
    return store.add_trial(sweep_id, next->config);
}

EarlyStopper replay_early_stopper(ResultsStore& store, int64_t sweep_id, const SweepSpec& spec) {
    EarlyStopper stopper(spec);
    for (const auto& row : store.sweep_epochs(sweep_id)) stopper.observe_epoch(row.trial_id, row.attempt, row.metrics);
    for (const auto& trial : store.list_trials(sweep_id))
        if (trial_state_is_final(trial.state)) stopper.observe_finished(trial.id);
    return stopper;
}

StandaloneTrial record_standalone_trial(ResultsStore& store, const TrialResult& result, const std::string& name,
                                        const std::string& data_root) {
    if (!trial_state_is_final(result.state))
        throw Error(std::string("record_standalone_trial: state ") + trial_state_name(result.state) + " is not final");
    // The sweep file this run would have been: a one-point grid of the config's values.
    const nlohmann::json config = to_json(result.config);
    nlohmann::json parameters = nlohmann::json::object();
    for (const auto& item : config.items()) parameters[item.key()] = {{"value", item.value()}};
    nlohmann::json document = {{"name", name},
                               {"description", "a single `segsweep train` run"},
                               {"method", "grid"},
                               {"parameters", parameters}};
    if (!data_root.empty()) document["data"] = data_root;
    const SweepSpec spec = parse_sweep_json(document, name);

    StandaloneTrial ids;
    StoreTransaction transaction(store);
    SweepSubmission submission;
    submission.name = name;
    submission.source = "segsweep train";
    submission.file_format = "json";
    submission.file_text = document.dump(2);
    submission.spec = to_json(spec);
    const CreatedSweep created = store.create_sweep(submission, {result.config});
    ids.sweep_id = created.sweep_id;
    ids.trial_id = created.trial_ids.at(0);
    store.start_attempt(ids.trial_id, 1, "segsweep train");
    for (const auto& epoch : result.history) store.record_epoch(ids.trial_id, 1, epoch);
    store.record_result(ids.trial_id, 1, result);
    store.set_sweep_state(ids.sweep_id, SweepState::finished, "single trainer run");
    transaction.commit();
    return ids;
}

}  // namespace segsweep
