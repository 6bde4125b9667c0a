// Leaderboard sort names, query JSON, and the table, JSON and CSV renderings.
#include "results/leaderboard.h"

#include <cmath>
#include <cstdio>

#include "common/error.h"
#include "sweeps/text_table.h"

namespace segsweep {
namespace {

nlohmann::json optional_number(const std::optional<double>& value) {
    if (!value || !std::isfinite(*value)) return nullptr;
    return *value;
}

std::optional<double> read_optional(const nlohmann::json& object, const char* key) {
    if (!object.contains(key) || !object[key].is_number()) return std::nullopt;
    return object[key].get<double>();
}

std::string fixed(const std::optional<double>& value, int decimals) {
    if (!value) return "-";
    char text[48];
    std::snprintf(text, sizeof text, "%.*f", decimals, *value);
    return text;
}

std::string csv_number(const std::optional<double>& value) {
    if (!value || !std::isfinite(*value)) return "";
    char text[48];
    std::snprintf(text, sizeof text, "%.17g", *value);
    return text;
}

std::string csv_field(const std::string& text) {
    if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
    std::string quoted = "\"";
    for (char ch : text) quoted += ch == '"' ? std::string("\"\"") : std::string(1, ch);
    return quoted + "\"";
}

// Short table headers for the TrialConfig fields whose names are long; the others keep their name.
std::string column_header(const std::string& field) {
    static const std::vector<std::pair<std::string, std::string>> short_names = {
        {"encoder_filters", "encoder"}, {"decoder_filters", "decoder"},   {"conv1x1_filters", "1x1"},
        {"conv1x1_kernel", "1x1_k"},    {"decoder_convs", "dec_convs"},   {"output_kernel", "out_k"},
        {"image_size", "size"},         {"steps_per_epoch", "steps"},     {"validation_steps", "val_steps"},
        {"shift_aug", "shift"}};
    for (const auto& [name, header] : short_names)
        if (name == field) return header;
    return field;
}

std::string config_cell(const nlohmann::json& value) {
    if (value.is_number_float()) return format_table_number(value.get<double>(), 3);
    if (value.is_string()) return value.get<std::string>();
    return value.dump();  // integers, booleans, lists ("[8,16]")
}

// The config fields, other than the ones the table always shows, whose values differ among the rows:
// what a sweep varied besides the learning rate and the batch size (architecture, patience, ...).
std::vector<std::string> varying_config_fields(const std::vector<nlohmann::json>& configs) {
    std::vector<std::string> fields;
    if (configs.size() < 2) return fields;
    for (const auto& [field, first] : configs.front().items()) {
        if (field == "learning_rate" || field == "batch_size" || field == "num_epochs") continue;
        for (size_t i = 1; i < configs.size(); ++i)
            if (!configs[i].contains(field) || configs[i][field] != first) {
                fields.push_back(field);
                break;
            }
    }
    return fields;
}

}  // namespace

const std::vector<std::string>& leaderboard_sort_names() {
    static const std::vector<std::string> names = {"final_score", "final_iou", "weight", "val_loss", "val_iou"};
    return names;
}

const char* leaderboard_sort_name(LeaderboardSort sort) {
    return leaderboard_sort_names()[static_cast<size_t>(sort)].c_str();
}

LeaderboardSort leaderboard_sort_from_name(const std::string& name) {
    const auto& names = leaderboard_sort_names();
    for (size_t i = 0; i < names.size(); ++i)
        if (names[i] == name) return static_cast<LeaderboardSort>(i);
    std::string valid;
    for (const auto& n : names) valid += (valid.empty() ? "" : ", ") + n;
    throw Error("--sort: unknown key '" + name + "' (valid: " + valid + ")");
}

nlohmann::json to_json(const LeaderboardQuery& query) {
    nlohmann::json j = {{"sort", leaderboard_sort_name(query.sort)}, {"limit", query.limit}};
    j["sweep"] = query.sweep_id ? nlohmann::json(*query.sweep_id) : nlohmann::json();
    return j;
}

LeaderboardQuery leaderboard_query_from_json(const nlohmann::json& object) {
    if (!object.is_object()) throw Error("leaderboard query: expected a JSON object");
    LeaderboardQuery query;
    if (object.contains("sweep") && object["sweep"].is_number_integer())
        query.sweep_id = object["sweep"].get<int64_t>();
    if (object.contains("sort")) {
        if (!object["sort"].is_string()) throw Error("leaderboard query.sort: expected a string");
        query.sort = leaderboard_sort_from_name(object["sort"].get<std::string>());
    }
    if (object.contains("limit")) {
        if (!object["limit"].is_number_integer() || object["limit"].get<int64_t>() < 0)
            throw Error("leaderboard query.limit: expected an integer >= 0");
        query.limit = object["limit"].get<int>();
    }
    return query;
}

nlohmann::json leaderboard_json(const std::vector<LeaderboardRow>& rows) {
    nlohmann::json array = nlohmann::json::array();
    for (const auto& r : rows) {
        array.push_back({{"rank", r.rank > 0 ? nlohmann::json(r.rank) : nlohmann::json()},
                         {"trial", r.trial_id},
                         {"sweep", r.sweep_id},
                         {"sweep_name", r.sweep_name},
                         {"learning_rate", r.config.learning_rate},
                         {"batch_size", r.config.batch_size},
                         {"epochs_run", r.epochs_run},
                         {"num_epochs", r.config.num_epochs},
                         {"final_score", optional_number(r.final_score)},
                         {"final_iou", optional_number(r.final_iou)},
                         {"weight", optional_number(r.weight)},
                         {"val_loss", optional_number(r.val_loss)},
                         {"val_iou", optional_number(r.val_iou)},
                         {"state", r.state},
                         {"duration_s", r.duration_seconds},
                         {"config", to_json(r.config)}});
    }
    return array;
}

std::vector<LeaderboardRow> leaderboard_rows_from_json(const nlohmann::json& array) {
    if (!array.is_array()) throw Error("leaderboard: expected a JSON array of rows");
    std::vector<LeaderboardRow> rows;
    for (const auto& item : array) {
        if (!item.is_object()) throw Error("leaderboard: expected each row to be an object");
        LeaderboardRow row;
        row.rank = item.contains("rank") && item["rank"].is_number_integer() ? item["rank"].get<int>() : 0;
        row.trial_id = item.value("trial", int64_t{0});
        row.sweep_id = item.value("sweep", int64_t{0});
        row.sweep_name = item.value("sweep_name", std::string());
        if (item.contains("config")) row.config = trial_config_from_json(item["config"], "leaderboard.config");
        row.epochs_run = item.value("epochs_run", 0);
        row.state = item.value("state", std::string());
        row.final_score = read_optional(item, "final_score");
        row.final_iou = read_optional(item, "final_iou");
        row.weight = read_optional(item, "weight");
        row.val_loss = read_optional(item, "val_loss");
        row.val_iou = read_optional(item, "val_iou");
        row.duration_seconds = item.value("duration_s", 0.0);
        rows.push_back(std::move(row));
    }
    return rows;
}

std::string leaderboard_csv(const std::vector<LeaderboardRow>& rows) {
    std::string out =
        "rank,trial,sweep,learning_rate,batch_size,epochs_run,num_epochs,final_score,final_iou,weight,val_loss,"
        "val_iou,state,duration_s\n";
    for (const auto& r : rows) {
        out += (r.rank > 0 ? std::to_string(r.rank) : "") + "," + std::to_string(r.trial_id) + "," +
               std::to_string(r.sweep_id) + "," + csv_number(r.config.learning_rate) + "," +
               std::to_string(r.config.batch_size) + "," + std::to_string(r.epochs_run) + "," +
               std::to_string(r.config.num_epochs) + "," + csv_number(r.final_score) + "," + csv_number(r.final_iou) +
               "," + csv_number(r.weight) + "," + csv_number(r.val_loss) + "," + csv_number(r.val_iou) + "," +
               csv_field(r.state) + "," + csv_number(r.duration_seconds) + "\n";
    }
    return out;
}

std::string leaderboard_table(const std::vector<LeaderboardRow>& rows, LeaderboardSort sort) {
    std::vector<nlohmann::json> configs;
    for (const auto& r : rows) configs.push_back(to_json(r.config));
    const std::vector<std::string> varying = varying_config_fields(configs);

    std::vector<std::string> headers = {"rank", "trial", "lr", "batch"};
    for (const auto& field : varying) headers.push_back(column_header(field));
    for (const char* header : {"epochs", "score", "IoU", "weight"}) headers.push_back(header);
    const bool loss_column = sort == LeaderboardSort::val_loss;
    const bool iou_column = sort == LeaderboardSort::val_iou;
    if (loss_column) headers.push_back("val_loss");
    if (iou_column) headers.push_back("val_iou");
    headers.push_back("state");
    headers.push_back("time");
    TextTable table(headers);
    for (size_t c = 0; c + 2 < headers.size(); ++c) table.align_right(c);
    table.align_right(headers.size() - 1);
    for (size_t i = 0; i < rows.size(); ++i) {
        const LeaderboardRow& r = rows[i];
        std::vector<std::string> cells = {r.rank > 0 ? std::to_string(r.rank) : "-", std::to_string(r.trial_id),
                                          format_table_number(r.config.learning_rate, 3),
                                          std::to_string(r.config.batch_size)};
        for (const auto& field : varying) cells.push_back(config_cell(configs[i][field]));
        cells.push_back(std::to_string(r.epochs_run) + "/" + std::to_string(r.config.num_epochs));
        cells.push_back(fixed(r.final_score, 4));
        cells.push_back(fixed(r.final_iou, 4));
        cells.push_back(fixed(r.weight, 3));
        if (loss_column) cells.push_back(fixed(r.val_loss, 4));
        if (iou_column) cells.push_back(fixed(r.val_iou, 4));
        cells.push_back(r.state);
        cells.push_back(format_duration(r.duration_seconds));
        table.add_row(cells);
    }
    return table.render();
}

std::string format_duration(double seconds) {
    if (!(seconds >= 0) || !std::isfinite(seconds)) return "-";
    const long total = std::lround(seconds);
    char text[32];
    if (total < 60)
        std::snprintf(text, sizeof text, "%lds", total);
    else if (total < 3600)
        std::snprintf(text, sizeof text, "%ldm%02lds", total / 60, total % 60);
    else
        std::snprintf(text, sizeof text, "%ldh%02ldm", total / 3600, (total % 3600) / 60);
    return text;
}

}  // namespace segsweep
