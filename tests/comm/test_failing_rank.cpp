// A failing rank ends the whole MPI job instead of hanging it: runs comm_failing_rank_probe under
// mpirun -n 2 with rank 1 failing in each way, and asserts that mpirun exits non-zero, that rank 0
// never got past the collective it was blocked in, and that the log says why. A generous limit
// only guards against a hang (the test then fails and kills the job); no time is asserted.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

extern char** environ;

namespace {

constexpr int kHangGuardSeconds = 120;  // s; a healthy run ends in a few seconds
constexpr int kPollIntervalMs = 50;     // ms

struct JobOutcome {
    bool finished = false;  // false: still running at the hang guard (then killed)
    int exit_code = -1;     // mpirun's exit status, or 128 + signal
    std::string log;        // stdout and stderr of every rank and of mpirun
};

JobOutcome run_probe_job(const std::string& mode) {
    const std::filesystem::path folder = std::filesystem::path(SEGSWEEP_TEST_TMP) / "comm";
    std::filesystem::create_directories(folder);
    const std::string log_path = (folder / ("failing-rank-" + mode + ".log")).string();

    std::vector<std::string> args = {SEGSWEEP_MPIEXEC, "-n", "2", "--oversubscribe", COMM_FAILING_RANK_PROBE, mode};
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);

    posix_spawn_file_actions_t files;
    posix_spawn_file_actions_init(&files);
    posix_spawn_file_actions_addopen(&files, STDOUT_FILENO, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&files, STDOUT_FILENO, STDERR_FILENO);
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);  // own group: the guard kills it whole
    posix_spawnattr_setpgroup(&attributes, 0);
    pid_t pid = -1;
    const int spawned = posix_spawn(&pid, argv[0], &files, &attributes, argv.data(), environ);
    posix_spawn_file_actions_destroy(&files);
    posix_spawnattr_destroy(&attributes);

    JobOutcome outcome;
    if (spawned != 0) {
        outcome.log = "could not start " + args[0];
        return outcome;
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kHangGuardSeconds);
    int status = 0;
    while (waitpid(pid, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > deadline) {
            kill(-pid, SIGKILL);
            waitpid(pid, &status, 0);
            std::ifstream in(log_path);
            outcome.log = std::string(std::istreambuf_iterator<char>(in), {});
            return outcome;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(kPollIntervalMs));
    }
    outcome.finished = true;
    outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::ifstream in(log_path);
    outcome.log = std::string(std::istreambuf_iterator<char>(in), {});
    return outcome;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

void expect_job_ended_by_failure(const std::string& mode, const std::string& expected_reason) {
    JobOutcome outcome = run_probe_job(mode);
    ASSERT_TRUE(outcome.finished) << "mpirun still ran after " << kHangGuardSeconds << " s (a hang):\n" << outcome.log;
    // Both ranks started, so the failure below is rank 1's and not a launch problem.
    ASSERT_TRUE(contains(outcome.log, "rank 0 of 2 ready") && contains(outcome.log, "rank 1 of 2 ready")) << outcome.log;
    EXPECT_NE(outcome.exit_code, 0) << outcome.log;
    EXPECT_FALSE(contains(outcome.log, "rank 0 completed")) << outcome.log;
    if (!expected_reason.empty()) {
        EXPECT_TRUE(contains(outcome.log, expected_reason)) << outcome.log;
    }
}

TEST(FailingRank, ProbeCompletesWhenNoRankFails) {
    JobOutcome outcome = run_probe_job("none");
    ASSERT_TRUE(outcome.finished) << outcome.log;
    EXPECT_EQ(outcome.exit_code, 0) << outcome.log;
    EXPECT_TRUE(contains(outcome.log, "rank 0 completed")) << outcome.log;
    EXPECT_TRUE(contains(outcome.log, "rank 1 completed")) << outcome.log;
}

TEST(FailingRank, ARankThatThrowsEndsTheJob) {
    expect_job_ended_by_failure("throw", "aborting the job: probe: rank 1 throws");
}

TEST(FailingRank, ARankThatSeesANanAbortsTheJob) {
    expect_job_ended_by_failure("nan", "aborting the job: probe: rank 1 has a NaN loss");
}

TEST(FailingRank, AnExceptionUnwindingPastTheCommunicatorEndsTheJob) {
    expect_job_ended_by_failure("escape", "aborting the job: an exception is unwinding past the communicator");
}

TEST(FailingRank, MismatchedParameterListsEndTheJob) {
    expect_job_ended_by_failure("layout", "differ from rank 0's");
}

TEST(FailingRank, ARankThatExitsWithoutFinalizeEndsTheJob) { expect_job_ended_by_failure("exit", ""); }

TEST(FailingRank, AKilledRankEndsTheJob) { expect_job_ended_by_failure("kill", ""); }

}  // namespace
