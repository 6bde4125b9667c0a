// ResultsStore reads: sweeps, trials, attempts, curves, results and a sweep's status.
#include <algorithm>
#include <cctype>
#include <charconv>

#include "common/error.h"
#include "results/results_store.h"
#include "results/store_rows.h"

namespace segsweep {
namespace {

const char* kSweepColumns =
    "id, name, source, file_format, file_text, spec_json, state, message, created_at, finished_at";

SweepRecord read_sweep_row(const SqliteStatement& s) {
    SweepRecord r;
    r.id = s.column_int64(0);
    r.name = s.column_text(1);
    r.source = s.column_text(2);
    r.file_format = s.column_text(3);
    r.file_text = s.column_text(4);
    r.spec = nlohmann::json::parse(s.column_text(5));
    r.state = sweep_state_from_name(s.column_text(6));
    r.message = s.column_text(7);
    r.created_at = s.column_double(8);
    r.finished_at = s.column_optional_double(9);
    return r;
}

const char* const kAllTrialStates[] = {"pending",  "running", "completed", "stopped_early",
                                       "diverged", "failed",  "cancelled"};

std::map<std::string, int> zero_counts() {
    std::map<std::string, int> counts;
    for (const char* state : kAllTrialStates) counts[state] = 0;
    return counts;
}

// A sweep id written in decimal digits that fits an int64; anything else is a name.
std::optional<int64_t> as_sweep_id(const std::string& text) {
    int64_t id = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), id);
    const bool digits_only = !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) {
        return std::isdigit(c) != 0;
    });
    if (!digits_only || error != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return id;
}

}  // namespace

std::vector<SweepRecord> ResultsStore::list_sweeps() {
    std::vector<SweepRecord> sweeps;
    SqliteStatement select(*db_, std::string("SELECT ") + kSweepColumns + " FROM sweeps ORDER BY id DESC");
    while (select.step()) sweeps.push_back(read_sweep_row(select));
    SqliteStatement counts(*db_, "SELECT sweep_id, state, COUNT(*) FROM trials GROUP BY sweep_id, state");
    std::map<int64_t, std::map<std::string, int>> by_sweep;
    while (counts.step()) by_sweep[counts.column_int64(0)][counts.column_text(1)] = counts.column_int(2);
    for (auto& sweep : sweeps) {
        sweep.trial_counts = zero_counts();
        for (const auto& [state, count] : by_sweep[sweep.id]) sweep.trial_counts[state] = count;
    }
    return sweeps;
}

std::optional<SweepRecord> ResultsStore::find_sweep(int64_t sweep_id) {
    SqliteStatement select(*db_, std::string("SELECT ") + kSweepColumns + " FROM sweeps WHERE id = ?1");
    select.bind(1, sweep_id);
    if (!select.step()) return std::nullopt;
    SweepRecord sweep = read_sweep_row(select);
    sweep.trial_counts = zero_counts();
    SqliteStatement counts(*db_, "SELECT state, COUNT(*) FROM trials WHERE sweep_id = ?1 GROUP BY state");
    counts.bind(1, sweep_id);
    while (counts.step()) sweep.trial_counts[counts.column_text(0)] = counts.column_int(1);
    return sweep;
}

SweepRecord ResultsStore::resolve_sweep(const std::string& id_or_name) {
    if (const auto id = as_sweep_id(id_or_name)) {
        if (auto sweep = find_sweep(*id)) return *sweep;
    }
    SqliteStatement select(*db_, "SELECT id FROM sweeps WHERE name = ?1 ORDER BY id DESC LIMIT 1");
    select.bind(1, id_or_name);
    if (select.step()) {
        if (auto sweep = find_sweep(select.column_int64(0))) return *sweep;
    }
    throw Error(path_ + ": no sweep '" + id_or_name + "' (`segsweep sweeps` lists them)");
}

std::vector<SweepRecord> ResultsStore::unfinished_sweeps() {
    std::vector<SweepRecord> sweeps;
    SqliteStatement select(*db_,
                           std::string("SELECT ") + kSweepColumns + " FROM sweeps WHERE state = 'running' ORDER BY id");
    while (select.step()) sweeps.push_back(read_sweep_row(select));
    return sweeps;
}

std::vector<TrialRecord> ResultsStore::list_trials(int64_t sweep_id) {
    std::vector<TrialRecord> trials;
    SqliteStatement select(*db_, std::string("SELECT ") + kTrialColumns +
                                     " FROM trials t LEFT JOIN results r ON r.trial_id = t.id "
                                     "WHERE t.sweep_id = ?1 ORDER BY t.trial_index");
    select.bind(1, sweep_id);
    while (select.step()) trials.push_back(read_trial_row(select));
    return trials;
}

std::optional<TrialRecord> ResultsStore::find_trial(int64_t trial_id) {
    SqliteStatement select(*db_, std::string("SELECT ") + kTrialColumns +
                                     " FROM trials t LEFT JOIN results r ON r.trial_id = t.id WHERE t.id = ?1");
    select.bind(1, trial_id);
    if (!select.step()) return std::nullopt;
    return read_trial_row(select);
}

std::vector<TrialRecord> ResultsStore::unfinished_trials() {
    std::vector<TrialRecord> trials;
    SqliteStatement select(*db_, std::string("SELECT ") + kTrialColumns +
                                     " FROM trials t LEFT JOIN results r ON r.trial_id = t.id "
                                     "JOIN sweeps s ON s.id = t.sweep_id "
                                     "WHERE t.state IN ('pending', 'running') AND s.state = 'running' ORDER BY t.id");
    while (select.step()) trials.push_back(read_trial_row(select));
    return trials;
}

std::vector<AttemptRecord> ResultsStore::attempts(int64_t trial_id) {
    std::vector<AttemptRecord> rows;
    SqliteStatement select(*db_,
                           "SELECT trial_id, attempt, worker_id, outcome, message, started_at, ended_at FROM attempts "
                           "WHERE trial_id = ?1 ORDER BY attempt");
    select.bind(1, trial_id);
    while (select.step()) {
        AttemptRecord a;
        a.trial_id = select.column_int64(0);
        a.attempt = select.column_int(1);
        a.worker_id = select.column_text(2);
        a.outcome = attempt_outcome_from_name(select.column_text(3));
        a.message = select.column_text(4);
        a.started_at = select.column_double(5);
        a.ended_at = select.column_optional_double(6);
        rows.push_back(a);
    }
    return rows;
}

std::vector<EpochMetrics> ResultsStore::trial_curve(int64_t trial_id) {
    std::vector<EpochRecord> rows;
    SqliteStatement select(*db_,
                           "SELECT trial_id, attempt, epoch, train_loss, val_loss, val_iou, images_per_sec, seconds "
                           "FROM epochs WHERE trial_id = ?1");
    select.bind(1, trial_id);
    while (select.step()) rows.push_back(read_epoch_row(select));
    std::vector<EpochMetrics> curve;
    for (const auto& row : effective_curve(rows)) curve.push_back(row.metrics);
    return curve;
}

std::vector<EpochRecord> ResultsStore::sweep_epochs(int64_t sweep_id) {
    std::vector<EpochRecord> rows;
    SqliteStatement select(*db_,
                           "SELECT e.trial_id, e.attempt, e.epoch, e.train_loss, e.val_loss, e.val_iou, "
                           "e.images_per_sec, e.seconds FROM epochs e JOIN trials t ON t.id = e.trial_id "
                           "WHERE t.sweep_id = ?1 ORDER BY e.trial_id, e.attempt, e.epoch");
    select.bind(1, sweep_id);
    while (select.step()) rows.push_back(read_epoch_row(select));
    return rows;
}

std::optional<ResultRecord> ResultsStore::find_result(int64_t trial_id) {
    SqliteStatement select(*db_,
                           "SELECT trial_id, sweep_id, attempt, state, message, score_json, epochs_run, best_epoch, "
                           "wall_seconds, images_per_sec, best_val_loss, best_val_iou, recorded_at "
                           "FROM results WHERE trial_id = ?1");
    select.bind(1, trial_id);
    if (!select.step()) return std::nullopt;
    ResultRecord r;
    r.trial_id = select.column_int64(0);
    r.sweep_id = select.column_int64(1);
    r.attempt = select.column_int(2);
    r.state = trial_state_from_name(select.column_text(3));
    r.message = select.column_text(4);
    if (!select.is_null(5)) r.score = follow_me_score_from_json(nlohmann::json::parse(select.column_text(5)));
    r.epochs_run = select.column_int(6);
    r.best_epoch = select.column_int(7);
    r.wall_seconds = select.column_double(8);
    r.images_per_sec = select.column_double(9);
    r.best_val_loss = select.column_optional_double(10);
    r.best_val_iou = select.column_optional_double(11);
    r.recorded_at = select.column_double(12);
    return r;
}

SweepStatus ResultsStore::sweep_status(int64_t sweep_id) {
    const auto sweep = find_sweep(sweep_id);
    if (!sweep) throw Error(path_ + ": sweep " + std::to_string(sweep_id) + " does not exist");
    SweepStatus status;
    status.sweep_id = sweep_id;
    status.state = sweep->state;
    status.counts = sweep->trial_counts;
    SqliteStatement select(*db_, std::string("SELECT ") + kTrialColumns +
                                     " FROM trials t LEFT JOIN results r ON r.trial_id = t.id "
                                     "WHERE t.sweep_id = ?1 AND t.state = 'running' ORDER BY t.id");
    select.bind(1, sweep_id);
    while (select.step()) status.running.push_back(read_trial_row(select));
    return status;
}

int ResultsStore::trial_count(int64_t sweep_id) {
    SqliteStatement count(*db_, "SELECT COUNT(*) FROM trials WHERE sweep_id = ?1");
    count.bind(1, sweep_id);
    count.step();
    return count.column_int(0);
}

}  // namespace segsweep
