// The coordinator's event loop, on a thread, probed over CURVE on loopback: malformed, unknown,
// oversized and out-of-order messages are dropped and it keeps serving; a version mismatch is
// answered with a clear ERROR; unknown workers are told to reconnect; security fails closed (no
// keys, --insecure off loopback, an unknown client key, a CURVE server without a ZAP handler);
// SUBMIT/STATUS/CANCEL/WORKERS work and a refused SUBMIT changes nothing; a restarted coordinator
// gives a running trial's worker the grace period to re-attach, then queues the trial again.
#include <gtest/gtest.h>

#include <random>

#include "common/error.h"
#include "coordinator/zap_handler.h"
#include "coordinator_fixture.h"
#include "results/results_store.h"

namespace segsweep::testing {
namespace {

using protocol::DecodeStatus;
using protocol::MessageType;

constexpr int kReplyWaitMs = 3000;

const char* kTinySweep = R"({
  "name": "loop-test",
  "method": "grid",
  "parameters": {"learning_rate": {"values": [0.001, 0.01, 0.1]}, "num_epochs": {"value": 2}},
  "resources": {"gpus_per_trial": 1}
})";

std::string error_of(const std::function<void()>& body) {
    try {
        body();
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

TEST(CoordinatorLoop, MalformedAndUnexpectedMessagesAreDroppedAndServiceContinues) {
    CoordinatorThread c(scratch_dir("loop-malformed"));
    RawPeer peer(c.address(), c.key_dir());
    std::mt19937_64 rng(7);
    for (int i = 0; i < 200; ++i) {  // random frames
        std::vector<std::string> frames(1 + rng() % 5);
        for (auto& f : frames) {
            f.resize(rng() % 40);
            for (char& ch : f) ch = static_cast<char>(rng());
        }
        peer.send(frames);
    }
    peer.send({"", "SEGSWEEP1", "DANCE", "{}"});                       // unknown type
    peer.send({"", "SEGSWEEP1", "HELLO", "{not json"});                // bad JSON
    peer.send({"", "SEGSWEEP1", "HELLO", "{\"worker_id\": 5}"});       // bad field
    peer.send({"", "SEGSWEEP1", "TRIAL", "{}"});                       // a coordinator-to-worker type
    peer.send({"", "SEGSWEEP1", "SUBMIT", "{\"request_id\": \"r\"}"}); // missing sweep_text
    peer.send({"", "SEGSWEEP1", "HEARTBEAT", "{\"pad\": \"" + std::string(protocol::kMaxBodyBytes, 'x') + "\"}"});

    coordinator::CoordinatorClient client(c.client_options());
    nlohmann::json status = client.status(std::nullopt);
    EXPECT_TRUE(status["sweeps"].empty());
    EXPECT_EQ(status["workers"]["total"], 0);
    // The invalid SUBMIT above was answered with an error naming the field.
    bool saw_refusal = false;
    while (auto d = peer.receive(500)) {
        if (d->status == DecodeStatus::ok && d->message.type == MessageType::reply) {
            auto reply = protocol::reply_from_json(d->message.body);
            EXPECT_FALSE(reply.ok);
            EXPECT_NE(reply.error.find("sweep_text"), std::string::npos) << reply.error;
            saw_refusal = true;
        }
    }
    EXPECT_TRUE(saw_refusal);
}

TEST(CoordinatorLoop, VersionMismatchIsRefusedWithAClearMessage) {
    CoordinatorThread c(scratch_dir("loop-version"));
    RawPeer peer(c.address(), c.key_dir());
    peer.send({"", "SEGSWEEP2", "HELLO", "{}"});
    auto d = peer.receive_not_heartbeat(kReplyWaitMs);
    ASSERT_TRUE(d.has_value());
    ASSERT_EQ(d->status, DecodeStatus::ok);
    ASSERT_EQ(d->message.type, MessageType::error);
    std::string text = protocol::error_from_json(d->message.body).message;
    EXPECT_NE(text.find("SEGSWEEP1"), std::string::npos) << text;
    EXPECT_NE(text.find("SEGSWEEP2"), std::string::npos) << text;
    coordinator::CoordinatorClient client(c.client_options());
    EXPECT_EQ(client.workers()["workers"].size(), 0u);  // nothing registered
}

TEST(CoordinatorLoop, UnknownWorkerIsToldToReconnectAndHelloIsWelcomed) {
    // The probe sends no HEARTBEATs: a long liveness keeps it in the pool however slowly a loaded
    // machine runs this test.
    coordinator::SchedulerSettings settings = fast_scheduler_settings();
    settings.heartbeat_liveness = 100;
    CoordinatorThread c(scratch_dir("loop-reconnect"), "tcp://127.0.0.1:*", settings);
    RawPeer peer(c.address(), c.key_dir());
    peer.send(protocol::encode_frames(MessageType::ready, nlohmann::json::object()));
    auto d = peer.receive_not_heartbeat(kReplyWaitMs);
    ASSERT_TRUE(d && d->status == DecodeStatus::ok);
    EXPECT_EQ(d->message.type, MessageType::reconnect);

    protocol::Hello hello;
    hello.worker_id = "probe:1:abcd";
    hello.host = "probe";
    peer.send(protocol::encode_frames(MessageType::hello, protocol::to_json(hello)));
    d = peer.receive_not_heartbeat(kReplyWaitMs);
    ASSERT_TRUE(d && d->status == DecodeStatus::ok);
    ASSERT_EQ(d->message.type, MessageType::welcome);
    protocol::Welcome welcome = protocol::welcome_from_json(d->message.body);
    EXPECT_EQ(welcome.heartbeat_interval_ms, fast_scheduler_settings().heartbeat_interval_ms);

    // A coordinator that never had a sweep keeps its ready workers waiting (no NO_WORK): the
    // first sweep may be submitted right after the workers start.
    peer.send(protocol::encode_frames(MessageType::ready, nlohmann::json::object()));
    EXPECT_FALSE(peer.receive_not_heartbeat(600).has_value());
    coordinator::CoordinatorClient client(c.client_options());
    auto workers = client.workers()["workers"];
    ASSERT_EQ(workers.size(), 1u);
    EXPECT_EQ(workers[0]["worker_id"], "probe:1:abcd");
    EXPECT_EQ(workers[0]["state"], "idle");

    peer.send(protocol::encode_frames(MessageType::bye, protocol::to_json(protocol::Bye{"test done"})));

    // Once every submitted trial is final, a READY worker hears NO_WORK.
    int64_t sweep_id = client.submit(kTinySweep, "loop.json")["sweep_id"];
    client.cancel_sweep(sweep_id);
    RawPeer late(c.address(), c.key_dir());
    hello.worker_id = "probe:2:abcd";
    late.send(protocol::encode_frames(MessageType::hello, protocol::to_json(hello)));
    late.send(protocol::encode_frames(MessageType::ready, nlohmann::json::object()));
    d = late.receive_not_heartbeat(kReplyWaitMs);
    ASSERT_TRUE(d && d->status == DecodeStatus::ok);
    EXPECT_EQ(d->message.type, MessageType::welcome);
    d = late.receive_not_heartbeat(kReplyWaitMs);
    ASSERT_TRUE(d && d->status == DecodeStatus::ok);
    EXPECT_EQ(d->message.type, MessageType::no_work);
}

TEST(CoordinatorLoop, SubmitStatusCancel) {
    std::string dir = scratch_dir("loop-submit");
    CoordinatorThread c(dir);
    coordinator::CoordinatorClient client(c.client_options());
    std::string bad = error_of([&] { client.submit("{\"method\": \"grid\", \"parameters\": {\"nope\": {\"value\": 1}}}", "bad.json"); });
    EXPECT_NE(bad.find("nope"), std::string::npos) << bad;

    nlohmann::json submitted = client.submit(kTinySweep, "loop.json");
    int64_t sweep_id = submitted["sweep_id"];
    EXPECT_EQ(submitted["trials"], 3);
    nlohmann::json status = client.status(sweep_id);
    EXPECT_EQ(status["sweeps"][0]["counts"]["pending"], 3);

    nlohmann::json cancelled = client.cancel_sweep(sweep_id);
    EXPECT_EQ(cancelled["pending_cancelled"], 3);
    status = client.status(sweep_id);
    EXPECT_EQ(status["sweeps"][0]["counts"]["cancelled"], 3);
    EXPECT_TRUE(status["sweeps"][0]["done"].get<bool>());
    c.stop();

    // Everything above is in the store: one sweep (cancelled), three cancelled trials.
    ResultsStore store(c.db_path(), {StoreOpenMode::existing, StoreDurability::full});
    auto sweeps = store.list_sweeps();
    ASSERT_EQ(sweeps.size(), 1u);
    EXPECT_EQ(sweeps[0].state, SweepState::cancelled);
    for (const auto& t : store.list_trials(sweep_id)) EXPECT_EQ(t.state, TrialState::cancelled);
}

TEST(CoordinatorLoop, UnknownClientKeyIsRefusedAndChangesNothing) {
    std::string dir = scratch_dir("loop-auth");
    CoordinatorThread c(dir);
    // A stranger knows the coordinator's public key but holds a key pair nobody authorized.
    std::string stranger = dir + "/stranger";
    keygen_folder(stranger, "client", false);
    std::filesystem::copy_file(c.key_dir() + "/coordinator.pub", stranger + "/coordinator.pub",
                               std::filesystem::copy_options::overwrite_existing);
    coordinator::CoordinatorClient intruder(c.client_options(stranger));
    std::string refused = error_of([&] { intruder.submit(kTinySweep, "intruder.json"); });
    EXPECT_NE(refused.find("refused our key"), std::string::npos) << refused;

    coordinator::CoordinatorClient owner(c.client_options());
    EXPECT_TRUE(owner.status(std::nullopt)["sweeps"].empty());
    c.stop();
    ResultsStore store(c.db_path(), {StoreOpenMode::existing, StoreDurability::full});
    EXPECT_TRUE(store.list_sweeps().empty());
}

TEST(CoordinatorLoop, FailsClosedWithoutKeysOrOffLoopbackInsecure) {
    std::string dir = scratch_dir("loop-closed");
    coordinator::CoordinatorOptions o;
    o.listen = "tcp://127.0.0.1:*";
    o.db_path = dir + "/store.db";
    o.key_dir = dir + "/no-keys";
    std::string error = error_of([&] { coordinator::Coordinator c(o); });
    EXPECT_NE(error.find("segsweep keygen --out " + o.key_dir), std::string::npos) << error;

    o.insecure = true;
    o.listen = "tcp://*:0";
    error = error_of([&] { coordinator::Coordinator c(o); });
    EXPECT_NE(error.find("--insecure is allowed only"), std::string::npos) << error;

    o.listen = "tcp://127.0.0.1:*";  // a loopback demo may run without keys
    EXPECT_NO_THROW({ coordinator::Coordinator c(o); });

    // Keys present but nobody authorized: refused too.
    o.insecure = false;
    o.key_dir = dir + "/keys";
    keygen_folder(o.key_dir, "client", false);
    std::filesystem::remove(o.key_dir + "/authorized/client.pub");
    error = error_of([&] { coordinator::Coordinator c(o); });
    EXPECT_NE(error.find("no authorized client keys"), std::string::npos) << error;
}

TEST(CoordinatorLoop, CurveServerWithoutZapHandlerRefusesEveryone) {
    // The trap of libzmq: without a ZAP handler a CURVE server would accept any client key.
    // ZMQ_ZAP_ENFORCE_DOMAIN (make_curve_server) turns that into a refusal.
    std::string dir = scratch_dir("loop-nozap");
    keygen_folder(dir + "/keys", "client", false);
    KeyFolder folder{dir + "/keys"};
    zmq::context_t context;
    zmq::socket_t server(context, zmq::socket_type::router);
    set_common_socket_options(server);
    make_curve_server(server, read_secret_key(folder.coordinator_secret()));
    server.bind("tcp://127.0.0.1:*");
    std::string address = server.get(zmq::sockopt::last_endpoint);

    zmq::socket_t client(context, zmq::socket_type::dealer);
    set_common_socket_options(client);
    make_curve_client(client, read_secret_key(folder.client_secret()), read_public_key(folder.coordinator_public()));
    HandshakeMonitor monitor(context, client);
    client.connect(address);
    send_message(client, "", MessageType::heartbeat, nlohmann::json::object());
    zmq_pollitem_t item{server.handle(), 0, ZMQ_POLLIN, 0};
    EXPECT_EQ(zmq_poll(&item, 1, 1500), 0) << "a message got through a CURVE server without a ZAP handler";
    EXPECT_FALSE(monitor.succeeded());
}

TEST(CoordinatorLoop, LocalEndpointsForInsecure) {
    EXPECT_TRUE(endpoint_is_local("ipc:///tmp/x"));
    EXPECT_TRUE(endpoint_is_local("tcp://127.0.0.1:5555"));
    EXPECT_TRUE(endpoint_is_local("tcp://localhost:5555"));
    EXPECT_TRUE(endpoint_is_local("tcp://[::1]:5555"));
    EXPECT_FALSE(endpoint_is_local("tcp://*:5555"));
    EXPECT_FALSE(endpoint_is_local("tcp://10.0.0.7:5555"));
    EXPECT_FALSE(endpoint_is_local("tcp://127.0.0.1.evil.example:5555"));
}

// The next message of `type` within kReplyWaitMs (others, HEARTBEATs included, skipped).
std::optional<protocol::Message> next_of_type(RawPeer& peer, MessageType type) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kReplyWaitMs);
    while (std::chrono::steady_clock::now() < deadline) {
        auto d = peer.receive(100);
        if (d && d->status == DecodeStatus::ok && d->message.type == type) return d->message;
    }
    return std::nullopt;
}

protocol::TrialAssignment take_trial(RawPeer& worker, const std::string& worker_id) {
    protocol::Hello hello;
    hello.worker_id = worker_id;
    hello.host = "probe";
    hello.gpus = 1;
    worker.send(protocol::encode_frames(MessageType::hello, protocol::to_json(hello)));
    worker.send(protocol::encode_frames(MessageType::ready, nlohmann::json::object()));
    auto trial = next_of_type(worker, MessageType::trial);
    if (!trial) throw Error("no TRIAL for " + worker_id);
    return protocol::trial_assignment_from_json(trial->body);
}

TEST(CoordinatorLoop, RestartedCoordinatorRequeuesARunningTrialAfterTheGracePeriod) {
    const std::string dir = scratch_dir("loop-restart");
    const char* one_trial = R"({"name": "restart-test", "method": "grid",
        "parameters": {"learning_rate": {"value": 0.001}, "num_epochs": {"value": 2}},
        "resources": {"gpus_per_trial": 1}})";
    int64_t sweep_id = 0;
    protocol::TrialAssignment first_attempt;
    {
        CoordinatorThread first(dir);
        coordinator::CoordinatorClient client(first.client_options());
        sweep_id = client.submit(one_trial, "restart.json")["sweep_id"];
        RawPeer worker(first.address(), first.key_dir());
        ASSERT_NO_THROW(first_attempt = take_trial(worker, "probe:1:first"));
        EXPECT_EQ(first_attempt.attempt, 1);
        first.stop();  // the coordinator dies with the trial running; its worker never comes back
    }
    coordinator::SchedulerSettings settings = fast_scheduler_settings();
    settings.restart_grace_ms = 1500;
    const auto restarted_at = std::chrono::steady_clock::now();
    CoordinatorThread second(dir, "tcp://127.0.0.1:*", settings);
    coordinator::CoordinatorClient client(second.client_options());
    nlohmann::json status;
    for (int poll = 0; poll < 200; ++poll) {  // up to 20 s
        status = client.status(sweep_id);
        if (status["sweeps"][0]["counts"].value("pending", 0) == 1) break;
        ASSERT_EQ(status["sweeps"][0]["counts"].value("running", 0), 1) << status.dump();  // waiting for re-attach
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_EQ(status["sweeps"][0]["counts"].value("pending", 0), 1) << status.dump();
    const auto waited_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                                  restarted_at)
                               .count();
    EXPECT_GE(waited_ms, settings.restart_grace_ms);  // not before the grace period

    RawPeer replacement(second.address(), second.key_dir());
    protocol::TrialAssignment second_attempt;
    ASSERT_NO_THROW(second_attempt = take_trial(replacement, "probe:2:second"));
    EXPECT_EQ(second_attempt.trial_id, first_attempt.trial_id);
    EXPECT_EQ(second_attempt.attempt, 2);
}

}  // namespace
}  // namespace segsweep::testing
