// Text renderings of the coordinator's STATUS and WORKERS replies, and the one-line progress of
// `segsweep wait`. Pure functions of the reply JSON (Scheduler::status_json, workers_json).
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace segsweep::coordinator {

// "sweep 3 'quickstart': 8 trials: 2 pending, 2 running, 4 completed" per sweep, then the running
// trials (worker, epoch of planned, ETA), then the workers.
std::string status_text(const nlohmann::json& status);
// One row per worker: id, host, state, trial, ranks, GPUs, threads, trials done, last heard.
std::string workers_text(const nlohmann::json& workers);
// The sweep entry of a STATUS reply, or nullopt.
std::optional<nlohmann::json> sweep_of_status(const nlohmann::json& status, int64_t sweep_id);
// The newest sweep (highest id) of that name in a STATUS answer for every sweep; empty if none.
std::optional<int64_t> sweep_id_by_name(const nlohmann::json& status, const std::string& name);
// Finished trials of a sweep entry (every final state) and its total.
int finished_trials(const nlohmann::json& sweep);
// "[#######.......] 5/8 trials final, best final_score 0.4123" (bar `width` characters wide).
std::string progress_line(const nlohmann::json& sweep, std::optional<double> best, const std::string& metric,
                          int width);
// "6 completed, 1 stopped_early, 1 failed" (non-zero final counts).
std::string final_counts_text(const nlohmann::json& sweep);

}  // namespace segsweep::coordinator
