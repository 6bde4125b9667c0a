// Finding the coordinator: flag, environment, endpoint file; writing the endpoint file.
#include "common/coordinator_address.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "common/keys.h"

namespace segsweep {

std::string default_endpoint_file() { return segsweep_home() + "/" + kEndpointFileName; }

std::string resolve_coordinator_address(const std::string& flag_value) {
    if (!flag_value.empty()) return flag_value;
    const char* env = std::getenv("SEGSWEEP_COORDINATOR");
    if (env != nullptr && *env != '\0') return env;
    std::string file = default_endpoint_file();
    std::ifstream in(file);
    std::string address;
    if (in && std::getline(in, address) && !address.empty()) return address;
    throw Error("no coordinator address: pass --coordinator tcp://HOST:PORT, set SEGSWEEP_COORDINATOR, or start "
                "`segsweep coordinator` (it writes " + file + ")");
}

std::string connectable_address(const std::string& bound) {
    const std::string prefix = "tcp://";
    if (bound.rfind(prefix, 0) != 0) return bound;
    std::string rest = bound.substr(prefix.size());
    auto colon = rest.rfind(':');
    if (colon == std::string::npos) return bound;
    std::string host = rest.substr(0, colon);
    if (host != "0.0.0.0" && host != "*" && host != "[::]" && host != "::") return bound;
    char name[256] = {0};
    if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') std::strcpy(name, "localhost");
    return prefix + name + rest.substr(colon);
}

void write_endpoint_file(const std::string& path, const std::string& address) {
    std::filesystem::path target(path);
    std::error_code ec;
    if (target.has_parent_path()) std::filesystem::create_directories(target.parent_path(), ec);
    if (ec) throw Error(path + ": cannot create its folder: " + ec.message());
    std::string temporary = path + ".tmp." + std::to_string(getpid());
    {
        std::ofstream out(temporary, std::ios::trunc);
        if (!out) throw Error(temporary + ": cannot write: " + std::strerror(errno));
        out << address << "\n";
        if (!out.flush()) throw Error(temporary + ": write failed");
    }
    std::filesystem::rename(temporary, target, ec);
    if (ec) throw Error(path + ": cannot replace: " + ec.message());
}

}  // namespace segsweep
