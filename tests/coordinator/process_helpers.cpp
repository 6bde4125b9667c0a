// Child processes for the multi-process tests.
#include "process_helpers.h"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace segsweep::testing {

ChildProcess::ChildProcess(const std::vector<std::string>& args, const std::string& log_path,
                           const std::map<std::string, std::string>& env)
    : ChildProcess({}, args, log_path, env) {}

ChildProcess::ChildProcess(const std::vector<std::string>& launcher, const std::vector<std::string>& args,
                           const std::string& log_path, const std::map<std::string, std::string>& env)
    : log_path_(log_path) {
    std::vector<std::string> argv_strings = launcher;
    argv_strings.push_back(SEGSWEEP_BINARY);
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    const pid_t parent = getpid();
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
        setpgid(0, 0);                         // its own group: the destructor kills launcher and ranks together
        prctl(PR_SET_PDEATHSIG, SIGKILL);      // a test killed by ctest's timeout takes its children along
        if (getppid() != parent) _exit(127);   // the test died before prctl
        int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
            close(fd);
        }
        for (const auto& [key, value] : env) setenv(key.c_str(), value.c_str(), 1);
        std::vector<char*> argv;
        for (auto& s : argv_strings) argv.push_back(s.data());
        argv.push_back(nullptr);
        execvp(argv[0], argv.data());
        _exit(127);
    }
    setpgid(pid_, pid_);  // also from here, so the group exists before the constructor returns
}

ChildProcess::~ChildProcess() {
    if (pid_ <= 0) return;
    kill(-pid_, SIGKILL);  // the whole group: what the child started too (mpirun's ranks)
    if (!reaped_) {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
    }
}

bool ChildProcess::running() { return wait(0) == -1; }

void ChildProcess::signal(int number) {
    if (pid_ > 0 && !reaped_) kill(pid_, number);
}

int ChildProcess::wait(int timeout_ms) {
    if (reaped_) return status_;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (true) {
        int status = 0;
        pid_t r = waitpid(pid_, &status, WNOHANG);
        if (r == pid_) {
            reaped_ = true;
            status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            return status_;
        }
        if (std::chrono::steady_clock::now() >= deadline) return -1;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

std::string ChildProcess::log() const {
    std::ifstream in(log_path_);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

CommandResult run_segsweep(const std::vector<std::string>& args, const std::string& log_path, int timeout_ms,
                           const std::map<std::string, std::string>& env) {
    std::remove(log_path.c_str());
    ChildProcess child(args, log_path, env);
    CommandResult result;
    result.status = child.wait(timeout_ms);
    result.output = child.log();
    return result;
}

CommandResult run_segsweep_on_terminal(const std::vector<std::string>& args, int timeout_ms,
                                       const std::map<std::string, std::string>& env) {
    std::vector<std::string> argv_strings = {SEGSWEEP_BINARY};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    int terminal = -1;
    const pid_t parent = getpid();
    const pid_t pid = forkpty(&terminal, nullptr, nullptr, nullptr);
    if (pid < 0) throw std::runtime_error("forkpty failed");
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(127);
        for (const auto& [key, value] : env) setenv(key.c_str(), value.c_str(), 1);
        std::vector<char*> argv;
        for (auto& s : argv_strings) argv.push_back(s.data());
        argv.push_back(nullptr);
        execv(argv[0], argv.data());
        _exit(127);
    }
    CommandResult result;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    char buffer[4096];
    while (std::chrono::steady_clock::now() < deadline) {
        pollfd item{terminal, POLLIN, 0};
        if (poll(&item, 1, 50) > 0) {
            const ssize_t n = read(terminal, buffer, sizeof buffer);
            if (n > 0) {
                result.output.append(buffer, static_cast<size_t>(n));
                continue;
            }
            break;  // EIO: the child closed the terminal (it exited)
        }
    }
    int status = 0;
    if (std::chrono::steady_clock::now() >= deadline) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    } else {
        waitpid(pid, &status, 0);
        result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    close(terminal);
    return result;
}

int free_tcp_port() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    socklen_t size = sizeof address;
    getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
    int port = ntohs(address.sin_port);
    close(fd);
    return port;
}

std::vector<pid_t> processes_with_argument(const std::string& text) {
    std::vector<pid_t> found;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", error)) {
        const std::string name = entry.path().filename();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        const pid_t pid = static_cast<pid_t>(std::stol(name));
        if (pid == getpid()) continue;
        std::ifstream in(entry.path() / "cmdline", std::ios::binary);
        std::string command_line((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        for (char& c : command_line)
            if (c == '\0') c = ' ';
        if (command_line.find(text) != std::string::npos) found.push_back(pid);
    }
    return found;
}

}  // namespace segsweep::testing
