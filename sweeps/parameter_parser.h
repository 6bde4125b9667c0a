// Parsing of one `parameters.<name>` entry of a sweep file into a ParameterSpec: the form, its
// fields, the types its values must have for that trial-config key, ranges, and grid suitability.
// Used by sweep_parser.cpp only.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sweeps/sweep_spec.h"

namespace segsweep {

// Throws segsweep::Error "<key path>: <problem>" (no file name; the caller adds it).
// `warnings` collects non-fatal remarks (e.g. the log_uniform exponent trap).
ParameterSpec parse_parameter(const std::string& name, const nlohmann::json& body, SearchMethod method,
                              std::vector<std::string>& warnings);

}  // namespace segsweep
