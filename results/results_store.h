// ResultsStore: the SQLite results store. All SQL lives in results/. WAL mode: readers (the CLI,
// other processes) work while the writer writes. Schema versioned with migrations (store_schema.h).
//
// Writes are idempotent where a message may arrive twice:
//   record_epoch   one row per (trial, attempt, epoch); a repeat is ignored (the first one stays)
//   record_result  one row per trial; a second result (any attempt) is ignored and returns false
//   start_attempt  one attempts row per (trial, attempt)
//   requeue_trial / finish_trial only act on a trial that is still pending or running
// Each write method is atomic on its own (a SAVEPOINT); wrap many in a StoreTransaction to commit
// them together: the coordinator batches its writes that way and never commits per message.
//
// Trial states follow ../shared/DESIGN.md. `attempt` counts attempts started (0: never run; the
// first run is attempt 1); requeue_trial puts a trial back to pending, and the next start_attempt
// uses attempt + 1.
//
// Path: resolve_store_path() (store_path.h): --db, else $SEGSWEEP_DB, else results/segsweep.db.
// One ResultsStore per thread (SQLite connections are not shared across threads here).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/trial_config.h"
#include "common/trial_result.h"
#include "results/leaderboard.h"
#include "results/sqlite_handle.h"
#include "results/store_records.h"

namespace segsweep {

constexpr int kStoreBusyTimeoutMs = 10000;  // ms a connection waits for another's write lock

enum class StoreOpenMode {
    create,    // create the file (and its folder) when missing; writers
    existing,  // refuse a missing file; readers (leaderboard, trials, show)
};

enum class StoreDurability {
    full,    // fsync the WAL at every commit (synchronous=FULL): survives power loss
    normal,  // synchronous=NORMAL: survives a process crash; a power cut may lose the last commits
};

struct StoreOptions {
    StoreOpenMode mode = StoreOpenMode::create;
    StoreDurability durability = StoreDurability::full;
};

struct CreatedSweep {
    int64_t sweep_id = 0;
    std::vector<int64_t> trial_ids;  // one per inserted config, in order
    int duplicates = 0;              // configs already in the sweep (same config hash), skipped
};

class ResultsStore {
public:
    explicit ResultsStore(const std::string& path, StoreOptions options = {});
    ~ResultsStore();
    ResultsStore(const ResultsStore&) = delete;
    ResultsStore& operator=(const ResultsStore&) = delete;

    const std::string& path() const { return path_; }
    int schema_version();

    // ---- transactions ----
    // Nested calls are not allowed; StoreTransaction (below) is the RAII way to use these.
    void begin();  // BEGIN IMMEDIATE: takes the write lock now
    void commit();
    void rollback();
    bool in_transaction() const { return in_transaction_; }

    // ---- writes ----
    // The sweep (state running) and its first trials (pending, trial_index 0..), in one go.
    CreatedSweep create_sweep(const SweepSubmission& submission, const std::vector<TrialConfig>& configs);
    // One more pending trial (method bayes). Empty when the sweep already has this config.
    std::optional<int64_t> add_trial(int64_t sweep_id, const TrialConfig& config);
    void set_sweep_state(int64_t sweep_id, SweepState state, const std::string& message = "");
    // pending -> running as `attempt` on `worker_id`; an attempts row. False (no change) when this
    // attempt was already started.
    bool start_attempt(int64_t trial_id, int attempt, const std::string& worker_id);
    // running -> pending after `attempt` ended without a result: outcome lost (counts: `restarts`
    // is the trial's new total) or preempted (preemptions + 1). False when the trial was not running
    // that attempt.
    bool requeue_trial(int64_t trial_id, int attempt, AttemptOutcome outcome, const std::string& reason, int restarts);
    // A final state without a result row (failed after max_restarts, cancelled before it ran or
    // while running). False when the trial was already final.
    bool finish_trial(int64_t trial_id, int attempt, TrialState state, const std::string& reason);
    // One epoch of one attempt. False when (trial, attempt, epoch) was already recorded.
    bool record_epoch(int64_t trial_id, int attempt, const EpochMetrics& metrics);
    // The trial's result (state must be final): the result row (score, per-set TP/FP/FN, epochs run,
    // images/s), the epochs of result.history not yet recorded, best val_loss/val_iou, the trial's
    // final state and the attempt's outcome. False, with nothing changed, when the trial already has
    // a result. Throws segsweep::Error for an unknown trial or a non-final state.
    bool record_result(int64_t trial_id, int attempt, const TrialResult& result);

    // ---- reads ----
    std::vector<SweepRecord> list_sweeps();  // newest first, with trial counts
    std::optional<SweepRecord> find_sweep(int64_t sweep_id);
    // A sweep id ("12") or name (the newest sweep of that name). Throws when neither matches.
    SweepRecord resolve_sweep(const std::string& id_or_name);
    std::vector<SweepRecord> unfinished_sweeps();            // state running, oldest first
    std::vector<TrialRecord> list_trials(int64_t sweep_id);  // in trial order
    std::optional<TrialRecord> find_trial(int64_t trial_id);
    // Every pending or running trial of the running sweeps (coordinator restart), by trial id.
    std::vector<TrialRecord> unfinished_trials();
    std::vector<AttemptRecord> attempts(int64_t trial_id);
    // The trial's curve: for each epoch the row of the latest attempt that reported it.
    std::vector<EpochMetrics> trial_curve(int64_t trial_id);
    // Every epoch row of a sweep, by trial, attempt, epoch (to replay into an EarlyStopper).
    std::vector<EpochRecord> sweep_epochs(int64_t sweep_id);
    std::optional<ResultRecord> find_result(int64_t trial_id);
    SweepStatus sweep_status(int64_t sweep_id);
    // One indexed query (leaderboard.h).
    std::vector<LeaderboardRow> leaderboard(const LeaderboardQuery& query);
    // SQLite's EXPLAIN QUERY PLAN for that query, one step per line (benchmarks, diagnostics).
    std::string leaderboard_plan(const LeaderboardQuery& query);
    // The trial count of a sweep.
    int trial_count(int64_t sweep_id);

private:
    SqliteStatement& prepared(const char* sql);  // cached per SQL text, reset before reuse
    void savepoint();
    void release();
    void rollback_savepoint();
    void insert_epoch(int64_t trial_id, int attempt, const EpochMetrics& metrics, double now);

    std::string path_;
    std::unique_ptr<SqliteDatabase> db_;
    std::unordered_map<const char*, std::unique_ptr<SqliteStatement>> statements_;
    bool in_transaction_ = false;
};

// BEGIN IMMEDIATE on construction, ROLLBACK on destruction unless commit() was called.
class StoreTransaction {
public:
    explicit StoreTransaction(ResultsStore& store);
    ~StoreTransaction();
    StoreTransaction(const StoreTransaction&) = delete;
    StoreTransaction& operator=(const StoreTransaction&) = delete;
    void commit();

private:
    ResultsStore& store_;
    bool done_ = false;
};

// The current time as UTC seconds since the epoch (what the store writes in *_at columns).
double store_now();

}  // namespace segsweep
