// Coordinator: the process behind `segsweep coordinator`. One event loop around a ZeroMQ ROUTER
// socket (CURVE + a ZAP allow-list unless --insecure), a Scheduler (trial states and leases), a
// SweepRuntime per sweep (early stopping, metric.target, bayes) and a StoreWriter thread that
// commits the scheduler's writes in batches.
//
// One turn of the loop: poll the socket and the store's completion fd (never longer than
// kLoopTickMs); handle up to kMaxMessagesPerTurn messages; run the scheduler's timers; hand the
// turn's writes to the store as one transaction; send what does not wait for the disk
// (heartbeats, WELCOME) at once and the rest (TRIAL, CONTINUE/STOP, ACK, client replies) when the
// store reports the transaction committed.
//
// At start-up it reloads every unfinished sweep from the store: pending trials queue again,
// running ones wait restart_grace_ms for their workers to re-attach, then go back to pending.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include <zmq.hpp>

#include "coordinator/scheduler.h"
#include "coordinator/store_writer.h"
#include "coordinator/sweep_runtime.h"
#include "coordinator/zap_handler.h"

namespace segsweep::coordinator {

inline constexpr const char* kDefaultListen = "tcp://*:5555";
inline constexpr int kLoopTickMs = 50;              // ms; longest poll, and the scheduler's timer period
inline constexpr int kMaxMessagesPerTurn = 512;     // messages handled per loop turn before its writes go
inline constexpr int kReconnectNoticeMs = 1000;     // ms between RECONNECTs to the same unknown peer
inline constexpr size_t kSubmitMemory = 1024;       // SUBMIT request ids remembered (retries are not resubmits)

struct CoordinatorOptions {
    std::string listen = kDefaultListen;  // a ZeroMQ endpoint to bind (tcp://*:5555, ipc://...)
    std::string db_path;                  // the results store (created when missing)
    std::string runs_dir;                 // trial folders (checkpoints): runs_dir/sweep-S/trial-T
    std::string key_dir;                  // coordinator.secret + authorized/*.pub
    bool insecure = false;                // no CURVE: only ipc:// or loopback, with a warning
    std::string endpoint_file;            // where to write the connectable address ("" = none)
    SchedulerSettings scheduler;
    StoreDurability durability = StoreDurability::full;
};

class Coordinator {
public:
    // Loads keys (fails closed with the keygen hint), opens the store, reloads unfinished sweeps,
    // starts the ZAP handler and binds. Throws segsweep::Error on any of it.
    explicit Coordinator(CoordinatorOptions options);
    ~Coordinator();
    Coordinator(const Coordinator&) = delete;
    Coordinator& operator=(const Coordinator&) = delete;

    // Runs the loop until `stop` is set (SIGINT/SIGTERM) or the store fails. Throws on a fatal
    // store error after logging it.
    void run(const std::atomic<bool>& stop);

    // The address clients can connect to (wildcards replaced; the real port of tcp://...:*).
    const std::string& address() const { return address_; }
    const Scheduler& scheduler() const { return scheduler_; }
    const StoreWriter& store() const { return *store_; }
    // CPU seconds the event loop thread spent in run() (the benchmark's scheduling overhead).
    double loop_cpu_seconds() const { return loop_cpu_seconds_; }

private:
    struct Deferred {
        uint64_t after_sequence = 0;  // send once this store sequence has completed
        std::string routing_id;
        protocol::MessageType type = protocol::MessageType::heartbeat;
        nlohmann::json body;
    };

    // start-up
    void bind_socket();
    void reload(int64_t now);
    void add_runtime(int64_t sweep_id, const std::string& name, SweepSpec spec);

    // one loop turn
    void receive_messages(int64_t now);
    void handle_frames(const std::string& routing_id, const std::vector<std::string>& frames, int64_t now);
    void handle_worker_message(const std::string& routing_id, const protocol::Message& message, int64_t now);
    void handle_request(const std::string& routing_id, const protocol::Request& request, int64_t now);
    void flush(int64_t now);
    void observe_writes(const std::vector<StoreWrite>& writes, int64_t now);
    void feed_bayes(int64_t now);
    void handle_completions();
    void forget_unknown_peers();

    // client requests
    void submit_sweep(const std::string& routing_id, const protocol::Request& request, int64_t now);
    void answer_status(const std::string& routing_id, const protocol::Request& request, int64_t now);
    void answer_leaderboard(const std::string& routing_id, const protocol::Request& request);
    void answer_cancel(const std::string& routing_id, const protocol::Request& request, int64_t now);

    // sending
    void send_now(const std::string& routing_id, protocol::MessageType type, const nlohmann::json& body);
    // After everything queued to the store so far is committed.
    void send_after_store(const std::string& routing_id, protocol::MessageType type, nlohmann::json body);
    void reply(const std::string& routing_id, const std::string& request_id, nlohmann::json data);
    void reply_error(const std::string& routing_id, const std::string& request_id, const std::string& error);
    // A job on the store thread; `then` runs on the loop when it completed.
    void run_store_job(StoreJob job, std::function<void(const StoreCompletion&)> then);

    std::string trial_dir(int64_t sweep_id, int64_t trial_id) const;

    CoordinatorOptions options_;
    zmq::context_t context_;
    std::unique_ptr<ZapHandler> zap_;
    std::unique_ptr<zmq::socket_t> router_;
    std::string address_;
    Scheduler scheduler_;
    std::unique_ptr<StoreWriter> store_;
    std::map<int64_t, SweepRuntime> runtimes_;
    std::map<std::string, std::string> peer_worker_;    // routing id -> worker id
    std::map<std::string, std::string> worker_route_;   // worker id -> routing id
    std::map<std::string, int64_t> reconnect_sent_ms_;  // routing id -> last RECONNECT
    std::deque<Deferred> deferred_;
    std::map<uint64_t, std::function<void(const StoreCompletion&)>> continuations_;
    uint64_t completed_through_ = 0;                    // highest store sequence completed
    std::set<int64_t> bayes_asking_;                    // sweeps with an add_trial job in flight
    std::map<std::string, std::optional<int64_t>> submits_;  // request id -> sweep id (nullopt: in flight)
    std::deque<std::string> submit_order_;
    std::string fatal_error_;
    int64_t last_tick_ms_ = 0;
    double loop_cpu_seconds_ = 0;
};

}  // namespace segsweep::coordinator
