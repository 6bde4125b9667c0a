// `segsweep bench coordinator`: a real coordinator against simulated workers running StandInTrial,
// and Optuna on SQLite as the peer.
#include "coordinator/coordinator_bench.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
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
#include "coordinator/coordinator.h"

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
    uint64_t writes = 0;
    uint64_t transactions = 0;
};

struct DriverShared {
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
                        case MessageType::welcome: sim_ready(w); break;
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

RowResult run_row(const CoordinatorBenchOptions& options, int worker_count, const std::string& key_dir,
                  const std::string& row_dir) {
    std::filesystem::create_directories(row_dir);
    CoordinatorOptions co;
    co.listen = "tcp://127.0.0.1:*";
    co.db_path = row_dir + "/bench.db";
    co.runs_dir = row_dir + "/runs";
    co.key_dir = key_dir;
    co.scheduler.heartbeat_liveness = kBenchLiveness;
    co.durability = StoreDurability::full;
    Coordinator coordinator(co);
    std::atomic<bool> stop{false};
    std::thread loop([&] { coordinator.run(stop); });

    ClientOptions client_options;
    client_options.address = coordinator.address();
    client_options.key_dir = key_dir;
    CoordinatorClient client(client_options);
    client.submit(bench_sweep_text(options.trials, options.epochs), "bench-coordinator.json");

    ClientSecurity security = load_client_security(key_dir, coordinator.address(), false);
    zmq::context_t context;
    context.set(zmq::ctxopt::max_sockets, kContextMaxSockets);
    std::vector<SimWorker> workers(static_cast<size_t>(worker_count));
    for (int i = 0; i < worker_count; ++i) {
        SimWorker& w = workers[static_cast<size_t>(i)];
        w.socket = std::make_unique<zmq::socket_t>(context, zmq::socket_type::dealer);
        set_common_socket_options(*w.socket);
        apply_client_security(*w.socket, security);
        ZMQ_CHECK(zmq_connect(w.socket->handle(), coordinator.address().c_str()));
        w.id = "sim-" + std::to_string(i);
    }
    DriverShared shared;
    auto start = Clock::now();
    auto deadline = start + std::chrono::seconds(kBenchTimeoutS);
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
    for (auto& d : drivers) d.join();
    RowResult row;
    row.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    row.workers = worker_count;
    row.trials = shared.acks.load();
    row.latencies_ms = std::move(shared.latencies_ms);
    stop = true;
    loop.join();
    row.writes = coordinator.store().writes_committed();
    row.transactions = coordinator.store().transactions_committed();
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

}  // namespace

std::string run_coordinator_bench(const CoordinatorBenchOptions& options) {
    if (options.trials < 1 || options.epochs < 1) throw Error("bench coordinator: --trials and --epochs must be >= 1");
    std::string dir = options.dir;
    if (dir.empty()) {
        char pattern[] = "/tmp/segsweep-bench-coordinator-XXXXXX";
        if (mkdtemp(pattern) == nullptr) throw Error("bench coordinator: cannot make a scratch folder under /tmp");
        dir = pattern;
    }
    std::filesystem::create_directories(dir);
    const std::string key_dir = dir + "/keys";
    if (!std::filesystem::exists(key_dir + "/coordinator.secret")) keygen_folder(key_dir, "client", false);

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
        << " epoch reports per row; CURVE over tcp loopback; SQLite WAL, synchronous=FULL (fsync per commit)\n";
    std::snprintf(line, sizeof line, "%8s %10s %18s %14s %14s %12s %13s\n", "workers", "trials/s", "durable reports/s",
                  "READY->TRIAL", "p99", "ms/trial", "commits");
    out << line;
    std::snprintf(line, sizeof line, "%8s %10s %18s %14s %14s %12s %13s\n", "", "", "", "p50 (ms)", "(ms)", "(wall)", "");
    out << line;
    for (const auto& r : rows) {
        double trials_per_s = r.trials / r.seconds;
        double reports_per_s = static_cast<double>(r.trials) * options.epochs / r.seconds;
        std::snprintf(line, sizeof line, "%8d %10.0f %18.0f %14.2f %14.2f %12.3f %13llu\n", r.workers, trials_per_s,
                      reports_per_s, percentile(r.latencies_ms, 0.5), percentile(r.latencies_ms, 0.99),
                      1000.0 * r.seconds / r.trials, static_cast<unsigned long long>(r.transactions));
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
    out << "scratch: " << dir << "\n";
    return out.str();
}

}  // namespace segsweep::coordinator
