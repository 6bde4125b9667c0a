// The trainer's data-parallel preconditions, checked before any collective: a global batch that
// does not divide over the ranks is refused with a message naming both numbers. Uses a stand-in
// communicator (two ranks, every collective fails the test) since only the check is exercised.
#include <gtest/gtest.h>

#include "common/error.h"
#include "trainer_fixture.h"

using namespace segsweep;
using segsweep::test::TinyTrainingTest;

namespace {

class TwoRankStandInCommunicator final : public Communicator {
public:
    int rank() const override { return 0; }
    int size() const override { return 2; }
    int local_rank() const override { return 0; }
    const char* backend_name() const override { return "stand-in"; }
    void allreduce_sum(at::Tensor&) override { ADD_FAILURE() << "no collective expected"; }
    void broadcast(at::Tensor&, int) override { ADD_FAILURE() << "no collective expected"; }
    void broadcast_string(std::string&, int) override { ADD_FAILURE() << "no collective expected"; }
    void barrier() override { ADD_FAILURE() << "no collective expected"; }
    [[noreturn]] void abort(int, const std::string& why) override { throw Error("abort: " + why); }
};

}  // namespace

class DataParallelChecks : public TinyTrainingTest {};

TEST_F(DataParallelChecks, GlobalBatchMustDivideOverRanks) {
    TwoRankStandInCommunicator comm;
    TrialConfig config = tiny_config();
    config.batch_size = 7;
    TrainOptions options = options_for("indivisible_batch");
    options.comm = &comm;
    try {
        run_trial(config, options);
        FAIL() << "expected an error";
    } catch (const Error& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find("batch_size 7"), std::string::npos) << message;
        EXPECT_NE(message.find("2 ranks"), std::string::npos) << message;
    }
}
