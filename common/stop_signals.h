// StopSignalListener: the stop signals of a process that trains (SIGTERM and SIGUSR2 from SLURM or
// `segsweep slurm stop`, SIGINT from a terminal), taken by one listener thread instead of a
// handler that interrupts whichever thread is running.
//
// Why no plain handler: oneDNN's JIT f32 GEMM kernels (Debian's libdnnl 2.6, which the fast FCN
// path calls, and every oneDNN before 3.11.2: oneDNN issue #4845) point rsp at a heap buffer while
// they run. A signal handled on a thread inside one writes its frame there and corrupts the heap.
// A worker preempted with SIGUSR2 mid-epoch died of it in CI ("corrupted size vs. prev_size while
// consolidating"); tests/model/test_stop_signals.cpp sends a storm of signals at such GEMMs.
//
// How: the constructor blocks the signals in the calling thread, so every thread started after it
// (OpenMP's, the data loader's, ZeroMQ's, MPI's) inherits the block, then starts the listener,
// which takes them with sigtimedwait() and sets `requested` and `number`. Construct it first thing
// in a verb that trains, before any other thread exists. A handler that sets the same flags stays
// installed for threads that might be older (none of them runs oneDNN). The destructor stops the
// listener, takes the signals still pending, and restores the mask and the previous handlers.
// One listener per process at a time.
#pragma once

#include <atomic>
#include <csignal>
#include <initializer_list>
#include <thread>
#include <vector>

namespace segsweep {

inline constexpr int kStopSignalPollMs = 100;  // ms the listener waits before checking for shutdown

class StopSignalListener {
public:
    // `number` (optional) receives the last signal taken. Throws Error when another listener exists.
    StopSignalListener(std::initializer_list<int> signals, std::atomic<bool>& requested,
                       std::atomic<int>* number = nullptr);
    ~StopSignalListener();
    StopSignalListener(const StopSignalListener&) = delete;
    StopSignalListener& operator=(const StopSignalListener&) = delete;

private:
    void listen();
    void take(int signal_number);

    std::vector<int> signals_;
    sigset_t set_;
    sigset_t previous_mask_;
    std::vector<struct sigaction> previous_actions_;
    std::atomic<bool>& requested_;
    std::atomic<int>* number_;
    std::atomic<bool> closing_{false};
    std::thread thread_;
};

}  // namespace segsweep
