// CoordinatorLink: a worker's connection to the coordinator, run by its own network thread so
// heartbeats keep flowing while the trainer thread trains (zguide Paranoid Pirate, worker side).
//
// The network thread owns a DEALER socket. It says HELLO (resources, and the trial it is still
// running, for re-attach), waits for WELCOME, then sends READY whenever it is idle, a HEARTBEAT
// whenever it has been silent for an interval, and the reports the trainer hands it. Any message
// from the coordinator counts as its heartbeat; after heartbeat_liveness silent intervals, or on
// RECONNECT, it closes the socket and says HELLO again on a fresh one, backing off from
// kReconnectInitialMs, doubling to kReconnectMaxMs. Unanswered EPOCHs are sent again after each
// WELCOME; a RESULT or PREEMPTED is sent again every kReportRetryMs until its ACK arrives.
//
// The trainer thread uses the blocking calls below; all of them are thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <zmq.hpp>

#include "common/protocol.h"
#include "common/zmq_socket.h"

namespace segsweep::worker {

inline constexpr int kWorkerHeartbeatIntervalMs = 1000;  // ms until WELCOME brings the coordinator's value
inline constexpr int kWorkerHeartbeatLiveness = 3;       // silent intervals before reconnecting
inline constexpr int kReconnectInitialMs = 1000;         // ms; zguide's INTERVAL_INIT
inline constexpr int kReconnectMaxMs = 16000;            // ms; zguide uses 32 s, we stay within the
                                                         // coordinator's 30 s lease/restart grace
inline constexpr int kReportRetryMs = 2000;              // ms between resends of RESULT / PREEMPTED
inline constexpr int kEpochAnswerWaitMs = 5000;          // ms the trainer waits for CONTINUE/STOP
inline constexpr int kPreemptAckWaitMs = 10000;          // ms to wait for the PREEMPTED ACK before exiting

struct LinkOptions {
    std::string address;            // the coordinator's endpoint
    ClientSecurity security;
    protocol::Hello hello;          // worker id and resources (running is filled in per HELLO)
    bool exit_when_idle = false;    // leave on NO_WORK
    int heartbeat_interval_ms = kWorkerHeartbeatIntervalMs;
    int heartbeat_liveness = kWorkerHeartbeatLiveness;
    int reconnect_initial_ms = kReconnectInitialMs;
    int reconnect_max_ms = kReconnectMaxMs;
};

// Why next_trial() returned no trial.
enum class LinkExit { none, no_work, interrupted, fatal };

class CoordinatorLink {
public:
    explicit CoordinatorLink(LinkOptions options);  // starts the network thread
    ~CoordinatorLink();                              // says BYE (best effort) and joins it
    CoordinatorLink(const CoordinatorLink&) = delete;
    CoordinatorLink& operator=(const CoordinatorLink&) = delete;

    // Blocks until the coordinator assigns a trial, or returns nullopt when the worker should
    // leave: NO_WORK with exit_when_idle, `interrupt` set (SIGUSR2/TERM/INT), or a fatal error.
    std::optional<protocol::TrialAssignment> next_trial(const std::atomic<bool>& interrupt);
    LinkExit exit_reason() const;
    std::string fatal_error() const;  // version mismatch, refused key

    // Sends an EPOCH of the current trial and waits up to kEpochAnswerWaitMs for the answer.
    // Returns the STOP reason, or "" to continue (also when no answer came in time: the EPOCH is
    // sent again after a reconnect and a STOP still arrives at a later epoch boundary).
    std::string report_epoch(const protocol::EpochReport& report, const std::atomic<bool>& interrupt);
    // A STOP received for the current trial since it started ("" = none).
    std::string stop_reason() const;
    // Queues the final RESULT; the network thread sends it until acknowledged. Ends the trial.
    void report_result(const protocol::ResultReport& report);
    // Sends PREEMPTED and waits up to wait_ms for its ACK; true when acknowledged.
    bool report_preempted(const protocol::Preempted& report, int wait_ms = kPreemptAckWaitMs);
    // Waits up to wait_ms until no RESULT awaits an ACK; true when none does.
    bool flush(int wait_ms);

    int reconnects() const { return reconnects_.load(); }

private:
    void run();
    void open_socket(int64_t now);
    void close_socket();
    void send(protocol::MessageType type, const nlohmann::json& body, int64_t now);
    void handle(const protocol::Message& message, int64_t now);
    void on_welcome(int64_t now);
    void fail(const std::string& why);

    LinkOptions options_;
    zmq::context_t context_;
    std::unique_ptr<zmq::socket_t> socket_;
    std::unique_ptr<HandshakeMonitor> monitor_;  // destroyed before socket_
    WakeupFd wakeup_;                            // the trainer thread's "something to send"
    std::thread thread_;
    std::atomic<bool> stop_{false};
    std::atomic<int> reconnects_{0};

    // Network-thread state.
    bool welcomed_ = false;
    bool ready_sent_ = false;
    int64_t last_received_ms_ = 0;
    int64_t last_sent_ms_ = 0;
    int64_t reconnect_at_ms_ = 0;       // when closed: when to open the next socket
    int backoff_ms_ = 0;
    int64_t next_report_retry_ms_ = 0;

    // Shared with the trainer thread (guarded by mutex_).
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::optional<protocol::TrialAssignment> offered_;  // assigned, not yet taken by next_trial
    std::optional<protocol::TrialAssignment> current_;  // taken and running (until its report)
    std::map<int, protocol::EpochReport> unanswered_;   // epoch -> report, current trial
    std::deque<protocol::EpochReport> to_send_;         // epochs the network thread has not sent yet
    std::map<int, std::string> answers_;                // epoch -> "" (CONTINUE) or the STOP reason
    std::string stop_reason_;
    std::optional<protocol::MessageType> report_type_;  // RESULT or PREEMPTED awaiting its ACK
    nlohmann::json report_body_;
    bool report_new_ = false;                           // queued, not yet sent once
    LinkExit exit_ = LinkExit::none;
    std::string fatal_error_;
};

}  // namespace segsweep::worker
