// A real local SLURM cluster for the SLURM integration test: deploy/slurm/local-cluster.sh up
// before the suite and down after it (also when a test failed halfway: the suite's teardown
// runs regardless). A cluster that is already up is used as it is and left up. Tests skip,
// saying why, when this is not root or slurmctld is not installed.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cli/slurm_process.h"

namespace segsweep::slurm::testing {

inline constexpr int kClusterCpus = 8;  // CPUs the emulated node advertises: coordinator + 2x2 ranks fit

class LocalCluster {
public:
    // Why the cluster cannot run here ("" when it can).
    static std::string unavailable_reason();
    // Starts the cluster unless one is up. Returns "" or what went wrong (with the script's output).
    std::string up();
    // Stops it if up() started it.
    void down();

private:
    bool started_ = false;
};

// Runs `segsweep ARGS...` with SEGSWEEP_HOME=home (empty: unchanged).
CommandResult run_segsweep(const std::string& home, const std::vector<std::string>& args);

// The script's path in the source tree.
std::string local_cluster_script();

}  // namespace segsweep::slurm::testing
