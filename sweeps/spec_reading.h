// Typed reads of sweep-file JSON values with key paths in the error messages
// ("run_cap: expected an integer, got string"). Shared by the sweep and parameter parsers.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>

#include <nlohmann/json.hpp>

namespace segsweep::spec_reading {

// "parameters" + "lr" -> "parameters.lr"; "" + "run_cap" -> "run_cap".
std::string child_path(const std::string& path, const std::string& key);
std::string index_path(const std::string& path, size_t index);
// "a number" style names for messages.
std::string type_name(const nlohmann::json& value);
// The value's text for messages (compact JSON, strings quoted).
std::string show(const nlohmann::json& value);

int64_t read_integer(const nlohmann::json& value, const std::string& path);
double read_number(const nlohmann::json& value, const std::string& path);
bool read_bool(const nlohmann::json& value, const std::string& path);
std::string read_string(const nlohmann::json& value, const std::string& path);
void require_object(const nlohmann::json& value, const std::string& path);
// Throws "<path>.<key>: unknown key (valid: ...)" for the first key not in `valid`.
void require_known_keys(const nlohmann::json& object, const std::string& path,
                        std::initializer_list<const char*> valid);

}  // namespace segsweep::spec_reading
