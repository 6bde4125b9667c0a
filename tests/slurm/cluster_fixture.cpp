// The local SLURM cluster of the integration test: up/down through deploy/slurm/local-cluster.sh.
#include "tests/slurm/cluster_fixture.h"

#include <unistd.h>

#include <filesystem>

namespace segsweep::slurm::testing {

std::string local_cluster_script() { return std::string(SEGSWEEP_SOURCE_DIR) + "/deploy/slurm/local-cluster.sh"; }

std::string LocalCluster::unavailable_reason() {
    if (::geteuid() != 0) return "the SLURM integration test needs root (it starts munged, slurmctld and slurmd)";
    if (!std::filesystem::exists("/usr/sbin/slurmctld") || !std::filesystem::exists("/usr/sbin/slurmd"))
        return "slurmctld/slurmd are not installed (deploy/setup.sh installs them)";
    if (!command_on_path("sbatch") || !command_on_path("srun")) return "the SLURM client tools are not on PATH";
    return "";
}

std::string LocalCluster::up() {
    if (run_command({local_cluster_script(), "status"}).exit_code == 0) return "";  // someone's cluster: use it
    CommandResult result = run_command(
        {"env", "SEGSWEEP_SLURM_CPUS=" + std::to_string(kClusterCpus), local_cluster_script(), "up", "--nodes", "1"});
    if (result.exit_code != 0) return "local-cluster.sh up failed:\n" + result.out + result.err;
    started_ = true;
    return "";
}

void LocalCluster::down() {
    if (!started_) return;
    CommandResult result = run_command({local_cluster_script(), "down"});
    if (result.exit_code != 0) ADD_FAILURE() << "local-cluster.sh down failed:\n" << result.out << result.err;
    started_ = false;
}

CommandResult run_segsweep(const std::string& home, const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"env", "-u", "SEGSWEEP_COORDINATOR", "-u", "SEGSWEEP_KEYS"};
    if (!home.empty()) argv.push_back("SEGSWEEP_HOME=" + home);
    argv.push_back(SEGSWEEP_BINARY);
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv);
}

}  // namespace segsweep::slurm::testing
