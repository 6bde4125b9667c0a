// Status renderings: the STATUS reply of a real Scheduler rendered as text, and the wait progress line.
#include <gtest/gtest.h>

#include "coordinator/scheduler.h"
#include "coordinator/status_view.h"

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

}  // namespace
}  // namespace segsweep::coordinator
