// Scheduler: the coordinator's trial and lease state machine, as pure logic. No sockets, no files,
// no clock: every event carries `now_ms`, and each call leaves its effects in an output list that
// the event loop drains (store writes to commit, messages to send). Unit-tested alone.
//
// A trial's life (../shared/DESIGN.md):
//   pending --assign--> running --RESULT--> completed | stopped_early | diverged | failed | cancelled
//      ^                   |-- worker silent past the lease grace, or READY while holding it:
//      |                   |     restarts+1 <= max_restarts ? pending : failed
//      +-------------------|-- PREEMPTED (SIGUSR2/TERM, checkpointed) or BYE: pending, no restart used
// Attempts count runs: each assignment starts attempt+1, and a re-run resumes from the trial
// folder's newest checkpoint. Only the attempt that holds the lease may report; anything else
// is stale and answered with STOP (EPOCH) or a not-recorded ACK (RESULT, PREEMPTED).
//
// Workers (zguide Paranoid Pirate): any message counts as a heartbeat. A worker silent for
// heartbeat_interval_ms * heartbeat_liveness is dropped from the pool; the trial it holds stays
// leased until lease_grace_ms after it was last heard, so a worker that reconnects in time
// re-attaches (HELLO with its running trial) instead of the trial running twice.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/protocol.h"
#include "common/trial_config.h"
#include "common/trial_result.h"

namespace segsweep::coordinator {

inline constexpr int kHeartbeatIntervalMs = 1000;  // ms; zguide's Paranoid Pirate value
inline constexpr int kHeartbeatLiveness = 3;       // intervals of silence before a peer is gone (3-5)
inline constexpr int kLeaseGraceMs = 30000;        // ms a silent worker keeps its trial (reconnects in time)
inline constexpr int kRestartGraceMs = 30000;      // ms running trials wait for re-attach after a restart
inline constexpr int kDefaultMaxRestarts = 3;      // Determined's default is 5; a sweep sets its own

struct SchedulerSettings {
    int heartbeat_interval_ms = kHeartbeatIntervalMs;
    int heartbeat_liveness = kHeartbeatLiveness;
    int lease_grace_ms = kLeaseGraceMs;
    int restart_grace_ms = kRestartGraceMs;
};

// What one trial needs from a worker. A worker fits when it has at least this many of each.
struct TrialNeeds {
    int ranks = 1;
    int gpus = 0;
};

// The sweep-level facts the scheduler uses.
struct SweepEntry {
    int64_t sweep_id = 0;
    std::string name;
    std::string metric = "final_score";      // the sweep file's metric (`wait` shows its best)
    int max_restarts = kDefaultMaxRestarts;  // failures a trial may survive (0: the first loss fails it)
    TrialNeeds needs;
    std::string data_root;                   // the sweep file's data (sent with each TRIAL)
    bool cancelled = false;
    bool finished = false;                   // metric.target reached: nothing more runs
    bool open = false;                       // more trials may still be added (method bayes)
    bool done = false;                       // every trial final and none to come: stored as such
    int unfinished = 0;                      // trials pending or running
};

struct TrialEntry {
    int64_t trial_id = 0;
    int64_t sweep_id = 0;
    TrialConfig config;
    std::string trial_dir;
    TrialState state = TrialState::pending;
    int attempt = 0;               // attempts started so far (the running one included)
    int restarts = 0;              // attempts lost to failures (counted against max_restarts)
    int preemptions = 0;           // attempts interrupted by preemption (not counted)
    std::string worker_id;         // lease holder while running ("" after a restart until re-attach)
    int64_t lease_expires_ms = 0;  // running: requeued when now passes this without news
    int result_attempt = 0;        // the attempt whose RESULT is stored (0 = none)
    int last_epoch = 0;            // highest epoch recorded for the current attempt
    double last_epoch_seconds = 0; // wall time of that epoch (for the ETA)
    int64_t started_ms = 0;        // when the current attempt was assigned
    bool cancel_requested = false;
    bool awaiting_reattach = false;  // reloaded running after a restart; no worker has claimed it yet
    std::string stop_reason;       // set once a STOP was sent for the current attempt
    std::string stop_why;          // the judge's explanation of that STOP (early stop or target)
    std::string message;           // why it ended (final states) or was requeued
};

struct WorkerEntry {
    std::string worker_id;
    std::string host;
    int64_t pid = 0;
    int ranks = 1;
    int gpus = 0;
    int cpu_threads = 1;
    int64_t last_seen_ms = 0;
    int64_t last_sent_ms = 0;      // for our heartbeats to it
    int64_t connected_ms = 0;
    bool ready = false;            // asked for work and has none
    bool no_work_sent = false;     // told NO_WORK since it last became ready
    int64_t trial_id = 0;          // the trial it holds (0 = none)
    int trials_done = 0;
};

// A durable change the store must commit before dependent messages go out.
struct StoreWrite {
    enum class Kind {
        attempt_started,  // trial -> running with `attempt` on `worker_id`
        trial_requeued,   // trial -> pending after `attempt` ended without a result (`reason`)
        trial_finished,   // trial -> final `state` without a result row (failed, cancelled)
        epoch_reported,   // one epoch of `attempt`
        result_reported,  // the result of `attempt`; the trial -> result.state
        sweep_done,       // every trial of `sweep_id` is final: the sweep -> `sweep_state`
    };
    Kind kind = Kind::attempt_started;
    int64_t trial_id = 0;
    int64_t sweep_id = 0;
    int attempt = 0;
    std::string worker_id;
    std::string reason;
    TrialState state = TrialState::pending;
    int restarts = 0;
    bool preempted = false;       // trial_requeued: preempted (true) or lost (false)
    std::string sweep_state;      // sweep_done: "finished" or "cancelled"
    EpochMetrics metrics;
    TrialResult result;
};

// A message to a worker. `durable`: send only once the writes produced with it are committed.
struct Outgoing {
    std::string worker_id;
    protocol::MessageType type = protocol::MessageType::heartbeat;
    nlohmann::json body;
    bool durable = false;
};

struct SchedulerOutput {
    std::vector<StoreWrite> writes;
    std::vector<Outgoing> messages;
    bool empty() const { return writes.empty() && messages.empty(); }
};

// The early-stopping seam (issue 8): asked after each new EPOCH of a running trial, with the
// trial's recorded curve for the current attempt. Default: always proceed. On a stop or a finish it
// sets `why` (the policy's explanation), which the trial's stored message then starts with.
enum class EpochVerdict { proceed, stop_trial, finish_sweep };
using EpochJudge = std::function<EpochVerdict(const SweepEntry& sweep, const TrialEntry& trial,
                                              const EpochMetrics& latest, std::string& why)>;

// Outcome of a cancel request, for the client's reply.
struct CancelOutcome {
    bool found = false;
    int cancelled_pending = 0;  // pending trials now cancelled
    int stopping_running = 0;   // running trials told to STOP
    int already_final = 0;
};

class Scheduler {
public:
    explicit Scheduler(SchedulerSettings settings = {});

    const SchedulerSettings& settings() const { return settings_; }
    void set_epoch_judge(EpochJudge judge) { judge_ = std::move(judge); }

    // ---- loading (submit, or reload after a restart) ----
    void add_sweep(const SweepEntry& sweep);
    // A pending trial joins the queue. A running one (reloaded after a restart) keeps its attempt
    // and waits restart_grace_ms for its worker to re-attach. Final ones are kept for dedup of
    // late RESULTs.
    void add_trial(const TrialEntry& trial, int64_t now_ms);

    // ---- worker events (the event loop has bound the sender to worker_id) ----
    void on_hello(const protocol::Hello& hello, int64_t now_ms);
    void on_ready(const std::string& worker_id, int64_t now_ms);
    void on_heartbeat(const std::string& worker_id, int64_t now_ms);  // any message: call touch()
    void on_epoch(const std::string& worker_id, const protocol::EpochReport& report, int64_t now_ms);
    void on_result(const std::string& worker_id, const protocol::ResultReport& report, int64_t now_ms);
    void on_preempted(const std::string& worker_id, const protocol::Preempted& report, int64_t now_ms);
    void on_bye(const std::string& worker_id, const std::string& reason, int64_t now_ms);
    bool knows_worker(const std::string& worker_id) const { return workers_.count(worker_id) != 0; }
    void touch(const std::string& worker_id, int64_t now_ms);

    // ---- client requests ----
    CancelOutcome cancel_sweep(int64_t sweep_id, int64_t now_ms);
    CancelOutcome cancel_trial(int64_t trial_id, int64_t now_ms);

    // ---- sweep-level decisions ----
    // metric.target reached (or another reason to end the sweep): pending trials are cancelled,
    // running ones told to STOP (target_reached); they end as their workers report.
    void finish_sweep(int64_t sweep_id, const std::string& why, int64_t now_ms);
    // A bayes sweep will get no more trials (run_cap reached or the space is used up).
    void close_sweep(int64_t sweep_id);
    // Marks done (and writes sweep_done for) every sweep with no trial left to run.
    void check_sweeps_done();

    // ---- time: expire workers and leases, heartbeat workers, dispatch ----
    void tick(int64_t now_ms);
    // Hands pending trials to ready workers (also run by tick and by the events that free one).
    void dispatch(int64_t now_ms);

    // Everything produced since the last call.
    SchedulerOutput take_output();

    // ---- queries ----
    const std::map<int64_t, TrialEntry>& trials() const { return trials_; }
    const std::map<std::string, WorkerEntry>& workers() const { return workers_; }
    const std::map<int64_t, SweepEntry>& sweeps() const { return sweeps_; }
    const TrialEntry* find_trial(int64_t trial_id) const;
    size_t pending_count() const { return pending_.size(); }
    size_t unfinished_count() const { return unfinished_; }  // pending + running
    // Counts by state, running trials with epoch and ETA, workers (the STATUS reply's data).
    nlohmann::json status_json(std::optional<int64_t> sweep_id, int64_t now_ms) const;
    nlohmann::json workers_json(int64_t now_ms) const;
    // True when the sweep has no pending or running trial left and none to come.
    bool sweep_done(int64_t sweep_id) const;
    // Pending trials of one sweep (the bayes feeder asks for more when there are none).
    int pending_in_sweep(int64_t sweep_id) const;
    // Workers waiting for a trial.
    int ready_workers() const;

private:
    int64_t worker_timeout_ms() const {
        return static_cast<int64_t>(settings_.heartbeat_interval_ms) * settings_.heartbeat_liveness;
    }
    void send(const std::string& worker_id, protocol::MessageType type, nlohmann::json body, bool durable);
    void send_stop(const TrialEntry& trial, const std::string& worker_id, int attempt, int epoch,
                   const std::string& reason);
    void set_state(TrialEntry& trial, TrialState state, const std::string& why);
    // The attempt ended without a result: back to pending, or failed/cancelled.
    void end_attempt(TrialEntry& trial, const std::string& reason, bool counts_as_restart, int64_t now_ms);
    void finish_without_result(TrialEntry& trial, TrialState state, const std::string& reason);
    void release_worker_trial(const std::string& worker_id, int64_t trial_id);
    void drop_worker(const std::string& worker_id, const std::string& why);
    void check_sweep_done(SweepEntry& sweep);
    bool fits(const WorkerEntry& worker, const TrialNeeds& needs) const;
    const SweepEntry* sweep_of(const TrialEntry& trial) const;
    void assign(TrialEntry& trial, WorkerEntry& worker, int64_t now_ms);
    void send_no_work_if_idle();

    SchedulerSettings settings_;
    EpochJudge judge_;
    std::map<int64_t, SweepEntry> sweeps_;
    std::map<int64_t, TrialEntry> trials_;
    std::map<std::string, WorkerEntry> workers_;
    std::set<int64_t> pending_;            // trial ids waiting, oldest first
    std::set<int64_t> running_;            // trial ids holding a lease
    std::deque<std::string> ready_;        // workers that asked for work, oldest first
    size_t unfinished_ = 0;                // trials pending or running
    int64_t now_ms_ = 0;                   // the latest time an event brought (for last_sent_ms)
    SchedulerOutput output_;
};

}  // namespace segsweep::coordinator
