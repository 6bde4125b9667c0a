// The results store's schema and its migrations. The version lives in PRAGMA user_version.
// A new store is built by running every migration from version 0, so the path an old store takes
// is the path every store takes.
//
//   v1  sweeps, trials, epochs, results (the first schema; kept here as its own script)
//   v2  attempts table (one row per attempt: worker, outcome running|completed|...|lost|preempted),
//       trials.preemptions, results.sweep_id / best_val_loss / best_val_iou (backfilled), and the
//       leaderboard indexes (sweep_id, key, trial_id) and (key, trial_id) for each sort key.
#pragma once

#include <string>
#include <vector>

#include "results/sqlite_handle.h"

namespace segsweep {

constexpr int kStoreSchemaVersion = 2;

struct SchemaMigration {
    int to_version;    // the version after this step
    const char* what;  // one line for the log
    const char* sql;   // run inside one transaction with the user_version bump
};

// Every step, in order (v0 -> v1 -> v2).
const std::vector<SchemaMigration>& schema_migrations();

// The database's PRAGMA user_version.
int schema_version(SqliteDatabase& db);
// Runs the steps from the database's version up to `target` (default: current), each in its own
// transaction. Throws segsweep::Error when the database is newer than this program knows.
void migrate_schema(SqliteDatabase& db, int target = kStoreSchemaVersion);

}  // namespace segsweep
