// TrialConfig: JSON reading and writing, validation, canonical form and identity hash.
#include "common/trial_config.h"

#include <cmath>
#include <cstdio>

#include "common/error.h"

namespace segsweep {
namespace {

std::string key_path(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
}

std::string json_type_name(const nlohmann::json& value) { return value.type_name(); }

int read_int(const nlohmann::json& value, const std::string& where) {
    if (value.is_number_integer()) {
        auto v = value.get<int64_t>();
        if (v < INT32_MIN || v > INT32_MAX) throw Error(where + ": integer out of range");
        return static_cast<int>(v);
    }
    if (value.is_number_float()) {
        double v = value.get<double>();
        if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 2e9) return static_cast<int>(v);
        throw Error(where + ": expected an integer, got " + value.dump());
    }
    throw Error(where + ": expected an integer, got " + json_type_name(value));
}

int64_t read_int64(const nlohmann::json& value, const std::string& where) {
    if (value.is_number_integer()) return value.get<int64_t>();
    if (value.is_number_float()) {
        double v = value.get<double>();
        if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 9e15) return static_cast<int64_t>(v);
        throw Error(where + ": expected an integer, got " + value.dump());
    }
    throw Error(where + ": expected an integer, got " + json_type_name(value));
}

double read_double(const nlohmann::json& value, const std::string& where) {
    if (!value.is_number()) throw Error(where + ": expected a number, got " + json_type_name(value));
    double v = value.get<double>();
    if (!std::isfinite(v)) throw Error(where + ": expected a finite number");
    return v;
}

bool read_bool(const nlohmann::json& value, const std::string& where) {
    if (!value.is_boolean()) throw Error(where + ": expected true or false, got " + json_type_name(value));
    return value.get<bool>();
}

std::vector<int> read_int_list(const nlohmann::json& value, const std::string& where) {
    if (!value.is_array()) throw Error(where + ": expected a list of integers, got " + json_type_name(value));
    std::vector<int> out;
    for (size_t i = 0; i < value.size(); ++i) out.push_back(read_int(value[i], where + "[" + std::to_string(i) + "]"));
    return out;
}

void require(bool ok, const std::string& key, const std::string& what) {
    if (!ok) throw Error(key + ": " + what);
}

}  // namespace

const std::vector<std::string>& trial_config_keys() {
    static const std::vector<std::string> keys = {
        "batch_size",      "conv1x1_filters", "conv1x1_kernel", "decoder_convs",    "decoder_filters",
        "encoder_filters", "flip",            "image_size",     "learning_rate",    "min_delta",
        "num_epochs",      "output_kernel",   "patience",       "seed",             "shift_aug",
        "steps_per_epoch", "validation_steps", "workers"};
    return keys;
}

void TrialConfig::validate() const {
    require(learning_rate > 0 && learning_rate < 10, "learning_rate", "must be > 0 and < 10");
    require(batch_size >= 1, "batch_size", "must be >= 1");
    require(num_epochs >= 1, "num_epochs", "must be >= 1");
    require(steps_per_epoch >= 0, "steps_per_epoch", "must be >= 0 (0 = one pass over the training set)");
    require(validation_steps >= 0, "validation_steps", "must be >= 0 (0 = one pass over the validation set)");
    require(workers >= 1 && workers <= 64, "workers", "must be between 1 and 64");
    require(patience >= 0, "patience", "must be >= 0 (0 = no early stopping)");
    require(min_delta >= 0, "min_delta", "must be >= 0");
    require(!encoder_filters.empty() && encoder_filters.size() <= 6, "encoder_filters", "must list 1 to 6 filter counts");
    for (int f : encoder_filters) require(f >= 1 && f <= 4096, "encoder_filters", "each count must be 1..4096");
    require(decoder_filters.size() == encoder_filters.size(), "decoder_filters",
            "must have one entry per encoder (" + std::to_string(encoder_filters.size()) + ")");
    for (int f : decoder_filters) require(f >= 1 && f <= 4096, "decoder_filters", "each count must be 1..4096");
    require(conv1x1_filters >= 1 && conv1x1_filters <= 4096, "conv1x1_filters", "must be 1..4096");
    require(conv1x1_kernel == 1 || conv1x1_kernel == 3, "conv1x1_kernel", "must be 1 or 3");
    require(decoder_convs == 1 || decoder_convs == 2, "decoder_convs", "must be 1 or 2");
    require(output_kernel == 1 || output_kernel == 3, "output_kernel", "must be 1 or 3");
    int divisor = 1 << encoder_filters.size();
    require(image_size >= divisor && image_size <= 4096 && image_size % divisor == 0, "image_size",
            "must be divisible by " + std::to_string(divisor) + " (2 per encoder) and at most 4096");
}

TrialConfig seed_recipe_config() {
    TrialConfig config;
    config.learning_rate = 0.001;
    config.batch_size = 64;
    config.num_epochs = 50;
    config.steps_per_epoch = 65;
    config.validation_steps = 50;
    return config;
}

nlohmann::json to_json(const TrialConfig& c) {
    nlohmann::json j = nlohmann::json::object();
    j["batch_size"] = c.batch_size;
    j["conv1x1_filters"] = c.conv1x1_filters;
    j["conv1x1_kernel"] = c.conv1x1_kernel;
    j["decoder_convs"] = c.decoder_convs;
    j["decoder_filters"] = c.decoder_filters;
    j["encoder_filters"] = c.encoder_filters;
    j["flip"] = c.flip;
    j["image_size"] = c.image_size;
    j["learning_rate"] = c.learning_rate;
    j["min_delta"] = c.min_delta;
    j["num_epochs"] = c.num_epochs;
    j["output_kernel"] = c.output_kernel;
    j["patience"] = c.patience;
    j["seed"] = c.seed;
    j["shift_aug"] = c.shift_aug;
    j["steps_per_epoch"] = c.steps_per_epoch;
    j["validation_steps"] = c.validation_steps;
    j["workers"] = c.workers;
    return j;
}

void set_trial_config_key(TrialConfig& c, const std::string& key, const nlohmann::json& v, const std::string& path) {
    const std::string where = key_path(path, key);
    if (key == "batch_size") c.batch_size = read_int(v, where);
    else if (key == "conv1x1_filters") c.conv1x1_filters = read_int(v, where);
    else if (key == "conv1x1_kernel") c.conv1x1_kernel = read_int(v, where);
    else if (key == "decoder_convs") c.decoder_convs = read_int(v, where);
    else if (key == "decoder_filters") c.decoder_filters = read_int_list(v, where);
    else if (key == "encoder_filters") c.encoder_filters = read_int_list(v, where);
    else if (key == "flip") c.flip = read_bool(v, where);
    else if (key == "image_size") c.image_size = read_int(v, where);
    else if (key == "learning_rate") c.learning_rate = read_double(v, where);
    else if (key == "min_delta") c.min_delta = read_double(v, where);
    else if (key == "num_epochs") c.num_epochs = read_int(v, where);
    else if (key == "output_kernel") c.output_kernel = read_int(v, where);
    else if (key == "patience") c.patience = read_int(v, where);
    else if (key == "seed") c.seed = read_int64(v, where);
    else if (key == "shift_aug") c.shift_aug = read_bool(v, where);
    else if (key == "steps_per_epoch") c.steps_per_epoch = read_int(v, where);
    else if (key == "validation_steps") c.validation_steps = read_int(v, where);
    else if (key == "workers") c.workers = read_int(v, where);
    else {
        std::string valid;
        for (const auto& k : trial_config_keys()) valid += (valid.empty() ? "" : ", ") + k;
        throw Error(where + ": unknown trial config key (valid keys: " + valid + ")");
    }
}

TrialConfig trial_config_from_json(const nlohmann::json& object, const std::string& path) {
    if (!object.is_object())
        throw Error((path.empty() ? std::string("trial config") : path) + ": expected a JSON object, got " +
                    json_type_name(object));
    TrialConfig config;
    for (const auto& [key, value] : object.items()) set_trial_config_key(config, key, value, path);
    try {
        config.validate();
    } catch (const Error& e) {
        throw Error(path.empty() ? e.what() : path + "." + e.what());
    }
    return config;
}

std::string canonical_json(const TrialConfig& config) {
    return to_json(config).dump();  // nlohmann::json objects keep keys sorted
}

std::string config_hash(const TrialConfig& config) {
    const std::string text = canonical_json(config);
    uint64_t hash = 14695981039346656037ull;  // FNV-1a 64-bit offset basis
    for (unsigned char ch : text) {
        hash ^= ch;
        hash *= 1099511628211ull;  // FNV-1a 64-bit prime
    }
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash));
    return hex;
}

}  // namespace segsweep
