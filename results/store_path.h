// Where the results store lives: the --db flag, else the SEGSWEEP_DB environment variable, else
// results/segsweep.db (relative to the current directory).
#pragma once

#include <string>

namespace segsweep {

constexpr const char* kStorePathEnvironment = "SEGSWEEP_DB";
constexpr const char* kDefaultStorePath = "results/segsweep.db";

// `flag` is the --db value ("" when not given).
std::string resolve_store_path(const std::string& flag);

}  // namespace segsweep
