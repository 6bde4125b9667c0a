// Where clients and workers find the coordinator. In order:
//   1. --coordinator ADDR (a ZeroMQ endpoint: tcp://HOST:PORT or ipc://PATH)
//   2. the SEGSWEEP_COORDINATOR environment variable
//   3. the endpoint file $SEGSWEEP_HOME/coordinator.endpoint (default ~/.segsweep/), which
//      `segsweep coordinator` writes at start-up with an address others can connect to.
// On a cluster, point SEGSWEEP_HOME at a shared folder: workers then find the address and the
// keys ($SEGSWEEP_HOME/keys) there.
#pragma once

#include <string>

namespace segsweep {

inline constexpr const char* kEndpointFileName = "coordinator.endpoint";

// $SEGSWEEP_HOME/coordinator.endpoint.
std::string default_endpoint_file();

// The address to connect to (see above). Throws segsweep::Error explaining the three ways.
std::string resolve_coordinator_address(const std::string& flag_value);

// The address to write into the endpoint file for a socket bound to `bound` (ZMQ_LAST_ENDPOINT,
// e.g. "tcp://0.0.0.0:5555"): a wildcard host becomes this machine's host name.
std::string connectable_address(const std::string& bound);

// Writes the endpoint file atomically (mode 0644), creating its folder.
void write_endpoint_file(const std::string& path, const std::string& address);

}  // namespace segsweep
