// The worker loop: trials from the coordinator trained in-process, for rank 0 and the follower ranks.
#include "worker/worker_loop.h"

#include <unistd.h>

#include <csignal>
#include <cstring>
#include <random>

#include "common/error.h"
#include "common/log.h"
#include "worker/coordinator_link.h"
#include "worker/train/trainer.h"

namespace segsweep::worker {
namespace {

using protocol::TrialAssignment;

// What rank 0 broadcasts to the other ranks: {"op": "trial", "trial": TRIAL body} or {"op": "exit"}.
std::string rank_trial_message(const TrialAssignment& trial) {
    return nlohmann::json{{"op", "trial"}, {"trial", protocol::to_json(trial)}}.dump();
}

std::string rank_exit_message() { return nlohmann::json{{"op", "exit"}}.dump(); }

std::string host_name() {
    char name[256] = {0};
    if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
    return name;
}

// Resources of the whole job: every rank reports whether it drives a GPU (a collective: all
// ranks call it once at start-up).
int count_gpus(Communicator* comm) {
    if (comm == nullptr) return 0;
    std::vector<std::string> devices = comm->allgather_string(std::to_string(comm->cuda_device()));
    int gpus = 0;
    for (const auto& d : devices)
        if (d != "-1") ++gpus;
    return gpus;
}

std::string signal_name(const std::atomic<int>* signal_number) {
    int number = signal_number ? signal_number->load() : 0;
    if (number == SIGUSR2) return "SIGUSR2";
    if (number == SIGTERM) return "SIGTERM";
    if (number == SIGINT) return "SIGINT";
    return number == 0 ? "interrupt" : "signal " + std::to_string(number);
}

TrainOptions train_options(const WorkerOptions& options, const TrialAssignment& trial) {
    TrainOptions train;
    train.data_root = options.data_root.empty() ? std::filesystem::path(trial.data_root) : options.data_root;
    train.run_dir = trial.trial_dir;
    train.resume = trial.resume;
    train.threads = options.threads;
    train.comm = options.comm;
    train.progress_bar = options.progress_bar;
    return train;
}

EpochDecision decision_for(const std::string& stop_reason) {
    if (stop_reason.empty()) return EpochDecision::proceed;
    if (stop_reason == protocol::kStopReasonEarlyStop || stop_reason == protocol::kStopReasonTarget)
        return EpochDecision::stop_early;
    return EpochDecision::cancel;  // cancel, stale_attempt
}

const std::atomic<bool>& interrupt_flag(const WorkerOptions& options) {
    static const std::atomic<bool> never{false};
    return options.interrupt ? *options.interrupt : never;
}

}  // namespace

std::string make_worker_id() {
    std::random_device device;
    char suffix[8];
    std::snprintf(suffix, sizeof suffix, "%04x", static_cast<unsigned>(device() & 0xffff));
    return host_name() + ":" + std::to_string(getpid()) + ":" + suffix;
}

int run_worker(const WorkerOptions& options) {
    const std::atomic<bool>& interrupt = interrupt_flag(options);
    const int ranks = options.comm ? options.comm->size() : 1;
    const int gpus = count_gpus(options.comm);

    LinkOptions link_options;
    link_options.address = options.address;
    link_options.security = options.security;
    link_options.exit_when_idle = options.exit_when_idle;
    if (options.heartbeat_interval_ms > 0) link_options.heartbeat_interval_ms = options.heartbeat_interval_ms;
    if (options.heartbeat_liveness > 0) link_options.heartbeat_liveness = options.heartbeat_liveness;
    protocol::Hello& hello = link_options.hello;
    hello.worker_id = options.worker_id.empty() ? make_worker_id() : options.worker_id;
    hello.host = host_name();
    hello.pid = getpid();
    hello.ranks = ranks;
    hello.gpus = gpus;
    hello.cpu_threads = options.threads > 0 ? options.threads : default_thread_count(options.comm);
    LOG_I("worker %s: %d rank(s), %d GPU(s), %d thread(s) per rank; coordinator %s", hello.worker_id.c_str(), ranks,
          gpus, hello.cpu_threads, options.address.c_str());

    CoordinatorLink link(link_options);
    int exit_code = 0;
    while (auto trial = link.next_trial(interrupt)) {
        if (ranks > 1) {
            std::string message = rank_trial_message(*trial);
            options.comm->broadcast_string(message, 0);
        }
        TrainCallbacks callbacks;
        const int64_t trial_id = trial->trial_id;
        const int attempt = trial->attempt;
        callbacks.on_epoch = [&](const EpochMetrics& metrics) {
            return decision_for(link.report_epoch(protocol::EpochReport{trial_id, attempt, metrics}, interrupt));
        };
        callbacks.interrupt_requested = [&] { return interrupt.load(); };

        TrialResult result;
        try {
            result = run_trial(trial->config, train_options(options, *trial), callbacks);
        } catch (const std::exception& e) {
            // With several ranks the others may sit in a collective: end the whole job.
            if (ranks > 1) options.comm->abort(1, std::string("trial failed on rank 0: ") + e.what());
            LOG_E("trial %lld attempt %d failed: %s", static_cast<long long>(trial_id), attempt, e.what());
            result = TrialResult{};
            result.state = TrialState::failed;
            result.message = e.what();
            result.config = trial->config;
        }
        if (was_preempted(result)) {
            protocol::Preempted preempted{trial_id, attempt, result.epochs_run, signal_name(options.interrupt_signal)};
            LOG_I("trial %lld attempt %d preempted (%s) after %d epoch(s): telling the coordinator",
                  static_cast<long long>(trial_id), attempt, preempted.reason.c_str(), result.epochs_run);
            if (!link.report_preempted(preempted))
                LOG_W("no ACK for PREEMPTED: the coordinator will requeue trial %lld when its lease runs out",
                      static_cast<long long>(trial_id));
            break;
        }
        LOG_I("trial %lld attempt %d ended %s after %d epoch(s)%s%s", static_cast<long long>(trial_id), attempt,
              trial_state_name(result.state), result.epochs_run, result.message.empty() ? "" : ": ",
              result.message.c_str());
        link.report_result(protocol::ResultReport{trial_id, attempt, result});
    }
    if (ranks > 1) {
        std::string message = rank_exit_message();
        options.comm->broadcast_string(message, 0);
    }
    if (!link.flush(kPreemptAckWaitMs)) LOG_W("leaving with a RESULT not yet acknowledged");
    if (link.exit_reason() == LinkExit::fatal) {
        LOG_E("worker stopped: %s", link.fatal_error().c_str());
        exit_code = 1;
    }
    return exit_code;
}

int run_rank_follower(const WorkerOptions& options) {
    if (options.comm == nullptr || options.comm->rank() == 0)
        throw Error("run_rank_follower: only ranks 1..N-1 of a multi-rank worker follow rank 0");
    const std::atomic<bool>& interrupt = interrupt_flag(options);
    count_gpus(options.comm);  // matches rank 0's collective
    while (true) {
        std::string text;
        options.comm->broadcast_string(text, 0);
        nlohmann::json message = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
        if (message.is_discarded() || !message.is_object())
            throw Error("rank " + std::to_string(options.comm->rank()) + ": unreadable message from rank 0");
        if (message.value("op", "") == "exit") return 0;
        TrialAssignment trial = protocol::trial_assignment_from_json(message.at("trial"));
        TrainCallbacks callbacks;
        callbacks.interrupt_requested = [&] { return interrupt.load(); };
        TrialResult result = run_trial(trial.config, train_options(options, trial), callbacks);
        if (was_preempted(result)) {
            // Rank 0 leaves its loop too and broadcasts "exit".
            continue;
        }
    }
}

}  // namespace segsweep::worker
