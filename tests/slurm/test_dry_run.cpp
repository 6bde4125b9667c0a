// `segsweep slurm launch --dry-run` through the real executable: it prints both batch scripts
// (with the sweep file's resources) and the sbatch commands, and creates and submits nothing.
// Bad input is refused with `error: ...` and exit status 1.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cli/slurm_process.h"

namespace segsweep::slurm {
namespace {
namespace fs = std::filesystem;

class DryRunTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::path(SEGSWEEP_TEST_TMP) / "slurm_dry_run";
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        sweep_ = (dir_ / "two_rank.yaml").string();
        std::ofstream(sweep_) << "name: two_rank\n"
                                 "method: grid\n"
                                 "parameters:\n"
                                 "  learning_rate: {values: [0.001, 0.01]}\n"
                                 "  batch_size: {value: 8}\n"
                                 "resources: {gpus_per_trial: 2, cpus_per_rank: 3}\n";
    }
    CommandResult segsweep(const std::vector<std::string>& args) {
        std::vector<std::string> argv = {"env", "SEGSWEEP_HOME=" + (dir_ / "home").string(), SEGSWEEP_BINARY};
        argv.insert(argv.end(), args.begin(), args.end());
        return run_command(argv);
    }
    fs::path dir_;
    std::string sweep_;
};

TEST_F(DryRunTest, PrintsBothScriptsAndCreatesNothing) {
    CommandResult result = segsweep({"slurm", "launch", sweep_, "--dry-run", "--gpus", "no", "--workers", "3",
                                     "--partition", "short", "--time", "00:30:00"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    const std::string& out = result.out;
    EXPECT_NE(out.find("#SBATCH --job-name=segsweep-two_rank-coordinator"), std::string::npos) << out;
    EXPECT_NE(out.find("#SBATCH --job-name=segsweep-two_rank-workers"), std::string::npos);
    EXPECT_NE(out.find("#SBATCH --array=0-2"), std::string::npos);
    EXPECT_NE(out.find("#SBATCH --ntasks=2"), std::string::npos) << "gpus_per_trial ranks";
    EXPECT_NE(out.find("#SBATCH --cpus-per-task=3"), std::string::npos) << "cpus_per_rank";
    EXPECT_NE(out.find("#SBATCH --partition=short"), std::string::npos);
    EXPECT_NE(out.find("#SBATCH --time=00:30:00"), std::string::npos);
    EXPECT_NE(out.find("#SBATCH --signal=B:USR2@120"), std::string::npos);
    EXPECT_NE(out.find("srun --mpi=pmix"), std::string::npos);
    EXPECT_NE(out.find("sbatch --parsable '--dependency=after:<coordinator job id>'"), std::string::npos);
    EXPECT_EQ(out.find("--gres"), std::string::npos);
    EXPECT_FALSE(fs::exists(dir_ / "home")) << "a dry run writes nothing";
}

TEST_F(DryRunTest, CoordinatorHereStartsItOnThisNode) {
    CommandResult result = segsweep({"slurm", "launch", sweep_, "--dry-run", "--gpus", "yes", "--coordinator-here"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_NE(result.out.find("nohup bash "), std::string::npos) << result.out;
    EXPECT_EQ(result.out.find("--dependency"), std::string::npos) << "no coordinator job to wait for";
    EXPECT_NE(result.out.find("#SBATCH --gres=gpu:2"), std::string::npos);
}

TEST_F(DryRunTest, BadInputIsRefusedWithAMessage) {
    std::string bad = (dir_ / "bad.json").string();
    std::ofstream(bad) << "{\"method\": \"grid\", \"parameters\": {\"learning_rat\": {\"value\": 1}}}";
    CommandResult result = segsweep({"slurm", "launch", bad, "--dry-run", "--gpus", "no"});
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.err.find("error: "), std::string::npos) << result.err;
    EXPECT_NE(result.err.find("learning_rat"), std::string::npos) << result.err;

    result = segsweep({"slurm", "launch", sweep_, "--dry-run", "--gpus", "no", "--workers", "0"});
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.err.find("--workers"), std::string::npos) << result.err;

    result = segsweep({"slurm", "status", (dir_ / "no-such-run").string()});
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.err.find("no such run folder"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace segsweep::slurm
