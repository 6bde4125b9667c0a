// The worker loop behind `segsweep worker`: ask the coordinator for a trial, train it in this
// process with run_trial (worker/train/trainer.h), stream each epoch, obey STOP at the epoch
// boundary, report the result, ask again.
//
// Threads: the network thread of CoordinatorLink keeps heartbeating while this (the trainer)
// thread trains. Multi-rank workers (an MPI job of N ranks, one data-parallel trial at a time):
// rank 0 runs run_worker() and talks to the coordinator; before each trial it broadcasts the
// assignment to ranks 1..N-1 through Communicator::broadcast_string, and those ranks run
// run_rank_follower(): receive an assignment, call run_trial with the same config, repeat until
// rank 0 broadcasts "exit". STOP decisions and preemption reach them inside run_trial (the
// trainer broadcasts rank 0's on_epoch decision and combines every rank's interrupt flag).
//
// Preemption (SIGUSR2 or SIGTERM sets `interrupt`): run_trial returns at the next batch with the
// newest checkpoint in the trial folder; the worker sends PREEMPTED (the trial goes back to
// pending without using a restart), waits for its ACK, says BYE and exits 0.
#pragma once

#include <atomic>
#include <filesystem>
#include <string>

#include "common/zmq_socket.h"
#include "worker/comm/communicator.h"

namespace segsweep::worker {

struct WorkerOptions {
    std::string address;                     // the coordinator's endpoint
    ClientSecurity security;
    std::filesystem::path data_root;         // --data; empty: the sweep file's data
    int threads = 0;                         // torch threads per rank; 0 = the trainer's default
    bool exit_when_idle = false;             // leave when the coordinator has no more work
    bool progress_bar = false;               // the trainer's per-epoch bar on a TTY
    std::string worker_id;                   // empty: host:pid:random
    Communicator* comm = nullptr;            // nullptr: one rank
    const std::atomic<bool>* interrupt = nullptr;        // set by the signal handlers
    const std::atomic<int>* interrupt_signal = nullptr;  // which signal set it (for the log)
    int heartbeat_interval_ms = 0;           // 0: the link's default until WELCOME
    int heartbeat_liveness = 0;
};

// Rank 0 (or the only rank). Returns the process exit code: 0 after NO_WORK (--exit-when-idle)
// or a preemption, 1 after a fatal error (refused key, version mismatch).
int run_worker(const WorkerOptions& options);

// Ranks 1..N-1 of a multi-rank worker. Returns when rank 0 broadcasts "exit".
int run_rank_follower(const WorkerOptions& options);

// "host:pid:xxxx" with 4 random hex digits.
std::string make_worker_id();

}  // namespace segsweep::worker
