// MpiRuntime: MPI_Init_thread once per process and MPI_Finalize when the last communicator that
// uses MPI lets go (RAII, shared). MPI cannot be initialised twice, so a second runtime after the
// first was finalised is refused with a clear error instead of an MPI crash.
#pragma once

#include <memory>

namespace segsweep {

class MpiRuntime {
public:
    // Initialises MPI (MPI_THREAD_SERIALIZED: any thread may call MPI, one at a time; the worker's
    // network thread never does) unless it is running already, and returns the shared runtime.
    static std::shared_ptr<MpiRuntime> acquire();
    ~MpiRuntime();  // MPI_Finalize, if this runtime called MPI_Init_thread

    MpiRuntime(const MpiRuntime&) = delete;
    MpiRuntime& operator=(const MpiRuntime&) = delete;

private:
    explicit MpiRuntime(bool finalize_at_end) : finalize_at_end_(finalize_at_end) {}
    bool finalize_at_end_;  // false when MPI was initialised by someone else
};

}  // namespace segsweep
