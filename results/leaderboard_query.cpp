// ResultsStore::leaderboard: one statement over the leaderboard indexes. The rows with a value for
// the sort key come from the (sweep_id, key, trial_id) or (key, trial_id) index in order; the rows
// without one (NULL) follow by trial id; at most `limit` of each, merged and cut to `limit`.
#include <cmath>

#include "results/results_store.h"

namespace segsweep {
namespace {

struct SortColumn {
    const char* column;     // in results
    const char* direction;  // ASC or DESC
};

SortColumn sort_column(LeaderboardSort sort) {
    switch (sort) {
        case LeaderboardSort::final_score:
            return {"final_score", "DESC"};
        case LeaderboardSort::final_iou:
            return {"final_iou", "DESC"};
        case LeaderboardSort::weight:
            return {"weight", "DESC"};
        case LeaderboardSort::val_loss:
            return {"best_val_loss", "ASC"};
        case LeaderboardSort::val_iou:
            return {"best_val_iou", "DESC"};
    }
    return {"final_score", "DESC"};
}

std::string leaderboard_sql(const LeaderboardQuery& query) {
    const SortColumn key = sort_column(query.sort);
    const std::string columns =
        "r.trial_id AS trial_id, r.sweep_id, s.name, t.config_json, r.epochs_run, r.state, r.final_score, "
        "r.final_iou, r.weight, r.best_val_loss, r.best_val_iou, r.wall_seconds, t.started_at, t.ended_at, "
        "r." +
        std::string(key.column) + " AS sort_key";
    const std::string from = " FROM results r JOIN trials t ON t.id = r.trial_id JOIN sweeps s ON s.id = r.sweep_id ";
    const std::string sweep_filter = query.sweep_id ? "r.sweep_id = ?1 AND " : "";
    const std::string with_key = "SELECT 0 AS missing, " + columns + from + "WHERE " + sweep_filter + "r." +
                                 key.column + " IS NOT NULL ORDER BY r." + key.column + " " + key.direction +
                                 ", r.trial_id LIMIT ?2";
    const std::string without_key = "SELECT 1 AS missing, " + columns + from + "WHERE " + sweep_filter + "r." +
                                    key.column + " IS NULL ORDER BY r.trial_id LIMIT ?2";
    return "SELECT * FROM (" + with_key + ") UNION ALL SELECT * FROM (" + without_key +
           ") ORDER BY missing, sort_key " + key.direction + ", trial_id LIMIT ?2";
}

std::optional<double> sort_value(const LeaderboardRow& row, LeaderboardSort sort) {
    switch (sort) {
        case LeaderboardSort::final_score:
            return row.final_score;
        case LeaderboardSort::final_iou:
            return row.final_iou;
        case LeaderboardSort::weight:
            return row.weight;
        case LeaderboardSort::val_loss:
            return row.val_loss;
        case LeaderboardSort::val_iou:
            return row.val_iou;
    }
    return std::nullopt;
}

}  // namespace

std::vector<LeaderboardRow> ResultsStore::leaderboard(const LeaderboardQuery& query) {
    SqliteStatement select(*db_, leaderboard_sql(query));
    if (query.sweep_id) select.bind(1, *query.sweep_id);
    select.bind(2, static_cast<int64_t>(query.limit > 0 ? query.limit : -1));  // -1: no limit
    std::vector<LeaderboardRow> rows;
    while (select.step()) {
        LeaderboardRow row;
        row.trial_id = select.column_int64(1);
        row.sweep_id = select.column_int64(2);
        row.sweep_name = select.column_text(3);
        row.config = trial_config_from_json(nlohmann::json::parse(select.column_text(4)), "trials.config_json");
        row.epochs_run = select.column_int(5);
        row.state = select.column_text(6);
        row.final_score = select.column_optional_double(7);
        row.final_iou = select.column_optional_double(8);
        row.weight = select.column_optional_double(9);
        row.val_loss = select.column_optional_double(10);
        row.val_iou = select.column_optional_double(11);
        row.duration_seconds = select.column_double(12);
        if (!(row.duration_seconds > 0) && !select.is_null(13) && !select.is_null(14))
            row.duration_seconds = select.column_double(14) - select.column_double(13);
        if (!std::isfinite(row.duration_seconds)) row.duration_seconds = 0;
        rows.push_back(std::move(row));
    }
    // Ranks: position in the list; equal values share the first one's rank; no value, no rank.
    for (size_t i = 0; i < rows.size(); ++i) {
        const auto value = sort_value(rows[i], query.sort);
        if (!value) continue;
        const auto previous = i > 0 ? sort_value(rows[i - 1], query.sort) : std::nullopt;
        rows[i].rank = previous && *previous == *value ? rows[i - 1].rank : static_cast<int>(i + 1);
    }
    return rows;
}

std::string ResultsStore::leaderboard_plan(const LeaderboardQuery& query) {
    SqliteStatement explain(*db_, "EXPLAIN QUERY PLAN " + leaderboard_sql(query));
    if (query.sweep_id) explain.bind(1, *query.sweep_id);
    explain.bind(2, static_cast<int64_t>(query.limit > 0 ? query.limit : -1));
    std::string plan;
    while (explain.step()) plan += explain.column_text(3) + "\n";
    return plan;
}

}  // namespace segsweep
