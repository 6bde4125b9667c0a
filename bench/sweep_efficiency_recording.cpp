// SweepRecording JSON: compact per-epoch rows, rounded numbers, and checks on reading.
#include "bench/sweep_efficiency_recording.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/error.h"

namespace segsweep {
namespace {

constexpr int kEpochRowFields = 9;  // epoch, train_loss, val_loss, val_iou, seconds, best_epoch, 3 score numbers

nlohmann::json rounded(double value) {
    if (!std::isfinite(value)) return nullptr;
    char text[32];
    std::snprintf(text, sizeof text, "%.*g", kRecordingDigits, value);
    return std::strtod(text, nullptr);
}

double number_or_nan(const nlohmann::json& value) {
    return value.is_number() ? value.get<double>() : std::nan("");
}

void put_score(nlohmann::json& row, const std::optional<FollowMeScore>& score) {
    row.push_back(score ? rounded(score->final_score) : nlohmann::json(nullptr));
    row.push_back(score ? rounded(score->final_iou) : nlohmann::json(nullptr));
    row.push_back(score ? rounded(score->weight) : nlohmann::json(nullptr));
}

std::optional<FollowMeScore> score_from(const nlohmann::json& final_score, const nlohmann::json& final_iou,
                                        const nlohmann::json& weight) {
    if (!final_score.is_number()) return std::nullopt;
    FollowMeScore score;
    score.final_score = final_score.get<double>();
    score.final_iou = final_iou.is_number() ? final_iou.get<double>() : 0.0;
    score.weight = weight.is_number() ? weight.get<double>() : 0.0;
    return score;
}

nlohmann::json trial_json(const RecordedTrial& trial) {
    nlohmann::json rows = nlohmann::json::array();
    for (const RecordedEpoch& epoch : trial.epochs) {
        nlohmann::json row = {epoch.metrics.epoch,         rounded(epoch.metrics.train_loss),
                              rounded(epoch.metrics.val_loss), rounded(epoch.metrics.val_iou),
                              rounded(epoch.metrics.seconds),  epoch.best_epoch};
        put_score(row, epoch.best_score);
        rows.push_back(row);
    }
    nlohmann::json json;
    json["config"] = to_json(trial.config);
    json["state"] = trial_state_name(trial.state);
    json["final_score"] = trial.final_score ? rounded(trial.final_score->final_score) : nlohmann::json(nullptr);
    json["final_iou"] = trial.final_score ? rounded(trial.final_score->final_iou) : nlohmann::json(nullptr);
    json["weight"] = trial.final_score ? rounded(trial.final_score->weight) : nlohmann::json(nullptr);
    json["epochs"] = rows;
    return json;
}

RecordedTrial trial_from_json(const nlohmann::json& json, const std::string& where) {
    if (!json.is_object() || !json.contains("config") || !json.contains("epochs") || !json["epochs"].is_array())
        throw Error(where + ": a trial needs \"config\" and an \"epochs\" array");
    RecordedTrial trial;
    trial.config = trial_config_from_json(json["config"], where + ".config");
    trial.state = trial_state_from_name(json.value("state", std::string("completed")));
    trial.final_score = score_from(json.value("final_score", nlohmann::json()), json.value("final_iou", nlohmann::json()),
                                   json.value("weight", nlohmann::json()));
    int expected_epoch = 1;
    for (const nlohmann::json& row : json["epochs"]) {
        if (!row.is_array() || row.size() != kEpochRowFields || !row[0].is_number_integer())
            throw Error(where + ".epochs: each row needs " + std::to_string(kEpochRowFields) + " fields");
        RecordedEpoch epoch;
        epoch.metrics.epoch = row[0].get<int>();
        if (epoch.metrics.epoch != expected_epoch)
            throw Error(where + ".epochs: epoch " + std::to_string(epoch.metrics.epoch) + " where epoch " +
                        std::to_string(expected_epoch) + " was expected");
        ++expected_epoch;
        epoch.metrics.train_loss = number_or_nan(row[1]);
        epoch.metrics.val_loss = number_or_nan(row[2]);
        epoch.metrics.val_iou = number_or_nan(row[3]);
        epoch.metrics.seconds = number_or_nan(row[4]);
        epoch.best_epoch = row[5].is_number_integer() ? row[5].get<int>() : 0;
        epoch.best_score = score_from(row[6], row[7], row[8]);
        trial.epochs.push_back(epoch);
    }
    if (trial.epochs.empty() && trial.state != TrialState::diverged)
        throw Error(where + ": a " + std::string(trial_state_name(trial.state)) + " trial without epochs");
    return trial;
}

}  // namespace

nlohmann::json to_json(const SweepRecording& recording) {
    nlohmann::json json;
    json["format"] = kSweepRecordingFormat;
    json["version"] = kSweepRecordingVersion;
    json["created"] = recording.created;
    json["dataset"] = recording.dataset;
    json["sweep"] = recording.sweep;
    json["trials"] = nlohmann::json::array();
    for (const RecordedTrial& trial : recording.trials) json["trials"].push_back(trial_json(trial));
    return json;
}

SweepRecording sweep_recording_from_json(const nlohmann::json& object, const std::string& source) {
    if (!object.is_object() || object.value("format", std::string()) != kSweepRecordingFormat)
        throw Error(source + ": not a sweep recording (\"format\" is not \"" + kSweepRecordingFormat + "\")");
    if (object.value("version", 0) != kSweepRecordingVersion)
        throw Error(source + ": recording version " + object.value("version", nlohmann::json()).dump() +
                    " (this build reads version " + std::to_string(kSweepRecordingVersion) + ")");
    if (!object.contains("sweep") || !object["sweep"].is_object())
        throw Error(source + ": \"sweep\" (the grid sweep file) is missing");
    if (!object.contains("trials") || !object["trials"].is_array() || object["trials"].empty())
        throw Error(source + ": \"trials\" is missing or empty");
    SweepRecording recording;
    recording.created = object.value("created", std::string());
    recording.dataset = object.value("dataset", nlohmann::json::object());
    recording.sweep = object["sweep"];
    for (size_t i = 0; i < object["trials"].size(); ++i)
        recording.trials.push_back(trial_from_json(object["trials"][i], source + ": trials[" + std::to_string(i) + "]"));
    return recording;
}

SweepRecording read_sweep_recording(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(path + ": cannot open the recording");
    std::stringstream text;
    text << in.rdbuf();
    nlohmann::json object = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
    if (object.is_discarded()) throw Error(path + ": not valid JSON");
    return sweep_recording_from_json(object, path);
}

void write_sweep_recording(const SweepRecording& recording, const std::string& path) {
    const std::string temporary = path + ".tmp";
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        if (!out) throw Error(temporary + ": cannot write the recording");
        out << to_json(recording).dump() << "\n";
        if (!out.flush()) throw Error(temporary + ": write failed");
    }
    std::error_code error;
    std::filesystem::rename(temporary, path, error);
    if (error) throw Error(path + ": cannot move the recording into place: " + error.message());
}

}  // namespace segsweep
