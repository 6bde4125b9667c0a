// The segsweep wire protocol: frame encoding and decoding, and the field checks of every body.
#include "common/protocol.h"

#include <climits>

namespace segsweep::protocol {
namespace {

struct TypeName {
    MessageType type;
    const char* name;
};

const TypeName kTypeNames[] = {
    {MessageType::hello, "HELLO"},         {MessageType::welcome, "WELCOME"},
    {MessageType::ready, "READY"},         {MessageType::heartbeat, "HEARTBEAT"},
    {MessageType::bye, "BYE"},             {MessageType::trial, "TRIAL"},
    {MessageType::epoch, "EPOCH"},         {MessageType::proceed, "CONTINUE"},
    {MessageType::stop, "STOP"},           {MessageType::result, "RESULT"},
    {MessageType::preempted, "PREEMPTED"}, {MessageType::ack, "ACK"},
    {MessageType::no_work, "NO_WORK"},     {MessageType::reconnect, "RECONNECT"},
    {MessageType::error, "ERROR"},         {MessageType::submit, "SUBMIT"},
    {MessageType::status, "STATUS"},       {MessageType::leaderboard, "LEADERBOARD"},
    {MessageType::cancel, "CANCEL"},       {MessageType::workers, "WORKERS"},
    {MessageType::reply, "REPLY"},
};

// Up to kMaxVersionBytes characters, non-printable bytes shown as '?', for log lines.
std::string printable(const std::string& text) {
    std::string out;
    for (size_t i = 0; i < text.size() && i < kMaxVersionBytes; ++i) {
        unsigned char ch = static_cast<unsigned char>(text[i]);
        out += (ch >= 0x20 && ch < 0x7f) ? static_cast<char>(ch) : '?';
    }
    return out;
}

const nlohmann::json& field(const nlohmann::json& body, const char* name, const char* what) {
    if (!body.is_object()) throw ProtocolError(std::string(what) + ": body is not a JSON object");
    auto it = body.find(name);
    if (it == body.end()) throw ProtocolError(std::string(what) + "." + name + ": missing");
    return *it;
}

int64_t read_int64(const nlohmann::json& body, const char* name, const char* what, int64_t min, int64_t max) {
    const auto& value = field(body, name, what);
    if (!value.is_number_integer()) throw ProtocolError(std::string(what) + "." + name + ": expected an integer");
    int64_t v = value.is_number_unsigned() && value.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)
                    ? INT64_MAX
                    : value.get<int64_t>();
    if (v < min || v > max)
        throw ProtocolError(std::string(what) + "." + name + ": " + std::to_string(v) + " is outside " +
                            std::to_string(min) + ".." + std::to_string(max));
    return v;
}

int read_int(const nlohmann::json& body, const char* name, const char* what, int min, int max) {
    return static_cast<int>(read_int64(body, name, what, min, max));
}

std::string read_string(const nlohmann::json& body, const char* name, const char* what, size_t max_bytes,
                        bool allow_empty = true) {
    const auto& value = field(body, name, what);
    if (!value.is_string()) throw ProtocolError(std::string(what) + "." + name + ": expected a string");
    std::string text = value.get<std::string>();
    if (text.size() > max_bytes)
        throw ProtocolError(std::string(what) + "." + name + ": longer than " + std::to_string(max_bytes) + " bytes");
    if (!allow_empty && text.empty()) throw ProtocolError(std::string(what) + "." + name + ": empty");
    return text;
}

bool read_bool(const nlohmann::json& body, const char* name, const char* what) {
    const auto& value = field(body, name, what);
    if (!value.is_boolean()) throw ProtocolError(std::string(what) + "." + name + ": expected true or false");
    return value.get<bool>();
}

bool has(const nlohmann::json& body, const char* name) {
    return body.is_object() && body.contains(name) && !body.at(name).is_null();
}

constexpr int64_t kMaxId = INT64_MAX;   // trial and sweep ids are positive 64-bit integers
constexpr int kMaxAttempt = 1000000;    // attempts of one trial
constexpr int kMaxEpoch = 1000000;      // epochs of one trial
constexpr int kMaxRanks = 1 << 20;      // ranks, GPUs, threads of one worker

}  // namespace

const char* message_type_name(MessageType type) {
    for (const auto& entry : kTypeNames)
        if (entry.type == type) return entry.name;
    return "UNKNOWN";
}

std::optional<MessageType> message_type_from_name(const std::string& name) {
    for (const auto& entry : kTypeNames)
        if (name == entry.name) return entry.type;
    return std::nullopt;
}

bool is_client_request(MessageType type) {
    return type == MessageType::submit || type == MessageType::status || type == MessageType::leaderboard ||
           type == MessageType::cancel || type == MessageType::workers;
}

bool is_worker_message(MessageType type) {
    return type == MessageType::hello || type == MessageType::ready || type == MessageType::heartbeat ||
           type == MessageType::epoch || type == MessageType::result || type == MessageType::preempted ||
           type == MessageType::bye;
}

std::vector<std::string> encode_frames(MessageType type, const nlohmann::json& body) {
    return {std::string(), kVersion, message_type_name(type), body.dump()};
}

Decoded decode_frames(const std::vector<std::string>& frames) {
    Decoded out;
    if (frames.size() != kFrameCount) {
        out.error = "expected " + std::to_string(kFrameCount) + " frames, got " + std::to_string(frames.size());
        return out;
    }
    if (!frames[0].empty()) {
        out.error = "the first frame is not the empty delimiter";
        return out;
    }
    const std::string& version = frames[1];
    out.peer_version = printable(version);
    if (version != kVersion) {
        if (version.size() <= kMaxVersionBytes && version.rfind(kVersionFamily, 0) == 0) {
            out.status = DecodeStatus::version_mismatch;
            out.error = "protocol version " + out.peer_version + " (this side speaks " + kVersion + ")";
        } else {
            out.error = "not a segsweep message (version frame '" + out.peer_version + "')";
        }
        return out;
    }
    if (frames[2].size() > kMaxTypeBytes) {
        out.error = "type frame longer than " + std::to_string(kMaxTypeBytes) + " bytes";
        return out;
    }
    auto type = message_type_from_name(frames[2]);
    if (!type) {
        out.error = "unknown message type '" + printable(frames[2]) + "'";
        return out;
    }
    if (frames[3].size() > kMaxBodyBytes) {
        out.error = std::string(message_type_name(*type)) + " body of " + std::to_string(frames[3].size()) +
                    " bytes exceeds the limit of " + std::to_string(kMaxBodyBytes);
        return out;
    }
    nlohmann::json body = nlohmann::json::parse(frames[3], nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded() || !body.is_object()) {
        out.error = std::string(message_type_name(*type)) + " body is not a JSON object";
        return out;
    }
    out.status = DecodeStatus::ok;
    out.message.type = *type;
    out.message.body = std::move(body);
    return out;
}

std::string version_mismatch_text(const std::string& peer_version, const std::string& who_is_peer) {
    return "protocol version mismatch: the " + who_is_peer + " speaks " + peer_version + ", this side speaks " +
           kVersion + "; run the same segsweep release on both sides";
}

void validate_body(const Message& message) {
    const auto& b = message.body;
    switch (message.type) {
        case MessageType::hello: hello_from_json(b); return;
        case MessageType::welcome: welcome_from_json(b); return;
        case MessageType::bye: bye_from_json(b); return;
        case MessageType::trial: trial_assignment_from_json(b); return;
        case MessageType::epoch: epoch_report_from_json(b); return;
        case MessageType::proceed:
        case MessageType::stop: decision_from_json(b); return;
        case MessageType::result: result_report_from_json(b); return;
        case MessageType::preempted: preempted_from_json(b); return;
        case MessageType::ack: ack_from_json(b); return;
        case MessageType::error: error_from_json(b); return;
        case MessageType::reply: reply_from_json(b); return;
        case MessageType::submit:
        case MessageType::status:
        case MessageType::leaderboard:
        case MessageType::cancel:
        case MessageType::workers: request_from_json(message.type, b); return;
        case MessageType::ready:
        case MessageType::heartbeat:
        case MessageType::no_work:
        case MessageType::reconnect:
            if (!b.is_object()) throw ProtocolError(std::string(message_type_name(message.type)) + ": not an object");
            return;
    }
    throw ProtocolError("unknown message type");
}

// ---- bodies ----

nlohmann::json to_json(const Hello& h) {
    nlohmann::json j = {{"worker_id", h.worker_id}, {"host", h.host},   {"pid", h.pid},
                        {"ranks", h.ranks},         {"gpus", h.gpus},   {"cpu_threads", h.cpu_threads}};
    if (h.running)
        j["running"] = {{"trial_id", h.running->trial_id},
                        {"attempt", h.running->attempt},
                        {"epochs_done", h.running->epochs_done}};
    else
        j["running"] = nullptr;
    return j;
}

Hello hello_from_json(const nlohmann::json& b) {
    const char* what = "HELLO";
    Hello h;
    h.worker_id = read_string(b, "worker_id", what, kMaxIdBytes, /*allow_empty=*/false);
    h.host = read_string(b, "host", what, kMaxIdBytes);
    h.pid = read_int64(b, "pid", what, 0, INT32_MAX);
    h.ranks = read_int(b, "ranks", what, 1, kMaxRanks);
    h.gpus = read_int(b, "gpus", what, 0, kMaxRanks);
    h.cpu_threads = read_int(b, "cpu_threads", what, 1, kMaxRanks);
    if (has(b, "running")) {
        const auto& r = b.at("running");
        const char* rwhat = "HELLO.running";
        RunningTrial running;
        running.trial_id = read_int64(r, "trial_id", rwhat, 1, kMaxId);
        running.attempt = read_int(r, "attempt", rwhat, 1, kMaxAttempt);
        running.epochs_done = read_int(r, "epochs_done", rwhat, 0, kMaxEpoch);
        h.running = running;
    }
    return h;
}

nlohmann::json to_json(const Welcome& w) {
    return {{"worker_id", w.worker_id},
            {"heartbeat_interval_ms", w.heartbeat_interval_ms},
            {"heartbeat_liveness", w.heartbeat_liveness}};
}

Welcome welcome_from_json(const nlohmann::json& b) {
    const char* what = "WELCOME";
    Welcome w;
    w.worker_id = read_string(b, "worker_id", what, kMaxIdBytes, false);
    w.heartbeat_interval_ms = read_int(b, "heartbeat_interval_ms", what, 1, 3600 * 1000);
    w.heartbeat_liveness = read_int(b, "heartbeat_liveness", what, 1, 1000);
    return w;
}

nlohmann::json to_json(const Bye& b) { return {{"reason", b.reason}}; }

Bye bye_from_json(const nlohmann::json& b) {
    Bye out;
    out.reason = has(b, "reason") ? read_string(b, "reason", "BYE", kMaxTextBytes) : "";
    return out;
}

nlohmann::json to_json(const TrialAssignment& t) {
    return {{"trial_id", t.trial_id},      {"attempt", t.attempt},     {"sweep_id", t.sweep_id},
            {"config", to_json(t.config)}, {"trial_dir", t.trial_dir}, {"resume", t.resume},
            {"data_root", t.data_root}};
}

TrialAssignment trial_assignment_from_json(const nlohmann::json& b) {
    const char* what = "TRIAL";
    TrialAssignment t;
    t.trial_id = read_int64(b, "trial_id", what, 1, kMaxId);
    t.attempt = read_int(b, "attempt", what, 1, kMaxAttempt);
    t.sweep_id = read_int64(b, "sweep_id", what, 1, kMaxId);
    try {
        t.config = trial_config_from_json(field(b, "config", what), "TRIAL.config");
    } catch (const ProtocolError&) {
        throw;
    } catch (const Error& e) {
        throw ProtocolError(e.what());
    }
    t.trial_dir = read_string(b, "trial_dir", what, kMaxTextBytes, false);
    t.resume = read_bool(b, "resume", what);
    t.data_root = has(b, "data_root") ? read_string(b, "data_root", what, kMaxTextBytes) : "";
    return t;
}

nlohmann::json to_json(const EpochReport& e) {
    return {{"trial_id", e.trial_id}, {"attempt", e.attempt}, {"metrics", to_json(e.metrics)}};
}

EpochReport epoch_report_from_json(const nlohmann::json& b) {
    const char* what = "EPOCH";
    EpochReport e;
    e.trial_id = read_int64(b, "trial_id", what, 1, kMaxId);
    e.attempt = read_int(b, "attempt", what, 1, kMaxAttempt);
    try {
        e.metrics = epoch_metrics_from_json(field(b, "metrics", what));
    } catch (const ProtocolError&) {
        throw;
    } catch (const Error& err) {
        throw ProtocolError(std::string("EPOCH.metrics: ") + err.what());
    }
    if (e.metrics.epoch < 1 || e.metrics.epoch > kMaxEpoch)
        throw ProtocolError("EPOCH.metrics.epoch: " + std::to_string(e.metrics.epoch) + " is outside 1.." +
                            std::to_string(kMaxEpoch));
    return e;
}

nlohmann::json to_json(const Decision& d) {
    return {{"trial_id", d.trial_id}, {"attempt", d.attempt}, {"epoch", d.epoch}, {"reason", d.reason}};
}

Decision decision_from_json(const nlohmann::json& b) {
    const char* what = "CONTINUE/STOP";
    Decision d;
    d.trial_id = read_int64(b, "trial_id", what, 1, kMaxId);
    d.attempt = read_int(b, "attempt", what, 1, kMaxAttempt);
    d.epoch = read_int(b, "epoch", what, 0, kMaxEpoch);
    d.reason = has(b, "reason") ? read_string(b, "reason", what, kMaxTextBytes) : "";
    return d;
}

nlohmann::json to_json(const ResultReport& r) {
    return {{"trial_id", r.trial_id}, {"attempt", r.attempt}, {"result", to_json(r.result)}};
}

ResultReport result_report_from_json(const nlohmann::json& b) {
    const char* what = "RESULT";
    ResultReport r;
    r.trial_id = read_int64(b, "trial_id", what, 1, kMaxId);
    r.attempt = read_int(b, "attempt", what, 1, kMaxAttempt);
    try {
        r.result = trial_result_from_json(field(b, "result", what));
    } catch (const ProtocolError&) {
        throw;
    } catch (const Error& err) {
        throw ProtocolError(std::string("RESULT.") + err.what());
    }
    if (!trial_state_is_final(r.result.state))
        throw ProtocolError(std::string("RESULT.result.state: '") + trial_state_name(r.result.state) +
                            "' is not a final state");
    if (r.result.epochs_run < 0 || r.result.epochs_run > kMaxEpoch)
        throw ProtocolError("RESULT.result.epochs_run: out of range");
    return r;
}

nlohmann::json to_json(const Preempted& p) {
    return {{"trial_id", p.trial_id}, {"attempt", p.attempt}, {"epochs_done", p.epochs_done}, {"reason", p.reason}};
}

Preempted preempted_from_json(const nlohmann::json& b) {
    const char* what = "PREEMPTED";
    Preempted p;
    p.trial_id = read_int64(b, "trial_id", what, 1, kMaxId);
    p.attempt = read_int(b, "attempt", what, 1, kMaxAttempt);
    p.epochs_done = read_int(b, "epochs_done", what, 0, kMaxEpoch);
    p.reason = has(b, "reason") ? read_string(b, "reason", what, kMaxTextBytes) : "";
    return p;
}

nlohmann::json to_json(const Ack& a) {
    return {{"trial_id", a.trial_id}, {"attempt", a.attempt}, {"recorded", a.recorded}, {"note", a.note}};
}

Ack ack_from_json(const nlohmann::json& b) {
    const char* what = "ACK";
    Ack a;
    a.trial_id = read_int64(b, "trial_id", what, 1, kMaxId);
    a.attempt = read_int(b, "attempt", what, 1, kMaxAttempt);
    a.recorded = read_bool(b, "recorded", what);
    a.note = has(b, "note") ? read_string(b, "note", what, kMaxTextBytes) : "";
    return a;
}

nlohmann::json to_json(const ErrorBody& e) { return {{"message", e.message}, {"request_id", e.request_id}}; }

ErrorBody error_from_json(const nlohmann::json& b) {
    const char* what = "ERROR";
    ErrorBody e;
    e.message = read_string(b, "message", what, kMaxTextBytes);
    e.request_id = has(b, "request_id") ? read_string(b, "request_id", what, kMaxIdBytes) : "";
    return e;
}

nlohmann::json to_json(const Request& r) {
    nlohmann::json j = {{"request_id", r.request_id}};
    if (r.type == MessageType::submit) {
        j["sweep_text"] = r.sweep_text;
        j["sweep_source"] = r.sweep_source;
    }
    if (r.sweep_id) j["sweep_id"] = *r.sweep_id;
    if (r.trial_id) j["trial_id"] = *r.trial_id;
    if (r.type == MessageType::leaderboard) {
        j["limit"] = r.limit;
        j["sort"] = r.sort;
        if (!r.sweep_name.empty()) j["sweep_name"] = r.sweep_name;
    }
    return j;
}

Request request_from_json(MessageType type, const nlohmann::json& b) {
    if (!is_client_request(type))
        throw ProtocolError(std::string(message_type_name(type)) + " is not a client request");
    const char* what = message_type_name(type);
    Request r;
    r.type = type;
    r.request_id = read_string(b, "request_id", what, kMaxIdBytes, false);
    if (has(b, "sweep_id")) r.sweep_id = read_int64(b, "sweep_id", what, 1, kMaxId);
    if (has(b, "trial_id")) r.trial_id = read_int64(b, "trial_id", what, 1, kMaxId);
    switch (type) {
        case MessageType::submit:
            r.sweep_text = read_string(b, "sweep_text", what, kMaxBodyBytes, /*allow_empty=*/false);
            r.sweep_source = has(b, "sweep_source") ? read_string(b, "sweep_source", what, kMaxTextBytes) : "";
            break;
        case MessageType::leaderboard:
            r.limit = has(b, "limit") ? read_int(b, "limit", what, 0, 1000000) : 0;
            r.sort = has(b, "sort") ? read_string(b, "sort", what, kMaxIdBytes) : "";
            r.sweep_name = has(b, "sweep_name") ? read_string(b, "sweep_name", what, kMaxTextBytes) : "";
            break;
        case MessageType::cancel:
            if (r.sweep_id.has_value() == r.trial_id.has_value())
                throw ProtocolError("CANCEL: give exactly one of sweep_id and trial_id");
            break;
        default:
            break;
    }
    return r;
}

nlohmann::json to_json(const Reply& r) {
    return {{"request_id", r.request_id}, {"ok", r.ok}, {"data", r.data}, {"error", r.error}};
}

Reply reply_from_json(const nlohmann::json& b) {
    const char* what = "REPLY";
    Reply r;
    r.request_id = read_string(b, "request_id", what, kMaxIdBytes, false);
    r.ok = read_bool(b, "ok", what);
    r.data = b.contains("data") ? b.at("data") : nlohmann::json();
    r.error = has(b, "error") ? read_string(b, "error", what, kMaxTextBytes) : "";
    if (!r.ok && r.error.empty()) throw ProtocolError("REPLY.error: missing on a refused request");
    return r;
}

}  // namespace segsweep::protocol
