// CoordinatorClient: Lazy Pirate request/reply with the coordinator over a CURVE DEALER socket.
#include "coordinator/client.h"

#include <unistd.h>

#include <chrono>
#include <random>

#include "common/error.h"
#include "common/log.h"
#include "common/zmq_check.h"

namespace segsweep::coordinator {
namespace {

using protocol::MessageType;

int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

std::string new_request_id() {
    static std::mt19937_64 rng{std::random_device{}() ^ static_cast<uint64_t>(getpid())};
    char text[24];
    std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(rng()));
    return text;
}

}  // namespace

CoordinatorClient::CoordinatorClient(ClientOptions options)
    : options_(std::move(options)),
      security_(load_client_security(options_.key_dir, options_.address, options_.insecure, options_.key_name)) {}

CoordinatorClient::~CoordinatorClient() { close_socket(); }

void CoordinatorClient::open_socket() {
    socket_ = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::dealer);
    set_common_socket_options(*socket_);
    apply_client_security(*socket_, security_);
    monitor_ = std::make_unique<HandshakeMonitor>(context_, *socket_);
    ZMQ_CHECK(zmq_connect(socket_->handle(), options_.address.c_str()));
}

void CoordinatorClient::close_socket() {
    monitor_.reset();
    socket_.reset();
}

nlohmann::json CoordinatorClient::request(protocol::Request request) {
    if (request.request_id.empty()) request.request_id = new_request_id();
    const nlohmann::json body = protocol::to_json(request);
    std::vector<std::string> frames;
    for (int attempt = 1; attempt <= options_.retries; ++attempt) {
        if (!socket_) open_socket();
        if (!send_message(*socket_, "", request.type, body))
            throw Error("cannot queue a request to the coordinator at " + options_.address);
        int64_t deadline = now_ms() + options_.timeout_ms;
        while (true) {
            int64_t left = deadline - now_ms();
            if (left <= 0) break;
            zmq_pollitem_t items[] = {{socket_->handle(), 0, ZMQ_POLLIN, 0},
                                      {monitor_->socket().handle(), 0, ZMQ_POLLIN, 0}};
            ZMQ_CHECK(zmq_poll(items, 2, static_cast<long>(left)));
            if (items[1].revents & ZMQ_POLLIN) {
                if (auto failure = monitor_->failure()) throw Error(*failure);
            }
            if (!(items[0].revents & ZMQ_POLLIN)) continue;
            while (receive_frames(*socket_, frames, protocol::kFrameCount + 1)) {
                protocol::Decoded decoded = protocol::decode_frames(frames);
                if (decoded.status == protocol::DecodeStatus::version_mismatch)
                    throw Error(protocol::version_mismatch_text(decoded.peer_version, "coordinator"));
                if (decoded.status != protocol::DecodeStatus::ok) {
                    LOG_W("dropped a malformed message from the coordinator: %s", decoded.error.c_str());
                    continue;
                }
                try {
                    if (decoded.message.type == MessageType::error) {
                        protocol::ErrorBody error = protocol::error_from_json(decoded.message.body);
                        throw Error("the coordinator refused the request: " + error.message);
                    }
                    if (decoded.message.type != MessageType::reply) continue;
                    protocol::Reply reply = protocol::reply_from_json(decoded.message.body);
                    if (reply.request_id != request.request_id) continue;  // an answer to an earlier try
                    if (!reply.ok) throw Error(reply.error);
                    return reply.data;
                } catch (const protocol::ProtocolError& e) {
                    LOG_W("dropped an invalid reply from the coordinator: %s", e.what());
                }
            }
        }
        LOG_W("no reply from the coordinator at %s within %d ms (try %d of %d)", options_.address.c_str(),
              options_.timeout_ms, attempt, options_.retries);
        close_socket();  // Lazy Pirate: a fresh socket for the next try
    }
    throw NoReplyError("no reply from the coordinator at " + options_.address + " after " + std::to_string(options_.retries) +
                " tries: is `segsweep coordinator` running there, and do the keys in " + options_.key_dir +
                " match it?");
}

nlohmann::json CoordinatorClient::submit(const std::string& sweep_text, const std::string& source) {
    protocol::Request r;
    r.type = MessageType::submit;
    r.sweep_text = sweep_text;
    r.sweep_source = source;
    return request(r);
}

nlohmann::json CoordinatorClient::status(std::optional<int64_t> sweep_id) {
    protocol::Request r;
    r.type = MessageType::status;
    r.sweep_id = sweep_id;
    return request(r);
}

nlohmann::json CoordinatorClient::leaderboard(std::optional<int64_t> sweep_id, int limit, const std::string& sort) {
    protocol::Request r;
    r.type = MessageType::leaderboard;
    r.sweep_id = sweep_id;
    r.limit = limit;
    r.sort = sort;
    return request(r);
}

nlohmann::json CoordinatorClient::leaderboard(const std::string& sweep_id_or_name, int limit, const std::string& sort) {
    protocol::Request r;
    r.type = MessageType::leaderboard;
    const bool is_id = !sweep_id_or_name.empty() && sweep_id_or_name.size() <= 18 &&
                       sweep_id_or_name.find_first_not_of("0123456789") == std::string::npos &&
                       std::stoll(sweep_id_or_name) > 0;
    if (is_id)
        r.sweep_id = std::stoll(sweep_id_or_name);
    else
        r.sweep_name = sweep_id_or_name;
    r.limit = limit;
    r.sort = sort;
    return request(r);
}

nlohmann::json CoordinatorClient::cancel_sweep(int64_t sweep_id) {
    protocol::Request r;
    r.type = MessageType::cancel;
    r.sweep_id = sweep_id;
    return request(r);
}

nlohmann::json CoordinatorClient::cancel_trial(int64_t trial_id) {
    protocol::Request r;
    r.type = MessageType::cancel;
    r.trial_id = trial_id;
    return request(r);
}

nlohmann::json CoordinatorClient::workers() {
    protocol::Request r;
    r.type = MessageType::workers;
    return request(r);
}

}  // namespace segsweep::coordinator
