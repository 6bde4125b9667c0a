// Multi-process tests with the real binary on loopback and real tiny trials (a tiny synthetic
// dataset from `segsweep data synth`):
//   - end to end: `segsweep coordinator`, two `segsweep worker`s, submit, wait, status;
//   - the kill test: SIGKILL a worker mid-trial and the coordinator mid-sweep (`status --db` reads
//     the store meanwhile), restart the coordinator, and every trial still ends completed with
//     exactly one result row;
//   - the auth test: a client and a worker with an unknown key are refused and change nothing;
//     a coordinator without keys refuses to start;
//   - `segsweep leaderboard` answered by the coordinator renders exactly what `--db` reads from
//     the store, and marks a stopped_early trial with its epochs run of epochs planned; `segsweep
//     wait` on a terminal draws its progress bar in place with the best score;
//   - sweep-level early stopping: the coordinator stops trials by hyperband after their EPOCH
//     reports, exactly where the sweeps/ policy replayed on the stored curves says, and each
//     stopped trial still gets its final score; metric.target finishes the sweep at the first
//     epoch that reaches it;
//   - `segsweep status / cancel / wait` take a sweep name as well as an id: cancelling a sweep by
//     name stops its running trial and cancels the pending ones unrun.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <thread>

#include "coordinator/client.h"
#include "process_helpers.h"
#include "tiny_sweep.h"
#include "results/results_store.h"
#include "sweeps/early_stopping.h"
#include "sweeps/sweep_parser.h"

namespace segsweep::testing {
namespace {

constexpr int kCommandTimeoutMs = 60000;   // ms for short CLI commands (synth, submit, status)
constexpr int kSweepTimeoutS = 240;        // s for a whole tiny sweep on 2 busy cores
constexpr const char* kHeartbeatMs = "200";
constexpr const char* kLiveness = "3";
constexpr const char* kLeaseGraceMs = "2000";
constexpr const char* kRestartGraceMs = "4000";

std::string test_root() { return std::string(SEGSWEEP_TEST_TMP) + "/processes"; }

const std::string& dataset() {
    static const std::string root = [] {
        std::string dir = test_root() + "/dataset";
        if (!std::filesystem::exists(dir + "/complete")) {
            std::filesystem::remove_all(dir);
            std::filesystem::create_directories(test_root());
            CommandResult r = run_segsweep({"data", "synth", "--out", dir, "--train", "16", "--validation", "8", "--eval",
                                            "9", "--size", "64", "--seed", "5", "--threads", "2"},
                                           test_root() + "/synth.log", kCommandTimeoutMs);
            if (r.status != 0) throw std::runtime_error("segsweep data synth failed: " + r.output);
            std::ofstream(dir + "/complete") << "ok\n";
        }
        return dir;
    }();
    return root;
}

std::string write_sweep(const std::string& dir, int trials, int epochs) {
    nlohmann::json sweep = tiny_sweep_json("process-test", dataset(), learning_rate_steps(trials, 0.002), epochs);
    sweep["resources"] = {{"gpus_per_trial", 1}};
    sweep["max_restarts"] = 3;
    std::string path = dir + "/sweep.json";
    std::ofstream(path) << sweep.dump(2);
    return path;
}

// One scratch folder with keys, a fixed port and the environment every process of a test shares.
struct ProcessSetup {
    std::string dir;
    std::string keys;
    std::string address;
    std::string db;
    std::map<std::string, std::string> env;

    explicit ProcessSetup(const std::string& name) {
        dir = test_root() + "/" + name;
        std::filesystem::remove_all(dir);
        std::filesystem::create_directories(dir);
        keys = dir + "/keys";
        db = dir + "/store.db";
        address = "tcp://127.0.0.1:" + std::to_string(free_tcp_port());
        env = {{"SEGSWEEP_HOME", dir + "/home"},
               {"SEGSWEEP_CACHE_DIR", test_root() + "/cache"},
               {"OMP_NUM_THREADS", "1"}};
        CommandResult r = run_segsweep({"keygen", "--out", keys}, dir + "/keygen.log", kCommandTimeoutMs, env);
        if (r.status != 0) throw std::runtime_error("keygen failed: " + r.output);
    }

    std::unique_ptr<ChildProcess> coordinator(const std::string& log_name) const {
        return std::make_unique<ChildProcess>(
            std::vector<std::string>{"coordinator", "--listen", address, "--db", db, "--keys", keys, "--heartbeat-ms",
                                     kHeartbeatMs, "--liveness", kLiveness, "--lease-grace-ms", kLeaseGraceMs,
                                     "--restart-grace-ms", kRestartGraceMs},
            dir + "/" + log_name, env);
    }

    std::unique_ptr<ChildProcess> worker(const std::string& log_name, const std::string& key_dir = "") const {
        return std::make_unique<ChildProcess>(
            std::vector<std::string>{"worker", "--coordinator", address, "--keys", key_dir.empty() ? keys : key_dir,
                                     "--exit-when-idle", "--threads", "1", "--heartbeat-ms", kHeartbeatMs, "--liveness",
                                     kLiveness},
            dir + "/" + log_name, env);
    }

    CommandResult cli(std::vector<std::string> args, const std::string& log_name, const std::string& key_dir = "") const {
        args.insert(args.end(), {"--coordinator", address, "--keys", key_dir.empty() ? keys : key_dir});
        return run_segsweep(args, dir + "/" + log_name, kCommandTimeoutMs, env);
    }

    coordinator::CoordinatorClient client() const {
        coordinator::ClientOptions o;
        o.address = address;
        o.key_dir = keys;
        o.timeout_ms = 2000;
        o.retries = 1;
        return coordinator::CoordinatorClient(o);
    }
};

bool eventually(const std::function<bool()>& done, int timeout_s) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
    while (std::chrono::steady_clock::now() < deadline) {
        if (done()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return false;
}

// STATUS of one sweep, or null while the coordinator does not answer (it may be restarting).
nlohmann::json try_status(const ProcessSetup& s, int64_t sweep_id) {
    try {
        return s.client().status(sweep_id);
    } catch (const coordinator::NoReplyError&) {
        return nullptr;
    }
}

// Result rows per trial, straight from SQLite.
std::map<int64_t, int> result_rows(const std::string& db) {
    std::map<int64_t, int> rows;
    sqlite3* handle = nullptr;
    if (sqlite3_open_v2(db.c_str(), &handle, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) return rows;
    sqlite3_stmt* statement = nullptr;
    sqlite3_prepare_v2(handle, "SELECT trial_id, COUNT(*) FROM results GROUP BY trial_id", -1, &statement, nullptr);
    while (sqlite3_step(statement) == SQLITE_ROW)
        rows[sqlite3_column_int64(statement, 0)] = sqlite3_column_int(statement, 1);
    sqlite3_finalize(statement);
    sqlite3_close(handle);
    return rows;
}

// `segsweep submit` prints the sweep id alone on its last line (stdout).
int64_t submitted_sweep_id(const std::string& output) {
    std::string text = output;
    while (!text.empty() && text.back() == '\n') text.pop_back();
    auto start = text.find_last_of('\n');
    return std::stoll(text.substr(start == std::string::npos ? 0 : start + 1));
}

int64_t pid_of_worker(const std::string& worker_id) {
    auto first = worker_id.find(':');
    auto second = worker_id.find(':', first + 1);
    return std::stoll(worker_id.substr(first + 1, second - first - 1));
}

// Writes a sweep file (one GPU a trial, as a cluster sweep asks) into the test's folder.
std::string write_sweep_json(const ProcessSetup& s, nlohmann::json sweep, const std::string& file_name) {
    sweep["resources"] = {{"gpus_per_trial", 1}};
    const std::string path = s.dir + "/" + file_name;
    std::ofstream(path) << sweep.dump(2);
    return path;
}

// Submits a sweep file and waits until its sweep is done: the sweep id, or 0 after a test failure.
int64_t submit_and_wait(const ProcessSetup& s, const std::string& sweep_path, ChildProcess& coordinator,
                        ChildProcess& worker) {
    CommandResult submitted = s.cli({"submit", sweep_path}, "submit.log");
    if (submitted.status != 0) {
        ADD_FAILURE() << "submit failed: " << submitted.output << coordinator.log();
        return 0;
    }
    const int64_t sweep_id = submitted_sweep_id(submitted.output);
    CommandResult waited = s.cli({"wait", std::to_string(sweep_id), "--timeout", std::to_string(kSweepTimeoutS)}, "wait.log");
    if (waited.status != 0) {
        ADD_FAILURE() << "wait failed: " << waited.output << coordinator.log() << worker.log();
        return 0;
    }
    return sweep_id;
}

// The worker leaves by itself (--exit-when-idle); the coordinator stops cleanly on SIGTERM.
void expect_clean_shutdown(ChildProcess& worker, ChildProcess& coordinator) {
    EXPECT_EQ(worker.wait(30000), 0) << worker.log();
    coordinator.signal(SIGTERM);
    EXPECT_EQ(coordinator.wait(30000), 0) << coordinator.log();
}

class Processes : public ::testing::Test {
protected:
    void SetUp() override { dataset(); }
};

TEST_F(Processes, CoordinatorAndTwoWorkersRunASweepEndToEnd) {
    ProcessSetup s("end-to-end");
    auto coordinator = s.coordinator("coordinator.log");
    auto first = s.worker("worker-1.log");  // workers may start before any sweep exists
    auto second = s.worker("worker-2.log");
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    CommandResult submitted = s.cli({"submit", write_sweep(s.dir, 4, 2)}, "submit.log");
    ASSERT_EQ(submitted.status, 0) << submitted.output << coordinator->log();
    int64_t sweep_id = submitted_sweep_id(submitted.output);
    ASSERT_GT(sweep_id, 0) << submitted.output;

    CommandResult waited = s.cli({"wait", std::to_string(sweep_id), "--timeout", std::to_string(kSweepTimeoutS)}, "wait.log");
    ASSERT_EQ(waited.status, 0) << waited.output << coordinator->log();
    EXPECT_NE(waited.output.find("done: 4 completed"), std::string::npos) << waited.output;

    CommandResult status = s.cli({"status", std::to_string(sweep_id)}, "status.log");
    EXPECT_EQ(status.status, 0) << status.output;
    EXPECT_NE(status.output.find("4 trials: 4 completed"), std::string::npos) << status.output;

    EXPECT_EQ(first->wait(30000), 0) << first->log();   // --exit-when-idle: both leave by themselves
    EXPECT_EQ(second->wait(30000), 0) << second->log();
    coordinator->signal(SIGTERM);
    EXPECT_EQ(coordinator->wait(30000), 0) << coordinator->log();
    EXPECT_FALSE(std::filesystem::exists(s.dir + "/home/coordinator.endpoint"));  // cleaned up

    ResultsStore store(s.db, {StoreOpenMode::existing, StoreDurability::full});
    std::set<std::string> workers_used;
    for (const auto& t : store.list_trials(sweep_id)) {
        EXPECT_EQ(t.state, TrialState::completed);
        EXPECT_EQ(store.trial_curve(t.id).size(), 2u);
        for (const auto& a : store.attempts(t.id)) workers_used.insert(a.worker_id);
    }
    EXPECT_EQ(workers_used.size(), 2u);  // both workers trained
    EXPECT_EQ(result_rows(s.db).size(), 4u);
}

TEST_F(Processes, KilledWorkerAndKilledCoordinatorLoseNothingAndRecordNothingTwice) {
    ProcessSetup s("kill");
    // 120 tiny epochs: about 2 s a trial on a quiet core, so each status poll (every 200 ms) has
    // many chances to see a trial mid-run (30 epochs took 0.5 s: a fast machine could slip past).
    const int trials = 4, epochs = 120;
    auto coordinator = s.coordinator("coordinator-1.log");
    std::vector<std::unique_ptr<ChildProcess>> workers;
    workers.push_back(s.worker("worker-1.log"));
    workers.push_back(s.worker("worker-2.log"));
    CommandResult submitted = s.cli({"submit", write_sweep(s.dir, trials, epochs)}, "submit.log");
    ASSERT_EQ(submitted.status, 0) << submitted.output;
    int64_t sweep_id = submitted_sweep_id(submitted.output);

    // 1. SIGKILL a worker in the middle of its trial.
    int64_t victim_trial = 0;
    int victim_attempt = 0;
    int64_t victim_pid = 0;
    ASSERT_TRUE(eventually(
        [&] {
            nlohmann::json status = try_status(s, sweep_id);
            if (status.is_null()) return false;
            for (const auto& r : status["running"])
                if (r["epoch"].get<int>() >= 1 && r["epoch"].get<int>() < epochs) {
                    victim_trial = r["trial_id"];
                    victim_attempt = r["attempt"];
                    victim_pid = pid_of_worker(r["worker_id"]);
                    return true;
                }
            return false;
        },
        kSweepTimeoutS))
        << coordinator->log();
    for (auto& w : workers)
        if (w->pid() == victim_pid) w->signal(SIGKILL);
    workers.push_back(s.worker("worker-3.log"));  // a replacement, as a cluster would start

    // 2. SIGKILL the coordinator mid-sweep (once the killed trial runs again), then restart it.
    ASSERT_TRUE(eventually(
        [&] {
            nlohmann::json status = try_status(s, sweep_id);
            if (status.is_null()) return false;
            for (const auto& r : status["running"])
                if (r["trial_id"] == victim_trial && r["attempt"].get<int>() > victim_attempt && r["epoch"].get<int>() >= 1)
                    return true;
            return false;
        },
        kSweepTimeoutS))
        << coordinator->log();
    coordinator->signal(SIGKILL);
    ASSERT_EQ(coordinator->wait(10000), 128 + SIGKILL);
    // While it is down, `segsweep status --db` reads the store. (Which trials it shows running
    // depends on what was committed before the kill, so only the sweep's line is checked.)
    CommandResult stored = run_segsweep({"status", std::to_string(sweep_id), "--db", s.db}, s.dir + "/status-db.log",
                                        kCommandTimeoutMs, s.env);
    EXPECT_EQ(stored.status, 0) << stored.output;
    EXPECT_NE(stored.output.find("from the store " + s.db + ", not the coordinator"), std::string::npos)
        << stored.output;
    EXPECT_NE(stored.output.find("'process-test' (running): 4 trials"), std::string::npos) << stored.output;
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    auto restarted = s.coordinator("coordinator-2.log");

    // 3. Every trial ends completed.
    ASSERT_TRUE(eventually(
        [&] {
            nlohmann::json status = try_status(s, sweep_id);
            return !status.is_null() && !status["sweeps"].empty() && status["sweeps"][0]["done"].get<bool>();
        },
        kSweepTimeoutS))
        << restarted->log();
    for (auto& w : workers) {
        if (w->pid() != victim_pid) {
            EXPECT_EQ(w->wait(30000), 0) << w->log();
        }
    }
    restarted->signal(SIGTERM);
    EXPECT_EQ(restarted->wait(30000), 0) << restarted->log();
    EXPECT_NE(restarted->log().find("reloaded sweep"), std::string::npos);

    ResultsStore store(s.db, {StoreOpenMode::existing, StoreDurability::full});
    auto rows = result_rows(s.db);
    auto all = store.list_trials(sweep_id);
    ASSERT_EQ(all.size(), static_cast<size_t>(trials));
    for (const auto& t : all) {
        EXPECT_EQ(t.state, TrialState::completed) << "trial " << t.id;
        EXPECT_EQ(rows[t.id], 1) << "trial " << t.id;  // exactly one result row
        EXPECT_EQ(store.trial_curve(t.id).size(), static_cast<size_t>(epochs)) << "trial " << t.id;
    }
    auto victim = store.find_trial(victim_trial);
    ASSERT_TRUE(victim.has_value());
    EXPECT_GT(victim->attempt, victim_attempt);
    EXPECT_GE(victim->restarts, 1);
    bool killed_attempt_lost = false;
    for (const auto& a : store.attempts(victim_trial))
        if (a.attempt == victim_attempt) killed_attempt_lost = a.outcome == AttemptOutcome::lost;
    EXPECT_TRUE(killed_attempt_lost);
}

TEST_F(Processes, UnknownKeysAreRefusedAndChangeNothing) {
    ProcessSetup s("auth");
    auto coordinator = s.coordinator("coordinator.log");
    // The stranger knows the coordinator's public key but its own key is not authorized.
    std::string stranger = s.dir + "/stranger-keys";
    ASSERT_EQ(run_segsweep({"keygen", "--out", stranger}, s.dir + "/keygen-stranger.log", kCommandTimeoutMs, s.env).status, 0);
    std::filesystem::copy_file(s.keys + "/coordinator.pub", stranger + "/coordinator.pub",
                               std::filesystem::copy_options::overwrite_existing);

    CommandResult submitted = s.cli({"submit", write_sweep(s.dir, 2, 1)}, "submit-stranger.log", stranger);
    EXPECT_EQ(submitted.status, 1) << submitted.output;
    EXPECT_NE(submitted.output.find("refused our key"), std::string::npos) << submitted.output;

    auto intruder = s.worker("worker-stranger.log", stranger);
    EXPECT_EQ(intruder->wait(30000), 1) << intruder->log();
    EXPECT_NE(intruder->log().find("refused our key"), std::string::npos) << intruder->log();

    CommandResult workers = s.cli({"workers"}, "workers.log");
    EXPECT_EQ(workers.status, 0) << workers.output;
    EXPECT_NE(workers.output.find("no workers connected"), std::string::npos) << workers.output;
    CommandResult status = s.cli({"status"}, "status.log");
    EXPECT_NE(status.output.find("no sweeps on this coordinator"), std::string::npos) << status.output;
    EXPECT_NE(coordinator->log().find("not in the allow-list"), std::string::npos) << coordinator->log();

    coordinator->signal(SIGTERM);
    EXPECT_EQ(coordinator->wait(30000), 0) << coordinator->log();
    ResultsStore store(s.db, {StoreOpenMode::existing, StoreDurability::full});
    EXPECT_TRUE(store.list_sweeps().empty());

    // Without keys the coordinator refuses to start and says how to make them.
    CommandResult closed = run_segsweep({"coordinator", "--listen", s.address, "--db", s.dir + "/other.db", "--keys",
                                         s.dir + "/missing-keys"},
                                        s.dir + "/coordinator-nokeys.log", kCommandTimeoutMs, s.env);
    EXPECT_EQ(closed.status, 1) << closed.output;
    EXPECT_NE(closed.output.find("segsweep keygen --out"), std::string::npos) << closed.output;
}

// Two trials of 4 epochs: patience 0 never stops early; patience 1 with a min_delta no loss can beat
// stops after epoch 2 (epoch 1 sets the best, epoch 2 does not improve on it).
std::string write_early_stopping_sweep(const ProcessSetup& s) {
    nlohmann::json sweep = tiny_sweep_json("leaderboard-test", dataset(), {0.001}, 4);
    sweep["parameters"]["patience"] = {{"values", {0, 1}}};
    sweep["parameters"]["min_delta"] = {{"value", 1e6}};
    return write_sweep_json(s, sweep, "leaderboard-sweep.json");
}

TEST_F(Processes, LeaderboardAnsweredByTheCoordinatorMatchesTheStoreAndMarksEarlyStops) {
    ProcessSetup s("leaderboard");
    auto coordinator = s.coordinator("coordinator.log");
    auto worker = s.worker("worker.log");
    CommandResult submitted = s.cli({"submit", write_early_stopping_sweep(s)}, "submit.log");
    ASSERT_EQ(submitted.status, 0) << submitted.output << coordinator->log();
    const std::string sweep = std::to_string(submitted_sweep_id(submitted.output));
    CommandResult waited = s.cli({"wait", sweep, "--timeout", std::to_string(kSweepTimeoutS)}, "wait.log");
    ASSERT_EQ(waited.status, 0) << waited.output << coordinator->log() << worker->log();
    EXPECT_NE(waited.output.find("1 completed, 1 stopped_early"), std::string::npos) << waited.output;

    // No store reachable without --db: whatever answers without it is the coordinator.
    std::map<std::string, std::string> env = s.env;
    env["SEGSWEEP_DB"] = s.dir + "/no-such-store.db";
    const auto from_coordinator = [&](std::vector<std::string> args, const std::string& log) {
        args.insert(args.end(), {"--coordinator", s.address, "--keys", s.keys});
        return run_segsweep(args, s.dir + "/" + log, kCommandTimeoutMs, env);
    };
    const auto from_store = [&](std::vector<std::string> args, const std::string& log) {
        args.insert(args.end(), {"--db", s.db});
        return run_segsweep(args, s.dir + "/" + log, kCommandTimeoutMs, env);
    };

    for (const char* format : {"table", "json", "csv"}) {
        CommandResult asked = from_coordinator({"leaderboard", sweep, "--format", format}, std::string("asked.") + format);
        CommandResult read = from_store({"leaderboard", sweep, "--format", format}, std::string("read.") + format);
        ASSERT_EQ(asked.status, 0) << asked.output << coordinator->log();
        ASSERT_EQ(read.status, 0) << read.output;
        EXPECT_EQ(asked.output, read.output) << format;
    }

    CommandResult table = from_coordinator({"leaderboard", "leaderboard-test"}, "by-name.log");  // by name
    ASSERT_EQ(table.status, 0) << table.output;
    EXPECT_EQ(table.output, from_store({"leaderboard", "leaderboard-test"}, "by-name-store.log").output);
    EXPECT_NE(table.output.find("sweep " + sweep + " 'leaderboard-test' (finished, 2 trials: 1 completed, 1 "
                                "stopped_early): top 10 by final_score"),
              std::string::npos)
        << table.output;
    std::map<std::string, std::string> states_by_epochs;  // "2/4" -> "stopped_early"
    std::istringstream lines(table.output);
    for (std::string line; std::getline(lines, line);) {
        for (const char* epochs : {" 2/4 ", " 4/4 "})
            if (line.find(epochs) != std::string::npos)
                states_by_epochs[epochs] = line.find("stopped_early") != std::string::npos ? "stopped_early"
                                           : line.find("completed") != std::string::npos ? "completed"
                                                                                          : line;
    }
    EXPECT_EQ(states_by_epochs[" 2/4 "], "stopped_early") << table.output;
    EXPECT_EQ(states_by_epochs[" 4/4 "], "completed") << table.output;

    // The address from $SEGSWEEP_HOME/coordinator.endpoint (the coordinator wrote it), keys from $SEGSWEEP_KEYS.
    std::map<std::string, std::string> implicit_env = env;
    implicit_env["SEGSWEEP_KEYS"] = s.keys;
    CommandResult implicit = run_segsweep({"leaderboard", sweep}, s.dir + "/implicit.log", kCommandTimeoutMs, implicit_env);
    EXPECT_EQ(implicit.status, 0) << implicit.output;
    EXPECT_EQ(implicit.output, table.output);

    // `segsweep wait` on a terminal: the progress bar, redrawn in place, with the best score so far.
    CommandResult on_terminal = run_segsweep_on_terminal(
        {"wait", sweep, "--coordinator", s.address, "--keys", s.keys, "--timeout", "60"}, kCommandTimeoutMs, env);
    EXPECT_EQ(on_terminal.status, 0) << on_terminal.output;
    EXPECT_NE(on_terminal.output.find("\r[##############################] 2/2 trials final, 0 running, best final_score "),
              std::string::npos)
        << on_terminal.output;

    CommandResult unknown = from_coordinator({"leaderboard", "no-such-sweep"}, "unknown.log");
    EXPECT_EQ(unknown.status, 1) << unknown.output;
    EXPECT_NE(unknown.output.find("no sweep 'no-such-sweep'"), std::string::npos) << unknown.output;

    EXPECT_EQ(worker->wait(30000), 0) << worker->log();
    coordinator->signal(SIGTERM);
    EXPECT_EQ(coordinator->wait(30000), 0) << coordinator->log();
}

// Five trials of 4 epochs, learning rates from fast to slow, under hyperband (min_iter 1, eta 3:
// bands 1 and 3), sweep metric final_score (epochs judged on val_loss). One worker runs them in
// trial order, so the policy replayed on the stored curves in that order must take exactly the
// coordinator's decisions.
TEST_F(Processes, HyperbandStopsTrialsWhereThePolicySaysAndTheyStillGetAScore) {
    ProcessSetup s("hyperband");
    nlohmann::json sweep_json =
        tiny_sweep_json("hyperband-test", dataset(), {0.05, 0.02, 0.005, 0.001, 0.0001}, 4);
    sweep_json["metric"] = {{"name", "final_score"}, {"goal", "maximize"}};
    sweep_json["early_terminate"] = {{"type", "hyperband"}, {"min_iter", 1}, {"eta", 3}};
    const std::string sweep_path = write_sweep_json(s, sweep_json, "hyperband-sweep.json");

    auto coordinator = s.coordinator("coordinator.log");
    auto worker = s.worker("worker.log");
    const int64_t sweep_id = submit_and_wait(s, sweep_path, *coordinator, *worker);
    ASSERT_GT(sweep_id, 0);
    CommandResult table = s.cli({"leaderboard", std::to_string(sweep_id)}, "leaderboard.log");
    ASSERT_EQ(table.status, 0) << table.output;
    expect_clean_shutdown(*worker, *coordinator);

    ResultsStore store(s.db, {StoreOpenMode::existing, StoreDurability::full});
    EarlyStopper policy(parse_sweep_file(sweep_path));
    int stopped = 0;
    for (const auto& trial : store.list_trials(sweep_id)) {
        const std::vector<EpochMetrics> curve = store.trial_curve(trial.id);
        ASSERT_FALSE(curve.empty()) << "trial " << trial.id;
        int expected_epochs = 0;
        bool expected_stop = false;
        for (const auto& epoch : curve) {
            expected_epochs = epoch.epoch;
            if (policy.on_epoch(trial.id, 1, epoch).stop) {
                expected_stop = true;
                break;
            }
        }
        policy.observe_finished(trial.id);
        EXPECT_EQ(static_cast<int>(curve.size()), expected_epochs) << "trial " << trial.id << " ran on after its stop";
        const auto result = store.find_result(trial.id);
        ASSERT_TRUE(result.has_value()) << "trial " << trial.id;
        ASSERT_TRUE(result->score.has_value()) << "trial " << trial.id << ": no final score";
        EXPECT_EQ(result->epochs_run, expected_epochs);
        if (expected_stop && expected_epochs < 4) {
            ++stopped;
            EXPECT_EQ(trial.state, TrialState::stopped_early) << trial.message;
            EXPECT_NE(trial.message.find("hyperband"), std::string::npos) << trial.message;
            // The leaderboard row: stopped_early, epochs run of epochs planned.
            std::string epochs_column(" ");
            epochs_column += std::to_string(expected_epochs);
            epochs_column += "/4 ";
            bool row_found = false;
            std::istringstream lines(table.output);
            for (std::string line; std::getline(lines, line);)
                if (line.find(epochs_column) != std::string::npos &&
                    line.find("stopped_early") != std::string::npos)
                    row_found = true;
            EXPECT_TRUE(row_found) << table.output;
        } else {
            EXPECT_EQ(trial.state, TrialState::completed) << trial.message;
            EXPECT_EQ(expected_epochs, 4);
        }
    }
    // Slower learning rates come later and lose at band 1 or 3: some trial must have been stopped.
    EXPECT_GE(stopped, 1) << table.output << coordinator->log();
}

// metric.target: val_loss at most 100 (any finite loss) is reached by the first epoch of the first
// trial. The sweep finishes there: that trial is stopped (and still scored), the pending ones are
// cancelled without running.
TEST_F(Processes, MetricTargetFinishesTheSweepAtTheFirstEpochThatReachesIt) {
    ProcessSetup s("target");
    nlohmann::json sweep_json = tiny_sweep_json("target-test", dataset(), learning_rate_steps(4, 0.01), 4);
    sweep_json["metric"] = {{"name", "val_loss"}, {"goal", "minimize"}, {"target", 100}};
    const std::string sweep_path = write_sweep_json(s, sweep_json, "target-sweep.json");

    auto coordinator = s.coordinator("coordinator.log");
    auto worker = s.worker("worker.log");
    const int64_t sweep_id = submit_and_wait(s, sweep_path, *coordinator, *worker);
    ASSERT_GT(sweep_id, 0);
    expect_clean_shutdown(*worker, *coordinator);
    // `segsweep wait` showed the best of the sweep's own metric.
    std::ifstream wait_log(s.dir + "/wait.log");
    const std::string waited((std::istreambuf_iterator<char>(wait_log)), std::istreambuf_iterator<char>());
    EXPECT_NE(waited.find("trials final, 0 running, best val_loss "), std::string::npos) << waited;

    ResultsStore store(s.db, {StoreOpenMode::existing, StoreDurability::full});
    const auto sweep = store.find_sweep(sweep_id);
    ASSERT_TRUE(sweep.has_value());
    EXPECT_EQ(sweep->state, SweepState::finished);
    const auto trials = store.list_trials(sweep_id);
    ASSERT_EQ(trials.size(), 4u);
    EXPECT_EQ(trials[0].state, TrialState::stopped_early) << trials[0].message;
    EXPECT_NE(trials[0].message.find("reached metric.target (val_loss"), std::string::npos) << trials[0].message;
    EXPECT_EQ(store.trial_curve(trials[0].id).size(), 1u);
    const auto result = store.find_result(trials[0].id);
    ASSERT_TRUE(result.has_value());
    EXPECT_TRUE(result->score.has_value());
    EXPECT_EQ(result->epochs_run, 1);
    for (size_t i = 1; i < trials.size(); ++i) {
        EXPECT_EQ(trials[i].state, TrialState::cancelled) << trials[i].message;
        EXPECT_EQ(trials[i].attempt, 0) << "trial " << trials[i].id << " ran";
        EXPECT_NE(trials[i].message.find("sweep finished"), std::string::npos) << trials[i].message;
    }
    EXPECT_EQ(result_rows(s.db).size(), 1u);
}

// A sweep of three long trials on one worker, cancelled by name while the first one runs.
TEST_F(Processes, CancelByNameStopsTheRunningTrialAndCancelsThePendingOnes) {
    ProcessSetup s("cancel");
    const std::string sweep_path = write_sweep_json(
        s, tiny_sweep_json("cancel-test", dataset(), learning_rate_steps(3, 0.01), 2000), "cancel-sweep.json");

    auto coordinator = s.coordinator("coordinator.log");
    auto worker = s.worker("worker.log");
    CommandResult submitted = s.cli({"submit", sweep_path}, "submit.log");
    ASSERT_EQ(submitted.status, 0) << submitted.output << coordinator->log();
    const int64_t sweep_id = submitted_sweep_id(submitted.output);
    ASSERT_TRUE(eventually(
        [&] {
            nlohmann::json status = try_status(s, sweep_id);
            return !status.is_null() && !status["running"].empty() && status["running"][0]["epoch"].get<int>() >= 1;
        },
        kSweepTimeoutS))
        << coordinator->log();

    CommandResult status = s.cli({"status", "cancel-test"}, "status.log");
    EXPECT_EQ(status.status, 0) << status.output;
    EXPECT_NE(status.output.find("sweep " + std::to_string(sweep_id) + " 'cancel-test'"), std::string::npos)
        << status.output;
    CommandResult unknown = s.cli({"cancel", "no-such-sweep"}, "unknown.log");
    EXPECT_EQ(unknown.status, 1) << unknown.output;
    EXPECT_NE(unknown.output.find("no sweep 'no-such-sweep' on the coordinator"), std::string::npos) << unknown.output;
    CommandResult bad_trial = s.cli({"cancel", "--trial", "x1"}, "bad-trial.log");
    EXPECT_EQ(bad_trial.status, 1) << bad_trial.output;
    EXPECT_NE(bad_trial.output.find("cancel --trial: 'x1' is not a trial id"), std::string::npos) << bad_trial.output;
    CommandResult huge = s.cli({"status", "99999999999999999999999"}, "huge.log");
    EXPECT_EQ(huge.status, 1) << huge.output;
    EXPECT_NE(huge.output.find("is not a sweep id (too large)"), std::string::npos) << huge.output;

    CommandResult cancelled = s.cli({"cancel", "cancel-test"}, "cancel.log");
    ASSERT_EQ(cancelled.status, 0) << cancelled.output << coordinator->log();
    EXPECT_NE(cancelled.output.find("2 pending trial(s) cancelled, 1 running trial(s) stopping"), std::string::npos)
        << cancelled.output;
    CommandResult waited = s.cli({"wait", "cancel-test", "--timeout", std::to_string(kSweepTimeoutS)}, "wait.log");
    ASSERT_EQ(waited.status, 0) << waited.output << coordinator->log() << worker->log();
    EXPECT_NE(waited.output.find("sweep " + std::to_string(sweep_id) + " done: 3 cancelled"), std::string::npos)
        << waited.output;
    expect_clean_shutdown(*worker, *coordinator);

    ResultsStore store(s.db, {StoreOpenMode::existing, StoreDurability::full});
    const auto trials = store.list_trials(sweep_id);
    ASSERT_EQ(trials.size(), 3u);
    EXPECT_EQ(trials[0].state, TrialState::cancelled) << trials[0].message;
    EXPECT_LT(static_cast<int>(store.trial_curve(trials[0].id).size()), 2000);
    for (size_t i = 1; i < trials.size(); ++i) {
        EXPECT_EQ(trials[i].state, TrialState::cancelled) << trials[i].message;
        EXPECT_EQ(trials[i].attempt, 0) << "trial " << trials[i].id << " ran";
    }
}

}  // namespace
}  // namespace segsweep::testing
