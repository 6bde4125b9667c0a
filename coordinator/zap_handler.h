// ZapHandler: the coordinator's ZAP (RFC 27) authenticator. A thread with a REP socket bound to
// inproc://zeromq.zap.01 in the coordinator's context answers each CURVE handshake: 200 when the
// client's public key is in the allow-list and the domain is ours, 400 otherwise. It must be
// running before the ROUTER binds; the ROUTER sets ZMQ_ZAP_ENFORCE_DOMAIN, so if this handler is
// missing connections are refused rather than silently accepted unauthenticated.
#pragma once

#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <zmq.hpp>

namespace segsweep::coordinator {

inline constexpr const char* kZapEndpoint = "inproc://zeromq.zap.01";  // fixed by RFC 27
inline constexpr int kZapPollMs = 100;  // ms between checks of the stop flag

class ZapHandler {
public:
    // Binds the ZAP socket now (so the caller can bind its ROUTER right after) and starts the thread.
    // `allowed_public_keys` are Z85 texts.
    ZapHandler(zmq::context_t& context, const std::vector<std::string>& allowed_public_keys);
    ~ZapHandler();  // stops and joins the thread
    ZapHandler(const ZapHandler&) = delete;
    ZapHandler& operator=(const ZapHandler&) = delete;

    int accepted() const { return accepted_.load(); }
    int refused() const { return refused_.load(); }

private:
    void run();
    // Answers one request (the frames of RFC 27); returns the reply frames.
    std::vector<std::string> answer(const std::vector<std::string>& request);

    zmq::socket_t socket_;
    std::set<std::string> allowed_;  // Z85 public keys
    std::atomic<bool> stop_{false};
    std::atomic<int> accepted_{0};
    std::atomic<int> refused_{0};
    std::thread thread_;
};

}  // namespace segsweep::coordinator
