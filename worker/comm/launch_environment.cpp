// Recognises MPI launchers by the variables they export to each rank:
//   mpirun (Open MPI)        OMPI_COMM_WORLD_SIZE, OMPI_COMM_WORLD_RANK
//   srun --mpi=pmix          PMIX_RANK (size from SLURM_STEP_NUM_TASKS)
//   mpiexec.hydra (MPICH)    PMI_RANK, PMI_SIZE
// and srun steps of several tasks that have none of them (srun without an MPI plugin).
#include "worker/comm/launch_environment.h"

#include <cstdlib>

namespace segsweep {
namespace {

// A positive integer from the environment, or -1 when unset or not a positive integer.
int positive_integer(const EnvironmentLookup& lookup, const char* name) {
    const char* text = lookup(name);
    if (text == nullptr || *text == '\0') return -1;
    char* end = nullptr;
    long value = std::strtol(text, &end, 10);
    if (*end != '\0' || value <= 0 || value > 1 << 24) return -1;
    return static_cast<int>(value);
}

bool is_set(const EnvironmentLookup& lookup, const char* name) { return lookup(name) != nullptr; }

}  // namespace

LaunchEnvironment detect_launch_environment(const EnvironmentLookup& lookup) {
    LaunchEnvironment env;
    const int srun_tasks = positive_integer(lookup, "SLURM_STEP_NUM_TASKS");
    if (is_set(lookup, "OMPI_COMM_WORLD_SIZE")) {
        env.under_mpi_launcher = true;
        env.launcher = "mpirun (Open MPI)";
        env.world_size = positive_integer(lookup, "OMPI_COMM_WORLD_SIZE");
    } else if (is_set(lookup, "PMIX_RANK")) {
        env.under_mpi_launcher = true;
        env.launcher = "PMIx (srun --mpi=pmix)";
        env.world_size = srun_tasks;
    } else if (is_set(lookup, "PMI_RANK")) {
        env.under_mpi_launcher = true;
        env.launcher = "PMI";
        env.world_size = positive_integer(lookup, "PMI_SIZE");
    } else if (srun_tasks > 1) {
        env.srun_without_mpi = true;
        env.world_size = srun_tasks;
    }
    return env;
}

LaunchEnvironment detect_launch_environment() {
    return detect_launch_environment([](const char* name) { return std::getenv(name); });
}

}  // namespace segsweep
