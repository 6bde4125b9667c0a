// `segsweep bench coordinator`: the real coordinator process against simulated workers running
// StandInTrial, and Optuna on SQLite as the peer.
#include "coordinator/coordinator_bench.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>

#include "common/error.h"
#include "common/keys.h"
#include "common/log.h"
#include "common/zmq_check.h"
#include "common/zmq_socket.h"
#include "coordinator/client.h"

namespace segsweep::coordinator {
namespace {

using Clock = std::chrono::steady_clock;
using protocol::MessageType;

constexpr int kBenchLiveness = 30;            // heartbeat intervals: the drivers may lag under load
constexpr int kDriverPollMs = 20;             // ms
constexpr int kSimHeartbeatMs = 1000;         // ms of silence before a simulated worker heartbeats
constexpr int kContextMaxSockets = 16384;     // sockets in the bench's ZeroMQ context

double ms_between(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
}

// StandInTrial: the benchmark's stand-in for run_trial. It trains nothing: given an assignment it
// produces all of its epoch reports at once and a completed result. Never used outside this file.
struct StandInTrial {
    static std::vector<protocol::EpochReport> epochs(const protocol::TrialAssignment& trial, int count) {
        std::vector<protocol::EpochReport> reports;
        for (int epoch = 1; epoch <= count; ++epoch) {
            protocol::EpochReport r;
            r.trial_id = trial.trial_id;
            r.attempt = trial.attempt;
            r.metrics.epoch = epoch;
            r.metrics.train_loss = 1.0 / epoch;
            r.metrics.val_loss = 1.1 / epoch;
            r.metrics.val_iou = 0.05 * epoch;
            r.metrics.images_per_sec = 100;
            r.metrics.seconds = 0.001;
            reports.push_back(r);
        }
        return reports;
    }

    static protocol::ResultReport result(const protocol::TrialAssignment& trial, int count) {
        protocol::ResultReport r;
        r.trial_id = trial.trial_id;
        r.attempt = trial.attempt;
        r.result.state = TrialState::completed;
        r.result.config = trial.config;
        for (const auto& e : epochs(trial, count)) r.result.history.push_back(e.metrics);
        r.result.epochs_run = count;
        r.result.best_epoch = count;
        FollowMeScore score;
        score.weight = 0.7;
        score.final_iou = 0.001 * static_cast<double>(trial.config.seed % 500);
        score.final_score = score.weight * score.final_iou;
        r.result.score = score;
        r.result.wall_seconds = 0.01;
        return r;
    }
};

struct SimWorker {
    std::unique_ptr<zmq::socket_t> socket;
    std::string id;
    Clock::time_point ready_at;
    Clock::time_point last_sent;
    bool welcomed = false;
    bool started = false;           // sent its first READY (after every worker is connected)
    bool waiting_for_trial = false;
    bool finished = false;
    protocol::TrialAssignment trial;
    int answers_pending = 0;
};

struct RowResult {
    int workers = 0;
    int trials = 0;
    double seconds = 0;
    std::vector<double> latencies_ms;
    uint64_t transactions = 0;
    double coordinator_cpu_seconds = 0;  // the whole coordinator process (user + system)
    double connect_seconds = 0;          // until every simulated worker had its WELCOME
};

// The coordinator's last words: "coordinator stopped: W write(s) in T transaction(s)".
uint64_t committed_transactions(const std::string& log_path) {
    std::FILE* file = std::fopen(log_path.c_str(), "r");
    if (file == nullptr) return 0;
    char line[1024];
    uint64_t transactions = 0;
    while (std::fgets(line, sizeof line, file) != nullptr) {
        const char* found = std::strstr(line, "coordinator stopped: ");
        unsigned long long writes = 0, commits = 0;
        if (found && std::sscanf(found, "coordinator stopped: %llu write(s) in %llu", &writes, &commits) == 2)
            transactions = commits;
    }
    std::fclose(file);
    return transactions;
}

struct DriverShared {
    std::atomic<int> welcomed{0};   // workers connected (WELCOME received)
    std::atomic<bool> go{false};    // every worker is connected: start asking for trials
    std::atomic<int> acks{0};
    std::atomic<int> continues{0};
    std::mutex mutex;
    std::vector<double> latencies_ms;
};

void sim_send(SimWorker& w, MessageType type, const nlohmann::json& body) {
    send_message(*w.socket, "", type, body);
    w.last_sent = Clock::now();
}

void sim_ready(SimWorker& w) {
    sim_send(w, MessageType::ready, nlohmann::json::object());
    w.ready_at = Clock::now();
    w.waiting_for_trial = true;
}

// One driver thread: its share of the simulated workers, event-driven.
void drive(std::vector<SimWorker*> workers, int epochs, int total_trials, DriverShared& shared, Clock::time_point deadline) {
    std::vector<double> latencies;
    std::vector<std::string> frames;
    std::vector<zmq_pollitem_t> items(workers.size());
    while (shared.acks.load() < total_trials && Clock::now() < deadline) {
        for (size_t i = 0; i < workers.size(); ++i) items[i] = {workers[i]->socket->handle(), 0, ZMQ_POLLIN, 0};
        int rc = zmq_poll(items.data(), static_cast<int>(items.size()), kDriverPollMs);
        if (rc == -1 && zmq_errno() != EINTR) ZMQ_CHECK(rc);
        auto now = Clock::now();
        for (size_t i = 0; i < workers.size(); ++i) {
            SimWorker& w = *workers[i];
            if (items[i].revents & ZMQ_POLLIN) {
                while (receive_frames(*w.socket, frames, protocol::kFrameCount + 1)) {
                    protocol::Decoded d = protocol::decode_frames(frames);
                    if (d.status != protocol::DecodeStatus::ok) continue;
                    const auto& body = d.message.body;
                    switch (d.message.type) {
                        case MessageType::welcome:
                            if (!w.welcomed) ++shared.welcomed;
                            w.welcomed = true;
                            break;
                        case MessageType::trial: {
                            w.trial = protocol::trial_assignment_from_json(body);
                            latencies.push_back(ms_between(w.ready_at, Clock::now()));
                            w.waiting_for_trial = false;
                            auto reports = StandInTrial::epochs(w.trial, epochs);
                            w.answers_pending = static_cast<int>(reports.size());
                            for (const auto& r : reports) sim_send(w, MessageType::epoch, protocol::to_json(r));
                            break;
                        }
                        case MessageType::proceed:
                        case MessageType::stop:
                            ++shared.continues;
                            if (--w.answers_pending == 0)
                                sim_send(w, MessageType::result, protocol::to_json(StandInTrial::result(w.trial, epochs)));
                            break;
                        case MessageType::ack:
                            ++shared.acks;
                            sim_ready(w);
                            break;
                        case MessageType::no_work: w.finished = true; break;
                        default: break;
                    }
                }
            }
            if (shared.go.load() && w.welcomed && !w.started) {
                w.started = true;
                sim_ready(w);
            }
            if (!w.finished && ms_between(w.last_sent, now) > kSimHeartbeatMs)
                sim_send(w, MessageType::heartbeat, nlohmann::json::object());
        }
    }
    std::lock_guard<std::mutex> lock(shared.mutex);
    shared.latencies_ms.insert(shared.latencies_ms.end(), latencies.begin(), latencies.end());
}

std::string bench_sweep_text(int trials, int epochs) {
    nlohmann::json sweep = {{"name", "bench-coordinator"},
                            {"method", "grid"},
                            {"parameters", {{"seed", {{"min", 1}, {"max", trials}}}, {"num_epochs", {{"value", epochs}}}}},
                            {"resources", {{"gpus_per_trial", 1}}}};
    return sweep.dump(2);
}

// The coordinator under test: the real `segsweep coordinator`, as its own process (this very
// binary), so its CPU time (event loop, store writer, ZeroMQ I/O and CURVE) can be read apart
// from the simulated workers'.
struct CoordinatorProcess {
    pid_t pid = -1;
    std::string address;

    CoordinatorProcess(const std::string& key_dir, const std::string& row_dir, bool durability_normal) {
        const std::string endpoint = row_dir + "/coordinator.endpoint";
        std::vector<std::string> args = {"/proc/self/exe", "coordinator", "--listen", "tcp://127.0.0.1:*", "--db",
                                         row_dir + "/bench.db", "--runs", row_dir + "/runs", "--keys", key_dir,
                                         "--endpoint-file", endpoint, "--liveness", std::to_string(kBenchLiveness),
                                         "--durability", durability_normal ? "normal" : "full"};
        const std::string log = row_dir + "/coordinator.log";
        pid = fork();
        if (pid < 0) throw Error("bench coordinator: fork failed");
        if (pid == 0) {
            FILE* out = std::freopen(log.c_str(), "w", stderr);
            (void)out;
            std::vector<char*> argv;
            for (auto& a : args) argv.push_back(a.data());
            argv.push_back(nullptr);
            execv("/proc/self/exe", argv.data());
            _exit(127);
        }
        auto deadline = Clock::now() + std::chrono::seconds(60);
        while (Clock::now() < deadline) {
            std::FILE* file = std::fopen(endpoint.c_str(), "r");
            if (file != nullptr) {
                char text[256] = {0};
                bool got = std::fgets(text, sizeof text, file) != nullptr;
                std::fclose(file);
                if (got) {
                    address = text;
                    while (!address.empty() && (address.back() == '\n' || address.back() == '\r')) address.pop_back();
                    if (!address.empty()) return;
                }
            }
            int status = 0;
            if (waitpid(pid, &status, WNOHANG) == pid) {
                pid = -1;
                throw Error("bench coordinator: the coordinator exited at start-up; see " + log);
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        throw Error("bench coordinator: the coordinator published no address within 60 s; see " + log);
    }

    // User + system CPU seconds so far (/proc/PID/stat), all threads. Read once it serves and
    // again before it stops, so loading LibTorch at start-up and unloading it are not counted.
    double cpu_seconds() const {
        std::FILE* file = std::fopen(("/proc/" + std::to_string(pid) + "/stat").c_str(), "r");
        if (file == nullptr) return 0;
        char text[2048] = {0};
        size_t n = std::fread(text, 1, sizeof text - 1, file);
        std::fclose(file);
        std::string stat(text, n);
        auto close = stat.rfind(')');  // the command name may hold spaces
        if (close == std::string::npos) return 0;
        std::istringstream fields(stat.substr(close + 2));
        std::string field;
        unsigned long long utime = 0, stime = 0;
        for (int index = 3; fields >> field; ++index) {  // field 3 is the state
            if (index == 14) utime = std::stoull(field);
            if (index == 15) {
                stime = std::stoull(field);
                break;
            }
        }
        return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
    }

    void stop() {
        if (pid <= 0) return;
        kill(pid, SIGTERM);
        int status = 0;
        waitpid(pid, &status, 0);
        pid = -1;
    }

    ~CoordinatorProcess() {
        if (pid > 0) {
            kill(pid, SIGKILL);
            waitpid(pid, nullptr, 0);
        }
    }
};

RowResult run_row(const CoordinatorBenchOptions& options, int worker_count, const std::string& key_dir,
                  const std::string& row_dir) {
    std::filesystem::create_directories(row_dir);
    CoordinatorProcess coordinator(key_dir, row_dir, options.durability_normal);

    ClientOptions client_options;
    client_options.address = coordinator.address;
    client_options.key_dir = key_dir;
    CoordinatorClient client(client_options);
    client.submit(bench_sweep_text(options.trials, options.epochs), "bench-coordinator.json");

    ClientSecurity security = load_client_security(key_dir, coordinator.address, false);
    zmq::context_t context;
    context.set(zmq::ctxopt::max_sockets, kContextMaxSockets);
    std::vector<SimWorker> workers(static_cast<size_t>(worker_count));
    for (int i = 0; i < worker_count; ++i) {
        SimWorker& w = workers[static_cast<size_t>(i)];
        w.socket = std::make_unique<zmq::socket_t>(context, zmq::socket_type::dealer);
        set_common_socket_options(*w.socket);
        apply_client_security(*w.socket, security);
        ZMQ_CHECK(zmq_connect(w.socket->handle(), coordinator.address.c_str()));
        w.id = "sim-" + std::to_string(i);
    }
    DriverShared shared;
    auto connect_start = Clock::now();
    auto deadline = connect_start + std::chrono::seconds(kBenchTimeoutS);
    for (auto& w : workers) {
        protocol::Hello hello;
        hello.worker_id = w.id;
        hello.host = "bench";
        hello.pid = getpid();
        sim_send(w, MessageType::hello, protocol::to_json(hello));
    }
    std::vector<std::thread> drivers;
    int thread_count = std::min(kBenchDriverThreads, worker_count);
    for (int t = 0; t < thread_count; ++t) {
        std::vector<SimWorker*> share;
        for (int i = t; i < worker_count; i += thread_count) share.push_back(&workers[static_cast<size_t>(i)]);
        drivers.emplace_back(drive, share, options.epochs, options.trials, std::ref(shared), deadline);
    }
    // Connection set-up (TCP, CURVE handshakes, HELLO) is timed apart from the trials.
    while (shared.welcomed.load() < worker_count && Clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    RowResult row;
    row.connect_seconds = std::chrono::duration<double>(Clock::now() - connect_start).count();
    const double cpu_at_start = coordinator.cpu_seconds();
    auto start = Clock::now();
    shared.go = true;
    for (auto& d : drivers) d.join();
    row.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    row.workers = worker_count;
    row.trials = shared.acks.load();
    row.latencies_ms = std::move(shared.latencies_ms);
    row.coordinator_cpu_seconds = coordinator.cpu_seconds() - cpu_at_start;
    coordinator.stop();
    row.transactions = committed_transactions(row_dir + "/coordinator.log");
    if (row.trials < options.trials)
        throw Error("bench coordinator: only " + std::to_string(row.trials) + " of " + std::to_string(options.trials) +
                    " trials finished within " + std::to_string(kBenchTimeoutS) + " s at " +
                    std::to_string(worker_count) + " workers");
    return row;
}

double percentile(std::vector<double> values, double p) {
    if (values.empty()) return 0;
    std::sort(values.begin(), values.end());
    size_t index = static_cast<size_t>(p * static_cast<double>(values.size() - 1) + 0.5);
    return values[std::min(index, values.size() - 1)];
}

struct PeerResult {
    bool ran = false;
    double trials_per_s = 0;
    double reports_per_s = 0;
    double seconds = 0;
    std::string error;
};

PeerResult run_peer(const CoordinatorBenchOptions& options, int trials, const std::string& dir) {
    PeerResult peer;
    std::string script = options.peer_script.empty() ? std::string(SEGSWEEP_SOURCE_DIR) + "/bench/peers/optuna_sqlite_noop.py"
                                                     : options.peer_script;
    std::string db = dir + "/optuna.db";
    std::string command = options.python + " " + script + " " + db + " " + std::to_string(trials) + " " +
                          std::to_string(options.epochs) + " 2>&1";
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) {
        peer.error = "cannot start " + command;
        return peer;
    }
    std::string output;
    char buffer[4096];
    while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) output += buffer;
    int status = pclose(pipe);
    if (status != 0) {
        peer.error = "the Optuna peer failed (" + command + "): " + output;
        return peer;
    }
    nlohmann::json j = nlohmann::json::parse(output.substr(output.rfind('{')), nullptr, false);
    if (j.is_discarded()) {
        peer.error = "the Optuna peer printed no result: " + output;
        return peer;
    }
    peer.ran = true;
    peer.trials_per_s = j.value("trials_per_s", 0.0);
    peer.reports_per_s = j.value("reports_per_s", 0.0);
    peer.seconds = j.value("seconds", 0.0);
    return peer;
}

// The scratch folder of one run: removed on every path when the benchmark made it and was not asked
// to keep it.
class ScratchFolder {
public:
    ScratchFolder(const std::string& given, bool keep) : path_(given), remove_(given.empty() && !keep) {
        if (path_.empty()) {
            char pattern[] = "/tmp/segsweep-bench-coordinator-XXXXXX";
            if (mkdtemp(pattern) == nullptr) throw Error("bench coordinator: cannot make a scratch folder under /tmp");
            path_ = pattern;
        }
    }
    ~ScratchFolder() {
        std::error_code ignored;
        if (remove_) std::filesystem::remove_all(path_, ignored);
    }
    ScratchFolder(const ScratchFolder&) = delete;
    ScratchFolder& operator=(const ScratchFolder&) = delete;
    const std::string& path() const { return path_; }
    bool removed_at_the_end() const { return remove_; }

private:
    std::string path_;
    bool remove_;
};

}  // namespace

std::string run_coordinator_bench(const CoordinatorBenchOptions& options) {
    if (options.trials < 1 || options.epochs < 1) throw Error("bench coordinator: --trials and --epochs must be >= 1");
    const ScratchFolder scratch(options.dir, options.keep_scratch);
    const std::string& dir = scratch.path();
    std::filesystem::create_directories(dir);
    const std::string key_dir = dir + "/keys";
    if (!std::filesystem::exists(key_dir + "/coordinator.secret")) keygen_folder(key_dir, "client", false);

    std::string load_average = "?";
    if (FILE* file = std::fopen("/proc/loadavg", "r")) {
        char text[64] = {0};
        if (std::fgets(text, sizeof text, file)) load_average = std::string(text).substr(0, std::string(text).find(' '));
        std::fclose(file);
    }
    LogLevel saved_level = log_level();
    log_set_level(LogLevel::warn);  // one line per state change would dominate the measurement
    std::vector<RowResult> rows;
    try {
        for (int workers : options.worker_counts) {
            if (workers < 1) throw Error("bench coordinator: worker counts must be >= 1");
            std::fprintf(stderr, "bench coordinator: %d simulated workers, %d trials x %d epochs...\n", workers,
                         options.trials, options.epochs);
            rows.push_back(run_row(options, workers, key_dir, dir + "/w" + std::to_string(workers)));
        }
    } catch (...) {
        log_set_level(saved_level);
        throw;
    }
    log_set_level(saved_level);

    int peer_trials = options.peer_trials < 0 ? options.trials : options.peer_trials;
    PeerResult peer;
    if (peer_trials > 0) {
        std::fprintf(stderr, "bench coordinator: peer: Optuna on SQLite, %d no-op trials x %d reports...\n", peer_trials,
                     options.epochs);
        peer = run_peer(options, peer_trials, dir);
    }

    std::ostringstream out;
    char line[512];
    out << "segsweep bench coordinator: " << options.trials << " stand-in trials x " << options.epochs
        << " epoch reports per row; CURVE over tcp loopback; SQLite WAL, "
        << (options.durability_normal ? "synchronous=NORMAL (survives a crash, not a power cut)\n"
                                      : "synchronous=FULL (fsync per commit)\n");
    out << "load average at the start: " << load_average
        << " (shared cores; the simulated workers run on them too). coordinator CPU: the coordinator process's "
           "user+system time (loop, store writer, ZeroMQ I/O and CURVE) per trial\n";
    std::snprintf(line, sizeof line, "%8s %8s %9s %10s %12s %8s %10s %13s %14s %8s\n", "workers", "connect",
                  "trials/s", "durable", "READY->TRIAL", "p99", "wall ms", "coordinator", "reports per", "commits");
    out << line;
    std::snprintf(line, sizeof line, "%8s %8s %9s %10s %12s %8s %10s %13s %14s %8s\n", "", "s", "", "reports/s",
                  "p50 ms", "ms", "per trial", "CPU ms/trial", "coordinator", "");
    out << line;
    std::snprintf(line, sizeof line, "%8s %8s %9s %10s %12s %8s %10s %13s %14s %8s\n", "", "", "", "", "", "", "", "",
                  "CPU second", "");
    out << line;
    for (const auto& r : rows) {
        double trials_per_s = r.trials / r.seconds;
        double reports_per_s = static_cast<double>(r.trials) * options.epochs / r.seconds;
        double reports_per_cpu_s = r.coordinator_cpu_seconds > 0
                                       ? static_cast<double>(r.trials) * options.epochs / r.coordinator_cpu_seconds
                                       : 0;
        std::snprintf(line, sizeof line, "%8d %8.2f %9.0f %10.0f %12.1f %8.1f %10.3f %13.3f %14.0f %8llu\n", r.workers,
                      r.connect_seconds, trials_per_s, reports_per_s, percentile(r.latencies_ms, 0.5),
                      percentile(r.latencies_ms, 0.99), 1000.0 * r.seconds / r.trials,
                      1000.0 * r.coordinator_cpu_seconds / r.trials, reports_per_cpu_s,
                      static_cast<unsigned long long>(r.transactions));
        out << line;
    }
    if (peer_trials == 0) {
        out << "peer: skipped (--peer-trials 0)\n";
    } else if (!peer.ran) {
        out << "peer: " << peer.error << "\n";
    } else {
        std::snprintf(line, sizeof line,
                      "peer: Optuna (python3-optuna) RDBStorage on SQLite, %d no-op trials x %d reports: %.1f trials/s, "
                      "%.0f reports/s (%.1f s)\n",
                      peer_trials, options.epochs, peer.trials_per_s, peer.reports_per_s, peer.seconds);
        out << line;
        for (const auto& r : rows) {
            double trials_per_s = r.trials / r.seconds;
            double reports_per_s = static_cast<double>(r.trials) * options.epochs / r.seconds;
            std::snprintf(line, sizeof line, "ratio at %4d workers: %.0fx Optuna's trials/s, %.0fx its reports/s\n",
                          r.workers, trials_per_s / peer.trials_per_s, reports_per_s / peer.reports_per_s);
            out << line;
        }
    }
    out << "scratch: " << dir << (scratch.removed_at_the_end() ? " (removed; --keep-scratch keeps it)\n" : " (kept)\n");
    return out.str();
}

}  // namespace segsweep::coordinator
