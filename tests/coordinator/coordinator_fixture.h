// Test helpers: a real Coordinator running on a thread (CURVE on tcp loopback, its own store and
// keys in a scratch folder), and a raw DEALER probe that sends arbitrary frames to it.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <zmq.hpp>

#include "common/keys.h"
#include "common/zmq_socket.h"
#include "coordinator/client.h"
#include "coordinator/coordinator.h"

namespace segsweep::testing {

// Short timings so failures are found in a second, not in 30 (production keeps the defaults).
inline coordinator::SchedulerSettings fast_scheduler_settings() {
    coordinator::SchedulerSettings s;
    s.heartbeat_interval_ms = 200;
    s.heartbeat_liveness = 3;
    s.lease_grace_ms = 2000;
    s.restart_grace_ms = 10000;
    return s;
}

// A scratch folder under the test tmp root, emptied.
inline std::string scratch_dir(const std::string& name) {
    std::string dir = std::string(SEGSWEEP_TEST_TMP) + "/" + name;
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

class CoordinatorThread {
public:
    // Keys are made under dir/keys when missing. `listen` defaults to an ephemeral loopback port.
    explicit CoordinatorThread(const std::string& dir, const std::string& listen = "tcp://127.0.0.1:*",
                               const coordinator::SchedulerSettings& settings = fast_scheduler_settings())
        : dir_(dir) {
        key_dir_ = dir + "/keys";
        if (!std::filesystem::exists(key_dir_ + "/coordinator.secret")) keygen_folder(key_dir_, "client", false);
        coordinator::CoordinatorOptions o;
        o.listen = listen;
        o.db_path = dir + "/store.db";
        o.runs_dir = dir + "/runs";
        o.key_dir = key_dir_;
        o.scheduler = settings;
        coordinator_ = std::make_unique<coordinator::Coordinator>(o);
        thread_ = std::thread([this] { coordinator_->run(stop_); });
    }
    ~CoordinatorThread() { stop(); }

    void stop() {
        stop_ = true;
        if (thread_.joinable()) thread_.join();
    }

    const std::string& address() const { return coordinator_->address(); }
    const std::string& key_dir() const { return key_dir_; }
    std::string db_path() const { return dir_ + "/store.db"; }
    coordinator::Coordinator& coordinator() { return *coordinator_; }

    coordinator::ClientOptions client_options(const std::string& key_dir = "") const {
        coordinator::ClientOptions o;
        o.address = address();
        o.key_dir = key_dir.empty() ? key_dir_ : key_dir;
        o.timeout_ms = 3000;
        o.retries = 2;
        return o;
    }

private:
    std::string dir_;
    std::string key_dir_;
    std::unique_ptr<coordinator::Coordinator> coordinator_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

// A DEALER that sends raw frames (any bytes) and reads whole messages back.
class RawPeer {
public:
    RawPeer(const std::string& address, const std::string& key_dir) : socket_(context_, zmq::socket_type::dealer) {
        set_common_socket_options(socket_);
        apply_client_security(socket_, load_client_security(key_dir, address, false));
        socket_.connect(address);
    }

    void send(const std::vector<std::string>& frames) {
        for (size_t i = 0; i < frames.size(); ++i)
            socket_.send(zmq::buffer(frames[i]), i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
    }

    // The next decoded message within timeout_ms, or nullopt.
    std::optional<protocol::Decoded> receive(int timeout_ms) {
        zmq_pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, timeout_ms) <= 0) return std::nullopt;
        std::vector<std::string> frames;
        if (!receive_frames(socket_, frames, protocol::kFrameCount + 1)) return std::nullopt;
        return protocol::decode_frames(frames);
    }

    // Skips HEARTBEATs; the first message of another type within timeout_ms in all.
    std::optional<protocol::Decoded> receive_not_heartbeat(int timeout_ms) {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
        while (true) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) return std::nullopt;
            auto d = receive(static_cast<int>(left.count()));
            if (!d || d->status != protocol::DecodeStatus::ok || d->message.type != protocol::MessageType::heartbeat)
                return d;
        }
    }

private:
    zmq::context_t context_;
    zmq::socket_t socket_;
};

}  // namespace segsweep::testing
