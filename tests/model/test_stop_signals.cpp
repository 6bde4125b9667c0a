// Tests of StopSignalListener (common/stop_signals.h): a stop signal sets the flag; threads started
// after the listener block the signals; and oneDNN GEMMs under a storm of signals keep the heap
// intact (with a plain handler, Debian's oneDNN 2.6 corrupts it within a second at these shapes:
// oneDNN issue #4845).
#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include "common/stop_signals.h"
#if SEGSWEEP_HAVE_DNNL
#include "worker/model/fast/fast_gemm.h"
#endif

namespace segsweep {
namespace {

constexpr int kFlagWaitMs = 5000;       // ms a test waits for the listener to set the flag
constexpr int kStormMs = 1500;          // ms of GEMMs under signals
constexpr int kStormSignalGapUs = 50;   // µs between two signals of the storm
// GEMM shape of the storm: k this large makes oneDNN's JIT kernel use the workspace it points rsp
// at (k = 72 never crashed the unprotected reproducer; k = 600 always did, within 0.7 s).
constexpr int kStormM = 64, kStormN = 64, kStormK = 600;

bool wait_for(const std::atomic<bool>& flag) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kFlagWaitMs);
    while (!flag.load() && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return flag.load();
}

bool blocked_here(int signal_number) {
    sigset_t mask;
    pthread_sigmask(SIG_BLOCK, nullptr, &mask);
    return sigismember(&mask, signal_number) == 1;
}

TEST(StopSignals, ASignalToTheProcessSetsTheFlagAndSaysWhichSignal) {
    std::atomic<bool> requested{false};
    std::atomic<int> number{0};
    {
        StopSignalListener listener({SIGTERM, SIGUSR2}, requested, &number);
        ASSERT_EQ(::kill(::getpid(), SIGUSR2), 0);
        ASSERT_TRUE(wait_for(requested)) << "no flag " << kFlagWaitMs << " ms after SIGUSR2";
        EXPECT_EQ(number.load(), SIGUSR2);
    }
    // Afterwards the thread's mask and the previous (default) handler are back.
    EXPECT_FALSE(blocked_here(SIGUSR2));
    struct sigaction now {};
    sigaction(SIGUSR2, nullptr, &now);
    EXPECT_EQ(now.sa_handler, SIG_DFL);
}

TEST(StopSignals, ASignalPendingWhenTheListenerEndsIsTakenNotFatal) {
    std::atomic<bool> requested{false};
    {
        StopSignalListener listener({SIGUSR2}, requested);
        // Raised on this (blocking) thread: pending here until the destructor takes it.
        ASSERT_EQ(pthread_kill(pthread_self(), SIGUSR2), 0);
    }
    EXPECT_TRUE(requested.load());  // and the process is still alive under SIG_DFL
}

// In a child process (a death test), so that no OpenMP thread of an earlier test exists yet: as in
// a worker, the listener comes before every other thread. Exits 0 when all of them block.
void threads_after_the_listener() {
    std::atomic<bool> requested{false};
    StopSignalListener listener({SIGINT, SIGTERM, SIGUSR2}, requested);
    bool in_thread = false;
    std::thread([&] { in_thread = blocked_here(SIGTERM) && blocked_here(SIGUSR2) && blocked_here(SIGINT); }).join();
    at::set_num_threads(2);
    std::atomic<int> unblocked{0}, ran{0};
    at::parallel_for(0, 2, 1, [&](int64_t, int64_t) {
        ++ran;
        if (!blocked_here(SIGUSR2)) ++unblocked;
    });
    std::fprintf(stderr, "caller %d, std::thread %d, OpenMP threads run %d, unblocked %d\n",
                 blocked_here(SIGTERM) ? 1 : 0, in_thread ? 1 : 0, ran.load(), unblocked.load());
    std::exit(blocked_here(SIGTERM) && in_thread && ran.load() > 0 && unblocked.load() == 0 ? 0 : 1);
}

TEST(StopSignalsDeathTest, ThreadsStartedAfterTheListenerBlockTheSignals) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_EXIT(threads_after_the_listener(), ::testing::ExitedWithCode(0), "unblocked 0");
}

TEST(StopSignals, SecondListenerIsRefused) {
    std::atomic<bool> requested{false};
    StopSignalListener listener({SIGUSR2}, requested);
    EXPECT_THROW(StopSignalListener({SIGUSR2}, requested), std::exception);
}

#if SEGSWEEP_HAVE_DNNL
// Runs in a child process (a death test): GEMMs and heap churn while another thread signals the
// process every kStormSignalGapUs. Exits 0 when it survives and the flag was set.
void gemms_under_a_signal_storm() {
    std::atomic<bool> requested{false};
    StopSignalListener listener({SIGUSR2}, requested);
    std::atomic<bool> done{false};
    std::thread sender([&] {
        while (!done) {
            ::kill(::getpid(), SIGUSR2);
            std::this_thread::sleep_for(std::chrono::microseconds(kStormSignalGapUs));
        }
    });
    std::vector<float> a(kStormM * kStormK, 1.0f), b(kStormK * kStormN, 1.0f), c(kStormM * kStormN, 0.0f);
    auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(kStormMs);
    long gemms = 0;
    while (std::chrono::steady_clock::now() < end) {
        fast::gemm_a_b(kStormM, kStormN, kStormK, a.data(), kStormK, b.data(), kStormN, 0.0f, c.data(), kStormN);
        std::vector<std::vector<char>> churn;
        for (int i = 0; i < 50; ++i) churn.emplace_back(100 + i * 37);
        ++gemms;
    }
    done = true;
    sender.join();
    const bool exact = c[0] == static_cast<float>(kStormK);
    std::fprintf(stderr, "%ld GEMMs, flag %d, c[0] %g\n", gemms, requested.load() ? 1 : 0, c[0]);
    std::exit(requested.load() && exact && gemms > 0 ? 0 : 1);
}

TEST(StopSignalsDeathTest, OneDnnGemmsUnderASignalStormKeepTheHeapIntact) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_EXIT(gemms_under_a_signal_storm(), ::testing::ExitedWithCode(0), "GEMMs, flag 1");
}
#endif

}  // namespace
}  // namespace segsweep
