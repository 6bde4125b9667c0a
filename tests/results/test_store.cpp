// The results store: round trip, idempotent re-reports, trial state transitions, reload of unfinished
// state, transactions, concurrent readers, paths, and the sweeps<->store bridge.
#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>

#include "results/store_path.h"
#include "results/store_schema.h"
#include "results/sweep_records.h"
#include "tests/results/store_test_support.h"
#include "tests/sweeps/sweep_test_support.h"

namespace segsweep {
namespace {

using testing::config_with;
using testing::epoch;
using testing::fresh_store_path;
using testing::scored_result;
using testing::submission;

TEST(ResultsStore, CreatesAVersionedWalStore) {
    const std::string path = fresh_store_path();
    ResultsStore store(path);
    EXPECT_EQ(store.schema_version(), kStoreSchemaVersion);
    SqliteDatabase raw(path, SQLITE_OPEN_READONLY);
    SqliteStatement mode(raw, "PRAGMA journal_mode");
    ASSERT_TRUE(mode.step());
    EXPECT_EQ(mode.column_text(0), "wal");
}

TEST(ResultsStore, RoundTrip) {
    ResultsStore store(fresh_store_path());
    const auto created = store.create_sweep(submission("round"), {config_with(0.001, 32), config_with(0.01, 64)});
    ASSERT_EQ(created.trial_ids.size(), 2u);
    const int64_t trial = created.trial_ids[0];

    auto sweep = store.find_sweep(created.sweep_id);
    ASSERT_TRUE(sweep);
    EXPECT_EQ(sweep->name, "round");
    EXPECT_EQ(sweep->source, "round.json");
    EXPECT_EQ(sweep->file_text, "{\"method\": \"grid\"}");
    EXPECT_EQ(sweep->spec["method"], "grid");
    EXPECT_EQ(sweep->state, SweepState::running);
    EXPECT_EQ(sweep->trial_counts["pending"], 2);
    EXPECT_GT(sweep->created_at, 1.6e9);

    EXPECT_TRUE(store.start_attempt(trial, 1, "worker-a"));
    EXPECT_TRUE(store.record_epoch(trial, 1, epoch(1, 0.8, 0.3)));
    EXPECT_TRUE(store.record_epoch(trial, 1, epoch(2, 0.5, 0.6)));
    auto running = store.find_trial(trial);
    ASSERT_TRUE(running);
    EXPECT_EQ(running->state, TrialState::running);
    EXPECT_EQ(running->worker_id, "worker-a");
    EXPECT_EQ(running->attempt, 1);
    EXPECT_EQ(running->last_epoch, 2);
    EXPECT_DOUBLE_EQ(running->mean_epoch_seconds, 2);
    EXPECT_TRUE(running->started_at);

    TrialResult result = scored_result(config_with(0.001, 32), 0.42, 0.55, 0.76, TrialState::completed, 2);
    result.message = "done";
    EXPECT_TRUE(store.record_result(trial, 1, result));

    const auto finished = store.find_trial(trial);
    EXPECT_EQ(finished->state, TrialState::completed);
    EXPECT_EQ(finished->message, "done");
    EXPECT_EQ(finished->worker_id, "");
    EXPECT_TRUE(finished->ended_at);
    EXPECT_DOUBLE_EQ(*finished->final_score, 0.42);
    EXPECT_EQ(finished->config_hash, config_hash(config_with(0.001, 32)));
    EXPECT_DOUBLE_EQ(finished->config.learning_rate, 0.001);

    const auto stored = store.find_result(trial);
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->state, TrialState::completed);
    EXPECT_EQ(stored->sweep_id, created.sweep_id);
    EXPECT_EQ(stored->epochs_run, 2);
    EXPECT_DOUBLE_EQ(stored->wall_seconds, 125);
    EXPECT_DOUBLE_EQ(stored->images_per_sec, 80);
    EXPECT_DOUBLE_EQ(*stored->best_val_loss, 0.5);
    EXPECT_DOUBLE_EQ(*stored->best_val_iou, 0.6);
    ASSERT_TRUE(stored->score);
    EXPECT_DOUBLE_EQ(stored->score->weight, 0.76);
    ASSERT_EQ(stored->score->sets.size(), 1u);
    EXPECT_EQ(stored->score->sets[0].true_positives, 539);

    const auto curve = store.trial_curve(trial);
    ASSERT_EQ(curve.size(), 2u);
    EXPECT_DOUBLE_EQ(curve[1].val_iou, 0.6);
    const auto attempts = store.attempts(trial);
    ASSERT_EQ(attempts.size(), 1u);
    EXPECT_EQ(attempts[0].outcome, AttemptOutcome::completed);
    EXPECT_EQ(attempts[0].worker_id, "worker-a");
    EXPECT_TRUE(attempts[0].ended_at);
}

TEST(ResultsStore, IdempotentReReports) {
    ResultsStore store(fresh_store_path());
    const auto created = store.create_sweep(submission("again"), {config_with(0.001, 32)});
    const int64_t trial = created.trial_ids[0];
    EXPECT_TRUE(store.start_attempt(trial, 1, "w"));
    EXPECT_FALSE(store.start_attempt(trial, 1, "w"));  // the same assignment again
    EXPECT_TRUE(store.record_epoch(trial, 1, epoch(1, 0.8, 0.3)));
    EXPECT_FALSE(store.record_epoch(trial, 1, epoch(1, 0.1, 0.9)));  // the same report delivered twice
    EXPECT_EQ(store.sweep_epochs(created.sweep_id).size(), 1u);
    EXPECT_DOUBLE_EQ(store.trial_curve(trial)[0].val_loss, 0.8);  // the first one stays

    const TrialResult result = scored_result(config_with(0.001, 32), 0.3, 0.4, 0.75);
    EXPECT_TRUE(store.record_result(trial, 1, result));
    EXPECT_FALSE(store.record_result(trial, 1, result));  // duplicate RESULT
    EXPECT_FALSE(store.record_result(trial, 2, scored_result(config_with(0.001, 32), 0.9, 0.9, 1)));  // late attempt
    EXPECT_DOUBLE_EQ(store.find_result(trial)->score->final_score, 0.3);  // the first result stays
    EXPECT_EQ(store.leaderboard({created.sweep_id, LeaderboardSort::final_score, 0}).size(), 1u);
}

TEST(ResultsStore, RequeueLostAndPreemptedAttempts) {
    ResultsStore store(fresh_store_path());
    const auto created = store.create_sweep(submission("requeue"), {config_with(0.001, 32)});
    const int64_t trial = created.trial_ids[0];
    store.start_attempt(trial, 1, "w1");
    store.record_epoch(trial, 1, epoch(1, 0.9, 0.1));
    store.record_epoch(trial, 1, epoch(2, 0.8, 0.2));
    EXPECT_TRUE(store.requeue_trial(trial, 1, AttemptOutcome::lost, "worker w1 silent for 30 s", 1));
    EXPECT_FALSE(store.requeue_trial(trial, 1, AttemptOutcome::lost, "again", 2));  // no double count
    auto pending = store.find_trial(trial);
    EXPECT_EQ(pending->state, TrialState::pending);
    EXPECT_EQ(pending->restarts, 1);
    EXPECT_EQ(pending->attempt, 1);
    EXPECT_EQ(pending->worker_id, "");

    // Attempt 2 resumes at epoch 3, then is preempted (does not use a restart).
    store.start_attempt(trial, 2, "w2");
    store.record_epoch(trial, 2, epoch(3, 0.7, 0.3));
    EXPECT_TRUE(store.requeue_trial(trial, 2, AttemptOutcome::preempted, "SIGUSR2", 1));
    pending = store.find_trial(trial);
    EXPECT_EQ(pending->restarts, 1);
    EXPECT_EQ(pending->preemptions, 1);

    store.start_attempt(trial, 3, "w3");
    store.record_epoch(trial, 3, epoch(4, 0.6, 0.4));
    EXPECT_TRUE(store.record_result(trial, 3, scored_result(config_with(0.001, 32), 0.3, 0.4, 0.75)));

    const auto attempts = store.attempts(trial);
    ASSERT_EQ(attempts.size(), 3u);
    EXPECT_EQ(attempts[0].outcome, AttemptOutcome::lost);
    EXPECT_EQ(attempts[0].message, "worker w1 silent for 30 s");
    EXPECT_EQ(attempts[1].outcome, AttemptOutcome::preempted);
    EXPECT_EQ(attempts[2].outcome, AttemptOutcome::completed);
    // The curve runs across the attempts: 1-2 from attempt 1, 3 from 2, 4 from 3.
    const auto curve = store.trial_curve(trial);
    ASSERT_EQ(curve.size(), 4u);
    EXPECT_DOUBLE_EQ(curve[3].val_loss, 0.6);
    EXPECT_DOUBLE_EQ(*store.find_result(trial)->best_val_loss, 0.6);
    EXPECT_THROW(store.requeue_trial(trial, 3, AttemptOutcome::completed, "x", 0), Error);
}

TEST(ResultsStore, FinishWithoutResult) {
    ResultsStore store(fresh_store_path());
    const auto created = store.create_sweep(submission("fail"), {config_with(0.001, 32), config_with(0.002, 32)});
    store.start_attempt(created.trial_ids[0], 1, "w");
    EXPECT_TRUE(store.finish_trial(created.trial_ids[0], 1, TrialState::failed, "lost 4 times (max_restarts 3)"));
    EXPECT_FALSE(store.finish_trial(created.trial_ids[0], 1, TrialState::cancelled, "late cancel"));
    EXPECT_TRUE(store.finish_trial(created.trial_ids[1], 0, TrialState::cancelled, "sweep cancelled"));
    EXPECT_EQ(store.find_trial(created.trial_ids[0])->state, TrialState::failed);
    EXPECT_EQ(store.attempts(created.trial_ids[0])[0].outcome, AttemptOutcome::failed);
    EXPECT_EQ(store.find_trial(created.trial_ids[1])->state, TrialState::cancelled);
    EXPECT_FALSE(store.find_result(created.trial_ids[0]));
    EXPECT_THROW(store.finish_trial(created.trial_ids[1], 0, TrialState::running, "x"), Error);
}

TEST(ResultsStore, DedupByConfigHashWithinASweep) {
    ResultsStore store(fresh_store_path());
    const auto created = store.create_sweep(submission("dedup"), {config_with(0.001, 32), config_with(0.001, 32)});
    EXPECT_EQ(created.trial_ids.size(), 1u);
    EXPECT_EQ(created.duplicates, 1);
    EXPECT_FALSE(store.add_trial(created.sweep_id, config_with(0.001, 32)));
    const auto added = store.add_trial(created.sweep_id, config_with(0.003, 32));
    ASSERT_TRUE(added);
    EXPECT_EQ(store.find_trial(*added)->trial_index, 1);
    // Another sweep may hold the same config.
    const auto other = store.create_sweep(submission("other"), {config_with(0.001, 32)});
    EXPECT_EQ(other.trial_ids.size(), 1u);
    EXPECT_THROW(store.add_trial(999, config_with(0.001, 32)), Error);
}

TEST(ResultsStore, ReloadsUnfinishedStateAfterARestart) {
    const std::string path = fresh_store_path();
    int64_t sweep_id = 0;
    std::vector<int64_t> ids;
    {
        ResultsStore store(path);
        const auto created = store.create_sweep(submission("reload"),
                                                {config_with(0.001, 8), config_with(0.002, 8), config_with(0.003, 8)});
        sweep_id = created.sweep_id;
        ids = created.trial_ids;
        store.start_attempt(ids[0], 1, "w1");
        store.record_epoch(ids[0], 1, epoch(1, 0.9, 0.1));
        store.record_epoch(ids[0], 1, epoch(2, 0.8, 0.2));
        store.start_attempt(ids[1], 1, "w2");
        store.record_result(ids[1], 1, scored_result(config_with(0.002, 8), 0.2, 0.3, 0.6));
        const auto done = store.create_sweep(submission("done"), {config_with(0.1, 8)});
        store.set_sweep_state(done.sweep_id, SweepState::finished, "all trials final");
    }
    ResultsStore reopened(path);
    const auto sweeps = reopened.unfinished_sweeps();
    ASSERT_EQ(sweeps.size(), 1u);
    EXPECT_EQ(sweeps[0].id, sweep_id);
    const auto trials = reopened.unfinished_trials();
    ASSERT_EQ(trials.size(), 2u);
    EXPECT_EQ(trials[0].id, ids[0]);
    EXPECT_EQ(trials[0].state, TrialState::running);
    EXPECT_EQ(trials[0].worker_id, "w1");
    EXPECT_EQ(trials[0].last_epoch, 2);
    EXPECT_EQ(trials[1].id, ids[2]);
    EXPECT_EQ(trials[1].state, TrialState::pending);

    const auto status = reopened.sweep_status(sweep_id);
    EXPECT_EQ(status.counts.at("running"), 1);
    EXPECT_EQ(status.counts.at("pending"), 1);
    EXPECT_EQ(status.counts.at("completed"), 1);
    EXPECT_EQ(status.counts.at("failed"), 0);
    ASSERT_EQ(status.running.size(), 1u);
    EXPECT_EQ(status.running[0].last_epoch, 2);
    const auto finished = reopened.find_sweep(sweep_id + 1);
    EXPECT_EQ(finished->state, SweepState::finished);
    EXPECT_TRUE(finished->finished_at);
    EXPECT_EQ(finished->message, "all trials final");
}

TEST(ResultsStore, BatchedTransactionCommitsOrRollsBackTogether) {
    ResultsStore store(fresh_store_path());
    const auto created = store.create_sweep(submission("batch"), {config_with(0.001, 8)});
    const int64_t trial = created.trial_ids[0];
    store.start_attempt(trial, 1, "w");
    {
        StoreTransaction transaction(store);
        for (int e = 1; e <= 5; ++e) store.record_epoch(trial, 1, epoch(e, 1.0 / e, 0.1 * e));
        // destroyed without commit: rolled back
    }
    EXPECT_TRUE(store.trial_curve(trial).empty());
    {
        StoreTransaction transaction(store);
        for (int e = 1; e <= 5; ++e) store.record_epoch(trial, 1, epoch(e, 1.0 / e, 0.1 * e));
        store.record_result(trial, 1, scored_result(config_with(0.001, 8), 0.2, 0.3, 0.6, TrialState::completed, 5));
        transaction.commit();
    }
    EXPECT_EQ(store.trial_curve(trial).size(), 5u);
    EXPECT_EQ(store.find_trial(trial)->state, TrialState::completed);
    EXPECT_THROW(store.commit(), Error);
}

TEST(ResultsStore, ReadersWorkWhileAWriterWrites) {
    const std::string path = fresh_store_path();
    ResultsStore writer(path);
    const auto created = writer.create_sweep(submission("wal"), {config_with(0.001, 8), config_with(0.002, 8)});
    writer.start_attempt(created.trial_ids[0], 1, "w");
    writer.record_result(created.trial_ids[0], 1, scored_result(config_with(0.001, 8), 0.2, 0.3, 0.6));

    ResultsStore reader(path, {StoreOpenMode::existing, StoreDurability::full});
    writer.begin();  // holds the write lock with uncommitted work
    writer.start_attempt(created.trial_ids[1], 1, "w");
    writer.record_result(created.trial_ids[1], 1, scored_result(config_with(0.002, 8), 0.5, 0.6, 0.8));
    // The reader is not blocked and sees the last committed state.
    const auto before = reader.leaderboard({created.sweep_id, LeaderboardSort::final_score, 10});
    ASSERT_EQ(before.size(), 1u);
    EXPECT_EQ(before[0].trial_id, created.trial_ids[0]);
    writer.commit();
    const auto after = reader.leaderboard({created.sweep_id, LeaderboardSort::final_score, 10});
    ASSERT_EQ(after.size(), 2u);
    EXPECT_EQ(after[0].trial_id, created.trial_ids[1]);
}

TEST(ResultsStore, PathsAndOpenModes) {
    unsetenv(kStorePathEnvironment);
    EXPECT_EQ(resolve_store_path(""), "results/segsweep.db");
    setenv(kStorePathEnvironment, "/tmp/elsewhere.db", 1);
    EXPECT_EQ(resolve_store_path(""), "/tmp/elsewhere.db");
    EXPECT_EQ(resolve_store_path("mine.db"), "mine.db");
    unsetenv(kStorePathEnvironment);

    const std::string path = fresh_store_path();
    const std::string message = testing::error_message([&] { ResultsStore store(path, {StoreOpenMode::existing}); });
    EXPECT_NE(message.find(path + ": no results store here"), std::string::npos) << message;
    // create mode makes missing folders.
    const std::string nested = std::filesystem::path(path).parent_path().string() + "/a/b/store.db";
    ResultsStore created(nested);
    EXPECT_TRUE(std::filesystem::exists(nested));
}

TEST(ResultsStore, RefusesANewerSchema) {
    const std::string path = fresh_store_path();
    { ResultsStore store(path); }
    {
        SqliteDatabase raw(path, SQLITE_OPEN_READWRITE);
        raw.execute("PRAGMA user_version = 99");
    }
    const std::string message = testing::error_message([&] { ResultsStore store(path); });
    EXPECT_NE(message.find("schema version 99 is newer than this segsweep knows (2)"), std::string::npos) << message;
}

TEST(ResultsStore, EffectiveCurveFollowsResumesAndRestarts) {
    auto row = [](int attempt, int epoch_number, double loss) {
        EpochRecord r;
        r.attempt = attempt;
        r.metrics.epoch = epoch_number;
        r.metrics.val_loss = loss;
        return r;
    };
    // Attempt 2 resumed at epoch 3: epochs 1-2 come from attempt 1.
    auto curve = effective_curve({row(1, 1, 1.0), row(1, 2, 0.9), row(1, 3, 0.8), row(2, 3, 0.7), row(2, 4, 0.6)});
    ASSERT_EQ(curve.size(), 4u);
    EXPECT_EQ(curve[2].attempt, 2);
    EXPECT_DOUBLE_EQ(curve[2].metrics.val_loss, 0.7);
    // Attempt 2 restarted from scratch and reached epoch 2: attempt 1's epochs 3-5 are gone.
    curve = effective_curve(
        {row(1, 1, 1.0), row(1, 2, 0.9), row(1, 3, 0.8), row(1, 4, 0.7), row(2, 1, 1.1), row(2, 2, 1.0)});
    ASSERT_EQ(curve.size(), 2u);
    EXPECT_EQ(curve[0].attempt, 2);
}

TEST(SweepRecords, SubmitStoresTheFileAndItsTrials) {
    ResultsStore store(fresh_store_path());
    const std::string text = R"({"method": "grid", "name": "g", "parameters": {"batch_size": {"values": [8, 16, 8]}}})";
    const auto submitted = submit_sweep_text(store, text, "g.json");
    EXPECT_EQ(submitted.created.trial_ids.size(), 2u);
    const auto sweep = store.find_sweep(submitted.created.sweep_id);
    EXPECT_EQ(sweep->file_text, text);
    EXPECT_EQ(sweep->file_format, "json");
    EXPECT_EQ(sweep->spec["method"], "grid");
    EXPECT_EQ(store.list_trials(sweep->id)[1].config.batch_size, 16);

    // A bad file writes nothing.
    EXPECT_THROW(submit_sweep_text(store, "method: grid\nparameters: {lr: {value: 1}}\n", "bad.yaml"), Error);
    EXPECT_EQ(store.list_sweeps().size(), 1u);
}

TEST(SweepRecords, ResolveSweepByIdOrName) {
    ResultsStore store(fresh_store_path());
    const std::string text = R"({"method": "grid", "name": "g", "parameters": {"batch_size": {"values": [8]}}})";
    const int64_t first = submit_sweep_text(store, text, "g.json").created.sweep_id;
    const int64_t second = submit_sweep_text(store, text, "g.json").created.sweep_id;
    EXPECT_EQ(store.resolve_sweep(std::to_string(first)).id, first);
    EXPECT_EQ(store.resolve_sweep("g").id, second);  // a name: the newest sweep of that name
    // An id too large for int64 is no id (and no name): a clear error, not a parse exception.
    try {
        store.resolve_sweep("99999999999999999999999");
        ADD_FAILURE() << "resolved a sweep that does not exist";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("no sweep '99999999999999999999999'"), std::string::npos) << e.what();
    }
}

TEST(SweepRecords, BayesTrialsAreCreatedOneAtATime) {
    ResultsStore store(fresh_store_path());
    const auto submitted = submit_sweep_text(store, R"({"method": "bayes", "run_cap": 3, "metric": {"name": "val_loss"},
        "parameters": {"learning_rate": {"distribution": "log_uniform_values", "min": 1e-4, "max": 0.1}}})",
                                             "b.json");
    EXPECT_TRUE(submitted.created.trial_ids.empty());
    const BayesSearch search(submitted.spec);
    const int64_t sweep = submitted.created.sweep_id;
    const auto first = add_bayes_trial(store, sweep, search);
    ASSERT_TRUE(first);
    store.start_attempt(*first, 1, "w");
    store.record_epoch(*first, 1, epoch(1, 0.7, 0.2));
    store.record_result(*first, 1, scored_result(store.find_trial(*first)->config, 0.1, 0.2, 0.5));
    const auto second = add_bayes_trial(store, sweep, search);  // the first is an observation now
    const auto third = add_bayes_trial(store, sweep, search);   // the second runs: constant liar
    ASSERT_TRUE(second && third);
    EXPECT_FALSE(add_bayes_trial(store, sweep, search));  // run_cap 3
    const auto observations = search_observations(store, sweep, submitted.spec.metric);
    ASSERT_EQ(observations.size(), 3u);
    EXPECT_TRUE(observations[0].finished);
    EXPECT_DOUBLE_EQ(*observations[0].value, 0.7);  // val_loss: the best of its curve
    EXPECT_FALSE(observations[1].finished);
}

TEST(SweepRecords, EarlyStopperReplaysTheStore) {
    ResultsStore store(fresh_store_path());
    const auto submitted = submit_sweep_text(store, R"({"method": "grid", "metric": {"name": "val_loss"},
        "early_terminate": {"type": "hyperband", "min_iter": 2, "eta": 3},
        "parameters": {"batch_size": {"values": [8, 16]}}})",
                                             "h.json");
    const auto& ids = submitted.created.trial_ids;
    store.start_attempt(ids[0], 1, "w");
    store.record_epoch(ids[0], 1, epoch(1, 1.0, 0.1));
    store.record_epoch(ids[0], 1, epoch(2, 0.5, 0.1));
    store.start_attempt(ids[1], 1, "w");
    store.record_epoch(ids[1], 1, epoch(1, 1.0, 0.1));
    store.record_epoch(ids[1], 1, epoch(2, 0.6, 0.1));
    const EarlyStopper stopper = replay_early_stopper(store, submitted.created.sweep_id, submitted.spec);
    EXPECT_TRUE(stopper.decide(ids[1]).stop);  // band 2: [0.5, 0.6] keeps 1
    EXPECT_FALSE(stopper.decide(ids[0]).stop);
}

TEST(SweepRecords, StandaloneTrainerRun) {
    ResultsStore store(fresh_store_path());
    TrialResult result = scored_result(config_with(0.001, 64, 3), 0.41, 0.55, 0.75, TrialState::stopped_early, 3);
    result.history = {epoch(1, 0.9, 0.2), epoch(2, 0.6, 0.4), epoch(3, 0.7, 0.45)};
    const auto ids = record_standalone_trial(store, result, "train runs/a", "data/quickstart");
    const auto sweep = store.find_sweep(ids.sweep_id);
    EXPECT_EQ(sweep->state, SweepState::finished);
    EXPECT_EQ(sweep->trial_counts.at("stopped_early"), 1);
    EXPECT_EQ(sweep->spec["data"], "data/quickstart");
    EXPECT_EQ(store.trial_curve(ids.trial_id).size(), 3u);
    EXPECT_DOUBLE_EQ(*store.find_result(ids.trial_id)->best_val_loss, 0.6);
    const auto board = store.leaderboard({});
    ASSERT_EQ(board.size(), 1u);
    EXPECT_EQ(board[0].state, "stopped_early");
    EXPECT_EQ(board[0].epochs_run, 3);
    EXPECT_EQ(board[0].config.num_epochs, 3);
    EXPECT_DOUBLE_EQ(*board[0].final_score, 0.41);
}

}  // namespace
}  // namespace segsweep
