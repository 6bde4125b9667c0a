// One-process checks of worker/comm (no mpirun): the single communicator does nothing, launchers
// are recognised from their environment, make_communicator("auto") without a launcher neither
// initialises MPI nor needs it, bad backends are refused, and GradientAverager packs buckets by
// its rule and leaves a one-rank job's gradients alone.
#include <mpi.h>

#include <cstdlib>
#include <map>
#include <string>

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "worker/comm/communicator.h"
#include "worker/comm/gradient_averager.h"
#include "worker/comm/launch_environment.h"

namespace segsweep {
namespace {

LaunchEnvironment detect_from(const std::map<std::string, std::string>& variables) {
    return detect_launch_environment([&variables](const char* name) -> const char* {
        auto found = variables.find(name);
        return found == variables.end() ? nullptr : found->second.c_str();
    });
}

// Unsets the launcher variables for one test and restores them afterwards.
class WithoutLauncherVariables : public ::testing::Test {
protected:
    void SetUp() override {
        for (const char* name : kNames) {
            if (const char* value = std::getenv(name)) saved_[name] = value;
            unsetenv(name);
        }
    }
    void TearDown() override {
        for (const char* name : kNames) unsetenv(name);
        for (const auto& [name, value] : saved_) setenv(name.c_str(), value.c_str(), 1);
    }

private:
    static constexpr const char* kNames[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE",
                                             "SLURM_STEP_NUM_TASKS"};
    std::map<std::string, std::string> saved_;
};

TEST(SingleCommunicator, IsRankZeroOfOneAndLeavesEverythingAsItWas) {
    std::unique_ptr<Communicator> comm = make_single_communicator();
    EXPECT_EQ(comm->rank(), 0);
    EXPECT_EQ(comm->size(), 1);
    EXPECT_EQ(comm->local_rank(), 0);
    EXPECT_EQ(comm->local_size(), 1);
    EXPECT_EQ(comm->cuda_device(), -1);
    EXPECT_STREQ(comm->backend_name(), "single");
    at::Tensor tensor = at::arange(5).to(at::kFloat);
    comm->allreduce_sum(tensor);
    comm->broadcast(tensor, 0);
    EXPECT_TRUE(at::equal(tensor, at::arange(5).to(at::kFloat)));
    std::string text = "config";
    comm->broadcast_string(text, 0);
    EXPECT_EQ(text, "config");
    EXPECT_EQ(comm->allgather_string("mine"), std::vector<std::string>{"mine"});
    comm->barrier();
    comm->synchronize();
}

TEST(SingleCommunicator, RunOrAbortLetsTheExceptionThroughForOneRank) {
    std::unique_ptr<Communicator> comm = make_single_communicator();
    bool ran = false;
    run_or_abort(*comm, [&ran] { ran = true; });
    EXPECT_TRUE(ran);
    EXPECT_THROW(run_or_abort(*comm, [] { throw Error("bad config"); }), Error);
}

TEST(LaunchEnvironment, RecognisesEachLauncherAndItsSize) {
    LaunchEnvironment plain = detect_from({{"HOME", "/root"}, {"SLURM_NTASKS", "4"}});  // e.g. an sbatch script
    EXPECT_FALSE(plain.under_mpi_launcher);
    EXPECT_FALSE(plain.srun_without_mpi);

    LaunchEnvironment mpirun = detect_from({{"OMPI_COMM_WORLD_SIZE", "4"}, {"OMPI_COMM_WORLD_RANK", "2"},
                                            {"PMIX_RANK", "2"}});
    EXPECT_TRUE(mpirun.under_mpi_launcher);
    EXPECT_EQ(mpirun.world_size, 4);
    EXPECT_EQ(mpirun.launcher, "mpirun (Open MPI)");

    LaunchEnvironment srun = detect_from({{"PMIX_RANK", "1"}, {"SLURM_STEP_NUM_TASKS", "3"}});
    EXPECT_TRUE(srun.under_mpi_launcher);
    EXPECT_EQ(srun.world_size, 3);
    EXPECT_EQ(srun.launcher, "PMIx (srun --mpi=pmix)");

    LaunchEnvironment hydra = detect_from({{"PMI_RANK", "0"}, {"PMI_SIZE", "2"}});
    EXPECT_TRUE(hydra.under_mpi_launcher);
    EXPECT_EQ(hydra.world_size, 2);

    LaunchEnvironment unknown_size = detect_from({{"OMPI_COMM_WORLD_SIZE", "two"}});
    EXPECT_TRUE(unknown_size.under_mpi_launcher);
    EXPECT_EQ(unknown_size.world_size, -1);
}

TEST(LaunchEnvironment, FlagsSrunStepsOfSeveralTasksWithoutAnMpiPlugin) {
    LaunchEnvironment bare = detect_from({{"SLURM_STEP_NUM_TASKS", "2"}, {"SLURM_PROCID", "1"}});
    EXPECT_FALSE(bare.under_mpi_launcher);
    EXPECT_TRUE(bare.srun_without_mpi);
    EXPECT_EQ(bare.world_size, 2);
    LaunchEnvironment one_task = detect_from({{"SLURM_STEP_NUM_TASKS", "1"}});
    EXPECT_FALSE(one_task.srun_without_mpi);
}

TEST_F(WithoutLauncherVariables, AutoWithoutALauncherIsSingleAndNeverInitialisesMpi) {
    std::unique_ptr<Communicator> comm = make_communicator("auto");
    EXPECT_STREQ(comm->backend_name(), "single");
    int initialized = 1;
    MPI_Initialized(&initialized);
    EXPECT_EQ(initialized, 0);
}

TEST_F(WithoutLauncherVariables, AutoRefusesSrunWithoutAnMpiPlugin) {
    setenv("SLURM_STEP_NUM_TASKS", "2", 1);
    try {
        make_communicator("auto");
        ADD_FAILURE() << "srun without --mpi=pmix was accepted";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("--mpi=pmix"), std::string::npos) << e.what();
    }
}

TEST_F(WithoutLauncherVariables, UnknownBackendsAreRefusedByName) {
    try {
        make_communicator("gloo");
        ADD_FAILURE() << "gloo was accepted";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("'gloo'"), std::string::npos) << e.what();
    }
    EXPECT_EQ(communicator_backend_names(), (std::vector<std::string>{"auto", "single", "mpi", "nccl"}));
}

TEST_F(WithoutLauncherVariables, NcclIsRefusedClearlyWhereLibTorchHasNoCuda) {
    if (at::hasCUDA()) GTEST_SKIP() << "this LibTorch has CUDA: the nccl backend can run here";
    try {
        make_communicator("nccl");
        ADD_FAILURE() << "nccl was accepted without CUDA";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("nccl"), std::string::npos) << e.what();
    }
}

TEST(GradientAveragerOneRank, PacksConsecutiveParametersOfOneTypeUpToTheBucketSize) {
    std::unique_ptr<Communicator> comm = make_single_communicator();
    auto parameter = [](int64_t elements, at::ScalarType type) { return at::zeros({elements}, at::TensorOptions().dtype(type)); };
    // 64-byte buckets: [16 B, 16 B, 32 B] | [80 B, larger than a bucket] | [12 B] | [24 B double] | [4 B]
    GradientAverager averager(*comm, {parameter(4, at::kFloat), parameter(4, at::kFloat), parameter(8, at::kFloat),
                                      parameter(20, at::kFloat), parameter(3, at::kFloat), parameter(3, at::kDouble),
                                      parameter(1, at::kFloat)},
                              64);
    EXPECT_EQ(averager.bucket_count(), 5);
    GradientAverager one_bucket(*comm, {parameter(4, at::kFloat), parameter(1000, at::kFloat)});
    EXPECT_EQ(one_bucket.bucket_count(), 1);
    GradientAverager none(*comm, {});
    EXPECT_EQ(none.bucket_count(), 0);
}

TEST(GradientAveragerOneRank, LeavesGradientsAsTheyAre) {
    std::unique_ptr<Communicator> comm = make_single_communicator();
    at::Tensor weight = at::zeros({3}).requires_grad_();
    at::Tensor bias = at::zeros({2}).requires_grad_();
    weight.mutable_grad() = at::arange(3).to(at::kFloat);
    GradientAverager averager(*comm, {weight, bias}, 8);
    averager.average_gradients();
    EXPECT_TRUE(at::equal(weight.grad(), at::arange(3).to(at::kFloat)));
    EXPECT_FALSE(bias.grad().defined());
}

TEST(GradientAveragerOneRank, RefusesBadParametersAndBucketSizes) {
    std::unique_ptr<Communicator> comm = make_single_communicator();
    EXPECT_THROW(GradientAverager(*comm, {at::zeros({2})}, 0), Error);
    EXPECT_THROW(GradientAverager(*comm, {at::zeros({2}, at::TensorOptions().dtype(at::kLong))}), Error);
    EXPECT_THROW(GradientAverager(*comm, {at::Tensor()}), Error);
}

}  // namespace
}  // namespace segsweep
