// SweepSpec: a parsed, checked sweep file. W&B's vocabulary (name, description, method, metric,
// parameters, early_terminate, run_cap) plus our keys (data, resources, max_restarts, seed).
// sweep_parser.h builds it from JSON or YAML text; trial_planner.h, tpe_search.h and
// early_stopping.h consume it. Plain data: no I/O here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace segsweep {

enum class SearchMethod { grid, random, bayes };

enum class MetricGoal { minimize, maximize };

// Parameter forms. `constant` is {value}; `categorical` is {values} or {values, probabilities};
// {min, max} without a distribution becomes int_uniform (both integers) or uniform.
enum class Distribution {
    constant,
    categorical,
    int_uniform,           // integers min..max, inclusive
    uniform,               // real numbers in [min, max)
    q_uniform,             // round(uniform(min, max) / q) * q
    log_uniform,           // exp(uniform(min, max)): min and max are natural-log EXPONENTS (W&B)
    log_uniform_values,    // exp(uniform(ln min, ln max)): min and max are the values (min > 0)
    q_log_uniform_values,  // round(log_uniform_values / q) * q
    normal,                // normal(mu, sigma)
    q_normal,              // round(normal(mu, sigma) / q) * q
    log_normal,            // exp(normal(mu, sigma))
};

const char* search_method_name(SearchMethod method);
const char* metric_goal_name(MetricGoal goal);
const char* distribution_name(Distribution distribution);
// Every distribution name the sweep file accepts, comma-separated (for error messages).
std::string distribution_names();

// One swept trial-config key.
struct ParameterSpec {
    std::string name;  // a trial-config key (trial_config_keys())
    Distribution distribution = Distribution::constant;
    std::vector<nlohmann::json> values;  // constant: one value; categorical: the values, in file order
    std::vector<double> probabilities;   // categorical: one per value, summing to 1; empty = equal
    double min = 0;                      // the range of the uniform and log forms (see Distribution)
    double max = 0;
    double q = 1;   // quantum of the q_ forms
    double mu = 0;  // normal forms
    double sigma = 1;
    bool integer_key = false;  // the key takes integers: samples are emitted as integers
};

// The metric a sweep optimises. Names: val_loss and val_iou are reported every epoch;
// final_score and final_iou exist once a trial has been scored (see sweep_metric.h).
struct MetricSpec {
    std::string name = "final_score";
    MetricGoal goal = MetricGoal::maximize;
    std::optional<double> target;  // the sweep is finished once a trial reaches it
};

enum class EarlyTerminateType { none, hyperband, median };

const char* early_terminate_type_name(EarlyTerminateType type);

// W&B's hyperband early_terminate: bands from min_iter (min_iter * eta^k), or from max_iter and s
// (max_iter / eta^i, i = 1..s). Band b is judged on the value at epoch b.
struct HyperbandSpec {
    int min_iter = 0;  // > 0 when bands come from min_iter
    int max_iter = 0;  // > 0 when bands come from max_iter and s
    int s = 0;
    double eta = 3;      // > 1
    bool strict = true;  // true: judge the value at the band; false: the best so far
};

// The median stopping rule (Google Vizier).
struct MedianRuleSpec {
    int grace_period = 3;  // epochs a trial always runs before it can be stopped
    int min_trials = 3;    // finished trials needed at an epoch before judging there
};

struct EarlyTerminateSpec {
    EarlyTerminateType type = EarlyTerminateType::none;
    HyperbandSpec hyperband;
    MedianRuleSpec median;
};

struct ResourceSpec {
    int gpus_per_trial = 1;  // ranks of one trial (one GPU each; CPU ranks without GPUs)
    int cpus_per_rank = 1;
};

struct SweepSpec {
    std::string source;  // file name used in messages ("sweep.yaml")
    std::string name;    // defaults to the file's stem
    std::string description;
    SearchMethod method = SearchMethod::grid;
    MetricSpec metric;
    std::vector<ParameterSpec> parameters;  // sorted by name
    EarlyTerminateSpec early_terminate;
    std::optional<int> run_cap;  // required for random and bayes
    std::string data;            // dataset root, as the workers see it ("" = not given)
    ResourceSpec resources;
    int max_restarts = 3;               // lost-worker restarts before a trial is failed
    uint64_t seed = 0;                  // seeds the random and bayes draws
    std::vector<std::string> warnings;  // ignored W&B keys and other non-fatal remarks

    const ParameterSpec* find_parameter(const std::string& name) const;
};

// The normalised spec (every default filled in) as JSON, for the store and `sweep preview`.
nlohmann::json to_json(const SweepSpec& spec);
nlohmann::json to_json(const ParameterSpec& parameter);

}  // namespace segsweep
