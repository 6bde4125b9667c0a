// Trial planning: grid odometer, seeded random draws, dedup by config hash, run_cap.
#include "sweeps/trial_planner.h"

#include <unordered_set>

#include "common/error.h"
#include "sweeps/parameter_space.h"
#include "sweeps/random_source.h"

namespace segsweep {
namespace {

constexpr uint64_t kRandomStream = 0;  // RandomSource stream of the random method's draws

std::string describe_point(const nlohmann::json& values) {
    std::string text;
    for (const auto& item : values.items()) text += (text.empty() ? "" : ", ") + item.key() + "=" + item.value().dump();
    return text;
}

TrialPlan plan_grid(const SweepSpec& spec) {
    TrialPlan plan;
    for (const auto& p : spec.parameters) {
        const uint64_t values = distinct_value_count(p).value_or(0);
        if (values > kMaxGridPoints)
            throw Error(spec.source + ": parameters." + p.name + ": " + distribution_name(p.distribution) + " gives " +
                        std::to_string(values) + " grid values, more than " + std::to_string(kMaxGridPoints) +
                        "; narrow the range or raise q");
    }
    std::vector<std::vector<nlohmann::json>> axes;
    for (const auto& p : spec.parameters) axes.push_back(grid_values(p));
    plan.grid_size = grid_point_count(spec);
    const uint64_t wanted = spec.run_cap ? static_cast<uint64_t>(*spec.run_cap) : plan.grid_size;
    if (!spec.run_cap && plan.grid_size > kMaxGridPoints)
        throw Error(spec.source + ": parameters: the grid has " + std::to_string(plan.grid_size) +
                    " points, more than " + std::to_string(kMaxGridPoints) + "; set run_cap or narrow the grid");

    std::unordered_set<std::string> seen;
    std::vector<size_t> position(axes.size(), 0);
    for (uint64_t point = 0; point < plan.grid_size && plan.trials.size() < wanted; ++point) {
        nlohmann::json values = nlohmann::json::object();
        for (size_t a = 0; a < axes.size(); ++a) values[spec.parameters[a].name] = axes[a][position[a]];
        const TrialConfig config = config_with_values(values);
        const std::string problem = trial_config_problem(spec, config);
        if (!problem.empty())
            throw Error(spec.source + ": parameters: grid point " + std::to_string(point + 1) + " (" +
                        describe_point(values) + ") is not a valid trial: " + problem);
        PlannedTrial trial = planned_trial(spec, static_cast<int>(plan.trials.size()), config);
        if (seen.insert(trial.hash).second)
            plan.trials.push_back(std::move(trial));
        else
            ++plan.duplicates_dropped;
        // Advance the odometer: the last parameter varies fastest.
        for (size_t a = axes.size(); a > 0; --a) {
            if (++position[a - 1] < axes[a - 1].size()) break;
            position[a - 1] = 0;
        }
    }
    if (plan.duplicates_dropped > 0)
        plan.notes.push_back(std::to_string(plan.duplicates_dropped) +
                             " grid points repeat an earlier config and were dropped");
    if (spec.run_cap && static_cast<uint64_t>(*spec.run_cap) < plan.grid_size)
        plan.notes.push_back("run_cap " + std::to_string(*spec.run_cap) + " keeps the first " +
                             std::to_string(plan.trials.size()) + " of " + std::to_string(plan.grid_size) +
                             " grid points");
    return plan;
}

TrialPlan plan_random(const SweepSpec& spec) {
    TrialPlan plan;
    RandomSource random(RandomSource::derive_seed(spec.seed, kRandomStream));
    const uint64_t wanted = static_cast<uint64_t>(*spec.run_cap);
    const auto space = finite_space_size(spec);
    std::unordered_set<std::string> seen;
    int bad_in_a_row = 0;
    std::string last_problem;
    while (plan.trials.size() < wanted) {
        if (space && plan.trials.size() >= *space) {
            plan.notes.push_back("the parameters give only " + std::to_string(*space) + " distinct configs");
            break;
        }
        if (bad_in_a_row >= kMaxConsecutiveBadDraws) {
            if (plan.trials.empty())
                throw Error(spec.source + ": parameters: no valid trial config in " +
                            std::to_string(kMaxConsecutiveBadDraws) +
                            " draws; the last one failed with: " + last_problem);
            plan.notes.push_back("stopped after " + std::to_string(kMaxConsecutiveBadDraws) +
                                 " draws in a row gave no new valid config");
            break;
        }
        nlohmann::json values = nlohmann::json::object();
        for (const auto& p : spec.parameters) values[p.name] = sample_parameter(p, random);
        const TrialConfig config = config_with_values(values);
        const std::string problem = trial_config_problem(spec, config);
        if (!problem.empty()) {
            ++plan.invalid_draws;
            ++bad_in_a_row;
            last_problem = problem;
            continue;
        }
        PlannedTrial trial = planned_trial(spec, static_cast<int>(plan.trials.size()), config);
        if (!seen.insert(trial.hash).second) {
            ++plan.duplicates_dropped;
            ++bad_in_a_row;
            continue;
        }
        bad_in_a_row = 0;
        plan.trials.push_back(std::move(trial));
    }
    if (plan.invalid_draws > 0)
        plan.notes.push_back(std::to_string(plan.invalid_draws) +
                             " draws were not valid trial configs and were drawn again");
    if (plan.duplicates_dropped > 0)
        plan.notes.push_back(std::to_string(plan.duplicates_dropped) +
                             " draws repeated an earlier config and were drawn again");
    return plan;
}

}  // namespace

uint64_t grid_point_count(const SweepSpec& spec) {
    uint64_t count = 1;
    for (const auto& p : spec.parameters) {
        const uint64_t n = distinct_value_count(p).value_or(0);
        if (n == 0) return 0;
        if (count > UINT64_MAX / n) return UINT64_MAX;
        count *= n;
    }
    return count;
}

std::optional<uint64_t> finite_space_size(const SweepSpec& spec) {
    uint64_t count = 1;
    for (const auto& p : spec.parameters) {
        const auto n = distinct_value_count(p);
        if (!n) return std::nullopt;
        if (*n == 0) return 0;
        if (count > UINT64_MAX / *n) return UINT64_MAX;
        count *= *n;
    }
    return count;
}

TrialConfig config_with_values(const nlohmann::json& values) {
    TrialConfig config;
    for (const auto& item : values.items()) set_trial_config_key(config, item.key(), item.value());
    return config;
}

std::string trial_config_problem(const SweepSpec& spec, const TrialConfig& config) {
    try {
        config.validate();
    } catch (const Error& e) {
        return e.what();
    }
    const int ranks = spec.resources.gpus_per_trial;
    if (ranks > 1 && config.batch_size % ranks != 0)
        return "batch_size: " + std::to_string(config.batch_size) + " is not divisible by resources.gpus_per_trial (" +
               std::to_string(ranks) + ")";
    return "";
}

nlohmann::json swept_values(const SweepSpec& spec, const TrialConfig& config) {
    const nlohmann::json all = to_json(config);
    nlohmann::json values = nlohmann::json::object();
    for (const auto& p : spec.parameters) values[p.name] = all.at(p.name);
    return values;
}

PlannedTrial planned_trial(const SweepSpec& spec, int index, const TrialConfig& config) {
    PlannedTrial trial;
    trial.index = index;
    trial.config = config;
    trial.hash = config_hash(config);
    trial.parameters = swept_values(spec, config);
    return trial;
}

TrialPlan plan_trials(const SweepSpec& spec) {
    switch (spec.method) {
        case SearchMethod::grid:
            return plan_grid(spec);
        case SearchMethod::random:
            return plan_random(spec);
        case SearchMethod::bayes:
            return TrialPlan{};
    }
    return TrialPlan{};
}

}  // namespace segsweep
