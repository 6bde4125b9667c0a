// The flags every client verb shares to reach a running coordinator (--coordinator, --keys,
// --insecure, --timeout-ms), and how a verb that can also read the store directly
// (`segsweep leaderboard`) tells whether a coordinator is configured at all.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "common/coordinator_address.h"
#include "common/keys.h"
#include "coordinator/client.h"

namespace segsweep::cli {

struct ClientFlags {
    std::string coordinator;
    std::string keys;
    bool insecure = false;
    int timeout_ms = coordinator::kRequestTimeoutMs;

    void add(CLI::App* verb) {
        verb->add_option("--coordinator", coordinator,
                         "Coordinator endpoint (default: $SEGSWEEP_COORDINATOR, else $SEGSWEEP_HOME/coordinator.endpoint)");
        verb->add_option("--keys", keys, "Key folder (default: $SEGSWEEP_KEYS, else $SEGSWEEP_HOME/keys)");
        verb->add_flag("--insecure", insecure, "No CURVE (only for ipc:// or loopback coordinators started --insecure)");
        verb->add_option("--timeout-ms", timeout_ms, "Milliseconds to wait for each reply")->capture_default_str();
    }

    coordinator::ClientOptions options() const {
        coordinator::ClientOptions o;
        o.address = resolve_coordinator_address(coordinator);
        o.key_dir = resolve_key_dir(keys);
        o.insecure = insecure;
        o.timeout_ms = timeout_ms;
        return o;
    }
};

// Where a configured coordinator comes from, in resolve_coordinator_address's order.
enum class CoordinatorSource { none, flag, environment, endpoint_file };

inline CoordinatorSource configured_coordinator(const ClientFlags& flags) {
    if (!flags.coordinator.empty()) return CoordinatorSource::flag;
    const char* env = std::getenv("SEGSWEEP_COORDINATOR");
    if (env != nullptr && *env != '\0') return CoordinatorSource::environment;
    std::error_code ignored;
    if (std::filesystem::file_size(default_endpoint_file(), ignored) > 0 && !ignored)
        return CoordinatorSource::endpoint_file;
    return CoordinatorSource::none;
}

}  // namespace segsweep::cli
