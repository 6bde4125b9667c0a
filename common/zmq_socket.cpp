// ZeroMQ helpers: protocol frames in and out without blocking, CURVE on either side, the
// loopback check for --insecure, an eventfd wake-up and a handshake monitor.
#include "common/zmq_socket.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/error.h"
#include "common/log.h"
#include "common/zmq_check.h"

namespace segsweep {
namespace {

std::atomic<int> g_monitor_counter{0};  // makes each monitor's inproc endpoint unique

std::string lowercase(std::string text) {
    for (char& ch : text) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return text;
}

}  // namespace

void set_common_socket_options(zmq::socket_t& socket) {
    int linger = kSocketLingerMs;
    ZMQ_CHECK(zmq_setsockopt(socket.handle(), ZMQ_LINGER, &linger, sizeof linger));
    int64_t max_bytes = kMaxWireMessageBytes;
    ZMQ_CHECK(zmq_setsockopt(socket.handle(), ZMQ_MAXMSGSIZE, &max_bytes, sizeof max_bytes));
}

void make_curve_server(zmq::socket_t& socket, const CurveKeyPair& server_pair) {
    int on = 1;
    ZMQ_CHECK(zmq_setsockopt(socket.handle(), ZMQ_ZAP_DOMAIN, kZapDomain, std::strlen(kZapDomain)));
    ZMQ_CHECK(zmq_setsockopt(socket.handle(), kZmqZapEnforceDomain, &on, sizeof on));
    ZMQ_CHECK(zmq_setsockopt(socket.handle(), ZMQ_CURVE_SERVER, &on, sizeof on));
    ZMQ_CHECK(zmq_setsockopt(socket.handle(), ZMQ_CURVE_SECRETKEY, server_pair.secret_key.c_str(),
                             server_pair.secret_key.size()));
}

void make_curve_client(zmq::socket_t& socket, const CurveKeyPair& client_pair, const std::string& server_public_key) {
    ZMQ_CHECK(zmq_setsockopt(socket.handle(), ZMQ_CURVE_SERVERKEY, server_public_key.c_str(),
                             server_public_key.size()));
    ZMQ_CHECK(zmq_setsockopt(socket.handle(), ZMQ_CURVE_PUBLICKEY, client_pair.public_key.c_str(),
                             client_pair.public_key.size()));
    ZMQ_CHECK(zmq_setsockopt(socket.handle(), ZMQ_CURVE_SECRETKEY, client_pair.secret_key.c_str(),
                             client_pair.secret_key.size()));
}

bool endpoint_is_local(const std::string& endpoint) {
    std::string e = lowercase(endpoint);
    if (e.rfind("ipc://", 0) == 0 || e.rfind("inproc://", 0) == 0) return true;
    if (e.rfind("tcp://", 0) != 0) return false;
    std::string host = e.substr(6);
    if (host.rfind("[::1]:", 0) == 0) return true;
    auto colon = host.rfind(':');
    if (colon == std::string::npos) return false;
    host = host.substr(0, colon);
    if (host == "localhost") return true;
    // 127.x.y.z written as four numbers, nothing else ("127.0.0.1.example.org" is a remote name).
    if (host.rfind("127.", 0) != 0) return false;
    int dots = 0;
    for (char ch : host) {
        if (ch == '.') ++dots;
        else if (!std::isdigit(static_cast<unsigned char>(ch))) return false;
    }
    return dots == 3;
}

ClientSecurity load_client_security(const std::string& key_dir, const std::string& endpoint, bool insecure,
                                    const std::string& client_name) {
    ClientSecurity security;
    if (insecure) {
        if (!endpoint_is_local(endpoint))
            throw Error("--insecure is allowed only for ipc:// or loopback endpoints, not " + endpoint);
        LOG_W("--insecure: talking to %s without encryption or authentication (local demo only)", endpoint.c_str());
        security.insecure = true;
        return security;
    }
    KeyFolder folder{key_dir};
    if (!std::filesystem::exists(folder.coordinator_public()) ||
        !std::filesystem::exists(folder.client_secret(client_name)))
        throw Error("no CURVE keys in " + key_dir + " (need coordinator.pub and " + client_name + ".secret); " +
                    keygen_hint(key_dir));
    security.server_public_key = read_public_key(folder.coordinator_public());
    security.client_pair = read_secret_key(folder.client_secret(client_name));
    return security;
}

void apply_client_security(zmq::socket_t& socket, const ClientSecurity& security) {
    if (!security.insecure) make_curve_client(socket, security.client_pair, security.server_public_key);
}

bool send_message(zmq::socket_t& socket, const std::string& routing_id, protocol::MessageType type,
                  const nlohmann::json& body) {
    std::vector<std::string> frames = protocol::encode_frames(type, body);
    if (!routing_id.empty()) frames.insert(frames.begin(), routing_id);
    for (size_t i = 0; i < frames.size(); ++i) {
        int flags = ZMQ_DONTWAIT | (i + 1 < frames.size() ? ZMQ_SNDMORE : 0);
        int rc = zmq_send(socket.handle(), frames[i].data(), frames[i].size(), flags);
        if (rc == -1) {
            // Only the first frame can meet a full queue; later frames of a message always go.
            if (zmq_errno() == EAGAIN && i == 0) return false;
            if (zmq_errno() == EHOSTUNREACH) return false;
            zmq_check_failed("zmq_send(protocol frame)", __FILE__, __LINE__, zmq_errno());
        }
    }
    return true;
}

bool receive_frames(zmq::socket_t& socket, std::vector<std::string>& frames, size_t max_frames) {
    frames.clear();
    bool more = true;
    bool overflow = false;
    while (more) {
        zmq_msg_t part;
        ZMQ_CHECK(zmq_msg_init(&part));
        int rc = zmq_msg_recv(&part, socket.handle(), frames.empty() && !overflow ? ZMQ_DONTWAIT : 0);
        if (rc == -1) {
            int err = zmq_errno();
            zmq_msg_close(&part);
            if (err == EAGAIN && frames.empty() && !overflow) return false;
            zmq_check_failed("zmq_msg_recv(protocol frame)", __FILE__, __LINE__, err);
        }
        if (frames.size() < max_frames)
            frames.emplace_back(static_cast<const char*>(zmq_msg_data(&part)), zmq_msg_size(&part));
        else
            overflow = true;
        more = zmq_msg_more(&part) != 0;
        zmq_msg_close(&part);
    }
    if (overflow) frames.emplace_back();
    return true;
}

WakeupFd::WakeupFd() {
    fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd_ < 0) throw Error(std::string("eventfd failed: ") + std::strerror(errno));
}

WakeupFd::~WakeupFd() {
    if (fd_ >= 0) ::close(fd_);
}

void WakeupFd::notify() {
    uint64_t one = 1;
    // A full counter (never in practice) or EAGAIN still leaves the fd readable: nothing to do.
    [[maybe_unused]] ssize_t n = ::write(fd_, &one, sizeof one);
}

void WakeupFd::drain() {
    uint64_t value = 0;
    [[maybe_unused]] ssize_t n = ::read(fd_, &value, sizeof value);
}

HandshakeMonitor::HandshakeMonitor(zmq::context_t& context, zmq::socket_t& watched)
    : watched_(&watched), monitor_(context, zmq::socket_type::pair) {
    std::string endpoint = "inproc://segsweep-monitor-" + std::to_string(g_monitor_counter.fetch_add(1));
    int events = ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                 ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_SUCCEEDED;
    ZMQ_CHECK(zmq_socket_monitor(watched.handle(), endpoint.c_str(), events));
    set_common_socket_options(monitor_);
    ZMQ_CHECK(zmq_connect(monitor_.handle(), endpoint.c_str()));
}

HandshakeMonitor::~HandshakeMonitor() {
    // Stops the monitor; the watched socket must still be open (declare the monitor after it).
    zmq_socket_monitor(watched_->handle(), nullptr, 0);
}

std::optional<std::string> HandshakeMonitor::failure() {
    std::vector<std::string> frames;
    while (receive_frames(monitor_, frames, 2)) {
        if (frames.size() != 2 || frames[0].size() < 6) continue;
        uint16_t event = 0;
        uint32_t value = 0;
        std::memcpy(&event, frames[0].data(), sizeof event);
        std::memcpy(&value, frames[0].data() + 2, sizeof value);
        if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
            succeeded_ = true;
        } else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH && !failure_) {
            failure_ = "the coordinator at " + frames[1] + " refused our key (ZAP status " + std::to_string(value) +
                       "): is our public key in its authorized/ folder?";
        } else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL && !failure_) {
            failure_ = "security handshake with " + frames[1] +
                       " failed (protocol error; is one side --insecure and the other not?)";
        } else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL && !failure_) {
            failure_ = "security handshake with " + frames[1] + " failed (wrong coordinator public key?)";
        }
    }
    return failure_;
}

}  // namespace segsweep
