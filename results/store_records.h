// The rows of the results store as plain structs: sweeps, trials, attempts, epochs, results, and a
// sweep's status. Returned by ResultsStore's queries; JSON conversion for CLI output and replies.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/trial_config.h"
#include "common/trial_result.h"

namespace segsweep {

enum class SweepState { running, finished, cancelled };
const char* sweep_state_name(SweepState state);
SweepState sweep_state_from_name(const std::string& name);

// How one attempt of a trial ended. The final trial states, plus: running (in flight), lost (the
// worker went silent or left; counts against max_restarts) and preempted (SLURM preemption or time
// limit, checkpointed; does not count).
enum class AttemptOutcome { running, completed, stopped_early, diverged, failed, cancelled, lost, preempted };
const char* attempt_outcome_name(AttemptOutcome outcome);
AttemptOutcome attempt_outcome_from_name(const std::string& name);
AttemptOutcome attempt_outcome_for(TrialState final_state);

// What create_sweep stores about a submitted sweep.
struct SweepSubmission {
    std::string name;
    std::string source;       // the file name as submitted ("sweeps/examples/quickstart.json")
    std::string file_format;  // "json" or "yaml"
    std::string file_text;    // the file exactly as submitted
    nlohmann::json spec;      // the parsed, normalised spec (to_json(SweepSpec))
};

struct SweepRecord {
    int64_t id = 0;
    std::string name;
    std::string source;
    std::string file_format;
    std::string file_text;
    nlohmann::json spec;
    SweepState state = SweepState::running;
    std::string message;    // why it finished or was cancelled
    double created_at = 0;  // UTC seconds since the epoch
    std::optional<double> finished_at;
    std::map<std::string, int> trial_counts;  // by trial state name (list_sweeps, find_sweep)
};

struct TrialRecord {
    int64_t id = 0;
    int64_t sweep_id = 0;
    int trial_index = 0;  // 0-based order in its sweep
    TrialConfig config;
    std::string config_hash;
    TrialState state = TrialState::pending;
    int attempt = 0;        // attempts started so far (0: never run)
    int restarts = 0;       // attempts lost (count against max_restarts)
    int preemptions = 0;    // attempts preempted (do not count)
    std::string worker_id;  // running: the lease holder
    std::string message;
    double created_at = 0;
    std::optional<double> started_at;  // the current attempt's start
    std::optional<double> ended_at;
    int last_epoch = 0;                 // highest epoch recorded for the current attempt
    double mean_epoch_seconds = 0;      // of the current attempt's epochs (for an ETA)
    std::optional<double> final_score;  // from the result row, if any
    std::optional<double> final_iou;
};

struct AttemptRecord {
    int64_t trial_id = 0;
    int attempt = 0;
    std::string worker_id;
    AttemptOutcome outcome = AttemptOutcome::running;
    std::string message;
    double started_at = 0;
    std::optional<double> ended_at;
};

struct EpochRecord {
    int64_t trial_id = 0;
    int attempt = 0;
    EpochMetrics metrics;
};

struct ResultRecord {
    int64_t trial_id = 0;
    int64_t sweep_id = 0;
    int attempt = 0;
    TrialState state = TrialState::completed;
    std::string message;
    std::optional<FollowMeScore> score;  // per-set TP/FP/FN and IoUs; empty when not scored
    int epochs_run = 0;
    int best_epoch = 0;
    double wall_seconds = 0;
    double images_per_sec = 0;
    std::optional<double> best_val_loss;  // over the trial's curve (latest attempt per epoch)
    std::optional<double> best_val_iou;
    double recorded_at = 0;
};

// `segsweep status` material: counts by state and the running trials.
struct SweepStatus {
    int64_t sweep_id = 0;
    SweepState state = SweepState::running;
    std::map<std::string, int> counts;  // trial state name -> trials (every state, zeros included)
    std::vector<TrialRecord> running;   // with last_epoch and mean_epoch_seconds
};

nlohmann::json to_json(const SweepRecord& sweep, bool with_file_text = false);
nlohmann::json to_json(const TrialRecord& trial);
nlohmann::json to_json(const AttemptRecord& attempt);
nlohmann::json to_json(const ResultRecord& result);
nlohmann::json to_json(const SweepStatus& status);

}  // namespace segsweep

namespace segsweep {

// One trial's curve from its epoch rows (any order): the latest attempt's epochs, preceded by the
// epochs before its first one from earlier attempts, recursively (an attempt that resumed from a
// checkpoint continues its predecessor's curve; one that restarted from scratch replaces it).
// Sorted by epoch.
std::vector<EpochRecord> effective_curve(std::vector<EpochRecord> rows);

}  // namespace segsweep
