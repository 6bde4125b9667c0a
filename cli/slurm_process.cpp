// Child processes for `segsweep slurm`: posix_spawnp with stdout/stderr pipes drained by poll(),
// detached starts (own session, output to a log file), and /proc checks of a recorded pid.
#include "cli/slurm_process.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/error.h"

extern char** environ;

namespace segsweep::slurm {
namespace {

constexpr size_t kReadChunkBytes = 65536;  // bytes read from a pipe at a time
constexpr mode_t kLogFileMode = 0600;      // a detached process's log: the user's alone
constexpr int kCmdlineAttempts = 50;       // reads of /proc/PID/cmdline while it is still empty
constexpr int kCmdlineRetryMs = 2;         // ms between them (exec fills it in within microseconds)

// True when /proc/PID/stat says the process has exited and awaits its parent's wait().
bool is_zombie(const std::string& proc) {
    std::ifstream in(proc + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    size_t paren = stat.rfind(')');  // the command name may hold spaces and parentheses
    return paren == std::string::npos || paren + 2 >= stat.size() || stat[paren + 2] == 'Z';
}

// A file descriptor closed when it goes out of scope.
class UniqueFd {
public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : fd_(fd) {}
    ~UniqueFd() { reset(); }
    UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
    UniqueFd& operator=(UniqueFd&& other) noexcept {
        if (this != &other) {
            reset();
            fd_ = other.release();
        }
        return *this;
    }
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    int get() const { return fd_; }
    int release() {
        int fd = fd_;
        fd_ = -1;
        return fd;
    }
    void reset() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

private:
    int fd_ = -1;
};

// posix_spawn_file_actions_t with its destroy call.
class SpawnActions {
public:
    SpawnActions() { posix_spawn_file_actions_init(&actions_); }
    ~SpawnActions() { posix_spawn_file_actions_destroy(&actions_); }
    SpawnActions(const SpawnActions&) = delete;
    SpawnActions& operator=(const SpawnActions&) = delete;
    posix_spawn_file_actions_t* get() { return &actions_; }

private:
    posix_spawn_file_actions_t actions_;
};

class SpawnAttributes {
public:
    SpawnAttributes() { posix_spawnattr_init(&attributes_); }
    ~SpawnAttributes() { posix_spawnattr_destroy(&attributes_); }
    SpawnAttributes(const SpawnAttributes&) = delete;
    SpawnAttributes& operator=(const SpawnAttributes&) = delete;
    posix_spawnattr_t* get() { return &attributes_; }

private:
    posix_spawnattr_t attributes_;
};

std::vector<char*> c_argv(const std::vector<std::string>& argv) {
    std::vector<char*> pointers;
    for (const auto& word : argv) pointers.push_back(const_cast<char*>(word.c_str()));
    pointers.push_back(nullptr);
    return pointers;
}

void make_pipe(UniqueFd& read_end, UniqueFd& write_end) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw Error(std::string("pipe2: ") + std::strerror(errno));
    read_end = UniqueFd(fds[0]);
    write_end = UniqueFd(fds[1]);
}

// Reads both pipes until both reach end of file.
void drain(UniqueFd& out_fd, UniqueFd& err_fd, std::string& out, std::string& err) {
    std::array<char, kReadChunkBytes> buffer;
    while (out_fd.get() >= 0 || err_fd.get() >= 0) {
        pollfd fds[2] = {{out_fd.get(), POLLIN, 0}, {err_fd.get(), POLLIN, 0}};
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            throw Error(std::string("poll on a child's output: ") + std::strerror(errno));
        }
        UniqueFd* pipes[2] = {&out_fd, &err_fd};
        std::string* sinks[2] = {&out, &err};
        for (int i = 0; i < 2; ++i) {
            if (pipes[i]->get() < 0 || fds[i].revents == 0) continue;
            ssize_t n = ::read(pipes[i]->get(), buffer.data(), buffer.size());
            if (n > 0) {
                sinks[i]->append(buffer.data(), static_cast<size_t>(n));
            } else if (n == 0 || errno != EINTR) {
                pipes[i]->reset();
            }
        }
    }
}

int wait_exit_code(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) throw Error(std::string("waitpid: ") + std::strerror(errno));
    }
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
}

}  // namespace

CommandResult run_command(const std::vector<std::string>& argv) {
    if (argv.empty()) throw Error("run_command: empty command");
    UniqueFd out_read, out_write, err_read, err_write;
    make_pipe(out_read, out_write);
    make_pipe(err_read, err_write);
    SpawnActions actions;
    posix_spawn_file_actions_addopen(actions.get(), STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(actions.get(), out_write.get(), STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(actions.get(), err_write.get(), STDERR_FILENO);
    std::vector<char*> args = c_argv(argv);
    pid_t pid = 0;
    int rc = ::posix_spawnp(&pid, args[0], actions.get(), nullptr, args.data(), environ);
    if (rc != 0) throw Error("cannot run " + argv[0] + ": " + std::strerror(rc));
    out_write.reset();
    err_write.reset();
    CommandResult result;
    drain(out_read, err_read, result.out, result.err);
    result.exit_code = wait_exit_code(pid);
    return result;
}

std::string run_command_checked(const std::vector<std::string>& argv) {
    CommandResult result = run_command(argv);
    if (result.exit_code != 0) {
        std::string err = result.err;
        while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) err.pop_back();
        throw Error(shell_join(argv) + " failed (exit " + std::to_string(result.exit_code) + ")" +
                    (err.empty() ? std::string() : ": " + err));
    }
    return result.out;
}

bool command_on_path(const std::string& name) {
    const char* path = std::getenv("PATH");
    if (path == nullptr) return false;
    std::stringstream folders(path);
    std::string folder;
    while (std::getline(folders, folder, ':')) {
        // An empty PATH entry means the current folder.
        std::string candidate = (folder.empty() ? std::string(".") : folder) + "/" + name;
        if (::access(candidate.c_str(), X_OK) == 0) return true;
    }
    return false;
}

pid_t start_detached(const std::vector<std::string>& argv, const std::string& log_file) {
    if (argv.empty()) throw Error("start_detached: empty command");
    SpawnActions actions;
    posix_spawn_file_actions_addopen(actions.get(), STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(actions.get(), STDOUT_FILENO, log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                     kLogFileMode);
    posix_spawn_file_actions_adddup2(actions.get(), STDOUT_FILENO, STDERR_FILENO);
    SpawnAttributes attributes;
    posix_spawnattr_setflags(attributes.get(), POSIX_SPAWN_SETSID);
    std::vector<char*> args = c_argv(argv);
    pid_t pid = 0;
    int rc = ::posix_spawnp(&pid, args[0], actions.get(), attributes.get(), args.data(), environ);
    if (rc != 0) throw Error("cannot start " + argv[0] + ": " + std::strerror(rc));
    return pid;
}

bool process_matches(pid_t pid, const std::string& needle) {
    if (pid <= 0) return false;
    const std::string proc = "/proc/" + std::to_string(pid);
    std::string cmdline;
    for (int attempt = 0; attempt < kCmdlineAttempts; ++attempt) {
        std::ifstream in(proc + "/cmdline", std::ios::binary);
        if (!in) return false;  // no such process
        cmdline.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        if (!cmdline.empty() || is_zombie(proc)) break;
        // Right after exec the kernel shows an empty command line for a moment.
        std::this_thread::sleep_for(std::chrono::milliseconds(kCmdlineRetryMs));
    }
    for (char& c : cmdline)
        if (c == '\0') c = ' ';
    return !cmdline.empty() && cmdline.find(needle) != std::string::npos;
}

std::string shell_quote(const std::string& word) {
    bool plain = !word.empty();
    for (char c : word) {
        bool safe = std::isalnum(static_cast<unsigned char>(c)) || std::strchr("@%_+=:,./-", c) != nullptr;
        if (!safe) plain = false;
    }
    if (plain) return word;
    std::string quoted = "'";
    for (char c : word) {
        if (c == '\'')
            quoted += "'\\''";
        else
            quoted += c;
    }
    return quoted + "'";
}

std::string shell_join(const std::vector<std::string>& argv) {
    std::string line;
    for (const auto& word : argv) {
        if (!line.empty()) line += ' ';
        line += shell_quote(word);
    }
    return line;
}

}  // namespace segsweep::slurm
