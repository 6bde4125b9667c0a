// Logging: one line per event on stderr, zguide style ("I:", "W:", "E:"), with a UTC time stamp
// and an optional tag (component or MPI rank). Thread-safe; printf-style formatting.
#pragma once

#include <string>

namespace segsweep {

enum class LogLevel { debug = 0, info = 1, warn = 2, error = 3 };

// Lines below this level are dropped. Default info; SEGSWEEP_LOG=debug|info|warn|error overrides.
void log_set_level(LogLevel level);
LogLevel log_level();
// Tag printed after the level, e.g. "coordinator" or "rank 1". Per process.
void log_set_tag(const std::string& tag);

void log_write(LogLevel level, const char* format, ...) __attribute__((format(printf, 2, 3)));

}  // namespace segsweep

#define LOG_D(...) ::segsweep::log_write(::segsweep::LogLevel::debug, __VA_ARGS__)
#define LOG_I(...) ::segsweep::log_write(::segsweep::LogLevel::info, __VA_ARGS__)
#define LOG_W(...) ::segsweep::log_write(::segsweep::LogLevel::warn, __VA_ARGS__)
#define LOG_E(...) ::segsweep::log_write(::segsweep::LogLevel::error, __VA_ARGS__)
