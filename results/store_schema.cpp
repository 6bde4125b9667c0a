// The results store's schema scripts (v1, and the v1 -> v2 migration) and the migration runner.
#include "results/store_schema.h"

#include "common/error.h"
#include "common/log.h"

namespace segsweep {
namespace {

// Version 1: the first schema. Timestamps are UTC seconds since the epoch (REAL).
const char* kSchemaV1 = R"sql(
CREATE TABLE sweeps (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    source      TEXT NOT NULL DEFAULT '',
    file_format TEXT NOT NULL DEFAULT 'json',
    file_text   TEXT NOT NULL,
    spec_json   TEXT NOT NULL,
    state       TEXT NOT NULL DEFAULT 'running',
    message     TEXT NOT NULL DEFAULT '',
    created_at  REAL NOT NULL,
    finished_at REAL
);
CREATE TABLE trials (
    id            INTEGER PRIMARY KEY,
    sweep_id      INTEGER NOT NULL REFERENCES sweeps(id),
    trial_index   INTEGER NOT NULL,
    config_json   TEXT NOT NULL,
    config_hash   TEXT NOT NULL,
    learning_rate REAL NOT NULL,
    batch_size    INTEGER NOT NULL,
    num_epochs    INTEGER NOT NULL,
    state         TEXT NOT NULL DEFAULT 'pending',
    attempt       INTEGER NOT NULL DEFAULT 0,
    restarts      INTEGER NOT NULL DEFAULT 0,
    worker_id     TEXT NOT NULL DEFAULT '',
    message       TEXT NOT NULL DEFAULT '',
    created_at    REAL NOT NULL,
    started_at    REAL,
    ended_at      REAL,
    UNIQUE (sweep_id, config_hash)
);
CREATE INDEX trials_by_sweep_state ON trials(sweep_id, state);
CREATE INDEX trials_by_state ON trials(state);
CREATE TABLE epochs (
    trial_id       INTEGER NOT NULL REFERENCES trials(id),
    attempt        INTEGER NOT NULL,
    epoch          INTEGER NOT NULL,
    train_loss     REAL,
    val_loss       REAL,
    val_iou        REAL,
    images_per_sec REAL,
    seconds        REAL,
    recorded_at    REAL NOT NULL,
    PRIMARY KEY (trial_id, attempt, epoch)
) WITHOUT ROWID;
CREATE TABLE results (
    trial_id       INTEGER PRIMARY KEY REFERENCES trials(id),
    attempt        INTEGER NOT NULL,
    state          TEXT NOT NULL,
    message        TEXT NOT NULL DEFAULT '',
    final_score    REAL,
    final_iou      REAL,
    weight         REAL,
    score_json     TEXT,
    epochs_run     INTEGER NOT NULL,
    best_epoch     INTEGER NOT NULL,
    wall_seconds   REAL NOT NULL,
    images_per_sec REAL NOT NULL,
    recorded_at    REAL NOT NULL
);
CREATE INDEX results_by_score ON results(final_score);
)sql";

// Version 2: attempts, preemptions, and the leaderboard columns and indexes.
const char* kMigrateV1ToV2 = R"sql(
CREATE TABLE attempts (
    trial_id   INTEGER NOT NULL REFERENCES trials(id),
    attempt    INTEGER NOT NULL,
    worker_id  TEXT NOT NULL DEFAULT '',
    outcome    TEXT NOT NULL DEFAULT 'running',
    message    TEXT NOT NULL DEFAULT '',
    started_at REAL NOT NULL,
    ended_at   REAL,
    PRIMARY KEY (trial_id, attempt)
) WITHOUT ROWID;
INSERT INTO attempts (trial_id, attempt, worker_id, outcome, message, started_at, ended_at)
    SELECT id, attempt, worker_id,
           CASE state WHEN 'pending' THEN 'lost' ELSE state END,  -- a pending trial's last attempt was lost
           message, COALESCE(started_at, created_at), ended_at
    FROM trials WHERE attempt > 0;

ALTER TABLE trials ADD COLUMN preemptions INTEGER NOT NULL DEFAULT 0;

ALTER TABLE results ADD COLUMN sweep_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE results ADD COLUMN best_val_loss REAL;
ALTER TABLE results ADD COLUMN best_val_iou REAL;
UPDATE results SET sweep_id = (SELECT t.sweep_id FROM trials t WHERE t.id = results.trial_id);
UPDATE results SET
    best_val_loss = (SELECT MIN(e.val_loss) FROM epochs e
                     WHERE e.trial_id = results.trial_id AND e.attempt <= results.attempt
                       AND e.attempt = (SELECT MAX(e2.attempt) FROM epochs e2
                                        WHERE e2.trial_id = e.trial_id AND e2.epoch = e.epoch
                                          AND e2.attempt <= results.attempt)),
    best_val_iou  = (SELECT MAX(e.val_iou) FROM epochs e
                     WHERE e.trial_id = results.trial_id AND e.attempt <= results.attempt
                       AND e.attempt = (SELECT MAX(e2.attempt) FROM epochs e2
                                        WHERE e2.trial_id = e.trial_id AND e2.epoch = e.epoch
                                          AND e2.attempt <= results.attempt));

DROP INDEX results_by_score;
CREATE INDEX results_sweep_final_score ON results(sweep_id, final_score DESC, trial_id);
CREATE INDEX results_sweep_final_iou   ON results(sweep_id, final_iou DESC, trial_id);
CREATE INDEX results_sweep_weight      ON results(sweep_id, weight DESC, trial_id);
CREATE INDEX results_sweep_val_loss    ON results(sweep_id, best_val_loss ASC, trial_id);
CREATE INDEX results_sweep_val_iou     ON results(sweep_id, best_val_iou DESC, trial_id);
CREATE INDEX results_final_score ON results(final_score DESC, trial_id);
CREATE INDEX results_final_iou   ON results(final_iou DESC, trial_id);
CREATE INDEX results_weight      ON results(weight DESC, trial_id);
CREATE INDEX results_val_loss    ON results(best_val_loss ASC, trial_id);
CREATE INDEX results_val_iou     ON results(best_val_iou DESC, trial_id);
)sql";

}  // namespace

const std::vector<SchemaMigration>& schema_migrations() {
    static const std::vector<SchemaMigration> steps = {
        {1, "create the v1 tables (sweeps, trials, epochs, results)", kSchemaV1},
        {2, "add attempts, preemptions and the leaderboard columns and indexes", kMigrateV1ToV2},
    };
    return steps;
}

int schema_version(SqliteDatabase& db) {
    SqliteStatement statement(db, "PRAGMA user_version");
    statement.step();
    return statement.column_int(0);
}

void migrate_schema(SqliteDatabase& db, int target) {
    const int found = schema_version(db);
    if (found > kStoreSchemaVersion)
        throw Error(std::string(sqlite3_db_filename(db.get(), "main")) + ": results store schema version " +
                    std::to_string(found) + " is newer than this segsweep knows (" +
                    std::to_string(kStoreSchemaVersion) + "); use a newer segsweep");
    for (const auto& step : schema_migrations()) {
        if (step.to_version <= found || step.to_version > target) continue;
        db.execute("BEGIN IMMEDIATE");
        try {
            // Another process may have migrated while we waited for the lock.
            if (schema_version(db) >= step.to_version) {
                db.execute("COMMIT");
                continue;
            }
            db.execute(step.sql);
            db.execute("PRAGMA user_version = " + std::to_string(step.to_version));
            db.execute("COMMIT");
        } catch (...) {
            sqlite3_exec(db.get(), "ROLLBACK", nullptr, nullptr, nullptr);  // best effort; the error says what failed
            throw;
        }
        if (found > 0) LOG_I("results store: migrated to schema v%d: %s", step.to_version, step.what);
    }
}

}  // namespace segsweep
