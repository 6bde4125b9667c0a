// Running the SLURM client tools (sbatch, squeue, scontrol, scancel) from `segsweep slurm`: a
// child process from an argument vector (no shell), its stdout and stderr captured, its exit
// status returned. Also the small process checks `slurm stop` needs for a coordinator it
// started on the login node.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace segsweep::slurm {

struct CommandResult {
    int exit_code = 0;  // the exit status; 128 + N when killed by signal N
    std::string out;    // everything the command wrote to stdout
    std::string err;    // and to stderr
};

// Runs argv[0] (looked up on PATH) with the arguments and waits for it. Throws segsweep::Error
// naming the command when it cannot be started at all.
CommandResult run_command(const std::vector<std::string>& argv);

// The same, but a non-zero exit throws segsweep::Error with the command line and its stderr.
std::string run_command_checked(const std::vector<std::string>& argv);

// True when `name` is an executable file in one of the folders of PATH.
bool command_on_path(const std::string& name);

// Starts argv detached from this process (own session, stdin from /dev/null, stdout and stderr
// appended to `log_file`) and returns its pid without waiting. Throws segsweep::Error when it
// cannot be started.
pid_t start_detached(const std::vector<std::string>& argv, const std::string& log_file);

// True when `pid` is alive and its command line contains `needle` (a reused pid is not ours).
bool process_matches(pid_t pid, const std::string& needle);

// Shell-quotes one word for a script or a printed command line ('...' with ' escaped).
std::string shell_quote(const std::string& word);
std::string shell_join(const std::vector<std::string>& argv);

}  // namespace segsweep::slurm
