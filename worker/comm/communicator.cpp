// The parts of Communicator shared by every backend: the one-rank default of allgather_string
// and run_or_abort, which turns an error on any rank into the end of the whole job.
#include "worker/comm/communicator.h"

#include <exception>

#include "common/error.h"

namespace segsweep {

std::vector<std::string> Communicator::allgather_string(const std::string& text) {
    if (size() == 1) return {text};
    throw Error(std::string("the ") + backend_name() + " communicator does not implement allgather_string");
}

void run_or_abort(Communicator& comm, const std::function<void()>& body) {
    if (comm.size() == 1) {
        body();
        return;
    }
    try {
        body();
    } catch (const std::exception& e) {
        comm.abort(1, e.what());
    } catch (...) {
        comm.abort(1, "an exception that is not a std::exception");
    }
}

}  // namespace segsweep
