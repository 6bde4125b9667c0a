// The segsweep wire protocol (version SEGSWEEP1): message types, frame layout, body structs and
// the validation of every body. Coordinator, workers and clients all speak it through this header.
//
// Frames of one message: [empty][version "SEGSWEEP1"][type][JSON body]. A DEALER (worker, client)
// sends exactly these four frames; the coordinator's ROUTER sees its routing id in front of them
// and puts it back in front of each reply. Bodies are JSON objects of at most kMaxBodyBytes.
//
//   worker -> coordinator   HELLO READY HEARTBEAT EPOCH RESULT PREEMPTED BYE
//   coordinator -> worker   WELCOME TRIAL CONTINUE STOP ACK NO_WORK RECONNECT HEARTBEAT ERROR
//   client -> coordinator   SUBMIT STATUS LEADERBOARD CANCEL WORKERS
//   coordinator -> client   REPLY (ok: true, data) or (ok: false, error)
//
// decode_frames() checks the framing, the version, the type and that the body is a JSON object;
// the *_from_json() functions check each field of a body (presence, type, range) and throw
// ProtocolError naming the field. Receivers log and drop whatever fails either step.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/trial_config.h"
#include "common/trial_result.h"

namespace segsweep::protocol {

inline constexpr const char* kVersion = "SEGSWEEP1";       // the version frame of this protocol
inline constexpr const char* kVersionFamily = "SEGSWEEP";  // any version frame starts with this
inline constexpr size_t kFrameCount = 4;                   // [empty][version][type][body]
inline constexpr size_t kMaxBodyBytes = 1 << 20;           // bytes; a 1,000-epoch RESULT is ~200 KB
inline constexpr size_t kMaxTypeBytes = 32;                // bytes of the type frame
inline constexpr size_t kMaxVersionBytes = 32;             // bytes of the version frame
inline constexpr size_t kMaxIdBytes = 128;                 // worker ids, host names, request ids
inline constexpr size_t kMaxTextBytes = 4096;              // reasons, error messages, folders

// A body that fails validation. Receivers catch it, log it and drop the message.
class ProtocolError : public Error {
public:
    explicit ProtocolError(const std::string& message) : Error(message) {}
};

enum class MessageType {
    hello,        // worker: I exist, these are my resources, this trial I may still be running
    welcome,      // coordinator: accepted; heartbeat settings
    ready,        // worker: idle, give me a trial
    heartbeat,    // both ways: I am alive (any message counts as one)
    bye,          // worker: leaving (exit, preemption)
    trial,        // coordinator: run this trial (attempt, config, folder, resume)
    epoch,        // worker: metrics of one finished epoch
    proceed,      // coordinator: "CONTINUE" after an EPOCH
    stop,         // coordinator: stop the trial at the next epoch boundary (reason)
    result,       // worker: the final result of one attempt (retried until ACK)
    preempted,    // worker: the attempt was checkpointed and interrupted (SIGUSR2/TERM)
    ack,          // coordinator: RESULT or PREEMPTED is durable (or was stale and dropped)
    no_work,      // coordinator: every submitted trial is final (--exit-when-idle workers leave)
    reconnect,    // coordinator: I do not know you (I restarted); reconnect and say HELLO
    error,        // coordinator: your message was refused (version mismatch, bad request)
    submit,       // client: a sweep (JSON object)
    status,       // client: counts by state, running trials, workers
    leaderboard,  // client: the ranked trials of a sweep
    cancel,       // client: cancel a sweep or a trial
    workers,      // client: the workers and what they run
    reply,        // coordinator: the answer to a client request
};

// "HELLO", "CONTINUE", ... as sent in the type frame.
const char* message_type_name(MessageType type);
std::optional<MessageType> message_type_from_name(const std::string& name);

// One decoded message: its type and its (not yet field-checked) JSON object body.
struct Message {
    MessageType type = MessageType::heartbeat;
    nlohmann::json body = nlohmann::json::object();
};

enum class DecodeStatus {
    ok,                // framing, version, type and JSON object all good
    malformed,         // wrong frame count, missing empty frame, unknown type, oversized, bad JSON
    version_mismatch,  // a SEGSWEEP* version other than kVersion: refuse with a clear message
};

struct Decoded {
    DecodeStatus status = DecodeStatus::malformed;
    Message message;           // valid when status == ok
    std::string peer_version;  // the version frame the peer sent (printable, truncated)
    std::string error;         // why it was refused, for the log
};

// The four frames of a message: "", kVersion, type name, body.dump().
std::vector<std::string> encode_frames(MessageType type, const nlohmann::json& body);
// Never throws: any input (random bytes included) yields a Decoded with a status.
Decoded decode_frames(const std::vector<std::string>& frames);
// Runs the *_from_json check of the body's type; throws ProtocolError naming the field.
void validate_body(const Message& message);
// The message a coordinator or worker prints when the peer's version differs.
std::string version_mismatch_text(const std::string& peer_version, const std::string& who_is_peer);

// ---- worker <-> coordinator bodies ----

// The trial a worker is still running when it says HELLO again (re-attach after a reconnect or
// a coordinator restart).
struct RunningTrial {
    int64_t trial_id = 0;
    int attempt = 0;
    int epochs_done = 0;
};

struct Hello {
    std::string worker_id;   // unique per worker process ("host:pid:random")
    std::string host;
    int64_t pid = 0;
    int ranks = 1;           // data-parallel ranks of this worker (an MPI job's size)
    int gpus = 0;            // GPUs across those ranks
    int cpu_threads = 1;     // CPU threads each rank may use
    std::optional<RunningTrial> running;
};

struct Welcome {
    std::string worker_id;
    int heartbeat_interval_ms = 0;  // both sides send a HEARTBEAT this often when otherwise silent
    int heartbeat_liveness = 0;     // intervals of silence before the peer counts as gone
};

struct Bye {
    std::string reason;
};

struct TrialAssignment {
    int64_t trial_id = 0;
    int attempt = 0;          // 1 for the first run; each restart or preemption adds one
    int64_t sweep_id = 0;
    TrialConfig config;
    std::string trial_dir;    // the trial folder (checkpoints); shared by all attempts
    bool resume = false;      // resume from the newest checkpoint in trial_dir if there is one
    std::string data_root;    // the sweep's dataset root ("" = the worker's own --data)
};

struct EpochReport {
    int64_t trial_id = 0;
    int attempt = 0;
    EpochMetrics metrics;
};

// CONTINUE (stop == false) or STOP (stop == true) for one trial attempt.
struct Decision {
    int64_t trial_id = 0;
    int attempt = 0;
    int epoch = 0;            // the epoch this answers; 0 for a STOP not tied to a report (cancel)
    std::string reason;       // STOP: one of the kStopReason* below
};

inline constexpr const char* kStopReasonEarlyStop = "early_stop";   // the sweep's policy said so
inline constexpr const char* kStopReasonTarget = "target_reached";  // metric.target met by a trial
inline constexpr const char* kStopReasonCancel = "cancel";          // a user cancelled it
inline constexpr const char* kStopReasonStale = "stale_attempt";    // another attempt owns the trial

struct ResultReport {
    int64_t trial_id = 0;
    int attempt = 0;
    TrialResult result;
};

struct Preempted {
    int64_t trial_id = 0;
    int attempt = 0;
    int epochs_done = 0;      // epochs checkpointed in the trial folder
    std::string reason;       // "SIGUSR2", "SIGTERM"
};

// Answer to RESULT or PREEMPTED: the worker stops retrying once it has one.
struct Ack {
    int64_t trial_id = 0;
    int attempt = 0;
    bool recorded = false;    // false: stale or duplicate, nothing was written
    std::string note;
};

struct ErrorBody {
    std::string message;
    std::string request_id;   // set when answering a client request
};

// ---- client <-> coordinator bodies ----

struct Request {
    MessageType type = MessageType::status;
    std::string request_id;           // echoed in the REPLY
    std::string sweep_text;           // SUBMIT: the sweep file's text (JSON or YAML)
    std::string sweep_source;         // SUBMIT: the file it came from (format detection, messages)
    std::optional<int64_t> sweep_id;  // STATUS, LEADERBOARD, CANCEL
    std::string sweep_name;           // LEADERBOARD: a sweep name instead of an id (the newest of that name)
    std::optional<int64_t> trial_id;  // CANCEL
    int limit = 0;                    // LEADERBOARD: rows (0 = all)
    std::string sort;                 // LEADERBOARD: sort key ("" = final_score)
};

struct Reply {
    std::string request_id;
    bool ok = false;
    nlohmann::json data;       // ok: the answer
    std::string error;         // not ok: why
};

nlohmann::json to_json(const Hello& body);
Hello hello_from_json(const nlohmann::json& body);
nlohmann::json to_json(const Welcome& body);
Welcome welcome_from_json(const nlohmann::json& body);
nlohmann::json to_json(const Bye& body);
Bye bye_from_json(const nlohmann::json& body);
nlohmann::json to_json(const TrialAssignment& body);
TrialAssignment trial_assignment_from_json(const nlohmann::json& body);
nlohmann::json to_json(const EpochReport& body);
EpochReport epoch_report_from_json(const nlohmann::json& body);
nlohmann::json to_json(const Decision& body);
Decision decision_from_json(const nlohmann::json& body);
nlohmann::json to_json(const ResultReport& body);
ResultReport result_report_from_json(const nlohmann::json& body);
nlohmann::json to_json(const Preempted& body);
Preempted preempted_from_json(const nlohmann::json& body);
nlohmann::json to_json(const Ack& body);
Ack ack_from_json(const nlohmann::json& body);
nlohmann::json to_json(const ErrorBody& body);
ErrorBody error_from_json(const nlohmann::json& body);
// Requests carry their type in the frame; request_from_json needs it to know the fields.
nlohmann::json to_json(const Request& body);
Request request_from_json(MessageType type, const nlohmann::json& body);
nlohmann::json to_json(const Reply& body);
Reply reply_from_json(const nlohmann::json& body);

// READY, HEARTBEAT, NO_WORK and RECONNECT bodies are objects whose fields are all optional
// (NO_WORK and RECONNECT may say why in "reason"); validate_body only checks they are objects.

// SUBMIT, STATUS, LEADERBOARD, CANCEL, WORKERS.
bool is_client_request(MessageType type);
// What a worker may send: HELLO, READY, HEARTBEAT, EPOCH, RESULT, PREEMPTED, BYE.
bool is_worker_message(MessageType type);

}  // namespace segsweep::protocol
