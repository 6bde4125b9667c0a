// Trial planning: a SweepSpec's parameters applied to the trial defaults, grid and random expansion,
// dedup by config hash, and run_cap.
//
// grid: the cartesian product of every parameter's grid values. Parameters are ordered by name and
//   the LAST name varies fastest (an odometer); each parameter's values keep their file order
//   (int_uniform and q_uniform ascend). Duplicate configs are dropped (the first stays); run_cap, when
//   given, keeps the first run_cap distinct points. A grid point that is not a valid trial config
//   refuses the file, naming the point.
// random: seeded draws, one parameter after another in name order, until run_cap distinct valid
//   configs exist. Invalid draws (e.g. a drawn batch_size not divisible by gpus_per_trial) and
//   duplicates are drawn again; a finite space stops at its size.
// bayes: nothing at submit; BayesSearch (tpe_search.h) creates trials one at a time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/trial_config.h"
#include "sweeps/sweep_spec.h"

namespace segsweep {

constexpr uint64_t kMaxGridPoints = 1'000'000;  // grid points without a run_cap
constexpr int kMaxConsecutiveBadDraws = 1000;   // invalid or duplicate draws in a row before giving up

struct PlannedTrial {
    int index = 0;              // 0-based order in the sweep
    TrialConfig config;         // defaults + the parameters' values
    std::string hash;           // config_hash(config): the trial's identity in its sweep
    nlohmann::json parameters;  // the swept keys' values, {name: value}, sorted by name
};

struct TrialPlan {
    std::vector<PlannedTrial> trials;
    uint64_t grid_size = 0;          // grid: points in the product (before dedup and run_cap)
    int duplicates_dropped = 0;      // grid points or draws that repeated an earlier config
    int invalid_draws = 0;           // random draws refused as invalid trial configs
    std::vector<std::string> notes;  // what shaped the plan ("run_cap 10 keeps 10 of 27 grid points")
};

// The trials a sweep creates at submit (grid and random; empty for bayes). Throws segsweep::Error
// naming the sweep file when a grid point is invalid or random draws find no valid config.
TrialPlan plan_trials(const SweepSpec& spec);

// The number of points in the grid (saturates at UINT64_MAX); for grid specs.
uint64_t grid_point_count(const SweepSpec& spec);
// The number of distinct configs the parameters can give, when every form is finite; else empty.
std::optional<uint64_t> finite_space_size(const SweepSpec& spec);

// The trial defaults with `values` ({name: value}) applied. Throws segsweep::Error on a bad key/type.
TrialConfig config_with_values(const nlohmann::json& values);
// Why a config cannot be a trial of this sweep ("" when it can): TrialConfig::validate and
// batch_size divisible by resources.gpus_per_trial.
std::string trial_config_problem(const SweepSpec& spec, const TrialConfig& config);
// The swept keys' values of a config, {name: value} (what preview and leaderboards show).
nlohmann::json swept_values(const SweepSpec& spec, const TrialConfig& config);
// A PlannedTrial for a config (hash and swept values filled in).
PlannedTrial planned_trial(const SweepSpec& spec, int index, const TrialConfig& config);

}  // namespace segsweep
