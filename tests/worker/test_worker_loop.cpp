// The worker loop with the real trainer on tiny trials, against a real coordinator on a thread:
// epochs and results reach the store; a cancel is obeyed at the next epoch boundary; a preemption
// checkpoints, reports PREEMPTED (no restart used) and the next worker resumes from the checkpoint;
// after a coordinator restart the worker re-attaches to its running trial instead of it running twice.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "../coordinator/coordinator_fixture.h"
#include "../coordinator/tiny_sweep.h"
#include "common/log.h"
#include "results/results_store.h"
#include "worker/data/synth_dataset.h"
#include "worker/worker_loop.h"

namespace segsweep::testing {
namespace {

constexpr int kTestTimeoutS = 120;  // a tiny trial takes seconds; anything near this is a hang

// The tiny synthetic dataset, written once per test run.
const std::string& tiny_dataset() {
    static const std::string root = [] {
        std::string dir = std::string(SEGSWEEP_TEST_TMP) + "/worker-dataset";
        if (!std::filesystem::exists(dir + "/complete")) {
            std::filesystem::remove_all(dir);
            SynthOptions o;
            o.out = dir;
            o.seed = 3;
            o.train = 16;
            o.validation = 8;
            o.evaluation = 9;
            o.size = 64;
            o.threads = 2;
            synthesize_dataset(o);
            std::ofstream(dir + "/complete") << "ok\n";
        }
        return dir;
    }();
    return root;
}

// A sweep of `trials` tiny trials of `epochs` epochs (different learning rates).
std::string tiny_sweep(int trials, int epochs) {
    nlohmann::json sweep = tiny_sweep_json("worker-test", tiny_dataset(), learning_rate_steps(trials, 0.001), epochs);
    sweep["resources"] = {{"gpus_per_trial", 1}};
    sweep["max_restarts"] = 2;
    return sweep.dump();
}

worker::WorkerOptions worker_options(const CoordinatorThread& c, const std::atomic<bool>* interrupt, bool exit_when_idle) {
    worker::WorkerOptions o;
    o.address = c.address();
    o.security = load_client_security(c.key_dir(), c.address(), false);
    o.threads = 1;
    o.exit_when_idle = exit_when_idle;
    o.interrupt = interrupt;
    o.heartbeat_interval_ms = fast_scheduler_settings().heartbeat_interval_ms;
    o.heartbeat_liveness = fast_scheduler_settings().heartbeat_liveness;
    return o;
}

// Polls until `done` or the timeout; false on timeout.
bool eventually(const std::function<bool()>& done, int timeout_s = kTestTimeoutS) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
    while (std::chrono::steady_clock::now() < deadline) {
        if (done()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
}

int recorded_epochs(const CoordinatorThread& c, int64_t trial_id) {
    ResultsStore store(c.db_path(), {StoreOpenMode::existing, StoreDurability::full});
    return static_cast<int>(store.trial_curve(trial_id).size());
}

class WorkerLoop : public ::testing::Test {
protected:
    void SetUp() override { tiny_dataset(); }
};

TEST_F(WorkerLoop, TrainsEveryTrialAndRecordsEpochsAndResults) {
    CoordinatorThread c(scratch_dir("worker-basic"));
    coordinator::CoordinatorClient client(c.client_options());
    int64_t sweep_id = client.submit(tiny_sweep(2, 2), "worker-test.json")["sweep_id"];
    auto done = std::async(std::launch::async, [&] { return worker::run_worker(worker_options(c, nullptr, true)); });
    ASSERT_EQ(done.wait_for(std::chrono::seconds(kTestTimeoutS)), std::future_status::ready);
    EXPECT_EQ(done.get(), 0);  // left on NO_WORK
    c.stop();

    ResultsStore store(c.db_path(), {StoreOpenMode::existing, StoreDurability::full});
    auto trials = store.list_trials(sweep_id);
    ASSERT_EQ(trials.size(), 2u);
    for (const auto& t : trials) {
        EXPECT_EQ(t.state, TrialState::completed);
        EXPECT_EQ(t.attempt, 1);
        EXPECT_EQ(store.trial_curve(t.id).size(), 2u);
        auto result = store.find_result(t.id);
        ASSERT_TRUE(result.has_value());
        EXPECT_EQ(result->epochs_run, 2);
        EXPECT_TRUE(result->score.has_value());
        EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(c.db_path()).parent_path() / "runs" /
                                            ("sweep-" + std::to_string(sweep_id)) / ("trial-" + std::to_string(t.id)) /
                                            "checkpoint.pt"));
    }
    EXPECT_EQ(store.find_sweep(sweep_id)->state, SweepState::finished);
}

TEST_F(WorkerLoop, CancelIsObeyedAtTheNextEpochBoundary) {
    CoordinatorThread c(scratch_dir("worker-cancel"));
    coordinator::CoordinatorClient client(c.client_options());
    const int planned = 40;
    int64_t sweep_id = client.submit(tiny_sweep(1, planned), "worker-test.json")["sweep_id"];
    auto done = std::async(std::launch::async, [&] { return worker::run_worker(worker_options(c, nullptr, true)); });
    int64_t trial_id = 0;
    ASSERT_TRUE(eventually([&] {
        auto running = client.status(sweep_id)["running"];
        if (running.empty() || running[0]["epoch"].get<int>() < 1) return false;
        trial_id = running[0]["trial_id"];
        return true;
    }));
    client.cancel_trial(trial_id);
    ASSERT_EQ(done.wait_for(std::chrono::seconds(kTestTimeoutS)), std::future_status::ready);
    EXPECT_EQ(done.get(), 0);
    c.stop();
    ResultsStore store(c.db_path(), {StoreOpenMode::existing, StoreDurability::full});
    auto trial = store.find_trial(trial_id);
    ASSERT_TRUE(trial.has_value());
    EXPECT_EQ(trial->state, TrialState::cancelled);
    auto result = store.find_result(trial_id);
    ASSERT_TRUE(result.has_value());
    EXPECT_GE(result->epochs_run, 1);
    EXPECT_LT(result->epochs_run, planned);
}

TEST_F(WorkerLoop, PreemptionCheckpointsRequeuesWithoutARestartAndResumes) {
    CoordinatorThread c(scratch_dir("worker-preempt"));
    coordinator::CoordinatorClient client(c.client_options());
    // Enough epochs that the status poll (every 100 ms) sees the trial running, even on a loaded machine.
    const int planned = 60;
    int64_t sweep_id = client.submit(tiny_sweep(1, planned), "worker-test.json")["sweep_id"];
    std::atomic<bool> interrupt{false};
    auto first = std::async(std::launch::async, [&] { return worker::run_worker(worker_options(c, &interrupt, false)); });
    int64_t trial_id = 0;
    const bool seen_running = eventually([&] {
        auto running = client.status(sweep_id)["running"];
        if (running.empty() || running[0]["epoch"].get<int>() < 2) return false;
        trial_id = running[0]["trial_id"];
        return true;
    });
    interrupt = true;  // what SIGUSR2 / SIGTERM do; also on failure, as this worker never leaves on its own
    ASSERT_TRUE(seen_running);
    ASSERT_EQ(first.wait_for(std::chrono::seconds(kTestTimeoutS)), std::future_status::ready);
    EXPECT_EQ(first.get(), 0);
    {
        nlohmann::json status = client.status(sweep_id);
        EXPECT_EQ(status["sweeps"][0]["counts"]["pending"], 1);
    }
    int checkpointed = recorded_epochs(c, trial_id);
    EXPECT_GE(checkpointed, 2);

    EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(c.db_path()).parent_path() / "runs" /
                                        ("sweep-" + std::to_string(sweep_id)) / ("trial-" + std::to_string(trial_id)) /
                                        "checkpoint.pt"));

    ::testing::internal::CaptureStderr();  // the trainer says where it resumes
    auto second = std::async(std::launch::async, [&] { return worker::run_worker(worker_options(c, nullptr, true)); });
    bool finished = second.wait_for(std::chrono::seconds(kTestTimeoutS)) == std::future_status::ready;
    std::string log = ::testing::internal::GetCapturedStderr();
    ASSERT_TRUE(finished);
    EXPECT_EQ(second.get(), 0);
    c.stop();
    EXPECT_NE(log.find("resuming"), std::string::npos) << log;
    EXPECT_NE(log.find("after epoch " + std::to_string(checkpointed)), std::string::npos) << log;

    ResultsStore store(c.db_path(), {StoreOpenMode::existing, StoreDurability::full});
    auto trial = store.find_trial(trial_id);
    ASSERT_TRUE(trial.has_value());
    EXPECT_EQ(trial->state, TrialState::completed);
    EXPECT_EQ(trial->attempt, 2);
    EXPECT_EQ(trial->restarts, 0);
    EXPECT_EQ(trial->preemptions, 1);
    auto attempts = store.attempts(trial_id);
    ASSERT_EQ(attempts.size(), 2u);
    EXPECT_EQ(attempts[0].outcome, AttemptOutcome::preempted);
    EXPECT_EQ(store.trial_curve(trial_id).size(), static_cast<size_t>(planned));
    EXPECT_EQ(store.find_result(trial_id)->epochs_run, planned);
}

TEST_F(WorkerLoop, ReattachesAfterACoordinatorRestart) {
    std::string dir = scratch_dir("worker-restart");
    // A fixed port, so the worker finds the restarted coordinator at the same address.
    std::string listen;
    {
        zmq::context_t probe_context;
        zmq::socket_t probe(probe_context, zmq::socket_type::router);
        probe.bind("tcp://127.0.0.1:*");
        listen = probe.get(zmq::sockopt::last_endpoint);
    }
    auto first = std::make_unique<CoordinatorThread>(dir, listen);
    coordinator::CoordinatorClient client(first->client_options());
    // Enough epochs that the trial is still running when the coordinator comes back, even when the
    // status poll is slow on a loaded machine.
    const int planned = 300;
    int64_t sweep_id = client.submit(tiny_sweep(1, planned), "worker-test.json")["sweep_id"];
    auto done = std::async(std::launch::async, [&] { return worker::run_worker(worker_options(*first, nullptr, true)); });
    int64_t trial_id = 0;
    ASSERT_TRUE(eventually([&] {
        auto running = client.status(sweep_id)["running"];
        if (running.empty() || running[0]["epoch"].get<int>() < 2) return false;
        trial_id = running[0]["trial_id"];
        return true;
    }));
    first.reset();  // the coordinator goes away mid-trial...
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    CoordinatorThread second(dir, listen);  // ...and comes back on the same store
    ASSERT_EQ(done.wait_for(std::chrono::seconds(kTestTimeoutS)), std::future_status::ready);
    EXPECT_EQ(done.get(), 0);
    second.stop();

    ResultsStore store(second.db_path(), {StoreOpenMode::existing, StoreDurability::full});
    auto trial = store.find_trial(trial_id);
    ASSERT_TRUE(trial.has_value());
    EXPECT_EQ(trial->state, TrialState::completed);
    EXPECT_EQ(trial->attempt, 1);  // re-attached: never ran twice
    EXPECT_EQ(trial->restarts, 0);
    EXPECT_EQ(store.attempts(trial_id).size(), 1u);
    EXPECT_EQ(store.trial_curve(trial_id).size(), static_cast<size_t>(planned));
}

}  // namespace
}  // namespace segsweep::testing
