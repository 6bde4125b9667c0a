// ZapHandler: answers ZAP requests from the coordinator's CURVE socket with an allow-list.
#include "coordinator/zap_handler.h"

#include <zmq.h>

#include "common/log.h"
#include "common/zmq_check.h"
#include "common/zmq_socket.h"

namespace segsweep::coordinator {
namespace {

constexpr size_t kZapRequestMinFrames = 6;  // version, id, domain, address, identity, mechanism
constexpr size_t kZapRequestMaxFrames = 8;  // + credentials (CURVE: one 32-byte key)
constexpr size_t kCurveKeyBytes = 32;

std::string z85(const std::string& binary_key) {
    char text[41];
    if (zmq_z85_encode(text, reinterpret_cast<const uint8_t*>(binary_key.data()), binary_key.size()) == nullptr)
        return "";
    return text;
}

}  // namespace

ZapHandler::ZapHandler(zmq::context_t& context, const std::vector<std::string>& allowed_public_keys)
    : socket_(context, zmq::socket_type::rep), allowed_(allowed_public_keys.begin(), allowed_public_keys.end()) {
    set_common_socket_options(socket_);
    ZMQ_CHECK(zmq_bind(socket_.handle(), kZapEndpoint));
    thread_ = std::thread([this] { run(); });
}

ZapHandler::~ZapHandler() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
}

std::vector<std::string> ZapHandler::answer(const std::vector<std::string>& request) {
    std::string request_id = request.size() > 1 ? request[1] : "";
    auto reply = [&](const char* status, const std::string& text, const std::string& user) {
        return std::vector<std::string>{"1.0", request_id, status, text, user, ""};
    };
    if (request.size() < kZapRequestMinFrames || request.size() > kZapRequestMaxFrames || request[0] != "1.0")
        return reply("500", "malformed ZAP request", "");
    const std::string& domain = request[2];
    const std::string& address = request[3];
    const std::string& mechanism = request[5];
    if (domain != kZapDomain) {
        ++refused_;
        LOG_W("refused a connection from %s: ZAP domain '%s' is not ours", address.c_str(), domain.c_str());
        return reply("400", "unknown domain", "");
    }
    if (mechanism != "CURVE" || request.size() != 7 || request[6].size() != kCurveKeyBytes) {
        ++refused_;
        LOG_W("refused a connection from %s: mechanism %s (only CURVE is accepted)", address.c_str(),
              mechanism.c_str());
        return reply("400", "CURVE required", "");
    }
    std::string key = z85(request[6]);
    if (allowed_.count(key) == 0) {
        ++refused_;
        LOG_W("refused a connection from %s: public key %s is not in the allow-list", address.c_str(), key.c_str());
        return reply("400", "key not authorized", "");
    }
    ++accepted_;
    LOG_D("accepted a connection from %s (key %.8s...)", address.c_str(), key.c_str());
    return reply("200", "OK", key);
}

void ZapHandler::run() {
    std::vector<std::string> request;
    while (!stop_) {
        zmq_pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
        int rc = zmq_poll(&item, 1, kZapPollMs);
        if (rc == -1) {
            if (zmq_errno() == EINTR) continue;
            if (zmq_errno() == ETERM) return;
            LOG_E("ZAP handler: zmq_poll failed: %s", zmq_strerror(zmq_errno()));
            return;
        }
        if (rc == 0) continue;
        try {
            if (!receive_frames(socket_, request, kZapRequestMaxFrames)) continue;
            std::vector<std::string> reply = answer(request);
            for (size_t i = 0; i < reply.size(); ++i) {
                int flags = i + 1 < reply.size() ? ZMQ_SNDMORE : 0;
                ZMQ_CHECK(zmq_send(socket_.handle(), reply[i].data(), reply[i].size(), flags));
            }
        } catch (const std::exception& e) {
            LOG_E("ZAP handler: %s", e.what());
            return;
        }
    }
}

}  // namespace segsweep::coordinator
