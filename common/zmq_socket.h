// Small ZeroMQ helpers shared by the coordinator, the worker and the client: sending and receiving
// protocol frames without blocking, CURVE set-up for either side, the loopback check behind
// --insecure, a wake-up fd for poll loops and a monitor that reports refused handshakes.
// Sockets themselves are cppzmq's RAII zmq::socket_t; every socket here gets linger 0 and the
// protocol's message size limit, so neither shutdown nor a hostile peer can hang or bloat us.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "common/keys.h"
#include "common/protocol.h"

namespace segsweep {

inline constexpr int kSocketLingerMs = 0;                   // ms; unsent messages are dropped at close
inline constexpr int64_t kMaxWireMessageBytes = 2 << 20;    // bytes per frame; larger frames cut the peer off
inline constexpr const char* kZapDomain = "segsweep";       // the ZAP domain of the coordinator socket
inline constexpr int kZmqZapEnforceDomain = 93;             // ZMQ_ZAP_ENFORCE_DOMAIN: a DRAFT option in the
                                                            // libzmq 4.3 header, implemented by the library

// Linger 0 and the size limit. Call before bind/connect.
void set_common_socket_options(zmq::socket_t& socket);

// CURVE server: our pair, the ZAP domain, and ZAP enforcement (no handler = refuse, never the
// silent "encrypted but unauthenticated" fallback).
void make_curve_server(zmq::socket_t& socket, const CurveKeyPair& server_pair);
// CURVE client: our pair and the server's public key.
void make_curve_client(zmq::socket_t& socket, const CurveKeyPair& client_pair, const std::string& server_public_key);

// ipc://, inproc://, tcp://127.x.x.x, tcp://localhost and tcp://[::1] (the only endpoints where
// --insecure is allowed).
bool endpoint_is_local(const std::string& endpoint);

// What a client or worker needs to connect: the endpoint, and keys unless insecure.
struct ClientSecurity {
    bool insecure = false;
    CurveKeyPair client_pair;
    std::string server_public_key;
};
// Reads coordinator.pub and <client_name>.secret from the key folder. With `insecure` it checks
// the endpoint is local and warns instead. Throws segsweep::Error with the keygen hint when keys
// are missing.
ClientSecurity load_client_security(const std::string& key_dir, const std::string& endpoint, bool insecure,
                                    const std::string& client_name = "client");
void apply_client_security(zmq::socket_t& socket, const ClientSecurity& security);

// Sends [routing_id][empty][version][type][body] (ROUTER) or the four protocol frames (DEALER,
// routing_id empty). Never blocks: returns false when the message could not be queued.
bool send_message(zmq::socket_t& socket, const std::string& routing_id, protocol::MessageType type,
                  const nlohmann::json& body);

// Receives one whole multipart message without blocking. Returns false when none is waiting.
// At most `max_frames` frames are kept; the rest of an over-long message is read and dropped
// (frames.size() is then max_frames + 1 so decode_frames rejects it).
bool receive_frames(zmq::socket_t& socket, std::vector<std::string>& frames, size_t max_frames);

// An eventfd another thread writes to wake a zmq::poll loop (zmq_pollitem_t.fd).
class WakeupFd {
public:
    WakeupFd();
    ~WakeupFd();
    WakeupFd(const WakeupFd&) = delete;
    WakeupFd& operator=(const WakeupFd&) = delete;
    int fd() const { return fd_; }
    void notify();  // thread-safe
    void drain();   // called by the poll loop after the fd polled readable
private:
    int fd_ = -1;
};

// Watches one socket's handshakes through zmq_socket_monitor. failure() returns a description
// once the peer refused our key (ZAP status 400) or the security mechanism did not match.
class HandshakeMonitor {
public:
    HandshakeMonitor(zmq::context_t& context, zmq::socket_t& watched);
    ~HandshakeMonitor();
    HandshakeMonitor(const HandshakeMonitor&) = delete;
    HandshakeMonitor& operator=(const HandshakeMonitor&) = delete;
    // Reads pending events without blocking; the first refusal seen, if any.
    std::optional<std::string> failure();
    bool succeeded() const { return succeeded_; }  // a handshake completed at least once
    zmq::socket_t& socket() { return monitor_; }   // to include in a poll set
private:
    zmq::socket_t* watched_;
    zmq::socket_t monitor_;
    std::optional<std::string> failure_;
    bool succeeded_ = false;
};

}  // namespace segsweep
