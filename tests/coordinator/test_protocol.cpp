// Protocol: every body survives encode -> frames -> decode -> validate -> from_json unchanged, and
// each kind of bad input (framing, version, type, size, JSON, fields) is refused with a reason.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/protocol.h"

namespace segsweep::protocol {
namespace {

Message round_trip(MessageType type, const nlohmann::json& body) {
    Decoded decoded = decode_frames(encode_frames(type, body));
    EXPECT_EQ(decoded.status, DecodeStatus::ok) << decoded.error;
    EXPECT_EQ(decoded.message.type, type);
    EXPECT_NO_THROW(validate_body(decoded.message));
    return decoded.message;
}

TrialResult sample_result() {
    TrialResult r;
    r.state = TrialState::stopped_early;
    r.message = "val_loss did not improve for 2 epochs";
    r.config.learning_rate = 0.01;
    r.config.encoder_filters = {8, 16};
    r.config.decoder_filters = {16, 8};
    EpochMetrics m;
    m.epoch = 1;
    m.train_loss = 0.5;
    m.val_loss = 0.6;
    m.val_iou = 0.25;
    r.history.push_back(m);
    r.epochs_run = 1;
    r.best_epoch = 1;
    FollowMeScore score;
    score.weight = 0.75;
    score.final_iou = 0.5;
    score.final_score = 0.375;
    EvalSetScore set;
    set.name = "following_images";
    set.images = 10;
    set.true_positives = 9;
    set.false_negatives = 1;
    score.sets.push_back(set);
    r.score = score;
    r.wall_seconds = 12.5;
    r.images_per_sec = 40;
    return r;
}

TEST(Protocol, TypeNamesRoundTrip) {
    for (const char* name : {"HELLO", "WELCOME", "READY", "HEARTBEAT", "BYE", "TRIAL", "EPOCH", "CONTINUE", "STOP",
                             "RESULT", "PREEMPTED", "ACK", "NO_WORK", "RECONNECT", "ERROR", "SUBMIT", "STATUS",
                             "LEADERBOARD", "CANCEL", "WORKERS", "REPLY"}) {
        auto type = message_type_from_name(name);
        ASSERT_TRUE(type.has_value()) << name;
        EXPECT_STREQ(message_type_name(*type), name);
    }
    EXPECT_FALSE(message_type_from_name("hello").has_value());  // names are case-sensitive
}

TEST(Protocol, FramesAreEmptyVersionTypeBody) {
    auto frames = encode_frames(MessageType::ready, nlohmann::json::object());
    ASSERT_EQ(frames.size(), 4u);
    EXPECT_EQ(frames[0], "");
    EXPECT_EQ(frames[1], "SEGSWEEP1");
    EXPECT_EQ(frames[2], "READY");
    EXPECT_EQ(frames[3], "{}");
}

TEST(Protocol, HelloRoundTripWithAndWithoutRunningTrial) {
    Hello h;
    h.worker_id = "node7:123:ab12";
    h.host = "node7";
    h.pid = 123;
    h.ranks = 2;
    h.gpus = 2;
    h.cpu_threads = 8;
    Hello back = hello_from_json(round_trip(MessageType::hello, to_json(h)).body);
    EXPECT_EQ(back.worker_id, h.worker_id);
    EXPECT_EQ(back.ranks, 2);
    EXPECT_EQ(back.gpus, 2);
    EXPECT_FALSE(back.running.has_value());

    h.running = RunningTrial{42, 3, 7};
    back = hello_from_json(round_trip(MessageType::hello, to_json(h)).body);
    ASSERT_TRUE(back.running.has_value());
    EXPECT_EQ(back.running->trial_id, 42);
    EXPECT_EQ(back.running->attempt, 3);
    EXPECT_EQ(back.running->epochs_done, 7);
}

TEST(Protocol, TrialEpochDecisionRoundTrip) {
    TrialAssignment t;
    t.trial_id = 9;
    t.attempt = 2;
    t.sweep_id = 4;
    t.config.batch_size = 8;
    t.config.image_size = 32;
    t.trial_dir = "/runs/sweep-4/trial-9";
    t.resume = true;
    TrialAssignment tb = trial_assignment_from_json(round_trip(MessageType::trial, to_json(t)).body);
    EXPECT_EQ(tb.trial_id, 9);
    EXPECT_EQ(tb.attempt, 2);
    EXPECT_EQ(tb.sweep_id, 4);
    EXPECT_EQ(canonical_json(tb.config), canonical_json(t.config));
    EXPECT_EQ(tb.trial_dir, t.trial_dir);
    EXPECT_TRUE(tb.resume);

    EpochReport e;
    e.trial_id = 9;
    e.attempt = 2;
    e.metrics.epoch = 5;
    e.metrics.val_iou = 0.31;
    EpochReport eb = epoch_report_from_json(round_trip(MessageType::epoch, to_json(e)).body);
    EXPECT_EQ(eb.metrics.epoch, 5);
    EXPECT_DOUBLE_EQ(eb.metrics.val_iou, 0.31);

    Decision d{9, 2, 5, kStopReasonEarlyStop};
    Decision db = decision_from_json(round_trip(MessageType::stop, to_json(d)).body);
    EXPECT_EQ(db.epoch, 5);
    EXPECT_EQ(db.reason, "early_stop");
}

TEST(Protocol, ResultPreemptedAckRoundTrip) {
    ResultReport r{9, 2, sample_result()};
    ResultReport rb = result_report_from_json(round_trip(MessageType::result, to_json(r)).body);
    EXPECT_EQ(rb.result.state, TrialState::stopped_early);
    ASSERT_TRUE(rb.result.score.has_value());
    EXPECT_DOUBLE_EQ(rb.result.score->final_score, 0.375);
    EXPECT_EQ(rb.result.history.size(), 1u);

    Preempted p{9, 2, 4, "SIGUSR2"};
    Preempted pb = preempted_from_json(round_trip(MessageType::preempted, to_json(p)).body);
    EXPECT_EQ(pb.epochs_done, 4);
    EXPECT_EQ(pb.reason, "SIGUSR2");

    Ack a{9, 2, true, "ok"};
    Ack ab = ack_from_json(round_trip(MessageType::ack, to_json(a)).body);
    EXPECT_TRUE(ab.recorded);
}

TEST(Protocol, ClientRequestsRoundTrip) {
    Request submit;
    submit.type = MessageType::submit;
    submit.request_id = "r1";
    submit.sweep_text = "{\"method\": \"grid\"}";
    submit.sweep_source = "quickstart.json";
    Request sb = request_from_json(MessageType::submit, round_trip(MessageType::submit, to_json(submit)).body);
    EXPECT_EQ(sb.sweep_text, submit.sweep_text);
    EXPECT_EQ(sb.sweep_source, "quickstart.json");

    Request board;
    board.type = MessageType::leaderboard;
    board.request_id = "r3";
    board.sweep_id = 2;
    board.limit = 5;
    board.sort = "val_iou";
    Request bb = request_from_json(MessageType::leaderboard, round_trip(MessageType::leaderboard, to_json(board)).body);
    EXPECT_EQ(bb.sweep_id, 2);
    EXPECT_EQ(bb.limit, 5);
    EXPECT_EQ(bb.sort, "val_iou");
    EXPECT_EQ(bb.sweep_name, "");

    Request by_name = board;
    by_name.sweep_id.reset();
    by_name.sweep_name = "lr-grid";
    Request bn = request_from_json(MessageType::leaderboard, round_trip(MessageType::leaderboard, to_json(by_name)).body);
    EXPECT_FALSE(bn.sweep_id.has_value());
    EXPECT_EQ(bn.sweep_name, "lr-grid");

    Request cancel;
    cancel.type = MessageType::cancel;
    cancel.request_id = "r2";
    cancel.trial_id = 17;
    Request cb = request_from_json(MessageType::cancel, round_trip(MessageType::cancel, to_json(cancel)).body);
    EXPECT_EQ(cb.trial_id, 17);
    EXPECT_FALSE(cb.sweep_id.has_value());

    Reply reply{"r2", true, {{"cancelled", 1}}, ""};
    Reply rb = reply_from_json(round_trip(MessageType::reply, to_json(reply)).body);
    EXPECT_TRUE(rb.ok);
    EXPECT_EQ(rb.data["cancelled"], 1);
}

TEST(Protocol, BadFramingIsMalformed) {
    auto good = encode_frames(MessageType::ready, nlohmann::json::object());
    auto three = good;
    three.pop_back();
    EXPECT_EQ(decode_frames(three).status, DecodeStatus::malformed);
    auto five = good;
    five.push_back("extra");
    EXPECT_EQ(decode_frames(five).status, DecodeStatus::malformed);
    auto no_delimiter = good;
    no_delimiter[0] = "x";
    EXPECT_EQ(decode_frames(no_delimiter).status, DecodeStatus::malformed);
    auto unknown = good;
    unknown[2] = "DANCE";
    Decoded d = decode_frames(unknown);
    EXPECT_EQ(d.status, DecodeStatus::malformed);
    EXPECT_NE(d.error.find("unknown message type"), std::string::npos);
    auto not_json = good;
    not_json[3] = "{\"a\":";
    EXPECT_EQ(decode_frames(not_json).status, DecodeStatus::malformed);
    auto array_body = good;
    array_body[3] = "[1,2]";
    EXPECT_EQ(decode_frames(array_body).status, DecodeStatus::malformed);
    auto foreign = good;
    foreign[1] = "MDPW01";
    EXPECT_EQ(decode_frames(foreign).status, DecodeStatus::malformed);
}

TEST(Protocol, OversizedBodyIsRefused) {
    auto frames = encode_frames(MessageType::heartbeat, nlohmann::json::object());
    frames[3] = "{\"pad\":\"" + std::string(kMaxBodyBytes, 'x') + "\"}";
    Decoded d = decode_frames(frames);
    EXPECT_EQ(d.status, DecodeStatus::malformed);
    EXPECT_NE(d.error.find("exceeds the limit"), std::string::npos);
}

TEST(Protocol, OtherVersionIsAMismatchWithAClearMessage) {
    auto frames = encode_frames(MessageType::hello, nlohmann::json::object());
    frames[1] = "SEGSWEEP2";
    Decoded d = decode_frames(frames);
    EXPECT_EQ(d.status, DecodeStatus::version_mismatch);
    EXPECT_EQ(d.peer_version, "SEGSWEEP2");
    std::string text = version_mismatch_text(d.peer_version, "worker");
    EXPECT_NE(text.find("SEGSWEEP2"), std::string::npos);
    EXPECT_NE(text.find("SEGSWEEP1"), std::string::npos);
}

TEST(Protocol, FieldChecksNameTheField) {
    auto expect_refused = [](MessageType type, const nlohmann::json& body, const std::string& field) {
        Message m{type, body};
        try {
            validate_body(m);
            ADD_FAILURE() << "accepted " << body.dump();
        } catch (const ProtocolError& e) {
            EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
        }
    };
    expect_refused(MessageType::hello, {{"host", "h"}}, "worker_id");
    expect_refused(MessageType::hello,
                   {{"worker_id", "w"}, {"host", "h"}, {"pid", 1}, {"ranks", 0}, {"gpus", 0}, {"cpu_threads", 1}},
                   "ranks");
    expect_refused(MessageType::hello,
                   {{"worker_id", std::string(kMaxIdBytes + 1, 'w')}, {"host", "h"}, {"pid", 1}, {"ranks", 1},
                    {"gpus", 0}, {"cpu_threads", 1}},
                   "worker_id");
    expect_refused(MessageType::epoch, {{"trial_id", -3}, {"attempt", 1}, {"metrics", {{"epoch", 1}}}}, "trial_id");
    expect_refused(MessageType::epoch, {{"trial_id", 3}, {"attempt", "1"}, {"metrics", {{"epoch", 1}}}}, "attempt");
    expect_refused(MessageType::epoch,
                   {{"trial_id", 3},
                    {"attempt", 1},
                    {"metrics", {{"epoch", 0}, {"train_loss", 1}, {"val_loss", 1}, {"val_iou", 0}}}},
                   "epoch");
    expect_refused(MessageType::trial,
                   {{"trial_id", 1},
                    {"attempt", 1},
                    {"sweep_id", 1},
                    {"config", {{"batch_size", "big"}}},
                    {"trial_dir", "/x"},
                    {"resume", false}},
                   "batch_size");
    ResultReport running{1, 1, sample_result()};
    nlohmann::json body = to_json(running);
    body["result"]["state"] = "running";
    expect_refused(MessageType::result, body, "not a final state");
    expect_refused(MessageType::cancel, {{"request_id", "r"}}, "exactly one");
    expect_refused(MessageType::submit, {{"request_id", "r"}, {"sweep_text", 5}}, "sweep_text");
    expect_refused(MessageType::reply, {{"request_id", "r"}, {"ok", false}}, "error");
}

}  // namespace
}  // namespace segsweep::protocol
