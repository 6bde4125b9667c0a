// Sweep file parsing: top-level keys, metric, early_terminate, resources, and the cross-key checks
// (run_cap for random and bayes, batch_size divisible by gpus_per_trial).
#include "sweeps/sweep_parser.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "common/trial_config.h"
#include "sweeps/hyperband_bands.h"
#include "sweeps/parameter_parser.h"
#include "sweeps/spec_reading.h"
#include "sweeps/sweep_metric.h"

namespace segsweep {
namespace {

using namespace spec_reading;

constexpr int kMaxRunCap = 10'000'000;       // trials; far above any real sweep
constexpr int kMaxRestartsLimit = 1000;      // restarts per trial
constexpr int kMaxGpusPerTrial = 4096;       // ranks per trial
constexpr int kMaxCpusPerRank = 1024;        // threads per rank
constexpr int kMaxEpochSetting = 1'000'000;  // epochs (grace_period, min_iter, max_iter)
constexpr int kMaxTrialSetting = 1'000'000;  // trials (min_trials)
constexpr int kMaxHyperbandS = 1000;         // brackets

std::string file_stem(const std::string& source) {
    std::string name = source;
    const auto slash = name.find_last_of('/');
    if (slash != std::string::npos) name = name.substr(slash + 1);
    const auto dot = name.find_last_of('.');
    if (dot != std::string::npos && dot > 0) name = name.substr(0, dot);
    return name;
}

int read_int_in(const nlohmann::json& value, const std::string& path, int64_t low, int64_t high) {
    const int64_t v = read_integer(value, path);
    if (v < low || v > high)
        throw Error(path + ": must be between " + std::to_string(low) + " and " + std::to_string(high) + " (got " +
                    std::to_string(v) + ")");
    return static_cast<int>(v);
}

SearchMethod parse_method(const nlohmann::json& value) {
    const std::string text = read_string(value, "method");
    if (text == "grid") return SearchMethod::grid;
    if (text == "random") return SearchMethod::random;
    if (text == "bayes") return SearchMethod::bayes;
    throw Error("method: unknown method '" + text + "' (valid: grid, random, bayes)");
}

MetricSpec parse_metric(const nlohmann::json& body) {
    require_object(body, "metric");
    require_known_keys(body, "metric", {"name", "goal", "target"});
    MetricSpec metric;
    if (!body.contains("name")) throw Error("metric.name: required");
    metric.name = read_string(body["name"], "metric.name");
    if (!is_sweep_metric_name(metric.name)) {
        std::string valid;
        for (const auto& name : sweep_metric_names()) valid += (valid.empty() ? "" : ", ") + name;
        throw Error("metric.name: unknown metric '" + metric.name + "' (valid: " + valid + ")");
    }
    metric.goal = natural_goal(metric.name);
    if (body.contains("goal")) {
        const std::string goal = read_string(body["goal"], "metric.goal");
        if (goal != "minimize" && goal != "maximize")
            throw Error("metric.goal: unknown goal '" + goal + "' (valid: minimize, maximize)");
        if (goal != metric_goal_name(metric.goal))
            throw Error("metric.goal: " + metric.name + " is " +
                        (metric.goal == MetricGoal::minimize ? "minimized" : "maximized") + "; goal '" + goal +
                        "' would search for the worst trials");
    }
    if (body.contains("target")) metric.target = read_number(body["target"], "metric.target");
    return metric;
}

EarlyTerminateSpec parse_early_terminate(const nlohmann::json& body) {
    const std::string path = "early_terminate";
    require_object(body, path);
    EarlyTerminateSpec spec;
    if (!body.contains("type")) throw Error("early_terminate.type: required (hyperband, median or none)");
    const std::string type = read_string(body["type"], "early_terminate.type");
    if (type == "none") {
        require_known_keys(body, path, {"type"});
        return spec;
    }
    if (type == "median") {
        require_known_keys(body, path, {"type", "grace_period", "min_trials"});
        spec.type = EarlyTerminateType::median;
        if (body.contains("grace_period"))
            spec.median.grace_period =
                read_int_in(body["grace_period"], "early_terminate.grace_period", 1, kMaxEpochSetting);
        if (body.contains("min_trials"))
            spec.median.min_trials = read_int_in(body["min_trials"], "early_terminate.min_trials", 1, kMaxTrialSetting);
        return spec;
    }
    if (type != "hyperband")
        throw Error("early_terminate.type: unknown type '" + type + "' (valid: hyperband, median, none)");
    require_known_keys(body, path, {"type", "min_iter", "max_iter", "s", "eta", "strict"});
    spec.type = EarlyTerminateType::hyperband;
    auto& hb = spec.hyperband;
    if (body.contains("eta")) {
        hb.eta = read_number(body["eta"], "early_terminate.eta");
        if (hb.eta <= 1) throw Error("early_terminate.eta: must be > 1 (got " + show(body["eta"]) + ")");
    }
    if (body.contains("strict")) hb.strict = read_bool(body["strict"], "early_terminate.strict");
    const bool has_min = body.contains("min_iter"), has_max = body.contains("max_iter");
    if (has_min && has_max) throw Error("early_terminate: give either min_iter, or max_iter with s, not both");
    if (has_min) {
        hb.min_iter = read_int_in(body["min_iter"], "early_terminate.min_iter", 1, kMaxEpochSetting);
        if (body.contains("s")) throw Error("early_terminate.s: goes with max_iter, not min_iter");
    } else if (has_max) {
        hb.max_iter = read_int_in(body["max_iter"], "early_terminate.max_iter", 1, kMaxEpochSetting);
        if (!body.contains("s")) throw Error("early_terminate.s: required with max_iter");
        hb.s = read_int_in(body["s"], "early_terminate.s", 1, kMaxHyperbandS);
    } else {
        throw Error("early_terminate: hyperband needs min_iter, or max_iter with s");
    }
    if (hyperband_bands(hb).empty())
        throw Error("early_terminate: max_iter " + std::to_string(hb.max_iter) + " with eta " +
                    show(body.value("eta", nlohmann::json(3))) +
                    " gives no band of at least 1 epoch (increase max_iter, or decrease eta)");
    return spec;
}

ResourceSpec parse_resources(const nlohmann::json& body) {
    require_object(body, "resources");
    require_known_keys(body, "resources", {"gpus_per_trial", "cpus_per_rank"});
    ResourceSpec resources;
    if (body.contains("gpus_per_trial"))
        resources.gpus_per_trial = read_int_in(body["gpus_per_trial"], "resources.gpus_per_trial", 1, kMaxGpusPerTrial);
    if (body.contains("cpus_per_rank"))
        resources.cpus_per_rank = read_int_in(body["cpus_per_rank"], "resources.cpus_per_rank", 1, kMaxCpusPerRank);
    return resources;
}

// batch_size is the global batch, split evenly across a trial's ranks.
void check_batch_divisibility(const SweepSpec& spec) {
    const int ranks = spec.resources.gpus_per_trial;
    if (ranks <= 1) return;
    const ParameterSpec* batch = spec.find_parameter("batch_size");
    if (!batch) {
        const int batch_size = TrialConfig{}.batch_size;
        if (batch_size % ranks != 0)
            throw Error("resources.gpus_per_trial: " + std::to_string(ranks) + " does not divide batch_size " +
                        std::to_string(batch_size) + " (the default); give batch_size a multiple of " +
                        std::to_string(ranks));
        return;
    }
    if (batch->distribution == Distribution::constant || batch->distribution == Distribution::categorical) {
        const char* key = batch->distribution == Distribution::constant ? "value" : "values";
        for (size_t i = 0; i < batch->values.size(); ++i) {
            const int64_t value = batch->values[i].get<int64_t>();
            if (value % ranks == 0) continue;
            std::string path = "parameters.batch_size." + std::string(key);
            if (batch->distribution == Distribution::categorical) path = index_path(path, i);
            throw Error(path + ": " + std::to_string(value) + " is not divisible by resources.gpus_per_trial (" +
                        std::to_string(ranks) + "); each rank trains batch_size / gpus_per_trial images");
        }
    }
    // Drawn batch sizes (int_uniform, q_*): the planner rejects draws that do not divide.
}

}  // namespace

const std::vector<std::string>& sweep_file_keys() {
    static const std::vector<std::string> keys = {"data",   "description", "early_terminate", "max_restarts", "method",
                                                  "metric", "name",        "parameters",      "resources",    "run_cap",
                                                  "seed"};
    return keys;
}

const std::vector<std::string>& ignored_wandb_keys() {
    static const std::vector<std::string> keys = {"command", "controller", "entity", "image_uri",
                                                  "job",     "program",    "project"};
    return keys;
}

SweepSpec parse_sweep_text(const std::string& text, SweepFormat format, const std::string& source) {
    return parse_sweep_json(parse_sweep_document(text, format, source), source);
}

SweepSpec parse_sweep_json(const nlohmann::json& root, const std::string& source) {
    SweepSpec spec;
    spec.source = source;
    try {
        if (!root.is_object())
            throw Error("the sweep file must be an object (key: value pairs), got " + type_name(root));
        for (const auto& item : root.items()) {
            const std::string& key = item.key();
            const auto& known = sweep_file_keys();
            const auto& ignored = ignored_wandb_keys();
            if (std::find(known.begin(), known.end(), key) != known.end()) continue;
            if (std::find(ignored.begin(), ignored.end(), key) != ignored.end()) {
                spec.warnings.push_back(key + ": a W&B key that segsweep ignores");
                continue;
            }
            std::string valid;
            for (const auto& name : known) valid += (valid.empty() ? "" : ", ") + name;
            throw Error(key + ": unknown key (valid: " + valid + ")");
        }

        if (!root.contains("method")) throw Error("method: required (grid, random or bayes)");
        spec.method = parse_method(root["method"]);
        spec.name = root.contains("name") ? read_string(root["name"], "name") : file_stem(source);
        if (root.contains("description")) spec.description = read_string(root["description"], "description");
        if (root.contains("metric")) spec.metric = parse_metric(root["metric"]);
        if (root.contains("early_terminate")) spec.early_terminate = parse_early_terminate(root["early_terminate"]);
        if (root.contains("run_cap")) spec.run_cap = read_int_in(root["run_cap"], "run_cap", 1, kMaxRunCap);
        if (root.contains("data")) spec.data = read_string(root["data"], "data");
        if (root.contains("resources")) spec.resources = parse_resources(root["resources"]);
        if (root.contains("max_restarts"))
            spec.max_restarts = read_int_in(root["max_restarts"], "max_restarts", 0, kMaxRestartsLimit);
        if (root.contains("seed")) {
            const int64_t seed = read_integer(root["seed"], "seed");
            if (seed < 0) throw Error("seed: must be >= 0");
            spec.seed = static_cast<uint64_t>(seed);
        }

        if (!root.contains("parameters")) throw Error("parameters: required (at least one trial-config key)");
        const auto& parameters = root["parameters"];
        require_object(parameters, "parameters");
        if (parameters.empty()) throw Error("parameters: empty (give at least one trial-config key)");
        for (const auto& item : parameters.items())  // nlohmann::json keeps keys sorted
            spec.parameters.push_back(parse_parameter(item.key(), item.value(), spec.method, spec.warnings));

        if (spec.method != SearchMethod::grid && !spec.run_cap)
            throw Error(std::string("run_cap: required for method ") + search_method_name(spec.method) +
                        " (the number of trials to create)");
        check_batch_divisibility(spec);
    } catch (const Error& e) {
        throw Error(source + ": " + e.what());
    }
    return spec;
}

SweepSpec parse_sweep_text(const std::string& text, const std::string& source) {
    return parse_sweep_text(text, sweep_format_for(source, text), source);
}

SweepSpec parse_sweep_file(const std::string& path) {
    const std::string text = read_sweep_file_text(path);
    return parse_sweep_text(text, sweep_format_for(path, text), path);
}

}  // namespace segsweep
