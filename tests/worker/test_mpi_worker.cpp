// A 2-rank worker as a real process tree: `mpirun -n 2 --oversubscribe segsweep worker
// --exit-when-idle` completes a tiny trial from a real `segsweep coordinator` process on loopback.
// The worker announces 2 ranks, the trial ends completed with exactly one result row, and nothing
// of the test (mpirun, its ranks, the coordinator) is left running afterwards.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "../coordinator/process_helpers.h"
#include "../coordinator/tiny_sweep.h"
#include "results/results_store.h"

namespace segsweep::testing {
namespace {

constexpr int kCommandTimeoutMs = 60000;  // ms for short CLI commands (synth, keygen, submit)
constexpr int kWorkerTimeoutMs = 120000;  // ms for the whole 2-rank trial; seconds normally, this is a hang
constexpr int kStopTimeoutMs = 30000;     // ms for the coordinator to stop on SIGTERM
constexpr int kTrialEpochs = 2;

// The run's scratch folder, with a tiny dataset of its own.
struct MpiWorkerSetup {
    std::string dir = std::string(SEGSWEEP_TEST_TMP) + "/mpi-worker";
    std::string keys = dir + "/keys";
    std::string db = dir + "/store.db";
    std::string data = dir + "/dataset";
    std::string address = "tcp://127.0.0.1:" + std::to_string(free_tcp_port());
    std::map<std::string, std::string> env = {{"SEGSWEEP_HOME", dir + "/home"},
                                              {"SEGSWEEP_CACHE_DIR", dir + "/cache"},
                                              {"OMP_NUM_THREADS", "1"},
                                              {"OMPI_ALLOW_RUN_AS_ROOT", "1"},
                                              {"OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1"},
                                              {"OMPI_MCA_rmaps_base_oversubscribe", "1"}};

    void prepare() {
        std::filesystem::remove_all(dir);
        std::filesystem::create_directories(dir);
        CommandResult synth = run_segsweep({"data", "synth", "--out", data, "--train", "16", "--validation", "8",
                                            "--eval", "9", "--size", "64", "--seed", "7", "--threads", "1"},
                                           dir + "/synth.log", kCommandTimeoutMs, env);
        ASSERT_EQ(synth.status, 0) << synth.output;
        CommandResult keygen = run_segsweep({"keygen", "--out", keys}, dir + "/keygen.log", kCommandTimeoutMs, env);
        ASSERT_EQ(keygen.status, 0) << keygen.output;
    }

    std::string write_sweep() const {
        nlohmann::json sweep = tiny_sweep_json("mpi-worker-test", data, {0.002}, kTrialEpochs);
        std::string path = dir + "/sweep.json";
        std::ofstream(path) << sweep.dump(2);
        return path;
    }
};

int result_rows_of(const std::string& db, int64_t trial_id) {
    sqlite3* handle = nullptr;
    int rows = -1;
    if (sqlite3_open_v2(db.c_str(), &handle, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
        sqlite3_stmt* statement = nullptr;
        if (sqlite3_prepare_v2(handle, "SELECT COUNT(*) FROM results WHERE trial_id = ?1", -1, &statement, nullptr) ==
            SQLITE_OK) {
            sqlite3_bind_int64(statement, 1, trial_id);
            if (sqlite3_step(statement) == SQLITE_ROW) rows = sqlite3_column_int(statement, 0);
        }
        sqlite3_finalize(statement);
    }
    sqlite3_close(handle);
    return rows;
}

TEST(MpiWorker, TwoRankWorkerCompletesATrialFromARealCoordinator) {
    MpiWorkerSetup s;
    ASSERT_NO_FATAL_FAILURE(s.prepare());
    auto coordinator = std::make_unique<ChildProcess>(
        std::vector<std::string>{"coordinator", "--listen", s.address, "--db", s.db, "--keys", s.keys},
        s.dir + "/coordinator.log", s.env);
    CommandResult submitted = run_segsweep({"submit", s.write_sweep(), "--coordinator", s.address, "--keys", s.keys},
                                           s.dir + "/submit.log", kCommandTimeoutMs, s.env);
    ASSERT_EQ(submitted.status, 0) << submitted.output << coordinator->log();
    const int64_t sweep_id = std::stoll(submitted.output.substr(submitted.output.find_last_of('\n', submitted.output.size() - 2) + 1));

    // The worker after the submit: with --exit-when-idle it leaves as soon as nothing is left to run.
    auto worker = std::make_unique<ChildProcess>(
        std::vector<std::string>{"mpirun", "-n", "2", "--oversubscribe", "--bind-to", "none"},
        std::vector<std::string>{"worker", "--coordinator", s.address, "--keys", s.keys, "--exit-when-idle", "--threads",
                                 "1", "--comm", "mpi"},
        s.dir + "/worker.log", s.env);
    ASSERT_EQ(worker->wait(kWorkerTimeoutMs), 0) << worker->log() << coordinator->log();
    coordinator->signal(SIGTERM);
    EXPECT_EQ(coordinator->wait(kStopTimeoutMs), 0) << coordinator->log();

    // Announced by rank 0 and recorded by the coordinator as one worker of 2 ranks.
    EXPECT_TRUE(std::regex_search(worker->log(), std::regex("worker \\S+: 2 rank\\(s\\)"))) << worker->log();
    EXPECT_TRUE(std::regex_search(coordinator->log(), std::regex("worker \\S+ joined: .* 2 rank\\(s\\)")))
        << coordinator->log();

    ResultsStore store(s.db, {StoreOpenMode::existing, StoreDurability::full});
    const auto trials = store.list_trials(sweep_id);
    ASSERT_EQ(trials.size(), 1u);
    EXPECT_EQ(trials[0].state, TrialState::completed);
    EXPECT_EQ(result_rows_of(s.db, trials[0].id), 1);
    EXPECT_EQ(store.trial_curve(trials[0].id).size(), static_cast<size_t>(kTrialEpochs));

    worker.reset();  // SIGKILL whatever of the process groups is still there
    coordinator.reset();
    EXPECT_TRUE(processes_with_argument(s.address).empty()) << "processes left behind";
}

}  // namespace
}  // namespace segsweep::testing
