// Terminal renderings of the store for `segsweep sweeps`, `segsweep trials SWEEP` and
// `segsweep show TRIAL` (the JSON forms are store_records.h's to_json).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "results/store_records.h"

namespace segsweep {

// Everything `segsweep show TRIAL` prints.
struct TrialDetails {
    TrialRecord trial;
    std::string sweep_name;
    std::vector<AttemptRecord> attempts;
    std::vector<EpochMetrics> curve;
    std::optional<ResultRecord> result;
};

std::string sweeps_table(const std::vector<SweepRecord>& sweeps);
std::string trials_table(const std::vector<TrialRecord>& trials);
std::string trial_details_text(const TrialDetails& details);
nlohmann::json to_json(const TrialDetails& details);

// "2026-11-28 18:03:05" (UTC) from seconds since the epoch.
std::string format_utc_time(double seconds);

}  // namespace segsweep
