// Status renderings: the STATUS reply of a real Scheduler rendered as text, the wait progress line,
// and the STATUS built from a results store (`segsweep status --db`).
#include <gtest/gtest.h>

#include <filesystem>

#include "common/error.h"
#include "coordinator/scheduler.h"
#include "coordinator/status_view.h"
#include "coordinator/stored_status.h"
#include "results/sweep_records.h"

namespace segsweep::coordinator {
namespace {

TEST(StatusView, RendersCountsRunningTrialsAndWorkers) {
    Scheduler s;
    SweepEntry sweep;
    sweep.sweep_id = 3;
    sweep.name = "quickstart";
    s.add_sweep(sweep);
    for (int64_t id : {1, 2, 3}) {
        TrialEntry t;
        t.trial_id = id;
        t.sweep_id = 3;
        t.config.num_epochs = 5;
        s.add_trial(t, 0);
    }
    protocol::Hello h;
    h.worker_id = "node1:42:beef";
    h.host = "node1";
    s.on_hello(h, 0);
    s.on_ready(h.worker_id, 0);
    protocol::EpochReport e;
    e.trial_id = 1;
    e.attempt = 1;
    e.metrics.epoch = 2;
    e.metrics.seconds = 10;
    s.on_epoch(h.worker_id, e, 1000);

    nlohmann::json status = s.status_json(std::nullopt, 1000);
    status["worker_list"] = s.workers_json(1000)["workers"];
    std::string text = status_text(status);
    EXPECT_NE(text.find("sweep 3 'quickstart' (running): 3 trials: 2 pending, 1 running"), std::string::npos) << text;
    EXPECT_NE(text.find("epoch 2/5"), std::string::npos) << text;
    EXPECT_NE(text.find("eta 30s"), std::string::npos) << text;
    EXPECT_NE(text.find("node1:42:beef"), std::string::npos) << text;
    EXPECT_NE(text.find("workers: 1 (1 busy, 0 idle)"), std::string::npos) << text;

    auto entry = sweep_of_status(status, 3);
    ASSERT_TRUE(entry.has_value());
    EXPECT_EQ(finished_trials(*entry), 0);
    EXPECT_EQ(progress_line(*entry, std::nullopt, "final_score", 10), "[..........] 0/3 trials final, 1 running");
    EXPECT_FALSE(sweep_of_status(status, 4).has_value());
}

TEST(StatusView, ProgressAndFinalCounts) {
    nlohmann::json sweep = {{"trials", 4},
                            {"counts", {{"completed", 2}, {"failed", 1}, {"running", 1}, {"pending", 0}}}};
    EXPECT_EQ(finished_trials(sweep), 3);
    EXPECT_EQ(progress_line(sweep, 0.41234, "final_score", 8),
              "[######..] 3/4 trials final, 1 running, best final_score 0.4123");
    EXPECT_EQ(final_counts_text(sweep), "2 completed, 1 failed");
}

// `segsweep status --db`: the same rendering from a store, with the trial the store has as running
// (its last epoch of planned and its worker) and no workers line.
TEST(StatusView, StatusFromTheStoreShowsCountsAndTheTrialsRecordedAsRunning) {
    const std::string path = std::string(SEGSWEEP_TEST_TMP) + "/stored-status.db";
    std::filesystem::remove(path);
    ResultsStore store(path);
    const auto submitted = submit_sweep_text(
        store, R"({"method": "grid", "name": "overnight", "parameters": {"batch_size": {"values": [8, 16]},
                   "num_epochs": {"value": 20}}})",
        "overnight.json");
    const int64_t trial = submitted.created.trial_ids[0];
    ASSERT_TRUE(store.start_attempt(trial, 1, "node7:99:abcd"));
    for (int e = 1; e <= 5; ++e) {
        EpochMetrics m;
        m.epoch = e;
        m.val_loss = 1.0 / e;
        store.record_epoch(trial, 1, m);
    }
    const nlohmann::json data = stored_status_json(store, std::nullopt);  // every running sweep
    ASSERT_EQ(data["sweeps"].size(), 1u);
    EXPECT_EQ(data["sweeps"][0]["counts"]["running"], 1);
    EXPECT_EQ(data["sweeps"][0]["counts"]["pending"], 1);
    const std::string text = status_text(data);
    EXPECT_NE(text.find("sweep " + std::to_string(submitted.created.sweep_id) +
                        " 'overnight' (running): 2 trials: 1 pending, 1 running"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("attempt 1  epoch 5/20"), std::string::npos) << text;
    EXPECT_NE(text.find("worker node7:99:abcd"), std::string::npos) << text;
    EXPECT_EQ(text.find("workers:"), std::string::npos) << text;
    EXPECT_THROW(stored_status_json(store, 9999), Error);
}

}  // namespace
}  // namespace segsweep::coordinator
