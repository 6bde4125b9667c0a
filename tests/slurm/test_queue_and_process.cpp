// squeue output parsing, active-state classification, and the child-process helpers the SLURM
// verbs use (exit codes, both output streams, shell quoting that bash reads back unchanged).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include "cli/slurm_process.h"
#include "cli/slurm_queue.h"
#include "common/error.h"

namespace segsweep::slurm {
namespace {

TEST(QueueRows, ParsesPlainJobsAndArrayElements) {
    const std::string text =
        "12|12|N/A|RUNNING|1:05|UNLIMITED|vm|segsweep-tiny-coordinator\n"
        "14|13|1|PENDING|0:00|1:00:00|(Resources)|segsweep-tiny-workers\n"
        "13|13|0|COMPLETED|0:41|1:00:00|vm|segsweep-tiny-workers\n"
        "garbage line without separators\n";
    std::vector<QueueRow> rows = parse_queue_rows(text);
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows[0].display_id(), "12");
    EXPECT_EQ(rows[0].state, "RUNNING");
    EXPECT_EQ(rows[0].where, "vm");
    EXPECT_EQ(rows[1].job_id, "14");
    EXPECT_EQ(rows[1].display_id(), "13_1");
    EXPECT_EQ(rows[1].where, "(Resources)");
    EXPECT_EQ(rows[1].time_limit, "1:00:00");
    EXPECT_EQ(rows[2].display_id(), "13_0");
    EXPECT_EQ(rows[2].name, "segsweep-tiny-workers");
}

TEST(QueueRows, AJobNameWithTheSeparatorStaysWhole) {
    std::vector<QueueRow> rows = parse_queue_rows("5|5|N/A|RUNNING|0:01|UNLIMITED|vm|a|b\n");
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].name, "a|b");
}

TEST(QueueRows, ActiveStates) {
    for (const char* state : {"PENDING", "RUNNING", "COMPLETING", "REQUEUED", "SUSPENDED"})
        EXPECT_TRUE(state_is_active(state)) << state;
    for (const char* state : {"COMPLETED", "CANCELLED", "FAILED", "TIMEOUT", "PREEMPTED", "NODE_FAIL", "OUT_OF_MEMORY"})
        EXPECT_FALSE(state_is_active(state)) << state;
}

TEST(RunCommand, CapturesBothStreamsAndTheExitCode) {
    CommandResult result = run_command({"bash", "-c", "echo out; echo err >&2; exit 3"});
    EXPECT_EQ(result.exit_code, 3);
    EXPECT_EQ(result.out, "out\n");
    EXPECT_EQ(result.err, "err\n");
}

TEST(RunCommand, CheckedThrowsWithTheCommandAndItsError) {
    try {
        run_command_checked({"bash", "-c", "echo 'sbatch: error: Invalid account' >&2; exit 1"});
        FAIL() << "no exception";
    } catch (const Error& e) {
        std::string message = e.what();
        EXPECT_NE(message.find("exit 1"), std::string::npos) << message;
        EXPECT_NE(message.find("Invalid account"), std::string::npos) << message;
    }
    EXPECT_THROW(run_command({"/nonexistent/segsweep-no-such-tool"}), Error);
}

TEST(RunCommand, LargeOutputOnBothStreamsDoesNotDeadlock) {
    CommandResult result = run_command({"bash", "-c", "head -c 300000 /dev/zero; head -c 300000 /dev/zero >&2"});
    EXPECT_EQ(result.exit_code, 0);
    EXPECT_EQ(result.out.size(), 300000u);
    EXPECT_EQ(result.err.size(), 300000u);
}

TEST(ShellQuote, BashReadsEveryWordBackUnchanged) {
    for (std::string word : {"plain", "with space", "it's", "$(rm -rf /)", "tcp://*:*", "a\"b", "", "semi;colon"}) {
        CommandResult result = run_command({"bash", "-c", "printf %s " + shell_quote(word)});
        EXPECT_EQ(result.out, word) << shell_quote(word);
    }
    EXPECT_EQ(shell_join({"sbatch", "--parsable", "/a b/c"}), "sbatch --parsable '/a b/c'");
}

TEST(CommandOnPath, FindsBashAndNotNonsense) {
    EXPECT_TRUE(command_on_path("bash"));
    EXPECT_FALSE(command_on_path("segsweep-no-such-tool"));
}

TEST(ProcessMatches, ChecksTheCommandLineOfALivePid) {
    pid_t pid = start_detached({"sleep", "30"}, std::string(SEGSWEEP_TEST_TMP) + "/slurm_detached.log");
    EXPECT_TRUE(process_matches(pid, "sleep 30"));
    EXPECT_FALSE(process_matches(pid, "segsweep coordinator"));
    kill(pid, SIGTERM);
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_FALSE(process_matches(pid, "sleep 30"));
    EXPECT_FALSE(process_matches(0, ""));
}

}  // namespace
}  // namespace segsweep::slurm
