// Sweep preview: planning, the hyperband rung preview, and the JSON and text renderings.
#include "sweeps/sweep_preview.h"

#include <algorithm>

#include "common/trial_config.h"
#include "sweeps/parameter_space.h"
#include "sweeps/sweep_metric.h"
#include "sweeps/text_table.h"
#include "sweeps/tpe_search.h"

namespace segsweep {
namespace {

// The largest num_epochs a bayes trial can have (the parameter's largest value, or the default).
int largest_num_epochs(const SweepSpec& spec) {
    const ParameterSpec* p = spec.find_parameter("num_epochs");
    if (!p) return TrialConfig{}.num_epochs;
    if (p->distribution == Distribution::constant || p->distribution == Distribution::categorical) {
        int64_t largest = 1;
        for (const auto& v : p->values) largest = std::max<int64_t>(largest, v.get<int64_t>());
        return static_cast<int>(largest);
    }
    if (p->distribution == Distribution::int_uniform || p->distribution == Distribution::q_uniform ||
        p->distribution == Distribution::q_log_uniform_values)
        return static_cast<int>(p->max);
    return TrialConfig{}.num_epochs;  // unbounded forms: no largest value; show the default
}

std::string cell(const nlohmann::json& value) {
    if (value.is_number_float()) return format_table_number(value.get<double>());
    return value.dump();
}

}  // namespace

SweepPreview make_sweep_preview(const SweepSpec& spec) {
    SweepPreview preview;
    preview.spec = spec;
    preview.plan = plan_trials(spec);
    if (spec.method == SearchMethod::bayes) {
        preview.planned_epochs.assign(static_cast<size_t>(spec.run_cap.value_or(0)), largest_num_epochs(spec));
    } else {
        for (const auto& trial : preview.plan.trials) preview.planned_epochs.push_back(trial.config.num_epochs);
    }
    if (spec.early_terminate.type == EarlyTerminateType::hyperband)
        preview.hyperband = preview_hyperband(spec.early_terminate.hyperband, preview.planned_epochs);
    return preview;
}

nlohmann::json sweep_preview_json(const SweepPreview& preview) {
    const SweepSpec& spec = preview.spec;
    nlohmann::json trials = nlohmann::json::array();
    for (const auto& t : preview.plan.trials)
        trials.push_back({{"index", t.index}, {"hash", t.hash}, {"parameters", t.parameters}});
    nlohmann::json out = {
        {"sweep", to_json(spec)},
        {"warnings", spec.warnings},
        {"trial_count",
         spec.method == SearchMethod::bayes ? spec.run_cap.value_or(0) : static_cast<int>(preview.plan.trials.size())},
        {"notes", preview.plan.notes},
        {"trials", trials},
    };
    if (spec.method == SearchMethod::grid) out["grid_size"] = preview.plan.grid_size;
    if (spec.method == SearchMethod::bayes) {
        const TpeOptions options = default_tpe_options(spec);
        out["bayes"] = {{"run_cap", spec.run_cap.value_or(0)},
                        {"startup_trials", options.startup_trials},
                        {"candidates", options.candidates}};
    }
    nlohmann::json early = {{"type", early_terminate_type_name(spec.early_terminate.type)}};
    if (spec.early_terminate.type != EarlyTerminateType::none) early["epoch_metric"] = epoch_metric_name(spec.metric);
    if (spec.early_terminate.type == EarlyTerminateType::hyperband) {
        std::vector<int> bands = hyperband_bands(spec.early_terminate.hyperband);
        const int longest = preview.planned_epochs.empty()
                                ? 0
                                : *std::max_element(preview.planned_epochs.begin(), preview.planned_epochs.end());
        bands.erase(std::remove_if(bands.begin(), bands.end(), [&](int b) { return b >= longest; }), bands.end());
        nlohmann::json rungs = nlohmann::json::array();
        for (const auto& r : preview.hyperband.rungs)
            rungs.push_back({{"epoch", r.epoch}, {"judged", r.judged}, {"continuing", r.continuing}});
        early["bands"] = bands;
        early["rungs"] = rungs;
        early["epochs_without_stopping"] = preview.hyperband.epochs_without_stopping;
        early["epochs_with_full_rungs"] = preview.hyperband.epochs_with_full_rungs;
    }
    out["early_terminate"] = early;
    return out;
}

std::string sweep_preview_text(const SweepPreview& preview) {
    const SweepSpec& spec = preview.spec;
    std::string out = "sweep " + spec.name + ": method " + search_method_name(spec.method) + ", metric " +
                      spec.metric.name + " (" + metric_goal_name(spec.metric.goal) + ")";
    if (spec.metric.target) out += ", target " + format_table_number(*spec.metric.target);
    out += ", seed " + std::to_string(spec.seed) + ", max_restarts " + std::to_string(spec.max_restarts) + "\n";
    if (!spec.description.empty()) out += spec.description + "\n";
    out += "data: " + (spec.data.empty() ? std::string("(not given)") : spec.data) +
           "; resources: " + std::to_string(spec.resources.gpus_per_trial) + " rank(s) per trial, " +
           std::to_string(spec.resources.cpus_per_rank) + " cpu(s) per rank\n";
    for (const auto& w : spec.warnings) out += "warning: " + w + "\n";
    for (const auto& n : preview.plan.notes) out += "note: " + n + "\n";

    if (spec.method == SearchMethod::bayes) {
        const TpeOptions options = default_tpe_options(spec);
        out += "bayes (TPE) creates up to " + std::to_string(spec.run_cap.value_or(0)) +
               " trials one at a time as results come in; the first " + std::to_string(options.startup_trials) +
               " are random draws\n";
    } else {
        out += std::to_string(preview.plan.trials.size()) + " trial(s)";
        if (spec.method == SearchMethod::grid) out += " from a grid of " + std::to_string(preview.plan.grid_size);
        out += "\n";
        std::vector<std::string> headers = {"#", "hash"};
        for (const auto& p : spec.parameters) headers.push_back(p.name);
        TextTable table(headers);
        table.align_right(0);
        for (const auto& t : preview.plan.trials) {
            std::vector<std::string> row = {std::to_string(t.index + 1), t.hash};
            for (const auto& p : spec.parameters) row.push_back(cell(t.parameters.at(p.name)));
            table.add_row(row);
        }
        out += table.render();
    }

    const auto& et = spec.early_terminate;
    if (et.type == EarlyTerminateType::median) {
        out += "early_terminate: median rule, grace_period " + std::to_string(et.median.grace_period) +
               " epochs, min_trials " + std::to_string(et.median.min_trials) + "; epochs judged on " +
               epoch_metric_name(spec.metric) + "\n";
    } else if (et.type == EarlyTerminateType::hyperband) {
        out += "early_terminate: hyperband, eta " + format_table_number(et.hyperband.eta) +
               (et.hyperband.strict ? ", strict" : ", not strict") + "; epochs judged on " +
               epoch_metric_name(spec.metric) + "\n";
        TextTable rungs({"band (epoch)", "trials reaching it", "continuing past it"});
        for (size_t c = 0; c < 3; ++c) rungs.align_right(c);
        for (const auto& r : preview.hyperband.rungs)
            rungs.add_row({std::to_string(r.epoch), std::to_string(r.judged), std::to_string(r.continuing)});
        out += rungs.render();
        out += "epochs: " + std::to_string(preview.hyperband.epochs_with_full_rungs) +
               " when every band keeps its top share; at most " +
               std::to_string(preview.hyperband.epochs_without_stopping) + " (no trial stopped)\n";
    }
    return out;
}

}  // namespace segsweep
