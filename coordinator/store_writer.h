// StoreWriter: the coordinator's one connection to the results store, on its own thread, so the
// event loop never waits on the disk. The loop hands it batches of scheduler writes and jobs
// (reads, submits) that run in order with them. Write batches waiting back to back are committed
// together as one transaction (group commit: one fsync for many reports under load); when a
// batch or job is done the writer posts a completion and wakes the loop through an eventfd. The
// loop sends the messages that depended on a batch (TRIAL, ACK, CONTINUE/STOP) only after its
// completion: nothing is acknowledged that is not on disk.
//
// A failed commit (disk full, I/O error) is fatal: the completion carries the error and the
// coordinator stops, so a restart reloads exactly what is durable and workers resend the rest.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/zmq_socket.h"
#include "coordinator/scheduler.h"
#include "results/results_store.h"

namespace segsweep::coordinator {

// Work run on the store thread, in order with the write batches. `run` may throw segsweep::Error:
// the completion then carries the message (a job failing is not fatal, a batch failing is).
using StoreJob = std::function<void(ResultsStore& store)>;

struct StoreCompletion {
    uint64_t sequence = 0;
    bool failed = false;
    bool fatal = false;             // a write batch failed
    std::string error;
    int writes = 0;                 // writes committed by this batch
};

class StoreWriter {
public:
    // Opens the store on the writer thread (errors surface from the constructor).
    StoreWriter(const std::string& db_path, StoreDurability durability);
    ~StoreWriter();  // finishes what is queued, then joins
    StoreWriter(const StoreWriter&) = delete;
    StoreWriter& operator=(const StoreWriter&) = delete;

    // Queues one transaction's worth of writes; returns its sequence number (increasing).
    uint64_t submit_writes(std::vector<StoreWrite> writes);
    // Queues a job; returns its sequence number.
    uint64_t submit_job(StoreJob job);

    // Readable when completions are waiting (poll it with the loop's sockets).
    int wakeup_fd() const { return wakeup_.fd(); }
    // Completions since the last call, in sequence order.
    std::vector<StoreCompletion> take_completions();
    uint64_t last_submitted() const { return next_sequence_ - 1; }

    // Totals for the benchmark and the log.
    uint64_t writes_committed() const;
    uint64_t transactions_committed() const;
    // CPU seconds the writer thread used (final once the writer is destroyed or idle).
    double cpu_seconds() const;

private:
    struct Task {
        uint64_t sequence = 0;
        std::vector<StoreWrite> writes;
        StoreJob job;
    };
    void run(const std::string& db_path, StoreDurability durability);
    void apply(ResultsStore& store, const StoreWrite& write);

    std::thread thread_;
    mutable std::mutex mutex_;
    std::condition_variable queued_;
    std::deque<Task> tasks_;
    std::vector<StoreCompletion> completions_;
    bool stopping_ = false;
    bool opened_ = false;
    std::string open_error_;
    uint64_t next_sequence_ = 1;
    uint64_t writes_committed_ = 0;
    uint64_t transactions_ = 0;
    double cpu_seconds_ = 0;
    WakeupFd wakeup_;
};

}  // namespace segsweep::coordinator
