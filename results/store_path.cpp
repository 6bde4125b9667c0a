// Store path resolution: --db, then $SEGSWEEP_DB, then the default.
#include "results/store_path.h"

#include <cstdlib>

namespace segsweep {

std::string resolve_store_path(const std::string& flag) {
    if (!flag.empty()) return flag;
    const char* environment = std::getenv(kStorePathEnvironment);
    if (environment && *environment) return environment;
    return kDefaultStorePath;
}

}  // namespace segsweep
