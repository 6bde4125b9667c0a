// ResultsStore: opening (WAL, busy timeout, migrations), transactions, and the write methods.
#include "results/results_store.h"

#include <chrono>
#include <cmath>
#include <filesystem>

#include "common/error.h"
#include "results/sqlite_check.h"
#include "results/store_rows.h"
#include "results/store_schema.h"

namespace segsweep {
namespace {

const char* kInsertSweep =
    "INSERT INTO sweeps (name, source, file_format, file_text, spec_json, state, created_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, 'running', ?6)";
const char* kCountTrials = "SELECT COUNT(*) FROM trials WHERE sweep_id = ?1";
const char* kInsertTrial =
    "INSERT OR IGNORE INTO trials (sweep_id, trial_index, config_json, config_hash, learning_rate, batch_size, "
    "num_epochs, state, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'pending', ?8)";
const char* kSweepExists = "SELECT 1 FROM sweeps WHERE id = ?1";
const char* kSetSweepState =
    "UPDATE sweeps SET state = ?2, message = ?3, finished_at = CASE WHEN ?2 = 'running' THEN NULL ELSE ?4 END "
    "WHERE id = ?1";
const char* kInsertAttempt =
    "INSERT OR IGNORE INTO attempts (trial_id, attempt, worker_id, outcome, started_at) "
    "VALUES (?1, ?2, ?3, 'running', ?4)";
const char* kStartTrial =
    "UPDATE trials SET state = 'running', attempt = ?2, worker_id = ?3, started_at = ?4, ended_at = NULL "
    "WHERE id = ?1";
const char* kRequeueTrial =
    "UPDATE trials SET state = 'pending', worker_id = '', message = ?3, restarts = ?4, "
    "preemptions = preemptions + ?5 WHERE id = ?1 AND attempt = ?2 AND state = 'running'";
const char* kEndAttempt =
    "UPDATE attempts SET outcome = ?3, message = ?4, ended_at = ?5 "
    "WHERE trial_id = ?1 AND attempt = ?2 AND outcome = 'running'";
const char* kFinishTrial =
    "UPDATE trials SET state = ?2, message = ?3, ended_at = ?4, worker_id = '' "
    "WHERE id = ?1 AND state IN ('pending', 'running')";
const char* kInsertEpoch =
    "INSERT OR IGNORE INTO epochs (trial_id, attempt, epoch, train_loss, val_loss, val_iou, images_per_sec, "
    "seconds, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
const char* kTrialSweep = "SELECT sweep_id FROM trials WHERE id = ?1";
const char* kInsertResult =
    "INSERT OR IGNORE INTO results (trial_id, sweep_id, attempt, state, message, final_score, final_iou, weight, "
    "score_json, epochs_run, best_epoch, wall_seconds, images_per_sec, recorded_at, best_val_loss, best_val_iou) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)";
const char* kTrialEpochsUpTo =
    "SELECT trial_id, attempt, epoch, train_loss, val_loss, val_iou, images_per_sec, seconds FROM epochs "
    "WHERE trial_id = ?1 AND attempt <= ?2 ORDER BY attempt, epoch";
const char* kEndTrialWithResult =
    "UPDATE trials SET state = ?2, message = ?3, ended_at = ?4, worker_id = '', "
    "attempt = MAX(attempt, ?5) WHERE id = ?1";
const char* kAttemptForResult =
    "INSERT OR IGNORE INTO attempts (trial_id, attempt, worker_id, outcome, started_at) "
    "VALUES (?1, ?2, '', 'running', ?3)";

}  // namespace

double store_now() {
    using namespace std::chrono;
    return duration<double>(system_clock::now().time_since_epoch()).count();
}

ResultsStore::ResultsStore(const std::string& path, StoreOptions options) : path_(path) {
    namespace fs = std::filesystem;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
    if (options.mode == StoreOpenMode::existing) {
        if (!fs::exists(path))
            throw Error(path + ": no results store here (run a sweep, or `segsweep train --db " + path +
                        "`, or point --db / SEGSWEEP_DB at one)");
    } else {
        flags |= SQLITE_OPEN_CREATE;
        const fs::path parent = fs::path(path).parent_path();
        std::error_code error;
        if (!parent.empty()) fs::create_directories(parent, error);
        if (error) throw Error(parent.string() + ": cannot create the results store's folder: " + error.message());
    }
    db_ = std::make_unique<SqliteDatabase>(path, flags);
    SQLITE_CHECK(db_->get(), sqlite3_busy_timeout(db_->get(), kStoreBusyTimeoutMs));
    db_->execute("PRAGMA journal_mode = WAL");
    db_->execute(options.durability == StoreDurability::full ? "PRAGMA synchronous = FULL"
                                                             : "PRAGMA synchronous = NORMAL");
    db_->execute("PRAGMA foreign_keys = ON");
    migrate_schema(*db_);
}

ResultsStore::~ResultsStore() {
    statements_.clear();  // finalise statements before the connection closes
    if (in_transaction_) sqlite3_exec(db_->get(), "ROLLBACK", nullptr, nullptr, nullptr);
}

int ResultsStore::schema_version() { return segsweep::schema_version(*db_); }

SqliteStatement& ResultsStore::prepared(const char* sql) {
    auto it = statements_.find(sql);
    if (it == statements_.end()) it = statements_.emplace(sql, std::make_unique<SqliteStatement>(*db_, sql)).first;
    it->second->reset();
    return *it->second;
}

void ResultsStore::begin() {
    if (in_transaction_) throw Error(path_ + ": a transaction is already open on this connection");
    db_->execute("BEGIN IMMEDIATE");
    in_transaction_ = true;
}

void ResultsStore::commit() {
    if (!in_transaction_) throw Error(path_ + ": commit without a transaction");
    db_->execute("COMMIT");
    in_transaction_ = false;
}

void ResultsStore::rollback() {
    if (!in_transaction_) return;
    in_transaction_ = false;
    db_->execute("ROLLBACK");
}

void ResultsStore::savepoint() { db_->execute("SAVEPOINT store_write"); }
void ResultsStore::release() { db_->execute("RELEASE store_write"); }
void ResultsStore::rollback_savepoint() {
    // Undo, then end the savepoint; best effort (the caller is already reporting an error).
    sqlite3_exec(db_->get(), "ROLLBACK TO store_write; RELEASE store_write", nullptr, nullptr, nullptr);
}

CreatedSweep ResultsStore::create_sweep(const SweepSubmission& submission, const std::vector<TrialConfig>& configs) {
    CreatedSweep created;
    const double now = store_now();
    savepoint();
    try {
        auto& insert_sweep = prepared(kInsertSweep);
        insert_sweep.bind(1, submission.name);
        insert_sweep.bind(2, submission.source);
        insert_sweep.bind(3, submission.file_format);
        insert_sweep.bind(4, submission.file_text);
        insert_sweep.bind(5, submission.spec.dump());
        insert_sweep.bind(6, now);
        insert_sweep.run();
        created.sweep_id = db_->last_insert_id();
        auto& insert_trial = prepared(kInsertTrial);
        int index = 0;
        for (const auto& config : configs) {
            insert_trial.reset();
            insert_trial.bind(1, created.sweep_id);
            insert_trial.bind(2, index);
            insert_trial.bind(3, canonical_json(config));
            insert_trial.bind(4, config_hash(config));
            insert_trial.bind(5, config.learning_rate);
            insert_trial.bind(6, config.batch_size);
            insert_trial.bind(7, config.num_epochs);
            insert_trial.bind(8, now);
            insert_trial.run();
            if (db_->changes() > 0) {
                created.trial_ids.push_back(db_->last_insert_id());
                ++index;
            } else {
                ++created.duplicates;
            }
        }
        release();
    } catch (...) {
        rollback_savepoint();
        throw;
    }
    return created;
}

std::optional<int64_t> ResultsStore::add_trial(int64_t sweep_id, const TrialConfig& config) {
    savepoint();
    try {
        auto& exists = prepared(kSweepExists);
        exists.bind(1, sweep_id);
        const bool sweep_found = exists.step();
        exists.reset();
        if (!sweep_found) throw Error(path_ + ": sweep " + std::to_string(sweep_id) + " does not exist");
        auto& count = prepared(kCountTrials);
        count.bind(1, sweep_id);
        count.step();
        const int index = count.column_int(0);
        count.reset();
        auto& insert = prepared(kInsertTrial);
        insert.bind(1, sweep_id);
        insert.bind(2, index);
        insert.bind(3, canonical_json(config));
        insert.bind(4, config_hash(config));
        insert.bind(5, config.learning_rate);
        insert.bind(6, config.batch_size);
        insert.bind(7, config.num_epochs);
        insert.bind(8, store_now());
        insert.run();
        std::optional<int64_t> id;
        if (db_->changes() > 0) id = db_->last_insert_id();
        release();
        return id;
    } catch (...) {
        rollback_savepoint();
        throw;
    }
}

void ResultsStore::set_sweep_state(int64_t sweep_id, SweepState state, const std::string& message) {
    auto& update = prepared(kSetSweepState);
    update.bind(1, sweep_id);
    update.bind(2, sweep_state_name(state));
    update.bind(3, message);
    update.bind(4, store_now());
    update.run();
    if (db_->changes() == 0) throw Error(path_ + ": sweep " + std::to_string(sweep_id) + " does not exist");
}

bool ResultsStore::start_attempt(int64_t trial_id, int attempt, const std::string& worker_id) {
    const double now = store_now();
    savepoint();
    try {
        auto& insert = prepared(kInsertAttempt);
        insert.bind(1, trial_id);
        insert.bind(2, attempt);
        insert.bind(3, worker_id);
        insert.bind(4, now);
        insert.run();
        const bool started = db_->changes() > 0;
        if (started) {
            auto& update = prepared(kStartTrial);
            update.bind(1, trial_id);
            update.bind(2, attempt);
            update.bind(3, worker_id);
            update.bind(4, now);
            update.run();
            if (db_->changes() == 0) throw Error(path_ + ": trial " + std::to_string(trial_id) + " does not exist");
        }
        release();
        return started;
    } catch (...) {
        rollback_savepoint();
        throw;
    }
}

bool ResultsStore::requeue_trial(int64_t trial_id, int attempt, AttemptOutcome outcome, const std::string& reason,
                                 int restarts) {
    if (outcome != AttemptOutcome::lost && outcome != AttemptOutcome::preempted)
        throw Error(std::string("requeue_trial: outcome must be lost or preempted, got ") +
                    attempt_outcome_name(outcome));
    savepoint();
    try {
        auto& requeue = prepared(kRequeueTrial);
        requeue.bind(1, trial_id);
        requeue.bind(2, attempt);
        requeue.bind(3, reason);
        requeue.bind(4, restarts);
        requeue.bind(5, outcome == AttemptOutcome::preempted ? 1 : 0);
        requeue.run();
        const bool changed = db_->changes() > 0;
        if (changed) {
            auto& end = prepared(kEndAttempt);
            end.bind(1, trial_id);
            end.bind(2, attempt);
            end.bind(3, attempt_outcome_name(outcome));
            end.bind(4, reason);
            end.bind(5, store_now());
            end.run();
        }
        release();
        return changed;
    } catch (...) {
        rollback_savepoint();
        throw;
    }
}

bool ResultsStore::finish_trial(int64_t trial_id, int attempt, TrialState state, const std::string& reason) {
    if (!trial_state_is_final(state))
        throw Error(std::string("finish_trial: state must be final, got ") + trial_state_name(state));
    const double now = store_now();
    savepoint();
    try {
        auto& finish = prepared(kFinishTrial);
        finish.bind(1, trial_id);
        finish.bind(2, trial_state_name(state));
        finish.bind(3, reason);
        finish.bind(4, now);
        finish.run();
        const bool changed = db_->changes() > 0;
        if (changed && attempt > 0) {
            auto& end = prepared(kEndAttempt);
            end.bind(1, trial_id);
            end.bind(2, attempt);
            end.bind(3, attempt_outcome_name(attempt_outcome_for(state)));
            end.bind(4, reason);
            end.bind(5, now);
            end.run();
        }
        release();
        return changed;
    } catch (...) {
        rollback_savepoint();
        throw;
    }
}

void ResultsStore::insert_epoch(int64_t trial_id, int attempt, const EpochMetrics& m, double now) {
    auto& insert = prepared(kInsertEpoch);
    insert.bind(1, trial_id);
    insert.bind(2, attempt);
    insert.bind(3, m.epoch);
    insert.bind(4, m.train_loss);
    insert.bind(5, m.val_loss);
    insert.bind(6, m.val_iou);
    insert.bind(7, m.images_per_sec);
    insert.bind(8, m.seconds);
    insert.bind(9, now);
    insert.run();
}

bool ResultsStore::record_epoch(int64_t trial_id, int attempt, const EpochMetrics& metrics) {
    insert_epoch(trial_id, attempt, metrics, store_now());
    return db_->changes() > 0;
}

bool ResultsStore::record_result(int64_t trial_id, int attempt, const TrialResult& result) {
    if (!trial_state_is_final(result.state))
        throw Error(std::string("record_result: trial ") + std::to_string(trial_id) + ": state " +
                    trial_state_name(result.state) + " is not final");
    const double now = store_now();
    savepoint();
    try {
        auto& sweep_of = prepared(kTrialSweep);
        sweep_of.bind(1, trial_id);
        if (!sweep_of.step()) throw Error(path_ + ": trial " + std::to_string(trial_id) + " does not exist");
        const int64_t sweep_id = sweep_of.column_int64(0);
        sweep_of.reset();

        // The result's epochs first (each ignored where the EPOCH report already stored it), then the
        // bests over the trial's curve up to this attempt, so that the result row is written once,
        // bests included: one pass over its leaderboard indexes.
        for (const auto& epoch : result.history) insert_epoch(trial_id, attempt, epoch, now);
        std::vector<EpochRecord> rows;
        auto& epochs = prepared(kTrialEpochsUpTo);
        epochs.bind(1, trial_id);
        epochs.bind(2, attempt);
        while (epochs.step()) rows.push_back(read_epoch_row(epochs));
        epochs.reset();
        std::optional<double> best_loss, best_iou;
        for (const auto& row : effective_curve(rows)) {
            const double loss = row.metrics.val_loss, iou = row.metrics.val_iou;
            if (std::isfinite(loss) && (!best_loss || loss < *best_loss)) best_loss = loss;
            if (std::isfinite(iou) && (!best_iou || iou > *best_iou)) best_iou = iou;
        }

        auto& insert = prepared(kInsertResult);
        insert.bind(1, trial_id);
        insert.bind(2, sweep_id);
        insert.bind(3, attempt);
        insert.bind(4, trial_state_name(result.state));
        insert.bind(5, result.message);
        if (result.score) {
            insert.bind(6, result.score->final_score);
            insert.bind(7, result.score->final_iou);
            insert.bind(8, result.score->weight);
            insert.bind(9, to_json(*result.score).dump());
        } else {
            for (int column = 6; column <= 9; ++column) insert.bind_null(column);
        }
        insert.bind(10, result.epochs_run);
        insert.bind(11, result.best_epoch);
        insert.bind(12, result.wall_seconds);
        insert.bind(13, result.images_per_sec);
        insert.bind(14, now);
        insert.bind(15, best_loss);
        insert.bind(16, best_iou);
        insert.run();
        if (db_->changes() == 0) {  // the trial already has its result: nothing of this one is kept
            rollback_savepoint();
            return false;
        }

        auto& attempt_row = prepared(kAttemptForResult);  // a result without start_attempt (standalone runs)
        attempt_row.bind(1, trial_id);
        attempt_row.bind(2, attempt);
        attempt_row.bind(3, now);
        attempt_row.run();
        auto& end = prepared(kEndAttempt);
        end.bind(1, trial_id);
        end.bind(2, attempt);
        end.bind(3, attempt_outcome_name(attempt_outcome_for(result.state)));
        end.bind(4, result.message);
        end.bind(5, now);
        end.run();

        auto& trial = prepared(kEndTrialWithResult);
        trial.bind(1, trial_id);
        trial.bind(2, trial_state_name(result.state));
        trial.bind(3, result.message);
        trial.bind(4, now);
        trial.bind(5, attempt);
        trial.run();
        release();
        return true;
    } catch (...) {
        rollback_savepoint();
        throw;
    }
}

StoreTransaction::StoreTransaction(ResultsStore& store) : store_(store) { store_.begin(); }

StoreTransaction::~StoreTransaction() {
    if (done_) return;
    try {
        store_.rollback();
    } catch (...) {
        // A destructor must not throw; the connection's rollback failure leaves SQLite to undo.
    }
}

void StoreTransaction::commit() {
    store_.commit();
    done_ = true;
}

}  // namespace segsweep
