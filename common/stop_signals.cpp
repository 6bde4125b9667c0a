// StopSignalListener (see stop_signals.h): signals blocked in the training threads, taken by one
// listener thread with sigtimedwait().
#include "common/stop_signals.h"

#include <pthread.h>

#include <cstring>
#include <ctime>
#include <string>

#include "common/error.h"

namespace segsweep {
namespace {

// The flags of the one live listener, for the fallback handler (threads older than the listener).
std::atomic<std::atomic<bool>*> g_requested{nullptr};
std::atomic<std::atomic<int>*> g_number{nullptr};

extern "C" void set_stop_flags(int signal_number) {
    if (std::atomic<int>* number = g_number.load()) number->store(signal_number);
    if (std::atomic<bool>* requested = g_requested.load()) requested->store(true);
}

}  // namespace

StopSignalListener::StopSignalListener(std::initializer_list<int> signals, std::atomic<bool>& requested,
                                       std::atomic<int>* number)
    : signals_(signals), requested_(requested), number_(number) {
    std::atomic<bool>* none = nullptr;
    if (!g_requested.compare_exchange_strong(none, &requested_))
        throw Error("StopSignalListener: another listener already takes this process's stop signals");
    g_number = number_;
    sigemptyset(&set_);
    for (int signal_number : signals_) sigaddset(&set_, signal_number);
    if (int rc = pthread_sigmask(SIG_BLOCK, &set_, &previous_mask_); rc != 0) {
        g_number = nullptr;
        g_requested = nullptr;
        throw Error(std::string("pthread_sigmask(SIG_BLOCK) failed: ") + std::strerror(rc));
    }

    struct sigaction fallback {};
    fallback.sa_handler = set_stop_flags;
    sigemptyset(&fallback.sa_mask);
    previous_actions_.resize(signals_.size());
    for (size_t i = 0; i < signals_.size(); ++i) sigaction(signals_[i], &fallback, &previous_actions_[i]);

    thread_ = std::thread([this] { listen(); });  // inherits the block: sigtimedwait needs it
}

StopSignalListener::~StopSignalListener() {
    closing_ = true;
    if (thread_.joinable()) thread_.join();
    // Signals that arrived after the listener's last wait are still pending: take them here, or
    // restoring the mask would deliver them to the previous (often default: fatal) handler.
    const timespec now{0, 0};
    for (int taken = sigtimedwait(&set_, nullptr, &now); taken > 0; taken = sigtimedwait(&set_, nullptr, &now))
        take(taken);
    for (size_t i = 0; i < signals_.size(); ++i) sigaction(signals_[i], &previous_actions_[i], nullptr);
    pthread_sigmask(SIG_SETMASK, &previous_mask_, nullptr);
    g_number = nullptr;
    g_requested = nullptr;
}

void StopSignalListener::take(int signal_number) {
    if (number_) number_->store(signal_number);
    requested_.store(true);
}

void StopSignalListener::listen() {
    const timespec poll{0, static_cast<long>(kStopSignalPollMs) * 1000000L};
    while (!closing_) {
        const int taken = sigtimedwait(&set_, nullptr, &poll);
        if (taken > 0) take(taken);  // -1: EAGAIN (the poll timed out) or EINTR
    }
}

}  // namespace segsweep
