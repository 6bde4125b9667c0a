// Schema migration: a store written by schema v1 (its rows in data/store_v1_rows.sql) opens as v2
// with attempts backfilled, results.sweep_id and best val_loss/val_iou filled in, and keeps working.
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "results/results_store.h"
#include "results/store_schema.h"
#include "tests/results/store_test_support.h"

namespace segsweep {
namespace {

std::string read_fixture(const std::string& name) {
    std::ifstream in(std::string(SEGSWEEP_SOURCE_DIR) + "/tests/results/data/" + name);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string make_v1_store() {
    const std::string path = testing::fresh_store_path();
    SqliteDatabase db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    migrate_schema(db, 1);
    EXPECT_EQ(schema_version(db), 1);
    db.execute(read_fixture("store_v1_rows.sql"));
    return path;
}

TEST(StoreMigration, MigratesAVersionOneStore) {
    const std::string path = make_v1_store();
    ResultsStore store(path);
    EXPECT_EQ(store.schema_version(), 2);

    // attempts: one row per started attempt, outcome from the trial's state.
    const auto completed = store.attempts(1);
    ASSERT_EQ(completed.size(), 1u);  // v1 kept only the current attempt
    EXPECT_EQ(completed[0].attempt, 2);
    EXPECT_EQ(completed[0].outcome, AttemptOutcome::completed);
    EXPECT_EQ(store.attempts(2)[0].outcome, AttemptOutcome::running);
    EXPECT_EQ(store.attempts(2)[0].worker_id, "w2");
    EXPECT_EQ(store.attempts(3)[0].outcome, AttemptOutcome::lost);
    EXPECT_TRUE(store.attempts(4).empty());

    // results: sweep_id and the bests over the curve (epoch 2 comes from attempt 2: 0.6, not 0.1).
    const auto result = store.find_result(1);
    ASSERT_TRUE(result);
    EXPECT_EQ(result->sweep_id, 1);
    EXPECT_DOUBLE_EQ(*result->best_val_loss, 0.5);
    EXPECT_DOUBLE_EQ(*result->best_val_iou, 0.5);
    EXPECT_EQ(store.find_trial(1)->preemptions, 0);

    // The leaderboard and the writers work on the migrated store.
    const auto board = store.leaderboard({1, LeaderboardSort::final_score, 10});
    ASSERT_EQ(board.size(), 1u);
    EXPECT_DOUBLE_EQ(*board[0].final_score, 0.35);
    EXPECT_EQ(store.leaderboard({1, LeaderboardSort::val_loss, 10})[0].trial_id, 1);
    EXPECT_TRUE(store.record_epoch(2, 1, testing::epoch(2, 0.65, 0.35)));
    EXPECT_TRUE(store.record_result(2, 1, testing::scored_result(store.find_trial(2)->config, 0.4, 0.5, 0.8)));
    EXPECT_EQ(store.leaderboard({1, LeaderboardSort::final_score, 10})[0].trial_id, 2);
    EXPECT_EQ(store.unfinished_trials().size(), 2u);
}

TEST(StoreMigration, OpeningAgainIsANoOp) {
    const std::string path = make_v1_store();
    { ResultsStore first(path); }
    ResultsStore second(path);
    EXPECT_EQ(second.schema_version(), 2);
    EXPECT_EQ(second.attempts(1).size(), 1u);
}

TEST(StoreMigration, EveryStepIsListed) {
    const auto& steps = schema_migrations();
    ASSERT_EQ(steps.size(), static_cast<size_t>(kStoreSchemaVersion));
    for (size_t i = 0; i < steps.size(); ++i) EXPECT_EQ(steps[i].to_version, static_cast<int>(i + 1));
}

}  // namespace
}  // namespace segsweep
