// How this process was launched: by an MPI launcher (mpirun, srun --mpi=pmix, mpiexec.hydra) or
// on its own. Read from the environment only, so a plain `segsweep worker` decides "one rank"
// without loading or initialising MPI.
#pragma once

#include <functional>
#include <string>

namespace segsweep {

// Returns the value of an environment variable, or nullptr when it is unset.
using EnvironmentLookup = std::function<const char*(const char* name)>;

struct LaunchEnvironment {
    bool under_mpi_launcher = false;  // some MPI launcher started this process
    std::string launcher;             // "mpirun (Open MPI)", "PMIx (srun --mpi=pmix)", "PMI", or ""
    int world_size = -1;              // ranks announced by the launcher; -1 when it does not say
    // srun started several tasks but without an MPI plugin (no --mpi=pmix): each task would be a
    // rank of its own. make_communicator refuses this instead of running N unrelated copies.
    bool srun_without_mpi = false;
};

LaunchEnvironment detect_launch_environment(const EnvironmentLookup& lookup);
// The same, from this process's environment (std::getenv).
LaunchEnvironment detect_launch_environment();

}  // namespace segsweep
