// main() for GoogleTest binaries launched by mpirun (ctest registers them with add_test, since
// gtest_discover_tests would run them without mpirun). It creates the process's one
// communicator, lets only rank 0 print the usual report (other ranks print their failures), and
// turns a fatal failure (ASSERT_*) on any rank into the end of the job: that rank would skip the
// test's remaining collectives and leave its peers blocked.
#include "tests/comm/mpi_test_main.h"

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <string>

#include <gtest/gtest.h>

namespace segsweep::test {
namespace {

std::unique_ptr<Communicator> the_communicator;

class AbortJobOnFatalFailure : public ::testing::EmptyTestEventListener {
public:
    void OnTestPartResult(const ::testing::TestPartResult& result) override {
        if (!result.fatally_failed() || the_communicator->size() == 1) return;
        the_communicator->abort(1, std::string("fatal test failure at ") +
                                       (result.file_name() ? result.file_name() : "?") + ":" +
                                       std::to_string(result.line_number()) + ": " + result.summary());
    }
};

// Other ranks' reports: only their failures, tagged with the rank.
class FailurePrinter : public ::testing::EmptyTestEventListener {
public:
    explicit FailurePrinter(int rank) : rank_(rank) {}
    void OnTestPartResult(const ::testing::TestPartResult& result) override {
        if (!result.failed()) return;
        std::fprintf(stderr, "rank %d: failure at %s:%d\n%s\n", rank_, result.file_name() ? result.file_name() : "?",
                     result.line_number(), result.summary());
    }

private:
    int rank_;
};

}  // namespace

Communicator& comm() { return *the_communicator; }

at::TensorOptions tensor_options(at::ScalarType type) {
    at::TensorOptions options = at::TensorOptions().dtype(type);
    if (the_communicator->cuda_device() >= 0) {
        options = options.device(at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(the_communicator->cuda_device())));
    }
    return options;
}

}  // namespace segsweep::test

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    const char* backend = std::getenv("SEGSWEEP_TEST_COMM");
    try {
        segsweep::test::the_communicator = segsweep::make_communicator(backend != nullptr ? backend : "auto");
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    segsweep::Communicator& comm = *segsweep::test::the_communicator;

    ::testing::TestEventListeners& listeners = ::testing::UnitTest::GetInstance()->listeners();
    if (comm.rank() != 0) {
        delete listeners.Release(listeners.default_result_printer());
        listeners.Append(new segsweep::test::FailurePrinter(comm.rank()));
    }
    listeners.Append(new segsweep::test::AbortJobOnFatalFailure);
    if (comm.rank() == 0) {
        std::printf("comm tests: backend %s, %d rank(s)\n", comm.backend_name(), comm.size());
    }
    const int failed = RUN_ALL_TESTS();
    segsweep::test::the_communicator.reset();  // MPI_Finalize before exit
    return failed;
}
