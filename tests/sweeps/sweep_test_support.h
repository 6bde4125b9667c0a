// Helpers for the sweeps tests: parse sweep text inline and capture segsweep::Error messages.
#pragma once

#include <functional>
#include <string>

#include <gtest/gtest.h>

#include "common/error.h"
#include "sweeps/sweep_parser.h"

namespace segsweep::testing {

inline SweepSpec parse_json_sweep(const std::string& text) {
    return parse_sweep_text(text, SweepFormat::json, "test.json");
}

inline SweepSpec parse_yaml_sweep(const std::string& text) {
    return parse_sweep_text(text, SweepFormat::yaml, "test.yaml");
}

// The message of the segsweep::Error `action` throws; a test failure (and "") when it throws none.
inline std::string error_message(const std::function<void()>& action) {
    try {
        action();
    } catch (const Error& e) {
        return e.what();
    }
    ADD_FAILURE() << "expected a segsweep::Error";
    return "";
}

// The error message for a JSON sweep text.
inline std::string json_sweep_error(const std::string& text) {
    return error_message([&] { parse_json_sweep(text); });
}

}  // namespace segsweep::testing
