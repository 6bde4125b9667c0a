// Scheduler: trial states, leases, worker liveness and assignment by resources (pure logic).
#include "coordinator/scheduler.h"

#include <algorithm>

#include "common/log.h"

namespace segsweep::coordinator {

using protocol::MessageType;

Scheduler::Scheduler(SchedulerSettings settings) : settings_(settings) {}

SchedulerOutput Scheduler::take_output() {
    SchedulerOutput out;
    std::swap(out, output_);
    return out;
}

const TrialEntry* Scheduler::find_trial(int64_t trial_id) const {
    auto it = trials_.find(trial_id);
    return it == trials_.end() ? nullptr : &it->second;
}

const SweepEntry* Scheduler::sweep_of(const TrialEntry& trial) const {
    auto it = sweeps_.find(trial.sweep_id);
    return it == sweeps_.end() ? nullptr : &it->second;
}

void Scheduler::send(const std::string& worker_id, MessageType type, nlohmann::json body, bool durable) {
    // Any message is a heartbeat: a worker we just wrote to needs no HEARTBEAT this interval.
    auto w = workers_.find(worker_id);
    if (w != workers_.end()) w->second.last_sent_ms = std::max(w->second.last_sent_ms, now_ms_);
    output_.messages.push_back({worker_id, type, std::move(body), durable});
}

void Scheduler::send_stop(const TrialEntry& trial, const std::string& worker_id, int attempt, int epoch,
                          const std::string& reason) {
    protocol::Decision stop{trial.trial_id, attempt, epoch, reason};
    // Durable: a STOP must never overtake the TRIAL it refers to, which waits for its commit.
    send(worker_id, MessageType::stop, protocol::to_json(stop), /*durable=*/true);
}

void Scheduler::set_state(TrialEntry& trial, TrialState state, const std::string& why) {
    TrialState before = trial.state;
    trial.state = state;
    LOG_I("trial %lld (sweep %lld) %s -> %s, attempt %d%s%s", static_cast<long long>(trial.trial_id),
          static_cast<long long>(trial.sweep_id), trial_state_name(before), trial_state_name(state), trial.attempt,
          why.empty() ? "" : ": ", why.c_str());
    if (trial_state_is_final(before) || !trial_state_is_final(state)) return;
    if (unfinished_ > 0) --unfinished_;
    auto sweep = sweeps_.find(trial.sweep_id);
    if (sweep == sweeps_.end()) return;
    if (sweep->second.unfinished > 0) --sweep->second.unfinished;
    check_sweep_done(sweep->second);
}

void Scheduler::check_sweep_done(SweepEntry& sweep) {
    if (sweep.done || sweep.open || sweep.unfinished > 0) return;
    sweep.done = true;
    int completed = 0, total = 0;
    for (const auto& [id, t] : trials_) {
        if (t.sweep_id != sweep.sweep_id) continue;
        ++total;
        if (t.state == TrialState::completed || t.state == TrialState::stopped_early) ++completed;
    }
    StoreWrite write;
    write.kind = StoreWrite::Kind::sweep_done;
    write.sweep_id = sweep.sweep_id;
    write.sweep_state = sweep.cancelled ? "cancelled" : "finished";
    write.reason = std::to_string(completed) + " of " + std::to_string(total) + " trial(s) completed" +
                   (sweep.finished ? " (target reached)" : "");
    LOG_I("sweep %lld %s: %s", static_cast<long long>(sweep.sweep_id), write.sweep_state.c_str(),
          write.reason.c_str());
    output_.writes.push_back(std::move(write));
}

void Scheduler::check_sweeps_done() {
    for (auto& [id, sweep] : sweeps_) check_sweep_done(sweep);
}

void Scheduler::close_sweep(int64_t sweep_id) {
    auto sweep = sweeps_.find(sweep_id);
    if (sweep == sweeps_.end() || !sweep->second.open) return;
    sweep->second.open = false;
    check_sweep_done(sweep->second);
}

int Scheduler::pending_in_sweep(int64_t sweep_id) const {
    int n = 0;
    for (int64_t id : pending_)
        if (trials_.at(id).sweep_id == sweep_id) ++n;
    return n;
}

int Scheduler::ready_workers() const {
    int n = 0;
    for (const auto& [id, w] : workers_)
        if (w.ready && w.trial_id == 0) ++n;
    return n;
}

void Scheduler::add_sweep(const SweepEntry& sweep) { sweeps_[sweep.sweep_id] = sweep; }

void Scheduler::add_trial(const TrialEntry& trial, int64_t now_ms) {
    if (trials_.count(trial.trial_id) != 0) {
        LOG_W("trial %lld is already known; ignoring the second copy", static_cast<long long>(trial.trial_id));
        return;
    }
    TrialEntry& t = trials_[trial.trial_id] = trial;
    if (!trial_state_is_final(t.state)) {
        auto sweep = sweeps_.find(t.sweep_id);
        if (sweep != sweeps_.end()) ++sweep->second.unfinished;
    }
    if (t.state == TrialState::pending) {
        pending_.insert(t.trial_id);
        ++unfinished_;
        for (auto& [id, worker] : workers_) worker.no_work_sent = false;
    } else if (t.state == TrialState::running) {
        t.lease_expires_ms = now_ms + settings_.restart_grace_ms;
        t.last_epoch = 0;
        t.awaiting_reattach = true;
        running_.insert(t.trial_id);
        ++unfinished_;
        LOG_I("trial %lld (sweep %lld) running, attempt %d: waiting %d ms for its worker to re-attach",
              static_cast<long long>(t.trial_id), static_cast<long long>(t.sweep_id), t.attempt,
              settings_.restart_grace_ms);
    }
}

void Scheduler::touch(const std::string& worker_id, int64_t now_ms) {
    now_ms_ = std::max(now_ms_, now_ms);
    auto it = workers_.find(worker_id);
    if (it == workers_.end()) return;
    it->second.last_seen_ms = now_ms;
    if (it->second.trial_id != 0) {
        auto t = trials_.find(it->second.trial_id);
        if (t != trials_.end() && t->second.worker_id == worker_id)
            t->second.lease_expires_ms = now_ms + settings_.lease_grace_ms;
    }
}

void Scheduler::on_hello(const protocol::Hello& hello, int64_t now_ms) {
    bool known = workers_.count(hello.worker_id) != 0;
    WorkerEntry& w = workers_[hello.worker_id];
    if (!known) {
        w.worker_id = hello.worker_id;
        w.connected_ms = now_ms;
        LOG_I("worker %s joined: host %s, pid %lld, %d rank(s), %d GPU(s), %d thread(s)", hello.worker_id.c_str(),
              hello.host.c_str(), static_cast<long long>(hello.pid), hello.ranks, hello.gpus, hello.cpu_threads);
    } else {
        LOG_I("worker %s said HELLO again (reconnected)", hello.worker_id.c_str());
    }
    w.host = hello.host;
    w.pid = hello.pid;
    w.ranks = hello.ranks;
    w.gpus = hello.gpus;
    w.cpu_threads = hello.cpu_threads;
    w.ready = false;
    w.last_sent_ms = now_ms;
    touch(hello.worker_id, now_ms);

    protocol::Welcome welcome{hello.worker_id, settings_.heartbeat_interval_ms, settings_.heartbeat_liveness};
    send(hello.worker_id, MessageType::welcome, protocol::to_json(welcome), /*durable=*/false);

    if (!hello.running) return;
    const protocol::RunningTrial& claim = *hello.running;
    auto it = trials_.find(claim.trial_id);
    bool reattach = it != trials_.end() && it->second.state == TrialState::running &&
                    it->second.attempt == claim.attempt &&
                    (it->second.worker_id.empty() || it->second.worker_id == hello.worker_id);
    if (!reattach) {
        LOG_W("worker %s runs trial %lld attempt %d, which it does not own: told to stop", hello.worker_id.c_str(),
              static_cast<long long>(claim.trial_id), claim.attempt);
        TrialEntry unknown;
        unknown.trial_id = claim.trial_id;
        send_stop(it != trials_.end() ? it->second : unknown, hello.worker_id, claim.attempt, 0,
                  protocol::kStopReasonStale);
        return;
    }
    TrialEntry& t = it->second;
    if (w.trial_id != 0 && w.trial_id != t.trial_id) release_worker_trial(hello.worker_id, w.trial_id);
    t.worker_id = hello.worker_id;
    t.lease_expires_ms = now_ms + settings_.lease_grace_ms;
    t.awaiting_reattach = false;
    w.trial_id = t.trial_id;
    LOG_I("trial %lld (sweep %lld) re-attached to worker %s, attempt %d, %d epoch(s) done",
          static_cast<long long>(t.trial_id), static_cast<long long>(t.sweep_id), hello.worker_id.c_str(), t.attempt,
          claim.epochs_done);
    if (!t.stop_reason.empty()) send_stop(t, hello.worker_id, t.attempt, 0, t.stop_reason);
}

void Scheduler::on_ready(const std::string& worker_id, int64_t now_ms) {
    auto it = workers_.find(worker_id);
    if (it == workers_.end()) return;
    touch(worker_id, now_ms);
    WorkerEntry& w = it->second;
    if (w.trial_id != 0) {
        auto t = trials_.find(w.trial_id);
        if (t != trials_.end() && t->second.state == TrialState::running && t->second.worker_id == worker_id) {
            LOG_W("worker %s asked for work while holding trial %lld: the attempt is lost", worker_id.c_str(),
                  static_cast<long long>(w.trial_id));
            end_attempt(t->second, "worker " + worker_id + " dropped it", /*counts_as_restart=*/true, now_ms);
        }
        w.trial_id = 0;
    }
    if (!w.ready) {
        w.ready = true;
        w.no_work_sent = false;
        ready_.push_back(worker_id);
    }
    dispatch(now_ms);
}

void Scheduler::on_heartbeat(const std::string& worker_id, int64_t now_ms) { touch(worker_id, now_ms); }

void Scheduler::on_epoch(const std::string& worker_id, const protocol::EpochReport& report, int64_t now_ms) {
    touch(worker_id, now_ms);
    const int epoch = report.metrics.epoch;
    auto it = trials_.find(report.trial_id);
    if (it == trials_.end()) {
        LOG_W("EPOCH %d from worker %s for unknown trial %lld: dropped", epoch, worker_id.c_str(),
              static_cast<long long>(report.trial_id));
        TrialEntry unknown;
        unknown.trial_id = report.trial_id;
        send_stop(unknown, worker_id, report.attempt, epoch, protocol::kStopReasonStale);
        return;
    }
    TrialEntry& t = it->second;
    if (t.state != TrialState::running || t.attempt != report.attempt || t.worker_id != worker_id) {
        LOG_W("EPOCH %d from worker %s for trial %lld attempt %d is stale (trial %s, attempt %d): dropped", epoch,
              worker_id.c_str(), static_cast<long long>(t.trial_id), report.attempt, trial_state_name(t.state),
              t.attempt);
        send_stop(t, worker_id, report.attempt, epoch, protocol::kStopReasonStale);
        return;
    }
    if (epoch > t.last_epoch) {
        StoreWrite write;
        write.kind = StoreWrite::Kind::epoch_reported;
        write.trial_id = t.trial_id;
        write.sweep_id = t.sweep_id;
        write.attempt = t.attempt;
        write.metrics = report.metrics;
        output_.writes.push_back(std::move(write));
        t.last_epoch = epoch;
        t.last_epoch_seconds = report.metrics.seconds;
        if (t.stop_reason.empty()) {
            if (t.cancel_requested) {
                t.stop_reason = protocol::kStopReasonCancel;
            } else if (judge_) {
                SweepEntry fallback;
                const SweepEntry* sweep = sweep_of(t);
                std::string why;
                EpochVerdict verdict = judge_(sweep ? *sweep : fallback, t, report.metrics, why);
                if (verdict == EpochVerdict::stop_trial) {
                    t.stop_reason = protocol::kStopReasonEarlyStop;
                    t.stop_why = why;
                    LOG_I("trial %lld (sweep %lld): early stop after epoch %d: %s", static_cast<long long>(t.trial_id),
                          static_cast<long long>(t.sweep_id), epoch, why.c_str());
                } else if (verdict == EpochVerdict::finish_sweep) {
                    t.stop_reason = protocol::kStopReasonTarget;
                    if (why.empty()) why = "trial " + std::to_string(t.trial_id) + " reached the target";
                    t.stop_why = why;
                    finish_sweep(t.sweep_id, why, now_ms);
                }
            }
        }
    }
    // A repeated epoch (resent after a reconnect) gets the same answer again.
    if (!t.stop_reason.empty()) {
        send_stop(t, worker_id, t.attempt, epoch, t.stop_reason);
    } else {
        protocol::Decision proceed{t.trial_id, t.attempt, epoch, ""};
        send(worker_id, MessageType::proceed, protocol::to_json(proceed), /*durable=*/true);
    }
}

void Scheduler::on_result(const std::string& worker_id, const protocol::ResultReport& report, int64_t now_ms) {
    touch(worker_id, now_ms);
    protocol::Ack ack{report.trial_id, report.attempt, false, ""};
    auto it = trials_.find(report.trial_id);
    if (it == trials_.end()) {
        LOG_W("RESULT from worker %s for unknown trial %lld: dropped", worker_id.c_str(),
              static_cast<long long>(report.trial_id));
        ack.note = "unknown trial";
        send(worker_id, MessageType::ack, protocol::to_json(ack), true);
        return;
    }
    TrialEntry& t = it->second;
    if (trial_state_is_final(t.state)) {
        ack.recorded = t.result_attempt == report.attempt;
        ack.note = ack.recorded ? "already recorded" : std::string("trial is already ") + trial_state_name(t.state);
        LOG_I("RESULT from worker %s for trial %lld attempt %d: %s", worker_id.c_str(),
              static_cast<long long>(t.trial_id), report.attempt, ack.note.c_str());
        send(worker_id, MessageType::ack, protocol::to_json(ack), true);
        return;
    }
    bool owner = t.state == TrialState::running && t.attempt == report.attempt &&
                 (t.worker_id == worker_id || t.worker_id.empty());
    if (!owner) {
        LOG_W("RESULT from worker %s for trial %lld attempt %d is stale (trial %s, attempt %d): dropped",
              worker_id.c_str(), static_cast<long long>(t.trial_id), report.attempt, trial_state_name(t.state),
              t.attempt);
        ack.note = "stale attempt; attempt " + std::to_string(t.attempt) + " owns the trial";
        send(worker_id, MessageType::ack, protocol::to_json(ack), true);
        return;
    }
    const SweepEntry* sweep = sweep_of(t);
    int max_restarts = sweep ? sweep->max_restarts : kDefaultMaxRestarts;
    if (report.result.state == TrialState::failed && !t.cancel_requested && t.restarts < max_restarts) {
        end_attempt(t, "attempt failed on worker " + worker_id + ": " + report.result.message,
                    /*counts_as_restart=*/true, now_ms);
        ack.note = "failed attempt; the trial was requeued";
        send(worker_id, MessageType::ack, protocol::to_json(ack), true);
        return;
    }
    StoreWrite write;
    write.kind = StoreWrite::Kind::result_reported;
    write.trial_id = t.trial_id;
    write.sweep_id = t.sweep_id;
    write.attempt = t.attempt;
    write.worker_id = worker_id;
    write.state = report.result.state;
    write.result = report.result;
    if (report.result.state == TrialState::stopped_early && !t.stop_why.empty())
        write.result.message = t.stop_why + "; " + report.result.message;
    t.message = write.result.message;
    output_.writes.push_back(std::move(write));
    release_worker_trial(worker_id, t.trial_id);
    if (auto w = workers_.find(worker_id); w != workers_.end()) ++w->second.trials_done;
    running_.erase(t.trial_id);
    t.result_attempt = t.attempt;
    char why[160];
    double score = report.result.score ? report.result.score->final_score : 0.0;
    std::snprintf(why, sizeof why, "%d epoch(s), final_score %.4f", report.result.epochs_run, score);
    set_state(t, report.result.state, why);
    ack.recorded = true;
    send(worker_id, MessageType::ack, protocol::to_json(ack), true);
}

void Scheduler::on_preempted(const std::string& worker_id, const protocol::Preempted& report, int64_t now_ms) {
    touch(worker_id, now_ms);
    protocol::Ack ack{report.trial_id, report.attempt, false, ""};
    auto it = trials_.find(report.trial_id);
    bool owner = it != trials_.end() && it->second.state == TrialState::running &&
                 it->second.attempt == report.attempt &&
                 (it->second.worker_id == worker_id || it->second.worker_id.empty());
    if (!owner) {
        LOG_W("PREEMPTED from worker %s for trial %lld attempt %d is stale: dropped", worker_id.c_str(),
              static_cast<long long>(report.trial_id), report.attempt);
        ack.note = "stale attempt";
        send(worker_id, MessageType::ack, protocol::to_json(ack), true);
        return;
    }
    TrialEntry& t = it->second;
    ++t.preemptions;
    end_attempt(t,
                "preempted (" + report.reason + ") after " + std::to_string(report.epochs_done) +
                    " checkpointed epoch(s); does not count as a restart",
                /*counts_as_restart=*/false, now_ms);
    ack.recorded = true;
    send(worker_id, MessageType::ack, protocol::to_json(ack), true);
}

void Scheduler::on_bye(const std::string& worker_id, const std::string& reason, int64_t now_ms) {
    auto it = workers_.find(worker_id);
    if (it == workers_.end()) return;
    int64_t trial_id = it->second.trial_id;
    if (trial_id != 0) {
        auto t = trials_.find(trial_id);
        // A BYE is a deliberate exit (a signal raced with a new assignment), never a crash: like a
        // preemption it does not use up a restart.
        if (t != trials_.end() && t->second.state == TrialState::running && t->second.worker_id == worker_id) {
            ++t->second.preemptions;
            end_attempt(t->second, "worker " + worker_id + " left (" + reason + ")", /*counts_as_restart=*/false,
                        now_ms);
        }
    }
    workers_.erase(it);
    LOG_I("worker %s left%s%s", worker_id.c_str(), reason.empty() ? "" : ": ", reason.c_str());
}

void Scheduler::release_worker_trial(const std::string& worker_id, int64_t trial_id) {
    auto w = workers_.find(worker_id);
    if (w != workers_.end() && w->second.trial_id == trial_id) w->second.trial_id = 0;
}

void Scheduler::drop_worker(const std::string& worker_id, const std::string& why) {
    auto it = workers_.find(worker_id);
    if (it == workers_.end()) return;
    if (it->second.trial_id != 0)
        LOG_W("worker %s lost (%s); trial %lld keeps its lease for %d ms", worker_id.c_str(), why.c_str(),
              static_cast<long long>(it->second.trial_id), settings_.lease_grace_ms);
    else
        LOG_W("worker %s lost (%s)", worker_id.c_str(), why.c_str());
    workers_.erase(it);
}

void Scheduler::finish_without_result(TrialEntry& trial, TrialState state, const std::string& reason) {
    pending_.erase(trial.trial_id);
    running_.erase(trial.trial_id);
    if (!trial.worker_id.empty()) release_worker_trial(trial.worker_id, trial.trial_id);
    trial.message = reason;
    set_state(trial, state, reason);
    StoreWrite write;
    write.kind = StoreWrite::Kind::trial_finished;
    write.trial_id = trial.trial_id;
    write.sweep_id = trial.sweep_id;
    write.attempt = trial.attempt;
    write.state = state;
    write.reason = reason;
    write.restarts = trial.restarts;
    output_.writes.push_back(std::move(write));
}

void Scheduler::end_attempt(TrialEntry& trial, const std::string& reason, bool counts_as_restart, int64_t now_ms) {
    (void)now_ms;
    running_.erase(trial.trial_id);
    if (!trial.worker_id.empty()) release_worker_trial(trial.worker_id, trial.trial_id);
    const SweepEntry* sweep = sweep_of(trial);
    if (trial.cancel_requested || (sweep && sweep->cancelled)) {
        finish_without_result(trial, TrialState::cancelled, "cancelled (attempt ended: " + reason + ")");
        return;
    }
    if (sweep && sweep->finished) {
        finish_without_result(trial, TrialState::cancelled, "sweep finished (attempt ended: " + reason + ")");
        return;
    }
    if (counts_as_restart) ++trial.restarts;
    int max_restarts = sweep ? sweep->max_restarts : kDefaultMaxRestarts;
    if (trial.restarts > max_restarts) {
        finish_without_result(trial, TrialState::failed,
                              reason + "; gave up after " + std::to_string(trial.restarts) +
                                  " failed attempt(s) (max_restarts " + std::to_string(max_restarts) + ")");
        return;
    }
    trial.worker_id.clear();
    trial.message = reason;
    pending_.insert(trial.trial_id);
    set_state(trial, TrialState::pending, reason);
    StoreWrite write;
    write.kind = StoreWrite::Kind::trial_requeued;
    write.trial_id = trial.trial_id;
    write.sweep_id = trial.sweep_id;
    write.attempt = trial.attempt;
    write.reason = reason;
    write.restarts = trial.restarts;
    write.preempted = !counts_as_restart;
    output_.writes.push_back(std::move(write));
}

void Scheduler::finish_sweep(int64_t sweep_id, const std::string& why, int64_t now_ms) {
    auto it = sweeps_.find(sweep_id);
    if (it == sweeps_.end()) return;
    SweepEntry& sweep = it->second;
    if (sweep.finished || sweep.done) return;
    sweep.open = false;
    sweep.finished = true;
    LOG_I("sweep %lld finishing: %s", static_cast<long long>(sweep.sweep_id), why.c_str());
    for (auto& [id, t] : trials_) {
        if (t.sweep_id != sweep.sweep_id) continue;
        if (t.state == TrialState::pending) {
            finish_without_result(t, TrialState::cancelled, "sweep finished: " + why);
        } else if (t.state == TrialState::running && t.stop_reason.empty()) {
            t.stop_reason = protocol::kStopReasonTarget;
            t.stop_why = "sweep finished: " + why;
            if (!t.worker_id.empty()) send_stop(t, t.worker_id, t.attempt, 0, t.stop_reason);
        }
    }
    (void)now_ms;
    check_sweep_done(sweep);
}

CancelOutcome Scheduler::cancel_trial(int64_t trial_id, int64_t now_ms) {
    (void)now_ms;
    CancelOutcome outcome;
    auto it = trials_.find(trial_id);
    if (it == trials_.end()) return outcome;
    outcome.found = true;
    TrialEntry& t = it->second;
    if (trial_state_is_final(t.state)) {
        ++outcome.already_final;
    } else if (t.state == TrialState::pending) {
        finish_without_result(t, TrialState::cancelled, "cancelled by the user");
        ++outcome.cancelled_pending;
    } else {
        t.cancel_requested = true;
        if (t.stop_reason.empty()) t.stop_reason = protocol::kStopReasonCancel;
        if (!t.worker_id.empty()) send_stop(t, t.worker_id, t.attempt, 0, protocol::kStopReasonCancel);
        LOG_I("trial %lld (sweep %lld): cancel requested, STOP sent to worker %s", static_cast<long long>(trial_id),
              static_cast<long long>(t.sweep_id), t.worker_id.empty() ? "(not attached yet)" : t.worker_id.c_str());
        ++outcome.stopping_running;
    }
    return outcome;
}

CancelOutcome Scheduler::cancel_sweep(int64_t sweep_id, int64_t now_ms) {
    CancelOutcome outcome;
    auto sweep = sweeps_.find(sweep_id);
    if (sweep == sweeps_.end()) return outcome;
    outcome.found = true;
    sweep->second.cancelled = true;
    sweep->second.open = false;
    LOG_I("sweep %lld: cancel requested", static_cast<long long>(sweep_id));
    std::vector<int64_t> ids;
    for (const auto& [id, t] : trials_)
        if (t.sweep_id == sweep_id) ids.push_back(id);
    for (int64_t id : ids) {
        CancelOutcome one = cancel_trial(id, now_ms);
        outcome.cancelled_pending += one.cancelled_pending;
        outcome.stopping_running += one.stopping_running;
        outcome.already_final += one.already_final;
    }
    check_sweep_done(sweep->second);
    return outcome;
}

bool Scheduler::fits(const WorkerEntry& worker, const TrialNeeds& needs) const {
    return worker.ranks >= needs.ranks && worker.gpus >= needs.gpus;
}

void Scheduler::assign(TrialEntry& trial, WorkerEntry& worker, int64_t now_ms) {
    pending_.erase(trial.trial_id);
    running_.insert(trial.trial_id);
    ++trial.attempt;
    trial.worker_id = worker.worker_id;
    trial.lease_expires_ms = now_ms + settings_.lease_grace_ms;
    trial.last_epoch = 0;
    trial.last_epoch_seconds = 0;
    trial.started_ms = now_ms;
    trial.stop_reason.clear();
    trial.stop_why.clear();
    worker.ready = false;
    worker.trial_id = trial.trial_id;
    set_state(trial, TrialState::running, "worker " + worker.worker_id);

    StoreWrite write;
    write.kind = StoreWrite::Kind::attempt_started;
    write.trial_id = trial.trial_id;
    write.sweep_id = trial.sweep_id;
    write.attempt = trial.attempt;
    write.worker_id = worker.worker_id;
    write.restarts = trial.restarts;
    output_.writes.push_back(std::move(write));

    protocol::TrialAssignment assignment;
    assignment.trial_id = trial.trial_id;
    assignment.attempt = trial.attempt;
    assignment.sweep_id = trial.sweep_id;
    assignment.config = trial.config;
    assignment.trial_dir = trial.trial_dir;
    assignment.resume = trial.attempt > 1;
    if (const SweepEntry* sweep = sweep_of(trial)) assignment.data_root = sweep->data_root;
    send(worker.worker_id, MessageType::trial, protocol::to_json(assignment), /*durable=*/true);
}

void Scheduler::dispatch(int64_t now_ms) {
    now_ms_ = std::max(now_ms_, now_ms);
    // Forget ready entries of workers that left or got work.
    std::deque<std::string> still_ready;
    std::set<std::string> seen;
    for (const auto& id : ready_) {
        auto w = workers_.find(id);
        if (w != workers_.end() && w->second.ready && w->second.trial_id == 0 && seen.insert(id).second)
            still_ready.push_back(id);
    }
    ready_.swap(still_ready);

    for (auto it = pending_.begin(); it != pending_.end() && !ready_.empty();) {
        TrialEntry& trial = trials_.at(*it);
        ++it;  // assign() erases the trial from pending_
        const SweepEntry* sweep = sweep_of(trial);
        TrialNeeds needs = sweep ? sweep->needs : TrialNeeds{};
        // Best fit: the ready worker with the fewest ranks (then, for GPU trials, the fewest GPUs)
        // that fits, oldest first, so big workers stay free for big trials.
        size_t best = ready_.size();
        for (size_t i = 0; i < ready_.size(); ++i) {
            const WorkerEntry& w = workers_.at(ready_[i]);
            if (!w.ready || w.trial_id != 0 || !fits(w, needs)) continue;
            if (best == ready_.size()) {
                best = i;
            } else {
                const WorkerEntry& b = workers_.at(ready_[best]);
                if (w.ranks < b.ranks || (w.ranks == b.ranks && needs.gpus > 0 && w.gpus < b.gpus)) best = i;
            }
            const WorkerEntry& chosen = workers_.at(ready_[best]);
            if (chosen.ranks == needs.ranks && (needs.gpus == 0 || chosen.gpus == needs.gpus)) break;  // exact fit
        }
        if (best == ready_.size()) continue;
        WorkerEntry& worker = workers_.at(ready_[best]);
        ready_.erase(ready_.begin() + static_cast<std::ptrdiff_t>(best));
        assign(trial, worker, now_ms);
    }
    send_no_work_if_idle();
}

void Scheduler::send_no_work_if_idle() {
    // A coordinator that never had a sweep keeps its workers: the first submit may be on its way.
    if (unfinished_ != 0 || sweeps_.empty()) return;
    for (const auto& id : ready_) {
        WorkerEntry& w = workers_.at(id);
        if (w.no_work_sent) continue;
        w.no_work_sent = true;
        send(id, MessageType::no_work, {{"reason", "every submitted trial is final"}}, /*durable=*/true);
    }
}

void Scheduler::tick(int64_t now_ms) {
    now_ms_ = std::max(now_ms_, now_ms);
    std::vector<std::string> silent;
    for (const auto& [id, w] : workers_)
        if (now_ms - w.last_seen_ms > worker_timeout_ms()) silent.push_back(id);
    for (const auto& id : silent)
        drop_worker(id, "no message for " + std::to_string(now_ms - workers_.at(id).last_seen_ms) + " ms");

    std::vector<int64_t> expired;
    for (int64_t id : running_)
        if (trials_.at(id).lease_expires_ms < now_ms) expired.push_back(id);
    for (int64_t id : expired) {
        TrialEntry& t = trials_.at(id);
        std::string reason = t.awaiting_reattach
                                 ? "no worker re-attached within " + std::to_string(settings_.restart_grace_ms) +
                                       " ms of the coordinator restart"
                                 : "worker " + t.worker_id + " silent for more than " +
                                       std::to_string(settings_.lease_grace_ms) + " ms";
        t.awaiting_reattach = false;
        end_attempt(t, reason, /*counts_as_restart=*/true, now_ms);
    }

    for (auto& [id, w] : workers_) {
        if (now_ms - w.last_sent_ms >= settings_.heartbeat_interval_ms) {
            w.last_sent_ms = now_ms;
            send(id, MessageType::heartbeat, nlohmann::json::object(), /*durable=*/false);
        }
    }
    dispatch(now_ms);
}

bool Scheduler::sweep_done(int64_t sweep_id) const {
    auto sweep = sweeps_.find(sweep_id);
    return sweep != sweeps_.end() && sweep->second.done;
}

nlohmann::json Scheduler::status_json(std::optional<int64_t> sweep_id, int64_t now_ms) const {
    nlohmann::json sweeps = nlohmann::json::array();
    for (const auto& [id, sweep] : sweeps_) {
        if (sweep_id && *sweep_id != id) continue;
        nlohmann::json counts = nlohmann::json::object();
        for (TrialState s : {TrialState::pending, TrialState::running, TrialState::completed,
                             TrialState::stopped_early, TrialState::diverged, TrialState::failed,
                             TrialState::cancelled})
            counts[trial_state_name(s)] = 0;
        int total = 0;
        for (const auto& [tid, t] : trials_) {
            if (t.sweep_id != id) continue;
            counts[trial_state_name(t.state)] = counts[trial_state_name(t.state)].get<int>() + 1;
            ++total;
        }
        sweeps.push_back({{"sweep_id", id},
                          {"name", sweep.name},
                          {"metric", sweep.metric},
                          {"trials", total},
                          {"counts", counts},
                          {"cancelled", sweep.cancelled},
                          {"finished", sweep.finished},
                          {"done", sweep_done(id)}});
    }
    nlohmann::json running = nlohmann::json::array();
    for (int64_t tid : running_) {
        const TrialEntry& t = trials_.at(tid);
        if (sweep_id && *sweep_id != t.sweep_id) continue;
        nlohmann::json eta = nullptr;
        if (t.last_epoch > 0 && t.last_epoch_seconds > 0)
            eta = std::max(0, t.config.num_epochs - t.last_epoch) * t.last_epoch_seconds;
        std::string host;
        if (auto w = workers_.find(t.worker_id); w != workers_.end()) host = w->second.host;
        running.push_back({{"trial_id", tid},
                           {"sweep_id", t.sweep_id},
                           {"attempt", t.attempt},
                           {"worker_id", t.worker_id},
                           {"host", host},
                           {"epoch", t.last_epoch},
                           {"epochs_planned", t.config.num_epochs},
                           {"running_seconds", (now_ms - t.started_ms) / 1000.0},
                           {"eta_seconds", eta}});
    }
    int busy = 0;
    for (const auto& [id, w] : workers_)
        if (w.trial_id != 0) ++busy;
    return {{"sweeps", sweeps},
            {"running", running},
            {"workers", {{"total", workers_.size()}, {"busy", busy}, {"idle", static_cast<int>(workers_.size()) - busy}}}};
}

nlohmann::json Scheduler::workers_json(int64_t now_ms) const {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& [id, w] : workers_) {
        list.push_back({{"worker_id", id},
                        {"host", w.host},
                        {"pid", w.pid},
                        {"ranks", w.ranks},
                        {"gpus", w.gpus},
                        {"cpu_threads", w.cpu_threads},
                        {"state", w.trial_id != 0 ? "busy" : (w.ready ? "idle" : "connecting")},
                        {"trial_id", w.trial_id == 0 ? nlohmann::json(nullptr) : nlohmann::json(w.trial_id)},
                        {"trials_done", w.trials_done},
                        {"last_seen_ms_ago", now_ms - w.last_seen_ms},
                        {"connected_seconds", (now_ms - w.connected_ms) / 1000.0}});
    }
    return {{"workers", list}};
}

}  // namespace segsweep::coordinator
