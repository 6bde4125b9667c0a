// The coordinator verbs:
//   segsweep coordinator [--listen tcp://*:5555] [--db PATH] [--runs DIR] [--keys DIR] [--insecure]
//   segsweep worker [--coordinator ADDR] [--keys DIR] [--data DIR] [--threads N] [--exit-when-idle]
//   segsweep submit FILE | status [SWEEP] | cancel SWEEP | cancel --trial TRIAL | workers | wait SWEEP
//   (segsweep leaderboard asks the coordinator too: cli/results_commands.cpp)
//   segsweep keygen [--out DIR] [--client NAME]
//   segsweep bench coordinator
// Clients and workers find the coordinator with --coordinator, $SEGSWEEP_COORDINATOR or
// $SEGSWEEP_HOME/coordinator.endpoint, and their keys in --keys, $SEGSWEEP_KEYS or
// $SEGSWEEP_HOME/keys (SEGSWEEP_HOME defaults to ~/.segsweep).
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "cli/client_flags.h"
#include "cli/commands.h"
#include "common/coordinator_address.h"
#include "common/error.h"
#include "common/keys.h"
#include "common/log.h"
#include "common/stop_signals.h"
#include "coordinator/client.h"
#include "coordinator/coordinator.h"
#include "coordinator/coordinator_bench.h"
#include "coordinator/status_view.h"
#include "coordinator/stored_status.h"
#include "results/leaderboard.h"
#include "results/store_path.h"
#include "sweeps/sweep_text.h"
#include "worker/comm/communicator.h"
#include "worker/worker_loop.h"

namespace segsweep::cli {
namespace {

constexpr int kWaitPollMs = 1000;        // ms between STATUS polls of `segsweep wait`
constexpr int kProgressBarWidth = 30;    // characters of the wait progress bar

std::atomic<bool> g_interrupted{false};  // set by SIGINT / SIGTERM / SIGUSR2
std::atomic<int> g_signal{0};            // which one

extern "C" void on_stop_signal(int number) {
    g_signal = number;
    g_interrupted = true;
}

void install_signal_handlers(std::initializer_list<int> numbers) {
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    for (int number : numbers) sigaction(number, &action, nullptr);
}

void add_coordinator_verb(CLI::App& app) {
    struct Flags {
        std::string listen = coordinator::kDefaultListen, db, runs, keys, endpoint_file, durability = "full";
        bool insecure = false, no_endpoint_file = false;
        int heartbeat_ms = coordinator::kHeartbeatIntervalMs, liveness = coordinator::kHeartbeatLiveness;
        int lease_grace_ms = coordinator::kLeaseGraceMs, restart_grace_ms = coordinator::kRestartGraceMs;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* verb = app.add_subcommand(
        "coordinator", "Run the coordinator: hands trials to workers, records every epoch and result, answers clients");
    verb->add_option("--listen", f->listen, "ZeroMQ endpoint to bind (tcp://*:PORT, tcp://127.0.0.1:*, ipc://PATH)")
        ->capture_default_str();
    verb->add_option("--db", f->db, "Results store (default: $SEGSWEEP_DB, else results/segsweep.db)");
    verb->add_option("--runs", f->runs, "Trial folders, shared with the workers (default: <db folder>/runs)");
    verb->add_option("--keys", f->keys, "Key folder: coordinator.secret and authorized/*.pub (default: $SEGSWEEP_KEYS, "
                                         "else $SEGSWEEP_HOME/keys)");
    verb->add_flag("--insecure", f->insecure, "No CURVE and no allow-list: only on ipc:// or loopback, for demos");
    verb->add_option("--endpoint-file", f->endpoint_file,
                     "Where to publish the connectable address (default: $SEGSWEEP_HOME/coordinator.endpoint)");
    verb->add_flag("--no-endpoint-file", f->no_endpoint_file, "Publish no address file");
    verb->add_option("--heartbeat-ms", f->heartbeat_ms, "Heartbeat interval both ways, ms")->capture_default_str();
    verb->add_option("--liveness", f->liveness, "Silent intervals before a worker counts as gone")->capture_default_str();
    verb->add_option("--lease-grace-ms", f->lease_grace_ms, "How long a silent worker keeps its trial, ms")
        ->capture_default_str();
    verb->add_option("--restart-grace-ms", f->restart_grace_ms,
                     "After a restart, how long running trials wait for their workers to re-attach, ms")
        ->capture_default_str();
    verb->add_option("--durability", f->durability, "full: fsync every commit; normal: survive a crash, not a power cut")
        ->check(CLI::IsMember({"full", "normal"}))
        ->capture_default_str();
    verb->callback([f] {
        log_set_tag("coordinator");
        coordinator::CoordinatorOptions o;
        o.listen = f->listen;
        o.db_path = resolve_store_path(f->db);
        o.runs_dir = f->runs;
        o.key_dir = resolve_key_dir(f->keys);
        o.insecure = f->insecure;
        o.endpoint_file = f->no_endpoint_file ? "" : (f->endpoint_file.empty() ? default_endpoint_file() : f->endpoint_file);
        if (f->heartbeat_ms < 1 || f->liveness < 1 || f->lease_grace_ms < 1 || f->restart_grace_ms < 0)
            throw Error("--heartbeat-ms, --liveness and --lease-grace-ms must be >= 1, --restart-grace-ms >= 0");
        o.scheduler.heartbeat_interval_ms = f->heartbeat_ms;
        o.scheduler.heartbeat_liveness = f->liveness;
        o.scheduler.lease_grace_ms = f->lease_grace_ms;
        o.scheduler.restart_grace_ms = f->restart_grace_ms;
        o.durability = f->durability == "normal" ? StoreDurability::normal : StoreDurability::full;
        install_signal_handlers({SIGINT, SIGTERM, SIGUSR2});
        coordinator::Coordinator coordinator(o);
        coordinator.run(g_interrupted);
        LOG_I("stopped by %s", g_signal == SIGTERM ? "SIGTERM" : g_signal == SIGUSR2 ? "SIGUSR2" : "SIGINT");
        // Leave no stale address behind (only ours: a newer coordinator may have written its own).
        if (!o.endpoint_file.empty()) {
            std::string text;
            if (FILE* file = std::fopen(o.endpoint_file.c_str(), "r")) {
                char line[512] = {0};
                if (std::fgets(line, sizeof line, file)) text = line;
                std::fclose(file);
            }
            if (text == coordinator.address() + "\n") std::remove(o.endpoint_file.c_str());
        }
    });
}

void add_worker_verb(CLI::App& app) {
    struct Flags {
        ClientFlags client;
        std::string data, comm = "auto";
        int threads = 0, heartbeat_ms = 0, liveness = 0;
        bool exit_when_idle = false, progress = false;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* verb = app.add_subcommand(
        "worker", "Run a worker: asks the coordinator for trials and trains them here (under mpirun/srun: all ranks)");
    f->client.add(verb);
    verb->add_option("--data", f->data, "Dataset root (default: the sweep file's data)");
    verb->add_option("--threads", f->threads, "Torch threads per rank (default: the cores available)");
    verb->add_flag("--exit-when-idle", f->exit_when_idle, "Leave once every submitted trial is final");
    verb->add_option("--comm", f->comm, "Data-parallel backend: auto, single, mpi or nccl")
        ->check(CLI::IsMember(communicator_backend_names()))
        ->capture_default_str();
    verb->add_flag("--progress", f->progress, "The trainer's progress bar (on a terminal)");
    verb->add_option("--heartbeat-ms", f->heartbeat_ms, "Heartbeat interval until the coordinator sets it, ms");
    verb->add_option("--liveness", f->liveness, "Silent intervals before reconnecting, until the coordinator sets it");
    verb->callback([f] {
        // Before any thread starts (MPI's, ZeroMQ's, OpenMP's): see common/stop_signals.h.
        StopSignalListener stop_signals({SIGINT, SIGTERM, SIGUSR2}, g_interrupted, &g_signal);
        std::unique_ptr<Communicator> comm = make_communicator(f->comm);
        log_set_tag(comm->size() > 1 ? "worker rank " + std::to_string(comm->rank()) : "worker");
        worker::WorkerOptions o;
        o.data_root = f->data;
        o.threads = f->threads;
        o.exit_when_idle = f->exit_when_idle;
        o.progress_bar = f->progress;
        o.comm = comm.get();
        o.interrupt = &g_interrupted;
        o.interrupt_signal = &g_signal;
        o.heartbeat_interval_ms = f->heartbeat_ms;
        o.heartbeat_liveness = f->liveness;
        int status = 0;
        run_or_abort(*comm, [&] {
            if (comm->rank() == 0) {
                coordinator::ClientOptions client = f->client.options();
                o.address = client.address;
                o.security = load_client_security(client.key_dir, client.address, client.insecure);
                status = worker::run_worker(o);
            } else {
                status = worker::run_rank_follower(o);
            }
        });
        if (status != 0) throw Error("the worker stopped after a fatal error (see above)");
    });
}

// A sweep argument: an id ("12"), or a name, which the coordinator's status resolves to the newest
// sweep of that name it runs.
int64_t resolve_sweep_argument(coordinator::CoordinatorClient& client, const std::string& id_or_name) {
    if (!id_or_name.empty() && std::all_of(id_or_name.begin(), id_or_name.end(), [](unsigned char c) {
            return std::isdigit(c) != 0;
        })) {
        int64_t id = 0;
        const auto [end, error] = std::from_chars(id_or_name.data(), id_or_name.data() + id_or_name.size(), id);
        if (error != std::errc() || end != id_or_name.data() + id_or_name.size())
            throw Error("'" + id_or_name + "' is not a sweep id (too large)");
        return id;
    }
    const std::optional<int64_t> id = coordinator::sweep_id_by_name(client.status(std::nullopt), id_or_name);
    if (!id) throw Error("no sweep '" + id_or_name + "' on the coordinator (`segsweep status` lists them)");
    return *id;
}

void add_submit_verb(CLI::App& app) {
    struct Flags {
        ClientFlags client;
        std::string file;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* verb = app.add_subcommand("submit", "Submit a sweep file (JSON or YAML) to the coordinator; prints the sweep id");
    verb->add_option("file", f->file, "Sweep file")->required();
    f->client.add(verb);
    verb->callback([f] {
        std::string text = read_sweep_file_text(f->file);
        coordinator::CoordinatorClient client(f->client.options());
        nlohmann::json data = client.submit(text, f->file);
        for (const auto& warning : data.value("warnings", nlohmann::json::array()))
            std::fprintf(stderr, "warning: %s\n", warning.get<std::string>().c_str());
        std::fprintf(stderr, "submitted sweep %lld '%s' (%s, %d trial(s)%s)\n",
                     static_cast<long long>(data.value("sweep_id", int64_t{0})), data.value("name", std::string()).c_str(),
                     data.value("method", std::string()).c_str(), data.value("trials", 0),
                     data.value("method", std::string()) == "bayes" ? " now; more as the search asks" : "");
        std::printf("%lld\n", static_cast<long long>(data.value("sweep_id", int64_t{0})));
    });
}

void add_status_verb(CLI::App& app) {
    struct Flags {
        ClientFlags client;
        std::string sweep;
        std::string db;
        bool json = false;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* verb = app.add_subcommand("status", "Counts by state, running trials with epoch and ETA, and workers");
    verb->add_option("sweep", f->sweep, "Sweep id or name (default: every sweep the coordinator runs)");
    verb->add_flag("--json", f->json, "The coordinator's answer as JSON");
    verb->add_option("--db", f->db,
                     "Read this results store instead of asking the coordinator (when it is down): counts and the "
                     "trials recorded as running; without a sweep, every sweep still running in the store");
    f->client.add(verb);
    verb->callback([f] {
        if (!f->db.empty()) {
            ResultsStore store(resolve_store_path(f->db), {StoreOpenMode::existing, StoreDurability::full});
            std::optional<int64_t> sweep;
            if (!f->sweep.empty()) sweep = store.resolve_sweep(f->sweep).id;
            const nlohmann::json data = coordinator::stored_status_json(store, sweep);
            if (f->json) {
                std::printf("%s\n", data.dump(2).c_str());
                return;
            }
            std::printf("from the store %s, not the coordinator: a trial shown running was running when last "
                        "recorded\n",
                        store.path().c_str());
            if (data["sweeps"].empty()) std::printf("no sweep is running in the store (`segsweep sweeps` lists all)\n");
            else std::printf("%s", coordinator::status_text(data).c_str());
            return;
        }
        coordinator::CoordinatorClient client(f->client.options());
        std::optional<int64_t> sweep;
        if (!f->sweep.empty()) sweep = resolve_sweep_argument(client, f->sweep);
        nlohmann::json data = client.status(sweep);
        if (f->json) std::printf("%s\n", data.dump(2).c_str());
        else std::printf("%s", coordinator::status_text(data).c_str());
    });
}

void add_cancel_verb(CLI::App& app) {
    struct Flags {
        ClientFlags client;
        std::string id;
        bool trial = false;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* verb = app.add_subcommand("cancel", "Cancel a sweep (or, with --trial, one trial): pending trials at once, "
                                                  "running ones at their next epoch boundary");
    verb->add_option("id", f->id, "Sweep id or name (trial id with --trial)")->required();
    verb->add_flag("--trial", f->trial, "The id is a trial id");
    f->client.add(verb);
    verb->callback([f] {
        coordinator::CoordinatorClient client(f->client.options());
        int64_t trial_id = 0;
        if (f->trial) {
            const auto [end, error] = std::from_chars(f->id.data(), f->id.data() + f->id.size(), trial_id);
            if (f->id.empty() || error != std::errc() || end != f->id.data() + f->id.size() || trial_id < 1)
                throw Error("cancel --trial: '" + f->id + "' is not a trial id");
        }
        nlohmann::json data = f->trial ? client.cancel_trial(trial_id)
                                       : client.cancel_sweep(resolve_sweep_argument(client, f->id));
        std::printf("%s: %d pending trial(s) cancelled, %d running trial(s) stopping, %d already final\n",
                    data.value("cancelled", std::string()).c_str(), data.value("pending_cancelled", 0),
                    data.value("running_stopping", 0), data.value("already_final", 0));
    });
}

void add_workers_verb(CLI::App& app) {
    struct Flags {
        ClientFlags client;
        bool json = false;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* verb = app.add_subcommand("workers", "The connected workers and what they run");
    verb->add_flag("--json", f->json, "The coordinator's answer as JSON");
    f->client.add(verb);
    verb->callback([f] {
        coordinator::CoordinatorClient client(f->client.options());
        nlohmann::json data = client.workers();
        if (f->json) std::printf("%s\n", data.dump(2).c_str());
        else std::printf("%s", coordinator::workers_text(data).c_str());
    });
}

void add_wait_verb(CLI::App& app) {
    struct Flags {
        ClientFlags client;
        std::string sweep;
        int poll_ms = kWaitPollMs;
        double timeout_s = 0;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* verb = app.add_subcommand("wait", "Block until a sweep is done (a progress bar on a terminal)");
    verb->add_option("sweep", f->sweep, "Sweep id or name")->required();
    verb->add_option("--poll-ms", f->poll_ms, "Milliseconds between status polls")->capture_default_str();
    verb->add_option("--timeout", f->timeout_s, "Give up after this many seconds (0 = never)")->capture_default_str();
    f->client.add(verb);
    verb->callback([f] {
        install_signal_handlers({SIGINT, SIGTERM});
        coordinator::CoordinatorClient client(f->client.options());
        const bool tty = isatty(fileno(stderr)) != 0;
        auto start = std::chrono::steady_clock::now();
        std::string last_line;
        int64_t sweep_id = 0;  // resolved once the coordinator answers
        while (!g_interrupted) {
            try {
                if (sweep_id == 0) sweep_id = resolve_sweep_argument(client, f->sweep);
                nlohmann::json status = client.status(sweep_id);
                std::optional<nlohmann::json> sweep = coordinator::sweep_of_status(status, sweep_id);
                if (!sweep) throw Error("the coordinator does not know sweep " + f->sweep);
                // The best value of the sweep's metric (every metric name is a leaderboard sort key);
                // a sweep the coordinator only knows from its store reports no metric: final_score.
                std::optional<double> best;
                const std::string metric = sweep->value("metric", std::string("final_score"));
                if (coordinator::finished_trials(*sweep) > 0) {
                    nlohmann::json board = client.leaderboard(sweep_id, 1, metric);
                    if (!board["rows"].empty() && board["rows"][0][metric].is_number())
                        best = board["rows"][0][metric].get<double>();
                }
                std::string line = coordinator::progress_line(*sweep, best, metric, kProgressBarWidth);
                if (tty) std::fprintf(stderr, "\r%s", line.c_str());
                else if (line != last_line) std::fprintf(stderr, "%s\n", line.c_str());
                last_line = line;
                if (sweep->value("done", false)) {
                    if (tty) std::fprintf(stderr, "\n");
                    std::printf("sweep %lld done: %s\n", static_cast<long long>(sweep_id),
                                coordinator::final_counts_text(*sweep).c_str());
                    return;
                }
            } catch (const coordinator::NoReplyError& e) {
                LOG_W("%s; still waiting", e.what());
            }
            double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            if (f->timeout_s > 0 && waited > f->timeout_s)
                throw Error("sweep " + f->sweep + " not done after " + std::to_string(f->timeout_s) + " s");
            std::this_thread::sleep_for(std::chrono::milliseconds(f->poll_ms));
        }
        throw Error("interrupted");
    });
}

void add_keygen_verb(CLI::App& app) {
    struct Flags {
        std::string out, client = "client";
        bool force = false;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* verb = app.add_subcommand(
        "keygen", "Make CURVE keys: the coordinator's pair (if missing) and a client pair it accepts");
    verb->add_option("--out", f->out, "Key folder (default: $SEGSWEEP_KEYS, else $SEGSWEEP_HOME/keys)");
    verb->add_option("--client", f->client, "Name of the client pair (workers and CLI use 'client')")->capture_default_str();
    verb->add_flag("--force", f->force, "Replace existing key files");
    verb->callback([f] {
        std::string dir = resolve_key_dir(f->out);
        for (const auto& path : keygen_folder(dir, f->client, f->force)) std::printf("wrote %s\n", path.c_str());
        std::printf("keys in %s: the coordinator reads coordinator.secret and authorized/*.pub; workers and clients "
                    "read coordinator.pub and %s.secret\n",
                    dir.c_str(), f->client.c_str());
    });
}

void add_bench_verb(CLI::App& app) {
    auto options = std::make_shared<coordinator::CoordinatorBenchOptions>();
    CLI::App* verb = bench_command(app).add_subcommand(
        "coordinator", "Coordinator throughput with simulated workers (a stand-in trial reporting N epochs at once), "
                       "against Optuna on SQLite");
    verb->add_option("--workers", options->worker_counts, "Simulated worker counts")->delimiter(',')->capture_default_str();
    verb->add_option("--trials", options->trials, "Stand-in trials per worker count")->capture_default_str();
    verb->add_option("--epochs", options->epochs, "Epoch reports per stand-in trial")->capture_default_str();
    verb->add_option("--peer-trials", options->peer_trials, "Optuna no-op trials (default: --trials; 0 = skip the peer)");
    verb->add_option("--python", options->python, "Python for the Optuna peer")->capture_default_str();
    verb->add_option("--dir", options->dir, "Scratch folder, kept (default: a new temporary folder, removed at the end)");
    verb->add_flag("--keep-scratch", options->keep_scratch, "Keep the temporary scratch folder (stores, keys, logs)");
    verb->add_flag("--durability-normal", options->durability_normal,
                   "synchronous=NORMAL (no fsync per commit) instead of the coordinator's default FULL");
    verb->callback([options] { std::printf("%s", coordinator::run_coordinator_bench(*options).c_str()); });
}

}  // namespace

void add_coordinator_commands(CLI::App& app) {
    add_coordinator_verb(app);
    add_worker_verb(app);
    add_submit_verb(app);
    add_status_verb(app);
    add_cancel_verb(app);
    add_workers_verb(app);
    add_wait_verb(app);
    add_keygen_verb(app);
    add_bench_verb(app);
}

}  // namespace segsweep::cli
