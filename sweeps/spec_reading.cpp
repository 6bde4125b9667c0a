// Typed reads of sweep-file JSON values, each error naming the key path.
#include "sweeps/spec_reading.h"

#include <cmath>

#include "common/error.h"

namespace segsweep::spec_reading {

std::string child_path(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
}

std::string index_path(const std::string& path, size_t index) { return path + "[" + std::to_string(index) + "]"; }

std::string type_name(const nlohmann::json& value) {
    if (value.is_number_integer()) return "an integer";
    if (value.is_number()) return "a number";
    if (value.is_string()) return "a string";
    if (value.is_boolean()) return "a boolean";
    if (value.is_array()) return "a list";
    if (value.is_object()) return "an object";
    return "null";
}

std::string show(const nlohmann::json& value) { return value.dump(); }

int64_t read_integer(const nlohmann::json& value, const std::string& path) {
    if (value.is_number_integer()) return value.get<int64_t>();
    if (value.is_number_float()) {
        const double v = value.get<double>();
        if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 9e15) return static_cast<int64_t>(v);
        throw Error(path + ": expected an integer, got " + show(value));
    }
    throw Error(path + ": expected an integer, got " + type_name(value));
}

double read_number(const nlohmann::json& value, const std::string& path) {
    if (!value.is_number()) throw Error(path + ": expected a number, got " + type_name(value));
    const double v = value.get<double>();
    if (!std::isfinite(v)) throw Error(path + ": expected a finite number");
    return v;
}

bool read_bool(const nlohmann::json& value, const std::string& path) {
    if (!value.is_boolean()) throw Error(path + ": expected true or false, got " + type_name(value));
    return value.get<bool>();
}

std::string read_string(const nlohmann::json& value, const std::string& path) {
    if (!value.is_string()) throw Error(path + ": expected a string, got " + type_name(value));
    return value.get<std::string>();
}

void require_object(const nlohmann::json& value, const std::string& path) {
    if (!value.is_object()) throw Error(path + ": expected an object (key: value pairs), got " + type_name(value));
}

void require_known_keys(const nlohmann::json& object, const std::string& path,
                        std::initializer_list<const char*> valid) {
    for (const auto& item : object.items()) {
        bool known = false;
        for (const char* name : valid) known = known || item.key() == name;
        if (known) continue;
        std::string list;
        for (const char* name : valid) list += (list.empty() ? "" : ", ") + std::string(name);
        throw Error(child_path(path, item.key()) + ": unknown key (valid: " + list + ")");
    }
}

}  // namespace segsweep::spec_reading
