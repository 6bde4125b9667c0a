// Runs the segsweep executable under test (SEGSWEEP_BINARY, defined by segsweep_add_gtest) with a
// shell argument string and collects its exit status and its stdout and stderr together: what the
// CLI tests check a verb's output and "error: ..." messages with.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace segsweep::testing {

struct CommandRun {
    int status = -1;     // exit status; -1 when it did not exit normally or could not start
    std::string output;  // stdout and stderr
};

inline CommandRun run_segsweep(const std::string& arguments) {
    const std::string command = std::string(SEGSWEEP_BINARY) + " " + arguments + " 2>&1";
    CommandRun run;
    FILE* pipe = popen(command.c_str(), "r");
    if (!pipe) return run;
    std::array<char, 4096> buffer;
    size_t n = 0;
    while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) run.output.append(buffer.data(), n);
    const int status = pclose(pipe);
    run.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return run;
}

}  // namespace segsweep::testing
