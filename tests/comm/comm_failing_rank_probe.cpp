// A two-rank MPI program for test_failing_rank: rank 1 fails in the way argv[1] names while rank
// 0 waits in an allreduce that rank 1 never joins. The job must end (mpirun exits non-zero), not
// hang. Modes:
//   none     no failure: both ranks print "rank N completed" and the job succeeds
//   throw    rank 1 throws inside run_or_abort
//   nan      rank 1 sees a NaN loss and calls Communicator::abort
//   escape   an exception unwinds past rank 1's communicator (the destructor must abort the job)
//   layout   rank 1 builds its GradientAverager over different parameters than rank 0
//   exit     rank 1 exits at once without MPI_Finalize (a crash)
//   kill     rank 1 is killed by SIGKILL (as when its node is lost)
#include <csignal>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <memory>
#include <string>

#include <ATen/ATen.h>

#include "common/error.h"
#include "worker/comm/communicator.h"
#include "worker/comm/gradient_averager.h"

namespace {

void fail_on_rank_one(segsweep::Communicator& comm, const std::string& mode) {
    if (comm.rank() != 1) return;
    if (mode == "throw") throw segsweep::Error("probe: rank 1 throws");
    if (mode == "nan") {
        const double loss = std::numeric_limits<double>::quiet_NaN();
        if (std::isnan(loss)) comm.abort(3, "probe: rank 1 has a NaN loss");
    }
    if (mode == "exit") std::_Exit(4);
    if (mode == "kill") std::raise(SIGKILL);
}

void say_ready(const segsweep::Communicator& comm) {
    std::printf("rank %d of %d ready\n", comm.rank(), comm.size());
    std::fflush(stdout);
}

void run_rank(segsweep::Communicator& comm, const std::string& mode) {
    std::vector<at::Tensor> parameters = {at::zeros({4})};
    if (mode == "layout" && comm.rank() == 1) parameters.push_back(at::zeros({2}));
    segsweep::GradientAverager averager(comm, parameters);
    fail_on_rank_one(comm, mode);
    at::Tensor tensor = at::ones({16});
    comm.allreduce_sum(tensor);  // rank 0 waits here for a rank 1 that has failed
    comm.barrier();
    std::printf("rank %d completed\n", comm.rank());
    std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
    const std::string mode = argc > 1 ? argv[1] : "none";
    if (mode == "escape") {
        try {
            std::unique_ptr<segsweep::Communicator> comm = segsweep::make_communicator("mpi");
            say_ready(*comm);
            if (comm->rank() == 1) throw segsweep::Error("probe: rank 1 leaves its scope by an exception");
            run_rank(*comm, "none");
        } catch (const segsweep::Error& e) {
            std::fprintf(stderr, "probe: caught after the communicator was destroyed: %s\n", e.what());
            return 5;
        }
        return 0;
    }
    std::unique_ptr<segsweep::Communicator> comm = segsweep::make_communicator("mpi");
    say_ready(*comm);
    segsweep::run_or_abort(*comm, [&] { run_rank(*comm, mode); });
    return 0;
}
