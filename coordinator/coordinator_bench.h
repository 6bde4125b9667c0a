// `segsweep bench coordinator`: is the coordinator ever the bottleneck? The real coordinator, run
// as its own `segsweep coordinator` process (ROUTER over CURVE on tcp loopback, the scheduler, the
// SQLite store with fsync at every commit), serves W simulated workers. Each simulated worker is a DEALER socket driven by a few driver
// threads running StandInTrial: on TRIAL it sends all of its epoch reports at once, waits for
// each CONTINUE (sent only once the epoch is committed), sends the RESULT, waits for the ACK and
// asks again. The stand-in exists for this benchmark only; every test trains real trials.
//
// Per worker count: trials dispatched per second, durable epoch reports per second, READY->TRIAL
// latency (p50, p99), wall time per trial and the coordinator process's CPU time per trial (its
// scheduling overhead, apart from the simulated workers that share the machine). The peer, in the same run:
// Optuna (python3-optuna) on SQLite storage running the same number of no-op trials with the same
// number of reported intermediate values (bench/peers/optuna_sqlite_noop.py).
#pragma once

#include <string>
#include <vector>

namespace segsweep::coordinator {

inline constexpr int kBenchTrials = 1000;         // trials per worker count (each worker gets >= 1 at 1000)
inline constexpr int kBenchEpochs = 10;           // epoch reports per stand-in trial
inline constexpr int kBenchDriverThreads = 4;     // threads driving the simulated workers' sockets
inline constexpr int kBenchTimeoutS = 600;        // seconds before one row gives up

struct CoordinatorBenchOptions {
    std::vector<int> worker_counts = {10, 100, 1000};
    int trials = kBenchTrials;
    int epochs = kBenchEpochs;
    int peer_trials = -1;                         // -1: the same as `trials`; 0: skip the peer
    std::string python = "/usr/bin/python3";
    std::string peer_script;                      // default: <source>/bench/peers/optuna_sqlite_noop.py
    std::string dir;                              // scratch (kept); default: a new folder under /tmp,
                                                  // removed at the end unless keep_scratch
    bool keep_scratch = false;
    bool durability_normal = false;               // synchronous=NORMAL instead of FULL (fsync per commit)
};

// Runs every row and the peer; returns the report (a table and the ratios).
std::string run_coordinator_bench(const CoordinatorBenchOptions& options);

}  // namespace segsweep::coordinator
