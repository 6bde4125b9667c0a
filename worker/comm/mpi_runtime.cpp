// MpiRuntime: process-wide MPI initialisation and finalisation (see mpi_runtime.h).
#include "worker/comm/mpi_runtime.h"

#include <mpi.h>

#include <mutex>
#include <string>

#include "common/error.h"
#include "worker/comm/mpi_check.h"

namespace segsweep {
namespace {

constexpr int kRequiredThreadLevel = MPI_THREAD_SERIALIZED;

std::mutex runtime_mutex;
std::weak_ptr<MpiRuntime> current_runtime;  // the live runtime, if any

}  // namespace

std::shared_ptr<MpiRuntime> MpiRuntime::acquire() {
    std::lock_guard<std::mutex> lock(runtime_mutex);
    if (std::shared_ptr<MpiRuntime> live = current_runtime.lock()) return live;

    int finalized = 0;
    MPI_CHECK(MPI_Finalized(&finalized));
    if (finalized) {
        throw Error("MPI was already finalised in this process: create one communicator per process "
                    "and keep it until the process ends");
    }
    int initialized = 0;
    MPI_CHECK(MPI_Initialized(&initialized));
    bool finalize_at_end = false;
    if (!initialized) {
        int provided = MPI_THREAD_SINGLE;
        MPI_CHECK(MPI_Init_thread(nullptr, nullptr, kRequiredThreadLevel, &provided));
        finalize_at_end = true;
        if (provided < kRequiredThreadLevel) {
            MPI_Finalize();
            throw Error("MPI_Init_thread provided thread level " + std::to_string(provided) +
                        " but segsweep needs MPI_THREAD_SERIALIZED (" + std::to_string(kRequiredThreadLevel) +
                        "): use an MPI built with thread support");
        }
    }
    std::shared_ptr<MpiRuntime> runtime(new MpiRuntime(finalize_at_end));
    current_runtime = runtime;
    return runtime;
}

MpiRuntime::~MpiRuntime() {
    if (finalize_at_end_) MPI_Finalize();
}

}  // namespace segsweep
