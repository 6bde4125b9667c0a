// Logging implementation: formats into a local buffer and writes the whole line at once.
#include "common/log.h"

#include <atomic>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <mutex>

namespace segsweep {
namespace {

LogLevel initial_level() {
    const char* env = std::getenv("SEGSWEEP_LOG");
    if (env == nullptr) return LogLevel::info;
    if (std::strcmp(env, "debug") == 0) return LogLevel::debug;
    if (std::strcmp(env, "warn") == 0) return LogLevel::warn;
    if (std::strcmp(env, "error") == 0) return LogLevel::error;
    return LogLevel::info;
}

std::atomic<int> g_level{static_cast<int>(initial_level())};
std::mutex g_mutex;  // guards g_tag and keeps lines whole
std::string g_tag;

const char* level_prefix(LogLevel level) {
    switch (level) {
        case LogLevel::debug: return "D";
        case LogLevel::info: return "I";
        case LogLevel::warn: return "W";
        case LogLevel::error: return "E";
    }
    return "?";
}

}  // namespace

void log_set_level(LogLevel level) { g_level = static_cast<int>(level); }
LogLevel log_level() { return static_cast<LogLevel>(g_level.load()); }

void log_set_tag(const std::string& tag) {
    std::lock_guard<std::mutex> lock(g_mutex);
    g_tag = tag;
}

void log_write(LogLevel level, const char* format, ...) {
    if (static_cast<int>(level) < g_level.load()) return;
    char message[2048];
    va_list args;
    va_start(args, format);
    std::vsnprintf(message, sizeof message, format, args);
    va_end(args);

    auto now = std::chrono::system_clock::now();
    std::time_t seconds = std::chrono::system_clock::to_time_t(now);
    int millis = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%H:%M:%S", &utc);

    std::lock_guard<std::mutex> lock(g_mutex);
    if (g_tag.empty())
        std::fprintf(stderr, "%s: %s.%03d %s\n", level_prefix(level), stamp, millis, message);
    else
        std::fprintf(stderr, "%s: %s.%03d [%s] %s\n", level_prefix(level), stamp, millis, g_tag.c_str(),
                     message);
}

}  // namespace segsweep
