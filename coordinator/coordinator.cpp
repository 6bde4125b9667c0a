// Coordinator: start-up (keys, ZAP, bind), the event loop, worker messages and sending.
#include "coordinator/coordinator.h"

#include <time.h>

#include <chrono>
#include <filesystem>

#include "common/coordinator_address.h"
#include "common/error.h"
#include "common/keys.h"
#include "common/log.h"
#include "common/zmq_check.h"

namespace segsweep::coordinator {
namespace {

using protocol::MessageType;

constexpr int kShutdownDrainMs = 5000;  // ms to finish committing and sending at shutdown
constexpr int64_t kReconnectMemoryMs = 60000;  // ms a RECONNECT notice is remembered per peer

double thread_cpu_seconds() {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// Routing ids are binary (5 bytes from libzmq): shown as hex in the log.
std::string peer_name(const std::string& routing_id) {
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (unsigned char ch : routing_id) {
        out += hex[ch >> 4];
        out += hex[ch & 15];
    }
    return out;
}

}  // namespace

Coordinator::Coordinator(CoordinatorOptions options) : options_(std::move(options)), scheduler_(options_.scheduler) {
    scheduler_.set_epoch_judge(
        [this](const SweepEntry& sweep, const TrialEntry& trial, const EpochMetrics& metrics, std::string& why) {
            auto runtime = runtimes_.find(sweep.sweep_id);
            if (runtime == runtimes_.end()) return EpochVerdict::proceed;
            return runtime->second.on_epoch(trial.trial_id, trial.attempt, metrics, why);
        });
    if (options_.runs_dir.empty()) {
        std::filesystem::path db(options_.db_path);
        options_.runs_dir = (db.has_parent_path() ? db.parent_path() : std::filesystem::path(".")) / "runs";
    }
    options_.runs_dir = std::filesystem::absolute(options_.runs_dir).lexically_normal().string();

    int64_t now = now_ms();
    bind_socket();  // keys first: refuse to start without them before touching the store
    reload(now);
    store_ = std::make_unique<StoreWriter>(options_.db_path, options_.durability);
    last_tick_ms_ = now;
}

Coordinator::~Coordinator() {
    router_.reset();
    zap_.reset();
}

std::string Coordinator::trial_dir(int64_t sweep_id, int64_t trial_id) const {
    return options_.runs_dir + "/sweep-" + std::to_string(sweep_id) + "/trial-" + std::to_string(trial_id);
}

void Coordinator::bind_socket() {
    router_ = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::router);
    set_common_socket_options(*router_);
    std::string security;
    if (options_.insecure) {
        if (!endpoint_is_local(options_.listen))
            throw Error("--insecure is allowed only for ipc:// or loopback endpoints, not " + options_.listen +
                        "; " + keygen_hint(options_.key_dir));
        LOG_W("--insecure: no encryption and no authentication on %s (local demos only)", options_.listen.c_str());
        security = "INSECURE";
    } else {
        KeyFolder folder{options_.key_dir};
        if (!std::filesystem::exists(folder.coordinator_secret()))
            throw Error("no coordinator key " + folder.coordinator_secret() + "; " + keygen_hint(options_.key_dir));
        CurveKeyPair pair = read_secret_key(folder.coordinator_secret());
        std::vector<std::string> allowed = read_public_keys_in(folder.authorized_dir());
        if (allowed.empty())
            throw Error("no authorized client keys in " + folder.authorized_dir() + " (nobody could connect); " +
                        keygen_hint(options_.key_dir));
        zap_ = std::make_unique<ZapHandler>(context_, allowed);  // bound before the ROUTER
        make_curve_server(*router_, pair);
        security = "CURVE, " + std::to_string(allowed.size()) + " authorized key(s) from " + folder.authorized_dir();
    }
    ZMQ_CHECK(zmq_bind(router_->handle(), options_.listen.c_str()));
    char bound[256];
    size_t size = sizeof bound;
    ZMQ_CHECK(zmq_getsockopt(router_->handle(), ZMQ_LAST_ENDPOINT, bound, &size));
    address_ = connectable_address(bound);
    if (!options_.endpoint_file.empty()) write_endpoint_file(options_.endpoint_file, address_);
    LOG_I("listening on %s (%s)%s%s", address_.c_str(), security.c_str(),
          options_.endpoint_file.empty() ? "" : "; address written to ", options_.endpoint_file.c_str());
}

void Coordinator::run(const std::atomic<bool>& stop) {
    LOG_I("coordinator running: store %s, trial folders under %s", options_.db_path.c_str(), options_.runs_dir.c_str());
    const double cpu_start = thread_cpu_seconds();
    while (!stop.load() && fatal_error_.empty()) {
        int64_t now = now_ms();
        long timeout = std::max<int64_t>(0, kLoopTickMs - (now - last_tick_ms_));
        zmq_pollitem_t items[] = {{router_->handle(), 0, ZMQ_POLLIN, 0}, {nullptr, store_->wakeup_fd(), ZMQ_POLLIN, 0}};
        int rc = zmq_poll(items, 2, timeout);
        if (rc == -1 && zmq_errno() != EINTR) ZMQ_CHECK(rc);
        now = now_ms();
        if (items[1].revents & ZMQ_POLLIN) handle_completions();
        if (items[0].revents & ZMQ_POLLIN) receive_messages(now);
        if (now - last_tick_ms_ >= kLoopTickMs) {
            scheduler_.tick(now);
            forget_unknown_peers();
            last_tick_ms_ = now;
        }
        feed_bayes(now);
        flush(now);
    }
    // Let what is queued reach the disk, and its acknowledgements the workers.
    int64_t deadline = now_ms() + kShutdownDrainMs;
    while (fatal_error_.empty() && completed_through_ < store_->last_submitted() && now_ms() < deadline) {
        zmq_pollitem_t item{nullptr, store_->wakeup_fd(), ZMQ_POLLIN, 0};
        zmq_poll(&item, 1, kLoopTickMs);
        handle_completions();
    }
    loop_cpu_seconds_ = thread_cpu_seconds() - cpu_start;
    if (!fatal_error_.empty())
        throw Error("results store " + options_.db_path + " failed: " + fatal_error_ +
                    "; the coordinator stopped so that nothing unrecorded is acknowledged (restart it to carry on)");
    LOG_I("coordinator stopped: %llu write(s) in %llu transaction(s)",
          static_cast<unsigned long long>(store_->writes_committed()),
          static_cast<unsigned long long>(store_->transactions_committed()));
}

void Coordinator::receive_messages(int64_t now) {
    std::vector<std::string> frames;
    for (int i = 0; i < kMaxMessagesPerTurn && receive_frames(*router_, frames, protocol::kFrameCount + 2); ++i) {
        if (frames.size() < 2) continue;
        std::string routing_id = std::move(frames[0]);
        frames.erase(frames.begin());
        handle_frames(routing_id, frames, now);
    }
}

void Coordinator::handle_frames(const std::string& routing_id, const std::vector<std::string>& frames, int64_t now) {
    protocol::Decoded decoded = protocol::decode_frames(frames);
    if (decoded.status == protocol::DecodeStatus::version_mismatch) {
        std::string text = "protocol version mismatch: this coordinator speaks " + std::string(protocol::kVersion) +
                           ", your message was " + decoded.peer_version +
                           "; run the same segsweep release on both sides";
        LOG_W("peer %s: %s", peer_name(routing_id).c_str(),
              protocol::version_mismatch_text(decoded.peer_version, "peer").c_str());
        send_now(routing_id, MessageType::error, protocol::to_json(protocol::ErrorBody{text, ""}));
        return;
    }
    if (decoded.status != protocol::DecodeStatus::ok) {
        LOG_W("dropped a malformed message from peer %s: %s", peer_name(routing_id).c_str(), decoded.error.c_str());
        return;
    }
    const protocol::Message& message = decoded.message;
    try {
        if (protocol::is_client_request(message.type)) {
            handle_request(routing_id, protocol::request_from_json(message.type, message.body), now);
        } else if (protocol::is_worker_message(message.type)) {
            handle_worker_message(routing_id, message, now);  // each body is checked as it is read
        } else {
            LOG_W("dropped %s from peer %s: not a message a coordinator accepts",
                  protocol::message_type_name(message.type), peer_name(routing_id).c_str());
        }
    } catch (const protocol::ProtocolError& e) {
        LOG_W("dropped an invalid %s from peer %s: %s", protocol::message_type_name(message.type),
              peer_name(routing_id).c_str(), e.what());
        if (protocol::is_client_request(message.type) && message.body.contains("request_id") &&
            message.body["request_id"].is_string())
            reply_error(routing_id, message.body["request_id"].get<std::string>(), e.what());
    }
}

void Coordinator::handle_worker_message(const std::string& routing_id, const protocol::Message& message,
                                        int64_t now) {
    if (message.type == MessageType::hello) {
        protocol::Hello hello = protocol::hello_from_json(message.body);
        auto old = worker_route_.find(hello.worker_id);
        if (old != worker_route_.end() && old->second != routing_id) peer_worker_.erase(old->second);
        peer_worker_[routing_id] = hello.worker_id;
        worker_route_[hello.worker_id] = routing_id;
        reconnect_sent_ms_.erase(routing_id);
        scheduler_.on_hello(hello, now);
        return;
    }
    auto peer = peer_worker_.find(routing_id);
    if (peer == peer_worker_.end() || !scheduler_.knows_worker(peer->second)) {
        if (message.type == MessageType::bye) return;
        auto& last = reconnect_sent_ms_[routing_id];
        if (now - last >= kReconnectNoticeMs) {
            last = now;
            LOG_I("%s from unknown worker peer %s: asked it to reconnect and say HELLO",
                  protocol::message_type_name(message.type), peer_name(routing_id).c_str());
            send_now(routing_id, MessageType::reconnect, {{"reason", "unknown worker: say HELLO"}});
        }
        return;
    }
    const std::string worker_id = peer->second;
    scheduler_.touch(worker_id, now);
    switch (message.type) {
        case MessageType::ready: scheduler_.on_ready(worker_id, now); return;
        case MessageType::heartbeat: scheduler_.on_heartbeat(worker_id, now); return;
        case MessageType::epoch: scheduler_.on_epoch(worker_id, protocol::epoch_report_from_json(message.body), now); return;
        case MessageType::result:
            scheduler_.on_result(worker_id, protocol::result_report_from_json(message.body), now);
            return;
        case MessageType::preempted:
            scheduler_.on_preempted(worker_id, protocol::preempted_from_json(message.body), now);
            return;
        case MessageType::bye:
            scheduler_.on_bye(worker_id, protocol::bye_from_json(message.body).reason, now);
            worker_route_.erase(worker_id);
            peer_worker_.erase(routing_id);
            return;
        default:
            return;
    }
}

void Coordinator::observe_writes(const std::vector<StoreWrite>& writes, int64_t now) {
    for (const StoreWrite& w : writes) {
        if (w.kind != StoreWrite::Kind::result_reported && w.kind != StoreWrite::Kind::trial_finished) continue;
        auto runtime = runtimes_.find(w.sweep_id);
        if (runtime == runtimes_.end()) continue;
        std::string why;
        const TrialResult* result = w.kind == StoreWrite::Kind::result_reported ? &w.result : nullptr;
        if (runtime->second.on_final(w.trial_id, result, why)) scheduler_.finish_sweep(w.sweep_id, why, now);
    }
}

void Coordinator::flush(int64_t now) {
    // Observing writes may end a sweep (metric.target), which produces more output: a few rounds.
    for (int round = 0; round < 4; ++round) {
        SchedulerOutput out = scheduler_.take_output();
        if (out.empty()) return;
        observe_writes(out.writes, now);
        uint64_t sequence =
            out.writes.empty() ? store_->last_submitted() : store_->submit_writes(std::move(out.writes));
        for (auto& m : out.messages) {
            auto route = worker_route_.find(m.worker_id);
            if (route == worker_route_.end()) continue;  // the worker is gone; it will say HELLO again
            if (!m.durable || sequence <= completed_through_)
                send_now(route->second, m.type, m.body);
            else
                deferred_.push_back({sequence, route->second, m.type, std::move(m.body)});
        }
    }
}

void Coordinator::handle_completions() {
    for (const StoreCompletion& c : store_->take_completions()) {
        if (c.fatal) {
            fatal_error_ = c.error;
            return;  // nothing after a failed batch may be acknowledged
        }
        completed_through_ = std::max(completed_through_, c.sequence);
        auto then = continuations_.find(c.sequence);
        if (then != continuations_.end()) {
            auto action = std::move(then->second);
            continuations_.erase(then);
            action(c);
        }
    }
    while (!deferred_.empty() && deferred_.front().after_sequence <= completed_through_) {
        const Deferred& d = deferred_.front();
        send_now(d.routing_id, d.type, d.body);
        deferred_.pop_front();
    }
}

void Coordinator::forget_unknown_peers() {
    for (auto it = peer_worker_.begin(); it != peer_worker_.end();) {
        if (scheduler_.knows_worker(it->second)) {
            ++it;
            continue;
        }
        auto route = worker_route_.find(it->second);
        if (route != worker_route_.end() && route->second == it->first) worker_route_.erase(route);
        it = peer_worker_.erase(it);
    }
    int64_t now = now_ms();
    for (auto it = reconnect_sent_ms_.begin(); it != reconnect_sent_ms_.end();)
        it = now - it->second > kReconnectMemoryMs ? reconnect_sent_ms_.erase(it) : std::next(it);
}

void Coordinator::send_now(const std::string& routing_id, MessageType type, const nlohmann::json& body) {
    if (!send_message(*router_, routing_id, type, body))
        LOG_W("could not queue %s to peer %s (its queue is full)", protocol::message_type_name(type),
              peer_name(routing_id).c_str());
}

void Coordinator::send_after_store(const std::string& routing_id, MessageType type, nlohmann::json body) {
    uint64_t sequence = store_->last_submitted();
    if (sequence <= completed_through_ && deferred_.empty())
        send_now(routing_id, type, body);
    else
        deferred_.push_back({std::max(sequence, completed_through_), routing_id, type, std::move(body)});
}

void Coordinator::reply(const std::string& routing_id, const std::string& request_id, nlohmann::json data) {
    protocol::Reply r{request_id, true, std::move(data), ""};
    nlohmann::json body = protocol::to_json(r);
    if (body.dump().size() > protocol::kMaxBodyBytes) {
        reply_error(routing_id, request_id, "the answer is larger than the protocol's limit; ask for fewer rows (--limit)");
        return;
    }
    send_after_store(routing_id, MessageType::reply, std::move(body));
}

void Coordinator::reply_error(const std::string& routing_id, const std::string& request_id, const std::string& error) {
    protocol::Reply r{request_id, false, nullptr, error.empty() ? "request failed" : error};
    send_after_store(routing_id, MessageType::reply, protocol::to_json(r));
}

void Coordinator::run_store_job(StoreJob job, std::function<void(const StoreCompletion&)> then) {
    uint64_t sequence = store_->submit_job(std::move(job));
    continuations_[sequence] = std::move(then);
}

}  // namespace segsweep::coordinator
