// CoordinatorClient: what the CLI verbs (submit, status, leaderboard, cancel, workers, wait) use to
// ask a running coordinator. zguide's Lazy Pirate: a DEALER sends one request and polls for the
// REPLY; on a timeout it closes the socket, opens a fresh one and sends again, up to
// kRequestRetries times. A refused key is reported at once (handshake monitor), not as a timeout.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "common/error.h"
#include "common/protocol.h"
#include "common/zmq_socket.h"

namespace segsweep::coordinator {

inline constexpr int kRequestTimeoutMs = 5000;  // ms to wait for one REPLY (zguide uses 2500)
inline constexpr int kRequestRetries = 3;       // attempts before giving up

// The coordinator did not answer after every retry (not running, restarting, unreachable).
// Other failures (refused key, version mismatch, a refused request) throw plain segsweep::Error.
class NoReplyError : public Error {
public:
    explicit NoReplyError(const std::string& message) : Error(message) {}
};

struct ClientOptions {
    std::string address;       // resolved endpoint (coordinator_address.h)
    std::string key_dir;       // resolved key folder (keys.h)
    bool insecure = false;     // only for ipc:// or loopback
    std::string key_name = "client";
    int timeout_ms = kRequestTimeoutMs;
    int retries = kRequestRetries;
};

class CoordinatorClient {
public:
    // Loads the keys (throws segsweep::Error with the keygen hint when missing).
    explicit CoordinatorClient(ClientOptions options);
    ~CoordinatorClient();
    CoordinatorClient(const CoordinatorClient&) = delete;
    CoordinatorClient& operator=(const CoordinatorClient&) = delete;

    // Sends the request and returns the REPLY's data; throws segsweep::Error with the
    // coordinator's error text, on a refused key, a version mismatch, or no answer.
    nlohmann::json request(protocol::Request request);

    // The sweep file's text and name (the coordinator parses it: JSON or YAML).
    nlohmann::json submit(const std::string& sweep_text, const std::string& source);
    nlohmann::json status(std::optional<int64_t> sweep_id);
    nlohmann::json leaderboard(std::optional<int64_t> sweep_id, int limit, const std::string& sort);
    // The sweep as typed on the command line: an id ("12"), a name (the newest sweep of that name)
    // or "" (every sweep). The answer: {"sort", "rows" (leaderboard_json), "sweep" (the sweep's
    // record with its trial counts, or null)}.
    nlohmann::json leaderboard(const std::string& sweep_id_or_name, int limit, const std::string& sort);
    nlohmann::json cancel_sweep(int64_t sweep_id);
    nlohmann::json cancel_trial(int64_t trial_id);
    nlohmann::json workers();

private:
    void open_socket();
    void close_socket();

    ClientOptions options_;
    ClientSecurity security_;
    zmq::context_t context_;
    std::unique_ptr<zmq::socket_t> socket_;
    std::unique_ptr<HandshakeMonitor> monitor_;  // declared after socket_: destroyed first
};

}  // namespace segsweep::coordinator
