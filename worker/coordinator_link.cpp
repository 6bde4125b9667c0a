// CoordinatorLink: the worker's network thread (HELLO/WELCOME, READY, heartbeats both ways,
// reconnect on a fresh socket, EPOCH answers, RESULT/PREEMPTED until acknowledged).
#include "worker/coordinator_link.h"

#include <algorithm>
#include <chrono>

#include "common/log.h"
#include "common/zmq_check.h"

namespace segsweep::worker {
namespace {

using protocol::MessageType;

constexpr int kLinkPollMs = 100;  // ms; the longest the network thread sleeps between timer checks
constexpr int kWaitSliceMs = 100; // ms; how often blocked trainer calls re-check their interrupt flag
constexpr int kByeLingerMs = 500; // ms the closing socket may spend delivering the BYE

int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

bool same_attempt(const std::optional<protocol::TrialAssignment>& trial, int64_t trial_id, int attempt) {
    return trial && trial->trial_id == trial_id && trial->attempt == attempt;
}

}  // namespace

CoordinatorLink::CoordinatorLink(LinkOptions options) : options_(std::move(options)) {
    backoff_ms_ = options_.reconnect_initial_ms;
    thread_ = std::thread([this] { run(); });
}

CoordinatorLink::~CoordinatorLink() {
    stop_ = true;
    wakeup_.notify();
    if (thread_.joinable()) thread_.join();
}

LinkExit CoordinatorLink::exit_reason() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return exit_;
}

std::string CoordinatorLink::fatal_error() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return fatal_error_;
}

std::string CoordinatorLink::stop_reason() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return stop_reason_;
}

void CoordinatorLink::fail(const std::string& why) {
    LOG_E("%s", why.c_str());
    std::lock_guard<std::mutex> lock(mutex_);
    exit_ = LinkExit::fatal;
    fatal_error_ = why;
    stop_ = true;
    changed_.notify_all();
}

// ---- trainer-thread calls ----

std::optional<protocol::TrialAssignment> CoordinatorLink::next_trial(const std::atomic<bool>& interrupt) {
    std::unique_lock<std::mutex> lock(mutex_);
    while (true) {
        if (interrupt.load() && exit_ != LinkExit::fatal) exit_ = LinkExit::interrupted;
        if (offered_ && exit_ != LinkExit::interrupted && exit_ != LinkExit::fatal) {
            exit_ = LinkExit::none;  // a trial after NO_WORK: there is work again
            current_ = std::move(offered_);
            offered_.reset();
            answers_.clear();
            unanswered_.clear();
            to_send_.clear();
            return current_;
        }
        if (exit_ != LinkExit::none) return std::nullopt;
        changed_.wait_for(lock, std::chrono::milliseconds(kWaitSliceMs));
    }
}

std::string CoordinatorLink::report_epoch(const protocol::EpochReport& report, const std::atomic<bool>& interrupt) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!same_attempt(current_, report.trial_id, report.attempt)) return stop_reason_;
    const int epoch = report.metrics.epoch;
    unanswered_[epoch] = report;
    to_send_.push_back(report);
    wakeup_.notify();
    int64_t deadline = now_ms() + kEpochAnswerWaitMs;
    while (answers_.count(epoch) == 0 && stop_reason_.empty() && !interrupt.load() && exit_ == LinkExit::none) {
        int64_t left = deadline - now_ms();
        if (left <= 0) {
            LOG_W("no answer to EPOCH %d of trial %lld within %d ms: continuing", epoch,
                  static_cast<long long>(report.trial_id), kEpochAnswerWaitMs);
            break;
        }
        changed_.wait_for(lock, std::chrono::milliseconds(std::min<int64_t>(left, kWaitSliceMs)));
    }
    auto answer = answers_.find(epoch);
    if (answer != answers_.end() && !answer->second.empty()) return answer->second;
    return stop_reason_;
}

void CoordinatorLink::report_result(const protocol::ResultReport& report) {
    std::lock_guard<std::mutex> lock(mutex_);
    report_type_ = MessageType::result;
    report_body_ = protocol::to_json(report);
    report_new_ = true;
    wakeup_.notify();
}

bool CoordinatorLink::report_preempted(const protocol::Preempted& report, int wait_ms) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        report_type_ = MessageType::preempted;
        report_body_ = protocol::to_json(report);
        report_new_ = true;
        if (exit_ == LinkExit::none) exit_ = LinkExit::interrupted;  // the worker is leaving: no READY
        wakeup_.notify();
    }
    return flush(wait_ms);
}

bool CoordinatorLink::flush(int wait_ms) {
    std::unique_lock<std::mutex> lock(mutex_);
    int64_t deadline = now_ms() + wait_ms;
    while (report_type_ && exit_ != LinkExit::fatal) {
        int64_t left = deadline - now_ms();
        if (left <= 0) return false;
        changed_.wait_for(lock, std::chrono::milliseconds(std::min<int64_t>(left, kWaitSliceMs)));
    }
    return !report_type_;
}

// ---- network thread ----

void CoordinatorLink::open_socket(int64_t now) {
    socket_ = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::dealer);
    set_common_socket_options(*socket_);
    apply_client_security(*socket_, options_.security);
    monitor_ = std::make_unique<HandshakeMonitor>(context_, *socket_);
    ZMQ_CHECK(zmq_connect(socket_->handle(), options_.address.c_str()));
    welcomed_ = false;
    ready_sent_ = false;
    last_received_ms_ = now;

    protocol::Hello hello = options_.hello;
    hello.running.reset();
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (current_ && !report_type_) {
            int epochs_done = 0;
            for (const auto& [epoch, answer] : answers_) epochs_done = std::max(epochs_done, epoch);
            for (const auto& [epoch, report] : unanswered_) epochs_done = std::max(epochs_done, epoch);
            hello.running = protocol::RunningTrial{current_->trial_id, current_->attempt, epochs_done};
        }
    }
    send(MessageType::hello, protocol::to_json(hello), now);
}

void CoordinatorLink::close_socket() {
    monitor_.reset();
    socket_.reset();
    welcomed_ = false;
}

void CoordinatorLink::send(MessageType type, const nlohmann::json& body, int64_t now) {
    if (!socket_) return;
    if (!send_message(*socket_, "", type, body))
        LOG_W("could not queue %s to the coordinator (send queue full)", protocol::message_type_name(type));
    last_sent_ms_ = now;
}

void CoordinatorLink::on_welcome(int64_t now) {
    welcomed_ = true;
    ready_sent_ = false;
    backoff_ms_ = options_.reconnect_initial_ms;
    std::lock_guard<std::mutex> lock(mutex_);
    // Everything the coordinator may have missed goes again; it drops what it already has.
    to_send_.clear();
    for (const auto& [epoch, report] : unanswered_) to_send_.push_back(report);
    if (report_type_) report_new_ = true;
    (void)now;
}

void CoordinatorLink::handle(const protocol::Message& message, int64_t now) {
    last_received_ms_ = now;
    const auto& body = message.body;
    switch (message.type) {
        case MessageType::welcome: {
            protocol::Welcome welcome = protocol::welcome_from_json(body);
            options_.heartbeat_interval_ms = welcome.heartbeat_interval_ms;
            options_.heartbeat_liveness = welcome.heartbeat_liveness;
            LOG_I("connected to the coordinator at %s as %s (heartbeat %d ms x %d)", options_.address.c_str(),
                  welcome.worker_id.c_str(), welcome.heartbeat_interval_ms, welcome.heartbeat_liveness);
            on_welcome(now);
            return;
        }
        case MessageType::trial: {
            protocol::TrialAssignment trial = protocol::trial_assignment_from_json(body);
            std::lock_guard<std::mutex> lock(mutex_);
            if (same_attempt(current_, trial.trial_id, trial.attempt) ||
                same_attempt(offered_, trial.trial_id, trial.attempt))
                return;  // a repeat
            if (current_ || offered_) {
                LOG_W("TRIAL %lld arrived while busy with trial %lld: ignored", static_cast<long long>(trial.trial_id),
                      static_cast<long long>(current_ ? current_->trial_id : offered_->trial_id));
                return;
            }
            LOG_I("trial %lld attempt %d assigned (sweep %lld, folder %s%s)", static_cast<long long>(trial.trial_id),
                  trial.attempt, static_cast<long long>(trial.sweep_id), trial.trial_dir.c_str(),
                  trial.resume ? ", resume" : "");
            offered_ = std::move(trial);
            stop_reason_.clear();
            ready_sent_ = false;
            changed_.notify_all();
            return;
        }
        case MessageType::proceed:
        case MessageType::stop: {
            protocol::Decision decision = protocol::decision_from_json(body);
            std::lock_guard<std::mutex> lock(mutex_);
            bool ours = same_attempt(current_, decision.trial_id, decision.attempt) ||
                        same_attempt(offered_, decision.trial_id, decision.attempt);
            if (!ours) {
                LOG_D("%s for trial %lld attempt %d, which this worker does not run: ignored",
                      protocol::message_type_name(message.type), static_cast<long long>(decision.trial_id),
                      decision.attempt);
                return;
            }
            if (message.type == MessageType::stop) {
                if (stop_reason_.empty() || decision.reason == protocol::kStopReasonStale ||
                    decision.reason == protocol::kStopReasonCancel) {
                    if (stop_reason_ != decision.reason)
                        LOG_I("STOP for trial %lld: %s", static_cast<long long>(decision.trial_id),
                              decision.reason.c_str());
                    stop_reason_ = decision.reason.empty() ? std::string("stop") : decision.reason;
                }
                if (decision.reason == protocol::kStopReasonStale) unanswered_.clear();
            }
            if (decision.epoch > 0) {
                answers_[decision.epoch] = message.type == MessageType::stop ? stop_reason_ : "";
                unanswered_.erase(decision.epoch);
            }
            changed_.notify_all();
            return;
        }
        case MessageType::ack: {
            protocol::Ack ack = protocol::ack_from_json(body);
            std::lock_guard<std::mutex> lock(mutex_);
            if (!report_type_ || report_body_.value("trial_id", int64_t{0}) != ack.trial_id ||
                report_body_.value("attempt", 0) != ack.attempt)
                return;
            LOG_I("%s of trial %lld attempt %d acknowledged%s%s", protocol::message_type_name(*report_type_),
                  static_cast<long long>(ack.trial_id), ack.attempt, ack.note.empty() ? "" : ": ", ack.note.c_str());
            report_type_.reset();
            current_.reset();
            unanswered_.clear();
            to_send_.clear();
            answers_.clear();
            stop_reason_.clear();
            ready_sent_ = false;
            changed_.notify_all();
            return;
        }
        case MessageType::no_work: {
            std::lock_guard<std::mutex> lock(mutex_);
            if (options_.exit_when_idle && !current_ && !offered_ && !report_type_) {
                LOG_I("the coordinator has no more work: leaving (--exit-when-idle)");
                exit_ = LinkExit::no_work;
                changed_.notify_all();
            }
            return;
        }
        case MessageType::reconnect:
            LOG_W("the coordinator does not know this worker (it restarted?): reconnecting");
            close_socket();
            reconnect_at_ms_ = now;
            ++reconnects_;
            return;
        case MessageType::error: {
            protocol::ErrorBody error = protocol::error_from_json(body);
            LOG_E("the coordinator refused a message: %s", error.message.c_str());
            return;
        }
        case MessageType::heartbeat:
            return;
        default:
            LOG_W("unexpected %s from the coordinator: dropped", protocol::message_type_name(message.type));
            return;
    }
}

void CoordinatorLink::run() {
    std::vector<std::string> frames;
    try {
        open_socket(now_ms());
        while (!stop_) {
            int64_t now = now_ms();
            if (!socket_ && now >= reconnect_at_ms_) {
                ++reconnects_;
                open_socket(now);
            }
            zmq_pollitem_t items[3];
            int count = 0;
            items[count++] = {nullptr, wakeup_.fd(), ZMQ_POLLIN, 0};
            if (socket_) {
                items[count++] = {socket_->handle(), 0, ZMQ_POLLIN, 0};
                items[count++] = {monitor_->socket().handle(), 0, ZMQ_POLLIN, 0};
            }
            int rc = zmq_poll(items, count, kLinkPollMs);
            if (rc == -1 && zmq_errno() != EINTR) ZMQ_CHECK(rc);
            if (items[0].revents & ZMQ_POLLIN) wakeup_.drain();
            if (socket_ && (items[2].revents & ZMQ_POLLIN)) {
                if (auto failure = monitor_->failure()) {
                    fail(*failure);
                    break;
                }
            }
            now = now_ms();
            while (socket_ && receive_frames(*socket_, frames, protocol::kFrameCount + 1)) {
                protocol::Decoded decoded = protocol::decode_frames(frames);
                if (decoded.status == protocol::DecodeStatus::version_mismatch) {
                    fail(protocol::version_mismatch_text(decoded.peer_version, "coordinator"));
                    break;
                }
                if (decoded.status != protocol::DecodeStatus::ok) {
                    LOG_W("dropped a malformed message from the coordinator: %s", decoded.error.c_str());
                    continue;
                }
                try {
                    protocol::validate_body(decoded.message);
                    handle(decoded.message, now);
                } catch (const protocol::ProtocolError& e) {
                    LOG_W("dropped an invalid %s from the coordinator: %s",
                          protocol::message_type_name(decoded.message.type), e.what());
                }
            }
            if (stop_ || !socket_) continue;

            now = now_ms();
            const int64_t silence_limit =
                static_cast<int64_t>(options_.heartbeat_interval_ms) * options_.heartbeat_liveness;
            if (now - last_received_ms_ > silence_limit) {
                LOG_W("no message from the coordinator at %s for %lld ms: reconnecting in %d ms",
                      options_.address.c_str(), static_cast<long long>(now - last_received_ms_), backoff_ms_);
                close_socket();
                reconnect_at_ms_ = now + backoff_ms_;
                backoff_ms_ = std::min(backoff_ms_ * 2, options_.reconnect_max_ms);
                continue;
            }
            if (!welcomed_) continue;
            {
                std::unique_lock<std::mutex> lock(mutex_);
                while (!to_send_.empty()) {
                    protocol::EpochReport report = to_send_.front();
                    to_send_.pop_front();
                    send(MessageType::epoch, protocol::to_json(report), now);
                }
                if (report_type_ && (report_new_ || now >= next_report_retry_ms_)) {
                    send(*report_type_, report_body_, now);
                    report_new_ = false;
                    next_report_retry_ms_ = now + kReportRetryMs;
                }
                bool idle = !current_ && !offered_ && !report_type_ && exit_ == LinkExit::none;
                if (idle && !ready_sent_) {
                    send(MessageType::ready, nlohmann::json::object(), now);
                    ready_sent_ = true;
                }
            }
            if (now - last_sent_ms_ >= options_.heartbeat_interval_ms)
                send(MessageType::heartbeat, nlohmann::json::object(), now);
        }
        if (socket_ && welcomed_) {
            send(MessageType::bye, protocol::to_json(protocol::Bye{"worker exiting"}), now_ms());
            int linger = kByeLingerMs;  // let the BYE leave before the socket closes
            ZMQ_CHECK(zmq_setsockopt(socket_->handle(), ZMQ_LINGER, &linger, sizeof linger));
        }
    } catch (const std::exception& e) {
        fail(std::string("worker network thread: ") + e.what());
    }
    close_socket();
}

}  // namespace segsweep::worker
