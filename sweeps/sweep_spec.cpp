// SweepSpec: enum names and the normalised JSON form of a parsed sweep.
#include "sweeps/sweep_spec.h"

namespace segsweep {
namespace {

struct DistributionName {
    Distribution distribution;
    const char* name;
};

const DistributionName kDistributionNames[] = {
    {Distribution::constant, "constant"},
    {Distribution::categorical, "categorical"},
    {Distribution::int_uniform, "int_uniform"},
    {Distribution::uniform, "uniform"},
    {Distribution::q_uniform, "q_uniform"},
    {Distribution::log_uniform, "log_uniform"},
    {Distribution::log_uniform_values, "log_uniform_values"},
    {Distribution::q_log_uniform_values, "q_log_uniform_values"},
    {Distribution::normal, "normal"},
    {Distribution::q_normal, "q_normal"},
    {Distribution::log_normal, "log_normal"},
};

}  // namespace

const char* search_method_name(SearchMethod method) {
    switch (method) {
        case SearchMethod::grid:
            return "grid";
        case SearchMethod::random:
            return "random";
        case SearchMethod::bayes:
            return "bayes";
    }
    return "unknown";
}

const char* metric_goal_name(MetricGoal goal) { return goal == MetricGoal::minimize ? "minimize" : "maximize"; }

const char* distribution_name(Distribution distribution) {
    for (const auto& entry : kDistributionNames)
        if (entry.distribution == distribution) return entry.name;
    return "unknown";
}

std::string distribution_names() {
    std::string names;
    for (const auto& entry : kDistributionNames) names += (names.empty() ? "" : ", ") + std::string(entry.name);
    return names + ", categorical_w_probabilities";
}

const char* early_terminate_type_name(EarlyTerminateType type) {
    switch (type) {
        case EarlyTerminateType::none:
            return "none";
        case EarlyTerminateType::hyperband:
            return "hyperband";
        case EarlyTerminateType::median:
            return "median";
    }
    return "unknown";
}

const ParameterSpec* SweepSpec::find_parameter(const std::string& wanted) const {
    for (const auto& parameter : parameters)
        if (parameter.name == wanted) return &parameter;
    return nullptr;
}

nlohmann::json to_json(const ParameterSpec& p) {
    nlohmann::json j = {{"distribution", distribution_name(p.distribution)}};
    switch (p.distribution) {
        case Distribution::constant:
            j["value"] = p.values.empty() ? nlohmann::json() : p.values.front();
            break;
        case Distribution::categorical:
            j["values"] = p.values;
            if (!p.probabilities.empty()) j["probabilities"] = p.probabilities;
            break;
        case Distribution::int_uniform:
            j["min"] = static_cast<int64_t>(p.min);
            j["max"] = static_cast<int64_t>(p.max);
            break;
        case Distribution::uniform:
        case Distribution::log_uniform:
        case Distribution::log_uniform_values:
            j["min"] = p.min;
            j["max"] = p.max;
            break;
        case Distribution::q_uniform:
        case Distribution::q_log_uniform_values:
            j["min"] = p.min;
            j["max"] = p.max;
            j["q"] = p.q;
            break;
        case Distribution::normal:
        case Distribution::log_normal:
            j["mu"] = p.mu;
            j["sigma"] = p.sigma;
            break;
        case Distribution::q_normal:
            j["mu"] = p.mu;
            j["sigma"] = p.sigma;
            j["q"] = p.q;
            break;
    }
    return j;
}

nlohmann::json to_json(const SweepSpec& spec) {
    nlohmann::json parameters = nlohmann::json::object();
    for (const auto& p : spec.parameters) parameters[p.name] = to_json(p);

    nlohmann::json metric = {{"name", spec.metric.name}, {"goal", metric_goal_name(spec.metric.goal)}};
    if (spec.metric.target) metric["target"] = *spec.metric.target;

    nlohmann::json early = {{"type", early_terminate_type_name(spec.early_terminate.type)}};
    if (spec.early_terminate.type == EarlyTerminateType::hyperband) {
        const auto& hb = spec.early_terminate.hyperband;
        if (hb.min_iter > 0) early["min_iter"] = hb.min_iter;
        if (hb.max_iter > 0) {
            early["max_iter"] = hb.max_iter;
            early["s"] = hb.s;
        }
        early["eta"] = hb.eta;
        early["strict"] = hb.strict;
    } else if (spec.early_terminate.type == EarlyTerminateType::median) {
        early["grace_period"] = spec.early_terminate.median.grace_period;
        early["min_trials"] = spec.early_terminate.median.min_trials;
    }

    nlohmann::json j = {
        {"name", spec.name},
        {"description", spec.description},
        {"method", search_method_name(spec.method)},
        {"metric", metric},
        {"parameters", parameters},
        {"early_terminate", early},
        {"data", spec.data},
        {"resources",
         {{"gpus_per_trial", spec.resources.gpus_per_trial}, {"cpus_per_rank", spec.resources.cpus_per_rank}}},
        {"max_restarts", spec.max_restarts},
        {"seed", spec.seed},
    };
    if (spec.run_cap) j["run_cap"] = *spec.run_cap;
    return j;
}

}  // namespace segsweep
