// What both sides refuse, in-process:
//   - a coordinator speaking another protocol version: the client (CLI verbs) and the worker's
//     link each stop with a message naming both versions (the coordinator's side of the refusal
//     is in tests/coordinator/test_coordinator_loop.cpp);
//   - a secret key file readable by group or others: the coordinator refuses to start, and a client
//     or worker refuses to load it;
//   - --insecure: refused off loopback/ipc on both sides, and it warns where it is allowed.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "../coordinator/coordinator_fixture.h"
#include "common/error.h"
#include "common/zmq_socket.h"
#include "worker/coordinator_link.h"

namespace segsweep::testing {
namespace {

constexpr int kFakePollMs = 50;        // ms between checks of the fake coordinator's stop flag
constexpr int kRefusalWaitS = 20;      // s; a refusal takes milliseconds, this only bounds a broken build
constexpr const char* kOtherVersion = "SEGSWEEP9";

std::string error_of(const std::function<void()>& body) {
    try {
        body();
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

// A coordinator from another release: an insecure ROUTER on ipc that answers every message with
// a WELCOME in protocol version SEGSWEEP9. Stops and joins on destruction.
class OtherVersionCoordinator {
public:
    explicit OtherVersionCoordinator(const std::string& dir)
        : address_("ipc://" + dir + "/other-version.sock"), socket_(context_, zmq::socket_type::router) {
        set_common_socket_options(socket_);
        socket_.bind(address_);
        thread_ = std::thread([this] { serve(); });
    }
    ~OtherVersionCoordinator() {
        stop_ = true;
        thread_.join();
    }
    const std::string& address() const { return address_; }
    int answered() const { return answered_.load(); }

private:
    void serve() {
        std::vector<std::string> frames;
        while (!stop_) {
            zmq_pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
            if (zmq_poll(&item, 1, kFakePollMs) <= 0) continue;
            while (receive_frames(socket_, frames, protocol::kFrameCount + 2)) {
                if (frames.empty()) continue;
                const std::vector<std::string> reply = {frames[0], "", kOtherVersion, "WELCOME", "{}"};
                // Counted before sending: the client may read the answer and the test the count
                // before this thread runs again.
                ++answered_;
                for (size_t i = 0; i < reply.size(); ++i)
                    socket_.send(zmq::buffer(reply[i]), i + 1 < reply.size() ? zmq::send_flags::sndmore
                                                                              : zmq::send_flags::none);
            }
        }
    }

    std::string address_;
    zmq::context_t context_;
    zmq::socket_t socket_;
    std::atomic<bool> stop_{false};
    std::atomic<int> answered_{0};
    std::thread thread_;
};

void expect_names_both_versions(const std::string& text) {
    EXPECT_NE(text.find("protocol version mismatch"), std::string::npos) << text;
    EXPECT_NE(text.find(kOtherVersion), std::string::npos) << text;
    EXPECT_NE(text.find(protocol::kVersion), std::string::npos) << text;
}

TEST(Refusals, ClientRefusesACoordinatorOfAnotherVersion) {
    OtherVersionCoordinator other(scratch_dir("refusals-client"));
    coordinator::ClientOptions o;
    o.address = other.address();
    o.insecure = true;
    o.timeout_ms = kRefusalWaitS * 1000;  // one try: a refusal must not need a second
    o.retries = 1;
    coordinator::CoordinatorClient client(o);
    const std::string error = error_of([&] { client.status(std::nullopt); });
    expect_names_both_versions(error);
    EXPECT_EQ(other.answered(), 1);  // refused at the first answer, no retry
}

TEST(Refusals, WorkerLinkRefusesACoordinatorOfAnotherVersion) {
    OtherVersionCoordinator other(scratch_dir("refusals-worker"));
    worker::LinkOptions o;
    o.address = other.address();
    o.security = load_client_security("", o.address, /*insecure=*/true);
    o.hello.worker_id = "refusal-test";
    o.hello.host = "localhost";
    o.hello.ranks = 1;
    o.hello.cpu_threads = 1;
    worker::CoordinatorLink link(o);
    std::atomic<bool> interrupt{false};
    auto trial = std::async(std::launch::async, [&] { return link.next_trial(interrupt); });
    if (trial.wait_for(std::chrono::seconds(kRefusalWaitS)) != std::future_status::ready) interrupt = true;
    EXPECT_FALSE(trial.get().has_value());
    EXPECT_EQ(link.exit_reason(), worker::LinkExit::fatal);
    expect_names_both_versions(link.fatal_error());
}

TEST(Refusals, SecretKeysReadableByOthersRefuseStartupOnBothSides) {
    const std::string dir = scratch_dir("refusals-keys");
    const std::string keys = dir + "/keys";
    keygen_folder(keys, "client", false);
    KeyFolder folder{keys};

    ASSERT_EQ(chmod(folder.coordinator_secret().c_str(), 0644), 0);
    coordinator::CoordinatorOptions o;
    o.listen = "tcp://127.0.0.1:*";
    o.db_path = dir + "/store.db";
    o.key_dir = keys;
    std::string error = error_of([&] { coordinator::Coordinator c(o); });
    EXPECT_NE(error.find(folder.coordinator_secret() + ": secret key file is readable by group or others"),
              std::string::npos)
        << error;
    ASSERT_EQ(chmod(folder.coordinator_secret().c_str(), 0600), 0);
    EXPECT_NO_THROW({ coordinator::Coordinator c(o); });

    ASSERT_EQ(chmod(folder.client_secret().c_str(), 0604), 0);  // world-readable only
    error = error_of([&] { load_client_security(keys, "tcp://127.0.0.1:5555", false); });
    EXPECT_NE(error.find(folder.client_secret() + ": secret key file is readable by group or others"),
              std::string::npos)
        << error;
}

TEST(Refusals, InsecureOnlyOnLoopbackOrIpcAndItWarns) {
    const std::string dir = scratch_dir("refusals-insecure");
    EXPECT_NE(error_of([&] { load_client_security("", "tcp://10.0.0.7:5555", true); }).find("--insecure is allowed only"),
              std::string::npos);
    ::testing::internal::CaptureStderr();
    ClientSecurity local = load_client_security("", "ipc://" + dir + "/x.sock", true);
    std::string warned = ::testing::internal::GetCapturedStderr();
    EXPECT_TRUE(local.insecure);
    EXPECT_NE(warned.find("W: "), std::string::npos) << warned;
    EXPECT_NE(warned.find("without encryption or authentication"), std::string::npos) << warned;

    coordinator::CoordinatorOptions o;
    o.db_path = dir + "/store.db";
    o.key_dir = dir + "/no-keys";
    o.insecure = true;
    o.listen = "tcp://0.0.0.0:0";
    EXPECT_NE(error_of([&] { coordinator::Coordinator c(o); }).find("--insecure is allowed only"), std::string::npos);
    o.listen = "tcp://127.0.0.1:*";
    ::testing::internal::CaptureStderr();
    { coordinator::Coordinator c(o); }
    warned = ::testing::internal::GetCapturedStderr();
    EXPECT_NE(warned.find("--insecure: no encryption and no authentication"), std::string::npos) << warned;
}

}  // namespace
}  // namespace segsweep::testing
