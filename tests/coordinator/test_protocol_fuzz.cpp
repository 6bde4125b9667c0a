// Protocol fuzzing: random frames and mutated valid messages never crash the decoder. decode_frames
// never throws, and validate_body throws nothing but ProtocolError, whatever the bytes.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "common/protocol.h"

namespace segsweep::protocol {
namespace {

constexpr int kRandomCases = 20000;    // random frame sets
constexpr int kMutationCases = 20000;  // mutations of valid messages
constexpr uint64_t kFuzzSeed = 20261128;

// Decodes and, when decoding succeeds, validates; fails the test on any exception other than
// ProtocolError. Returns true when the message was accepted as a whole.
bool decode_safely(const std::vector<std::string>& frames) {
    Decoded decoded;
    try {
        decoded = decode_frames(frames);
    } catch (const std::exception& e) {
        ADD_FAILURE() << "decode_frames threw: " << e.what();
        return false;
    }
    if (decoded.status != DecodeStatus::ok) {
        EXPECT_FALSE(decoded.error.empty());
        return false;
    }
    try {
        validate_body(decoded.message);
        return true;
    } catch (const ProtocolError&) {
        return false;
    } catch (const std::exception& e) {
        ADD_FAILURE() << "validate_body threw a non-protocol error: " << e.what() << " for "
                      << decoded.message.body.dump();
        return false;
    }
}

std::string random_bytes(std::mt19937_64& rng, size_t max_len) {
    std::uniform_int_distribution<size_t> len(0, max_len);
    std::uniform_int_distribution<int> byte(0, 255);
    std::string s(len(rng), '\0');
    for (char& c : s) c = static_cast<char>(byte(rng));
    return s;
}

std::vector<std::vector<std::string>> valid_messages() {
    Hello hello;
    hello.worker_id = "w:1:x";
    hello.host = "h";
    hello.running = RunningTrial{5, 1, 2};
    TrialAssignment trial;
    trial.trial_id = 5;
    trial.attempt = 1;
    trial.sweep_id = 1;
    trial.trial_dir = "/t";
    EpochReport epoch;
    epoch.trial_id = 5;
    epoch.attempt = 1;
    epoch.metrics.epoch = 3;
    ResultReport result;
    result.trial_id = 5;
    result.attempt = 1;
    result.result.history.push_back(epoch.metrics);
    Request submit;
    submit.type = MessageType::submit;
    submit.request_id = "q";
    submit.sweep_text = "method: random\nparameters:\n  learning_rate: {values: [0.1, 0.01]}\n";
    submit.sweep_source = "s.yaml";
    return {encode_frames(MessageType::hello, to_json(hello)),
            encode_frames(MessageType::trial, to_json(trial)),
            encode_frames(MessageType::epoch, to_json(epoch)),
            encode_frames(MessageType::result, to_json(result)),
            encode_frames(MessageType::stop, to_json(Decision{5, 1, 3, kStopReasonCancel})),
            encode_frames(MessageType::submit, to_json(submit)),
            encode_frames(MessageType::heartbeat, nlohmann::json::object())};
}

TEST(ProtocolFuzz, ValidMessagesAreAccepted) {
    for (const auto& frames : valid_messages()) EXPECT_TRUE(decode_safely(frames)) << frames[2];
}

TEST(ProtocolFuzz, RandomFramesNeverCrash) {
    std::mt19937_64 rng(kFuzzSeed);
    std::uniform_int_distribution<int> frame_count(0, 6);
    int accepted = 0;
    for (int i = 0; i < kRandomCases; ++i) {
        std::vector<std::string> frames;
        int n = frame_count(rng);
        for (int f = 0; f < n; ++f) frames.push_back(random_bytes(rng, 64));
        if (decode_safely(frames)) ++accepted;
    }
    EXPECT_EQ(accepted, 0);  // random bytes never spell a whole valid message
}

TEST(ProtocolFuzz, MutatedValidMessagesNeverCrash) {
    std::mt19937_64 rng(kFuzzSeed + 1);
    auto valid = valid_messages();
    std::uniform_int_distribution<size_t> pick(0, valid.size() - 1);
    std::uniform_int_distribution<int> op(0, 5);
    std::uniform_int_distribution<int> byte(0, 255);
    const std::vector<std::string> json_tokens = {"null", "-1", "1e308", "\"\"", "[]", "{}", "true",
                                                  "9223372036854775808", "0.5", "\"x\""};
    std::uniform_int_distribution<size_t> token(0, json_tokens.size() - 1);
    for (int i = 0; i < kMutationCases; ++i) {
        auto frames = valid[pick(rng)];
        std::string& body = frames[3];
        switch (op(rng)) {
            case 0:  // flip a byte of the body
                if (!body.empty()) body[rng() % body.size()] = static_cast<char>(byte(rng));
                break;
            case 1:  // truncate the body
                body.resize(rng() % (body.size() + 1));
                break;
            case 2: {  // replace a JSON value with another type
                nlohmann::json j = nlohmann::json::parse(body);
                std::vector<std::string> keys;
                for (auto& [k, v] : j.items()) keys.push_back(k);
                if (!keys.empty())
                    j[keys[rng() % keys.size()]] = nlohmann::json::parse(json_tokens[token(rng)]);
                body = j.dump();
                break;
            }
            case 3: {  // remove a field
                nlohmann::json j = nlohmann::json::parse(body);
                if (!j.empty()) j.erase(j.begin());
                body = j.dump();
                break;
            }
            case 4:  // corrupt the type frame
                frames[2] = random_bytes(rng, 12);
                break;
            default:  // deep nesting
                body = "{\"a\":" + std::string(5000, '[') + std::string(5000, ']') + "}";
                break;
        }
        decode_safely(frames);
    }
}

}  // namespace
}  // namespace segsweep::protocol
