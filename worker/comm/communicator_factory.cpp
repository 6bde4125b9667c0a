// make_communicator: picks the backend for this process (see communicator.h for the rule),
// so that a one-rank run never touches MPI and every rank of a job picks the same backend.
#include <set>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/log.h"
#include "worker/comm/backends.h"
#include "worker/comm/communicator.h"
#include "worker/comm/launch_environment.h"

namespace segsweep {
namespace {

// Every rank of an MPI job must choose the same backend: nccl only if every rank has a GPU of
// its own (an allgather of the GPUs' UUIDs).
bool every_rank_can_run_nccl(Communicator& mpi) {
    const std::vector<std::string> devices =
        mpi.allgather_string(nccl_device_for_rank(mpi.local_rank(), mpi.local_size()));
    std::set<std::string> distinct;
    for (const std::string& device : devices) {
        if (device.empty()) return false;
        distinct.insert(device);
    }
    if (distinct.size() != devices.size()) {
        if (mpi.rank() == 0) LOG_W("comm: ranks would share a GPU, so nccl cannot run: using mpi");
        return false;
    }
    return true;
}

void log_choice(const Communicator& comm, const LaunchEnvironment& env) {
    if (comm.rank() != 0) return;
    LOG_I("comm: %s backend, %d rank(s)%s%s", comm.backend_name(), comm.size(),
          env.under_mpi_launcher ? ", launched by " : "", env.launcher.c_str());
}

std::unique_ptr<Communicator> make_nccl_or_refuse(std::unique_ptr<Communicator> bootstrap) {
    if (!nccl_backend_compiled()) {
        throw Error("--comm nccl: this segsweep was built without NCCL (CUDA and nccl.h/libnccl were not found "
                    "at configure time)");
    }
    return make_nccl_communicator(std::move(bootstrap));
}

}  // namespace

const std::vector<std::string>& communicator_backend_names() {
    static const std::vector<std::string> names = {"auto", "single", "mpi", "nccl"};
    return names;
}

std::unique_ptr<Communicator> make_communicator(const std::string& backend) {
    if (backend != "auto" && backend != "single" && backend != "mpi" && backend != "nccl") {
        throw Error("unknown communicator backend '" + backend + "' (expected auto, single, mpi or nccl)");
    }
    if (backend == "single") return make_single_communicator();

    const LaunchEnvironment env = detect_launch_environment();
    if (env.srun_without_mpi) {
        throw Error("srun started " + std::to_string(env.world_size) +
                    " tasks without an MPI plugin, so each would train alone: launch with srun --mpi=pmix");
    }
    std::unique_ptr<Communicator> comm;
    if (backend == "auto") {
        if (!env.under_mpi_launcher || env.world_size == 1) return make_single_communicator();
        comm = make_mpi_communicator();
        if (comm->size() > 1 && every_rank_can_run_nccl(*comm)) comm = make_nccl_or_refuse(std::move(comm));
    } else if (backend == "mpi") {
        comm = make_mpi_communicator();
    } else {  // nccl: bootstrap over MPI when launched by an MPI launcher; one rank needs no MPI
        std::unique_ptr<Communicator> bootstrap =
            env.under_mpi_launcher ? make_mpi_communicator() : make_single_communicator();
        comm = make_nccl_or_refuse(std::move(bootstrap));
    }
    log_choice(*comm, env);
    return comm;
}

}  // namespace segsweep
