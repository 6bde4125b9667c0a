// Test helpers for the multi-process tests: run the real `segsweep` binary (or a launcher such as
// mpirun in front of it) as child processes (output to a log file), signal them, wait for them with
// a timeout, and never leave one behind: each child leads its own process group, which the
// destructor SIGKILLs whole (mpirun's ranks included), and dies with the test process.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

namespace segsweep::testing {

class ChildProcess {
public:
    // Starts SEGSWEEP_BINARY with `args`; stdout and stderr go to `log_path`; `env` is added to
    // the inherited environment.
    ChildProcess(const std::vector<std::string>& args, const std::string& log_path,
                 const std::map<std::string, std::string>& env = {});
    // Starts `launcher` (a full argv, e.g. {"mpirun", "-n", "2"}) with SEGSWEEP_BINARY and `args` after it.
    ChildProcess(const std::vector<std::string>& launcher, const std::vector<std::string>& args,
                 const std::string& log_path, const std::map<std::string, std::string>& env);
    ~ChildProcess();  // SIGKILLs the child's process group and reaps the child
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    pid_t pid() const { return pid_; }
    bool running();
    void signal(int number);
    // Waits up to timeout_ms; the exit status (WEXITSTATUS, or 128 + signal), or -1 on timeout.
    int wait(int timeout_ms);
    std::string log() const;
    const std::string& log_path() const { return log_path_; }

private:
    pid_t pid_ = -1;
    bool reaped_ = false;
    int status_ = -1;
    std::string log_path_;
};

struct CommandResult {
    int status = -1;     // exit status, -1 on timeout
    std::string output;  // stdout and stderr together
};

// Runs the binary to completion (or timeout_ms) and returns its status and output.
CommandResult run_segsweep(const std::vector<std::string>& args, const std::string& log_path, int timeout_ms,
                           const std::map<std::string, std::string>& env = {});

// Runs the binary with a pseudo-terminal as its stdin/stdout/stderr (what a user at a terminal
// sees, e.g. `segsweep wait`'s progress bar) and returns its status and everything it wrote.
CommandResult run_segsweep_on_terminal(const std::vector<std::string>& args, int timeout_ms,
                                       const std::map<std::string, std::string>& env = {});

// A loopback TCP port nobody listens on right now.
int free_tcp_port();

// Processes (other than this one) whose command line contains `text`, e.g. a test's unique
// coordinator address: what a test checks to be sure it left nothing behind.
std::vector<pid_t> processes_with_argument(const std::string& text);

}  // namespace segsweep::testing
