// The leaderboard: top-k trials of a sweep (or of every sweep) by one sort key, from one indexed
// query, and its three renderings: a table that fits a terminal, JSON (an array of objects) and
// CSV (a header and one row per trial) for scripts and pandas.
//
// Sort keys (each has its own index): final_score, final_iou, weight (descending), val_loss (the
// trial's lowest validation loss, ascending) and val_iou (highest, descending). Every trial with a
// result row is a candidate (completed, stopped_early, diverged, and failed/cancelled trials whose
// worker sent a result); those without a value for the key come last, by trial id. Ties share a
// rank ("1, 2, 2, 4") and are listed by trial id, earlier first.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/trial_config.h"

namespace segsweep {

enum class LeaderboardSort { final_score, final_iou, weight, val_loss, val_iou };

const char* leaderboard_sort_name(LeaderboardSort sort);
// Throws segsweep::Error listing the valid names.
LeaderboardSort leaderboard_sort_from_name(const std::string& name);
const std::vector<std::string>& leaderboard_sort_names();

struct LeaderboardQuery {
    std::optional<int64_t> sweep_id;  // empty: every sweep
    LeaderboardSort sort = LeaderboardSort::final_score;
    int limit = 10;  // rows; 0 = all
};

struct LeaderboardRow {
    int rank = 0;  // 0 when the trial has no value for the sort key
    int64_t trial_id = 0;
    int64_t sweep_id = 0;
    std::string sweep_name;
    TrialConfig config;
    int epochs_run = 0;
    std::string state;  // the trial's final state
    std::optional<double> final_score;
    std::optional<double> final_iou;
    std::optional<double> weight;
    std::optional<double> val_loss;  // lowest validation loss of the curve
    std::optional<double> val_iou;   // highest validation hero IoU of the curve
    double duration_seconds = 0;
};

nlohmann::json to_json(const LeaderboardQuery& query);
LeaderboardQuery leaderboard_query_from_json(const nlohmann::json& object);

// JSON: [{"rank", "trial", "sweep", "sweep_name", "learning_rate", "batch_size", "epochs_run",
// "num_epochs", "final_score", "final_iou", "weight", "val_loss", "val_iou", "state", "duration_s",
// "config"}]; missing values are null. leaderboard_rows_from_json reads it back (for clients that
// get rows from the coordinator).
nlohmann::json leaderboard_json(const std::vector<LeaderboardRow>& rows);
std::vector<LeaderboardRow> leaderboard_rows_from_json(const nlohmann::json& array);
// CSV: the JSON's columns without "config" and "sweep_name", RFC 4180 quoting, empty cells for
// missing values.
std::string leaderboard_csv(const std::vector<LeaderboardRow>& rows);
// Table: rank, trial, learning_rate, batch_size, then every other config field whose value differs
// among the rows (what the sweep varied: "encoder" [8,16], "patience" 3, ...), epochs (run/planned),
// final_score, final_IoU, weight, state, duration (+ val_loss or val_iou when sorting by them).
// Without such fields it fits an 80-column terminal.
std::string leaderboard_table(const std::vector<LeaderboardRow>& rows, LeaderboardSort sort);

// "42s", "3m05s", "2h07m".
std::string format_duration(double seconds);

}  // namespace segsweep
