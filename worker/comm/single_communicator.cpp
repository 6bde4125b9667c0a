// The one-rank communicator: a job of one rank has nothing to exchange, so every collective is a
// no-op. abort() logs and exits the process.
#include <cstdlib>

#include "common/log.h"
#include "worker/comm/communicator.h"

namespace segsweep {
namespace {

class SingleCommunicator final : public Communicator {
public:
    int rank() const override { return 0; }
    int size() const override { return 1; }
    int local_rank() const override { return 0; }
    const char* backend_name() const override { return "single"; }
    void allreduce_sum(at::Tensor&) override {}
    void broadcast(at::Tensor&, int) override {}
    void broadcast_string(std::string&, int) override {}
    void barrier() override {}
    [[noreturn]] void abort(int exit_code, const std::string& why) override {
        LOG_E("aborting: %s", why.c_str());
        std::_Exit(exit_code);
    }
};

}  // namespace

std::unique_ptr<Communicator> make_single_communicator() { return std::make_unique<SingleCommunicator>(); }

}  // namespace segsweep
