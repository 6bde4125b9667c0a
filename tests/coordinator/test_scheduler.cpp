// Scheduler units: assignment by resources, requeue with attempt+1 after a lost lease, max_restarts,
// preemption without a restart, re-attach instead of a duplicate, exactly-once results, epoch dedup,
// cancel, reload after a coordinator restart, NO_WORK, and the early-stopping seam.
#include <gtest/gtest.h>

#include <string>

#include "coordinator/scheduler.h"

namespace segsweep::coordinator {
namespace {

using protocol::MessageType;

constexpr int kInterval = 100;  // ms, short settings so the arithmetic below stays readable
constexpr int kLiveness = 3;
constexpr int kLeaseGrace = 1000;
constexpr int kRestartGrace = 2000;

SchedulerSettings test_settings() {
    SchedulerSettings s;
    s.heartbeat_interval_ms = kInterval;
    s.heartbeat_liveness = kLiveness;
    s.lease_grace_ms = kLeaseGrace;
    s.restart_grace_ms = kRestartGrace;
    return s;
}

protocol::Hello hello(const std::string& id, int ranks = 1, int gpus = 0) {
    protocol::Hello h;
    h.worker_id = id;
    h.host = "host-" + id;
    h.pid = 1;
    h.ranks = ranks;
    h.gpus = gpus;
    h.cpu_threads = 2;
    return h;
}

SweepEntry sweep(int64_t id, int max_restarts = 2, TrialNeeds needs = {}) {
    SweepEntry s;
    s.sweep_id = id;
    s.name = "sweep" + std::to_string(id);
    s.max_restarts = max_restarts;
    s.needs = needs;
    return s;
}

TrialEntry trial(int64_t id, int64_t sweep_id, TrialState state = TrialState::pending) {
    TrialEntry t;
    t.trial_id = id;
    t.sweep_id = sweep_id;
    t.state = state;
    t.trial_dir = "/runs/trial-" + std::to_string(id);
    t.config.num_epochs = 4;
    return t;
}

int count_writes(const SchedulerOutput& out, StoreWrite::Kind kind) {
    int n = 0;
    for (const auto& w : out.writes)
        if (w.kind == kind) ++n;
    return n;
}

// The messages of one type to one worker.
std::vector<nlohmann::json> sent(const SchedulerOutput& out, const std::string& worker, MessageType type) {
    std::vector<nlohmann::json> bodies;
    for (const auto& m : out.messages)
        if (m.worker_id == worker && m.type == type) bodies.push_back(m.body);
    return bodies;
}

protocol::EpochReport epoch(int64_t trial_id, int attempt, int n) {
    protocol::EpochReport e;
    e.trial_id = trial_id;
    e.attempt = attempt;
    e.metrics.epoch = n;
    e.metrics.seconds = 2;
    return e;
}

protocol::ResultReport result(int64_t trial_id, int attempt, TrialState state = TrialState::completed) {
    protocol::ResultReport r;
    r.trial_id = trial_id;
    r.attempt = attempt;
    r.result.state = state;
    r.result.epochs_run = 4;
    return r;
}

TEST(Scheduler, AssignsByResourcesBestFit) {
    Scheduler s(test_settings());
    s.add_sweep(sweep(1, 2, {1, 0}));
    s.add_sweep(sweep(2, 2, {2, 2}));
    s.add_sweep(sweep(3, 2, {4, 4}));
    s.add_trial(trial(10, 2), 0);  // needs 2 GPUs
    s.add_trial(trial(11, 1), 0);  // CPU only
    s.add_trial(trial(12, 3), 0);  // needs 4 GPUs: nobody fits
    s.on_hello(hello("gpu", 2, 2), 0);
    s.on_hello(hello("cpu", 1, 0), 0);
    s.on_ready("gpu", 0);  // the GPU worker asks first
    s.on_ready("cpu", 0);
    SchedulerOutput out = s.take_output();
    auto to_gpu = sent(out, "gpu", MessageType::trial);
    auto to_cpu = sent(out, "cpu", MessageType::trial);
    ASSERT_EQ(to_gpu.size(), 1u);
    ASSERT_EQ(to_cpu.size(), 1u);
    EXPECT_EQ(to_gpu[0]["trial_id"], 10);
    EXPECT_EQ(to_cpu[0]["trial_id"], 11);
    EXPECT_EQ(s.find_trial(12)->state, TrialState::pending);
    EXPECT_EQ(count_writes(out, StoreWrite::Kind::attempt_started), 2);
}

TEST(Scheduler, SmallTrialLeavesTheBigWorkerFree) {
    Scheduler s(test_settings());
    s.add_sweep(sweep(1, 2, {1, 0}));
    s.add_trial(trial(10, 1), 0);
    s.on_hello(hello("gpu", 2, 2), 0);
    s.on_hello(hello("cpu", 1, 0), 0);
    s.on_ready("gpu", 0);
    s.take_output();  // gpu got trial 10: it was the only ready worker
    s.add_trial(trial(11, 1), 0);
    s.on_ready("cpu", 0);
    auto out = s.take_output();
    EXPECT_EQ(sent(out, "cpu", MessageType::trial).size(), 1u);
}

TEST(Scheduler, TrialIsDurableBeforeItIsSent) {
    Scheduler s(test_settings());
    s.add_sweep(sweep(1));
    s.add_trial(trial(10, 1), 0);
    s.on_hello(hello("w"), 0);
    s.on_ready("w", 0);
    auto out = s.take_output();
    ASSERT_EQ(count_writes(out, StoreWrite::Kind::attempt_started), 1);
    for (const auto& m : out.messages) {
        if (m.type == MessageType::trial) {
            EXPECT_TRUE(m.durable);
            EXPECT_EQ(m.body["attempt"], 1);
            EXPECT_EQ(m.body["resume"], false);
        }
    }
    EXPECT_EQ(s.find_trial(10)->state, TrialState::running);
}

TEST(Scheduler, LostWorkerKeepsLeaseThenTrialRequeuesWithNextAttempt) {
    Scheduler s(test_settings());
    s.add_sweep(sweep(1, 2));
    s.add_trial(trial(10, 1), 0);
    s.on_hello(hello("a"), 0);
    s.on_ready("a", 0);
    s.take_output();

    s.tick(kInterval * kLiveness + 1);  // silent past liveness: dropped from the pool
    EXPECT_FALSE(s.knows_worker("a"));
    EXPECT_EQ(s.find_trial(10)->state, TrialState::running);  // the lease still holds

    s.tick(kLeaseGrace + 1);  // silent past the lease grace
    auto out = s.take_output();
    EXPECT_EQ(s.find_trial(10)->state, TrialState::pending);
    EXPECT_EQ(s.find_trial(10)->restarts, 1);
    EXPECT_EQ(count_writes(out, StoreWrite::Kind::trial_requeued), 1);

    s.on_hello(hello("b"), kLeaseGrace + 2);
    s.on_ready("b", kLeaseGrace + 2);
    auto trials = sent(s.take_output(), "b", MessageType::trial);
    ASSERT_EQ(trials.size(), 1u);
    EXPECT_EQ(trials[0]["attempt"], 2);
    EXPECT_EQ(trials[0]["resume"], true);
}

TEST(Scheduler, HeartbeatsKeepTheLease) {
    Scheduler s(test_settings());
    s.add_sweep(sweep(1));
    s.add_trial(trial(10, 1), 0);
    s.on_hello(hello("a"), 0);
    s.on_ready("a", 0);
    for (int64_t t = kInterval; t <= 5 * kLeaseGrace; t += kInterval) {
        s.on_heartbeat("a", t);
        s.tick(t);
    }
    EXPECT_EQ(s.find_trial(10)->state, TrialState::running);
    EXPECT_EQ(s.find_trial(10)->attempt, 1);
    // The coordinator heartbeats its workers too.
    EXPECT_FALSE(sent(s.take_output(), "a", MessageType::heartbeat).empty());
}

TEST(Scheduler, MaxRestartsThenFailed) {
    Scheduler s(test_settings());
    s.add_sweep(sweep(1, /*max_restarts=*/1));
    s.add_trial(trial(10, 1), 0);
    int64_t now = 0;
    for (int round = 0; round < 2; ++round) {
        std::string w = std::string("w").append(std::to_string(round));
        s.on_hello(hello(w), now);
        s.on_ready(w, now);
        now += kLeaseGrace + 1;
        s.tick(now);
    }
    auto out = s.take_output();
    const TrialEntry* t = s.find_trial(10);
    EXPECT_EQ(t->state, TrialState::failed);
    EXPECT_EQ(t->restarts, 2);
    EXPECT_EQ(t->attempt, 2);
    EXPECT_EQ(count_writes(out, StoreWrite::Kind::trial_finished), 1);
    EXPECT_NE(t->message.find("max_restarts 1"), std::string::npos);
}

TEST(Scheduler, PreemptionDoesNotUseARestart) {
    Scheduler s(test_settings());
    s.add_sweep(sweep(1, /*max_restarts=*/0));
    s.add_trial(trial(10, 1), 0);
    for (int attempt = 1; attempt <= 3; ++attempt) {
        std::string w = std::string("w").append(std::to_string(attempt));
        s.on_hello(hello(w), attempt);
        s.on_ready(w, attempt);
        s.on_preempted(w, protocol::Preempted{10, attempt, 2, "SIGUSR2"}, attempt);
        auto acks = sent(s.take_output(), w, MessageType::ack);
        ASSERT_EQ(acks.size(), 1u);
        EXPECT_EQ(acks[0]["recorded"], true);
        EXPECT_EQ(s.find_trial(10)->state, TrialState::pending);
    }
    EXPECT_EQ(s.find_trial(10)->restarts, 0);
    EXPECT_EQ(s.find_trial(10)->preemptions, 3);
    s.on_hello(hello("last"), 10);
    s.on_ready("last", 10);
    auto trials = sent(s.take_output(), "last", MessageType::trial);
    ASSERT_EQ(trials.size(), 1u);
    EXPECT_EQ(trials[0]["attempt"], 4);
    EXPECT_EQ(trials[0]["resume"], true);
}

TEST(Scheduler, ReturningWorkerReattachesInsteadOfADuplicate) {
    Scheduler s(test_settings());
    s.add_sweep(sweep(1));
    s.add_trial(trial(10, 1), 0);
    s.on_hello(hello("a"), 0);
    s.on_ready("a", 0);
    s.on_hello(hello("b"), 0);
    s.on_ready("b", 0);  // b waits: only one trial
    s.take_output();
    s.on_heartbeat("b", kInterval * kLiveness + 1);
    s.tick(kInterval * kLiveness + 1);  // a dropped, its lease kept
    ASSERT_FALSE(s.knows_worker("a"));

    protocol::Hello again = hello("a");
    again.running = protocol::RunningTrial{10, 1, 2};
    s.on_hello(again, kLeaseGrace / 2);
    s.on_heartbeat("b", kLeaseGrace / 2);
    s.tick(kLeaseGrace / 2);
    auto out = s.take_output();
    EXPECT_TRUE(sent(out, "b", MessageType::trial).empty());  // no duplicate
    EXPECT_TRUE(sent(out, "a", MessageType::stop).empty());
    EXPECT_EQ(s.find_trial(10)->worker_id, "a");
    EXPECT_EQ(s.find_trial(10)->attempt, 1);

    s.on_epoch("a", epoch(10, 1, 3), kLeaseGrace / 2 + 1);
    EXPECT_EQ(sent(s.take_output(), "a", MessageType::proceed).size(), 1u);
}

TEST(Scheduler, StaleWorkerIsStoppedAndItsResultIsNotRecorded) {
    Scheduler s(test_settings());
    s.add_sweep(sweep(1));
    s.add_trial(trial(10, 1), 0);
    s.on_hello(hello("a"), 0);
    s.on_ready("a", 0);
    s.tick(kLeaseGrace + 1);  // a silent: requeued
    s.on_hello(hello("b"), kLeaseGrace + 2);
    s.on_ready("b", kLeaseGrace + 2);  // b runs attempt 2
    s.take_output();

    protocol::Hello back = hello("a");
    back.running = protocol::RunningTrial{10, 1, 3};
    s.on_hello(back, kLeaseGrace + 3);
    auto out = s.take_output();
    auto stops = sent(out, "a", MessageType::stop);
    ASSERT_EQ(stops.size(), 1u);
    EXPECT_EQ(stops[0]["reason"], protocol::kStopReasonStale);

    s.on_epoch("a", epoch(10, 1, 4), kLeaseGrace + 4);
    s.on_result("a", result(10, 1), kLeaseGrace + 5);
    out = s.take_output();
    EXPECT_EQ(count_writes(out, StoreWrite::Kind::epoch_reported), 0);
    EXPECT_EQ(count_writes(out, StoreWrite::Kind::result_reported), 0);
    auto acks = sent(out, "a", MessageType::ack);
    ASSERT_EQ(acks.size(), 1u);
    EXPECT_EQ(acks[0]["recorded"], false);
    EXPECT_EQ(s.find_trial(10)->worker_id, "b");
}

TEST(Scheduler, ResultIsRecordedExactlyOnce) {
    Scheduler s(test_settings());
    s.add_sweep(sweep(1));
    s.add_trial(trial(10, 1), 0);
    s.on_hello(hello("a"), 0);
    s.on_ready("a", 0);
    s.take_output();
    s.on_result("a", result(10, 1), 5);
    s.on_result("a", result(10, 1), 6);  // resent: the first ACK was lost
    auto out = s.take_output();
    EXPECT_EQ(count_writes(out, StoreWrite::Kind::result_reported), 1);
    auto acks = sent(out, "a", MessageType::ack);
    ASSERT_EQ(acks.size(), 2u);
    EXPECT_EQ(acks[0]["recorded"], true);
    EXPECT_EQ(acks[1]["recorded"], true);
    EXPECT_EQ(acks[1]["note"], "already recorded");
    EXPECT_EQ(s.find_trial(10)->state, TrialState::completed);
    EXPECT_EQ(s.unfinished_count(), 0u);
}

TEST(Scheduler, RepeatedEpochIsRecordedOnceAndAnsweredAgain) {
    Scheduler s(test_settings());
    s.add_sweep(sweep(1));
    s.add_trial(trial(10, 1), 0);
    s.on_hello(hello("a"), 0);
    s.on_ready("a", 0);
    s.take_output();
    s.on_epoch("a", epoch(10, 1, 1), 1);
    s.on_epoch("a", epoch(10, 1, 1), 2);
    s.on_epoch("a", epoch(10, 1, 2), 3);
    auto out = s.take_output();
    EXPECT_EQ(count_writes(out, StoreWrite::Kind::epoch_reported), 2);
    EXPECT_EQ(sent(out, "a", MessageType::proceed).size(), 3u);
    EXPECT_EQ(s.find_trial(10)->last_epoch, 2);
}

TEST(Scheduler, FailedAttemptIsRetriedUntilMaxRestarts) {
    Scheduler s(test_settings());
    s.add_sweep(sweep(1, /*max_restarts=*/1));
    s.add_trial(trial(10, 1), 0);
    s.on_hello(hello("a"), 0);
    s.on_ready("a", 0);
    s.on_result("a", result(10, 1, TrialState::failed), 1);
    EXPECT_EQ(s.find_trial(10)->state, TrialState::pending);
    s.on_ready("a", 2);
    s.on_result("a", result(10, 2, TrialState::failed), 3);
    auto out = s.take_output();
    EXPECT_EQ(s.find_trial(10)->state, TrialState::failed);
    EXPECT_EQ(count_writes(out, StoreWrite::Kind::result_reported), 1);  // the last failure is the result
}

TEST(Scheduler, CancelPendingRunningAndSweep) {
    Scheduler s(test_settings());
    s.add_sweep(sweep(1));
    s.add_trial(trial(10, 1), 0);
    s.add_trial(trial(11, 1), 0);
    s.add_trial(trial(12, 1), 0);
    s.on_hello(hello("a"), 0);
    s.on_ready("a", 0);  // a runs trial 10
    s.take_output();

    CancelOutcome one = s.cancel_trial(11, 1);
    EXPECT_TRUE(one.found);
    EXPECT_EQ(one.cancelled_pending, 1);
    EXPECT_EQ(s.find_trial(11)->state, TrialState::cancelled);

    CancelOutcome all = s.cancel_sweep(1, 2);
    EXPECT_EQ(all.cancelled_pending, 1);  // trial 12
    EXPECT_EQ(all.stopping_running, 1);   // trial 10
    EXPECT_EQ(all.already_final, 1);      // trial 11
    auto out = s.take_output();
    auto stops = sent(out, "a", MessageType::stop);
    ASSERT_EQ(stops.size(), 1u);
    EXPECT_EQ(stops[0]["reason"], protocol::kStopReasonCancel);

    s.on_result("a", result(10, 1, TrialState::cancelled), 3);
    EXPECT_EQ(s.find_trial(10)->state, TrialState::cancelled);
    EXPECT_TRUE(s.sweep_done(1));
    EXPECT_FALSE(s.cancel_trial(99, 4).found);
}

TEST(Scheduler, CancelledTrialWhoseWorkerVanishesIsCancelledNotRequeued) {
    Scheduler s(test_settings());
    s.add_sweep(sweep(1));
    s.add_trial(trial(10, 1), 0);
    s.on_hello(hello("a"), 0);
    s.on_ready("a", 0);
    s.cancel_trial(10, 1);
    s.tick(kLeaseGrace + 2);
    EXPECT_EQ(s.find_trial(10)->state, TrialState::cancelled);
}

TEST(Scheduler, RestartReloadWaitsForReattachThenRequeues) {
    Scheduler s(test_settings());
    s.add_sweep(sweep(1));
    TrialEntry running = trial(10, 1, TrialState::running);
    running.attempt = 1;
    TrialEntry orphan = trial(11, 1, TrialState::running);
    orphan.attempt = 2;
    s.add_trial(running, 0);
    s.add_trial(orphan, 0);
    s.add_trial(trial(12, 1), 0);
    TrialEntry done = trial(13, 1, TrialState::completed);
    done.attempt = 1;
    done.result_attempt = 1;
    s.add_trial(done, 0);
    EXPECT_EQ(s.unfinished_count(), 3u);

    protocol::Hello back = hello("a");
    back.running = protocol::RunningTrial{10, 1, 1};
    s.on_hello(back, 100);  // re-attaches: the lease was unowned after the restart
    EXPECT_EQ(s.find_trial(10)->worker_id, "a");

    s.on_heartbeat("a", kRestartGrace + 1);
    s.tick(kRestartGrace + 1);  // nobody claimed trial 11 in time
    EXPECT_EQ(s.find_trial(11)->state, TrialState::pending);
    EXPECT_EQ(s.find_trial(10)->state, TrialState::running);

    // A late duplicate RESULT of a trial finished before the restart is acknowledged, not stored.
    s.on_result("a", result(13, 1), kRestartGrace + 2);
    auto out = s.take_output();
    EXPECT_EQ(count_writes(out, StoreWrite::Kind::result_reported), 0);
    auto acks = sent(out, "a", MessageType::ack);
    ASSERT_EQ(acks.size(), 1u);
    EXPECT_EQ(acks[0]["recorded"], true);
}

TEST(Scheduler, NoWorkOnceEverythingIsFinal) {
    Scheduler s(test_settings());
    s.add_sweep(sweep(1));
    s.add_trial(trial(10, 1), 0);
    s.on_hello(hello("a"), 0);
    s.on_hello(hello("b"), 0);
    s.on_ready("a", 0);
    s.on_ready("b", 0);
    auto out = s.take_output();
    EXPECT_TRUE(sent(out, "b", MessageType::no_work).empty());  // trial 10 may still come back
    s.on_result("a", result(10, 1), 1);
    s.on_ready("a", 2);
    out = s.take_output();
    EXPECT_EQ(sent(out, "a", MessageType::no_work).size(), 1u);
    EXPECT_EQ(sent(out, "b", MessageType::no_work).size(), 1u);
}

TEST(Scheduler, OutOfOrderMessagesChangeNothing) {
    Scheduler s(test_settings());
    s.add_sweep(sweep(1));
    s.add_trial(trial(10, 1), 0);
    s.on_hello(hello("a"), 0);
    s.on_hello(hello("b"), 0);
    s.on_ready("a", 0);
    s.take_output();
    s.on_epoch("b", epoch(10, 1, 1), 1);       // not the lease holder
    s.on_epoch("a", epoch(10, 7, 1), 1);       // wrong attempt
    s.on_epoch("a", epoch(99, 1, 1), 1);       // unknown trial
    s.on_result("b", result(10, 1), 1);        // not the lease holder
    s.on_preempted("b", protocol::Preempted{10, 1, 0, "SIGTERM"}, 1);
    auto out = s.take_output();
    EXPECT_TRUE(out.writes.empty());
    EXPECT_EQ(s.find_trial(10)->state, TrialState::running);
    EXPECT_EQ(s.find_trial(10)->worker_id, "a");
}

TEST(Scheduler, ReadyWhileHoldingATrialLosesTheAttempt) {
    Scheduler s(test_settings());
    s.add_sweep(sweep(1));
    s.add_trial(trial(10, 1), 0);
    s.on_hello(hello("a"), 0);
    s.on_ready("a", 0);
    s.on_ready("a", 1);  // the worker no longer runs it (it restarted its trainer)
    auto out = s.take_output();
    EXPECT_EQ(count_writes(out, StoreWrite::Kind::trial_requeued), 1);
    EXPECT_EQ(s.find_trial(10)->restarts, 1);
    // ... and the same worker is given the trial again as attempt 2.
    auto trials = sent(out, "a", MessageType::trial);
    ASSERT_EQ(trials.size(), 2u);
    EXPECT_EQ(trials[1]["attempt"], 2);
}

TEST(Scheduler, ByeWhileHoldingATrialRequeuesWithoutARestart) {
    Scheduler s(test_settings());
    s.add_sweep(sweep(1, /*max_restarts=*/0));
    s.add_trial(trial(10, 1), 0);
    s.on_hello(hello("a"), 0);
    s.on_ready("a", 0);
    s.on_bye("a", "SIGTERM", 1);  // a signal raced with the assignment
    auto out = s.take_output();
    EXPECT_FALSE(s.knows_worker("a"));
    EXPECT_EQ(s.find_trial(10)->state, TrialState::pending);
    EXPECT_EQ(s.find_trial(10)->restarts, 0);
    ASSERT_EQ(count_writes(out, StoreWrite::Kind::trial_requeued), 1);
    for (const auto& w : out.writes) {
        if (w.kind == StoreWrite::Kind::trial_requeued) {
            EXPECT_TRUE(w.preempted);
        }
    }
}

TEST(Scheduler, SweepIsDoneOnceEveryTrialIsFinal) {
    Scheduler s(test_settings());
    s.add_sweep(sweep(1));
    s.add_trial(trial(10, 1), 0);
    s.add_trial(trial(11, 1), 0);
    s.on_hello(hello("a"), 0);
    s.on_ready("a", 0);
    s.on_result("a", result(10, 1), 1);
    EXPECT_FALSE(s.sweep_done(1));
    s.on_ready("a", 2);
    s.on_result("a", result(11, 1, TrialState::diverged), 3);
    auto out = s.take_output();
    EXPECT_TRUE(s.sweep_done(1));
    ASSERT_EQ(count_writes(out, StoreWrite::Kind::sweep_done), 1);
    for (const auto& w : out.writes) {
        if (w.kind == StoreWrite::Kind::sweep_done) {
            EXPECT_EQ(w.sweep_state, "finished");
        }
    }

    // An open (bayes) sweep is not done while more trials may come.
    SweepEntry open = sweep(2);
    open.open = true;
    s.add_sweep(open);
    s.check_sweeps_done();
    EXPECT_FALSE(s.sweep_done(2));
    s.close_sweep(2);
    EXPECT_TRUE(s.sweep_done(2));
}

TEST(Scheduler, EpochJudgeStopsATrialAndTargetFinishesTheSweep) {
    Scheduler s(test_settings());
    s.set_epoch_judge([](const SweepEntry&, const TrialEntry& t, const EpochMetrics& m, std::string& why) {
        if (t.trial_id == 10 && m.epoch == 2) {
            why = "scripted stop of trial 10";
            return EpochVerdict::stop_trial;
        }
        if (t.trial_id == 11 && m.epoch == 1) {
            why = "scripted target of trial 11";
            return EpochVerdict::finish_sweep;
        }
        return EpochVerdict::proceed;
    });
    s.add_sweep(sweep(1));
    for (int64_t id : {10, 11, 12, 13}) s.add_trial(trial(id, 1), 0);
    s.on_hello(hello("a"), 0);
    s.on_hello(hello("b"), 0);
    s.on_hello(hello("c"), 0);
    s.on_ready("a", 0);  // 10
    s.on_ready("b", 0);  // 11
    s.on_ready("c", 0);  // 12
    s.take_output();
    s.on_epoch("a", epoch(10, 1, 1), 1);
    s.on_epoch("a", epoch(10, 1, 2), 2);
    auto out = s.take_output();
    EXPECT_EQ(sent(out, "a", MessageType::proceed).size(), 1u);
    auto stops = sent(out, "a", MessageType::stop);
    ASSERT_EQ(stops.size(), 1u);
    EXPECT_EQ(stops[0]["reason"], protocol::kStopReasonEarlyStop);
    // The worker's stopped_early result is stored with the judge's explanation first.
    protocol::ResultReport stopped = result(10, 1, TrialState::stopped_early);
    stopped.result.message = "stopped by the coordinator after epoch 2";
    s.on_result("a", stopped, 2);
    out = s.take_output();
    bool stored = false;
    for (const auto& write : out.writes)
        if (write.kind == StoreWrite::Kind::result_reported) {
            stored = true;
            EXPECT_EQ(write.result.message, "scripted stop of trial 10; stopped by the coordinator after epoch 2");
        }
    EXPECT_TRUE(stored);
    EXPECT_EQ(s.find_trial(10)->message, "scripted stop of trial 10; stopped by the coordinator after epoch 2");

    s.on_epoch("b", epoch(11, 1, 1), 3);
    out = s.take_output();
    EXPECT_EQ(sent(out, "b", MessageType::stop)[0]["reason"], protocol::kStopReasonTarget);
    EXPECT_EQ(sent(out, "c", MessageType::stop)[0]["reason"], protocol::kStopReasonTarget);
    EXPECT_EQ(s.find_trial(13)->state, TrialState::cancelled);  // pending: never runs
    EXPECT_TRUE(s.sweeps().at(1).finished);
}

TEST(Scheduler, StatusCountsTrialsAndShowsRunningWithEta) {
    Scheduler s(test_settings());
    SweepEntry entry = sweep(1);
    entry.metric = "val_iou";
    s.add_sweep(entry);
    s.add_trial(trial(10, 1), 0);
    s.add_trial(trial(11, 1), 0);
    s.on_hello(hello("a"), 0);
    s.on_ready("a", 0);
    s.on_epoch("a", epoch(10, 1, 1), 2000);  // 2 s per epoch, 4 planned
    nlohmann::json status = s.status_json(std::nullopt, 2000);
    EXPECT_EQ(status["sweeps"][0]["metric"], "val_iou");  // what `segsweep wait` shows the best of
    EXPECT_EQ(status["sweeps"][0]["counts"]["pending"], 1);
    EXPECT_EQ(status["sweeps"][0]["counts"]["running"], 1);
    EXPECT_EQ(status["running"][0]["epoch"], 1);
    EXPECT_DOUBLE_EQ(status["running"][0]["eta_seconds"].get<double>(), 6.0);
    EXPECT_EQ(status["workers"]["busy"], 1);
    EXPECT_EQ(s.workers_json(2000)["workers"][0]["state"], "busy");
}

}  // namespace
}  // namespace segsweep::coordinator
