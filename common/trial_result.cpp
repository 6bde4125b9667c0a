// JSON conversion of trial states, epoch metrics, scores and results. A non-finite number (the loss
// of a diverged epoch) is written as null and read back as NaN, since JSON has no NaN.
#include "common/trial_result.h"

#include <cmath>
#include <limits>

#include "common/error.h"

namespace segsweep {
namespace {

struct StateName {
    TrialState state;
    const char* name;
};

const StateName kStateNames[] = {
    {TrialState::pending, "pending"},     {TrialState::running, "running"},
    {TrialState::completed, "completed"}, {TrialState::stopped_early, "stopped_early"},
    {TrialState::diverged, "diverged"},   {TrialState::failed, "failed"},
    {TrialState::cancelled, "cancelled"},
};

nlohmann::json number_or_null(double value) {
    if (std::isfinite(value)) return value;
    return nullptr;
}

const nlohmann::json& field(const nlohmann::json& object, const char* name, const char* what) {
    if (!object.is_object()) throw Error(std::string(what) + ": expected a JSON object");
    auto it = object.find(name);
    if (it == object.end()) throw Error(std::string(what) + "." + name + ": missing");
    return *it;
}

double read_number(const nlohmann::json& object, const char* name, const char* what) {
    const auto& value = field(object, name, what);
    if (value.is_null()) return std::numeric_limits<double>::quiet_NaN();
    if (!value.is_number()) throw Error(std::string(what) + "." + name + ": expected a number");
    return value.get<double>();
}

int read_int(const nlohmann::json& object, const char* name, const char* what) {
    const auto& value = field(object, name, what);
    if (!value.is_number_integer()) throw Error(std::string(what) + "." + name + ": expected an integer");
    return value.get<int>();
}

std::string read_string(const nlohmann::json& object, const char* name, const char* what) {
    const auto& value = field(object, name, what);
    if (!value.is_string()) throw Error(std::string(what) + "." + name + ": expected a string");
    return value.get<std::string>();
}

}  // namespace

const char* trial_state_name(TrialState state) {
    for (const auto& entry : kStateNames)
        if (entry.state == state) return entry.name;
    return "unknown";
}

TrialState trial_state_from_name(const std::string& name) {
    for (const auto& entry : kStateNames)
        if (name == entry.name) return entry.state;
    throw Error("unknown trial state '" + name +
                "' (valid: pending, running, completed, stopped_early, diverged, failed, cancelled)");
}

bool trial_state_is_final(TrialState state) {
    return state != TrialState::pending && state != TrialState::running;
}

nlohmann::json to_json(const EpochMetrics& m) {
    return {{"epoch", m.epoch},
            {"train_loss", number_or_null(m.train_loss)},
            {"val_loss", number_or_null(m.val_loss)},
            {"val_iou", number_or_null(m.val_iou)},
            {"images_per_sec", number_or_null(m.images_per_sec)},
            {"seconds", number_or_null(m.seconds)}};
}

EpochMetrics epoch_metrics_from_json(const nlohmann::json& o) {
    const char* what = "epoch";
    EpochMetrics m;
    m.epoch = read_int(o, "epoch", what);
    m.train_loss = read_number(o, "train_loss", what);
    m.val_loss = read_number(o, "val_loss", what);
    m.val_iou = read_number(o, "val_iou", what);
    m.images_per_sec = o.contains("images_per_sec") ? read_number(o, "images_per_sec", what) : 0.0;
    m.seconds = o.contains("seconds") ? read_number(o, "seconds", what) : 0.0;
    return m;
}

nlohmann::json to_json(const EvalSetScore& s) {
    return {{"name", s.name},
            {"images", s.images},
            {"iou_background", s.iou_background},
            {"iou_people", s.iou_people},
            {"iou_hero", s.iou_hero},
            {"true_positives", s.true_positives},
            {"false_positives", s.false_positives},
            {"false_negatives", s.false_negatives}};
}

EvalSetScore eval_set_score_from_json(const nlohmann::json& o) {
    const char* what = "score.sets[]";
    EvalSetScore s;
    s.name = read_string(o, "name", what);
    s.images = read_int(o, "images", what);
    s.iou_background = read_number(o, "iou_background", what);
    s.iou_people = read_number(o, "iou_people", what);
    s.iou_hero = read_number(o, "iou_hero", what);
    s.true_positives = read_int(o, "true_positives", what);
    s.false_positives = read_int(o, "false_positives", what);
    s.false_negatives = read_int(o, "false_negatives", what);
    return s;
}

nlohmann::json to_json(const FollowMeScore& score) {
    nlohmann::json sets = nlohmann::json::array();
    for (const auto& s : score.sets) sets.push_back(to_json(s));
    return {{"sets", sets},
            {"weight", score.weight},
            {"final_iou", score.final_iou},
            {"final_score", score.final_score}};
}

FollowMeScore follow_me_score_from_json(const nlohmann::json& o) {
    const char* what = "score";
    FollowMeScore score;
    const auto& sets = field(o, "sets", what);
    if (!sets.is_array()) throw Error("score.sets: expected a list");
    for (const auto& s : sets) score.sets.push_back(eval_set_score_from_json(s));
    score.weight = read_number(o, "weight", what);
    score.final_iou = read_number(o, "final_iou", what);
    score.final_score = read_number(o, "final_score", what);
    return score;
}

nlohmann::json to_json(const TrialResult& r) {
    nlohmann::json history = nlohmann::json::array();
    for (const auto& m : r.history) history.push_back(to_json(m));
    nlohmann::json j = {{"state", trial_state_name(r.state)},
                        {"message", r.message},
                        {"config", to_json(r.config)},
                        {"history", history},
                        {"epochs_run", r.epochs_run},
                        {"best_epoch", r.best_epoch},
                        {"wall_seconds", number_or_null(r.wall_seconds)},
                        {"images_per_sec", number_or_null(r.images_per_sec)}};
    j["score"] = r.score ? to_json(*r.score) : nlohmann::json(nullptr);
    return j;
}

TrialResult trial_result_from_json(const nlohmann::json& o) {
    const char* what = "result";
    TrialResult r;
    r.state = trial_state_from_name(read_string(o, "state", what));
    r.message = o.contains("message") ? read_string(o, "message", what) : "";
    r.config = trial_config_from_json(field(o, "config", what), "result.config");
    const auto& history = field(o, "history", what);
    if (!history.is_array()) throw Error("result.history: expected a list");
    for (const auto& m : history) r.history.push_back(epoch_metrics_from_json(m));
    r.epochs_run = read_int(o, "epochs_run", what);
    r.best_epoch = o.contains("best_epoch") ? read_int(o, "best_epoch", what) : 0;
    r.wall_seconds = read_number(o, "wall_seconds", what);
    r.images_per_sec = read_number(o, "images_per_sec", what);
    const auto& score = field(o, "score", what);
    if (!score.is_null()) r.score = follow_me_score_from_json(score);
    return r;
}

}  // namespace segsweep
