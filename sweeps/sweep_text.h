// Sweep file text to JSON: reads JSON (nlohmann) or YAML (yaml-cpp) into one nlohmann::json tree,
// so that both formats share one schema check (sweep_parser.h). YAML plain scalars become numbers,
// booleans or null when they read as such (1e-5 is a number here, unlike YAML 1.1 readers);
// quoted scalars stay strings. Errors name the file, line and column.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace segsweep {

enum class SweepFormat { json, yaml };

const char* sweep_format_name(SweepFormat format);
// By extension (.json; .yaml or .yml); otherwise JSON when the text starts with '{', else YAML.
SweepFormat sweep_format_for(const std::string& file_name, const std::string& text);
// Throws segsweep::Error "<source>: bad JSON|YAML: ... line L, column C ...".
nlohmann::json parse_sweep_document(const std::string& text, SweepFormat format, const std::string& source);
// The whole file; throws segsweep::Error naming the path when it cannot be read.
std::string read_sweep_file_text(const std::string& path);

}  // namespace segsweep
