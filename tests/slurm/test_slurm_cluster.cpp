// The SLURM path against a real cluster (deploy/slurm/local-cluster.sh: munged, slurmctld, slurmd
// on this host), end to end through `segsweep slurm launch|status|stop`:
//   - a job array of 2-rank pmix steps runs (the cluster itself);
//   - a tiny sweep with 2 array workers, each a 2-rank MPI job, coordinator as a SLURM job: every
//     trial completes and is on the leaderboard;
//   - a sweep with the coordinator on this node: `scancel --signal=USR2` hits one worker mid-trial;
//     its trial is recorded preempted (no restart used), resumes from its checkpoint on the
//     other worker and completes, with one result and every epoch once;
//   - the same with the time-limit warning (USR2 to the batch shell, as --signal=B:USR2@120
//     sends it): the element also requeues itself and runs again.
// Skips, saying why, without root or without the SLURM daemons installed.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/slurm_queue.h"
#include "cli/slurm_run_folder.h"
#include "tests/slurm/cluster_fixture.h"

namespace segsweep::slurm::testing {
namespace {
namespace fs = std::filesystem;

constexpr int kSweepTimeoutS = 420;     // s a tiny sweep may take on a loaded 2-core machine
constexpr int kMidTrialTimeoutS = 240;  // s to wait until a worker is inside a trial
constexpr int kPollMs = 300;            // ms between status polls
constexpr int kRequeueTimeoutS = 180;   // s for a requeued element to wait out its delay and run again
constexpr int kPreemptEpochs = 8;       // epochs of the preemption sweeps' trials
// Steps per epoch of those trials: about 1 s an epoch on a quiet core, so the window in which a
// worker is mid-trial (epochs 1..kPreemptEpochs-2 done) lasts seconds, not one status poll. With
// 100 steps (0.3 s an epoch) a quiet machine finished element 0's trial between two polls.
constexpr int kPreemptStepsPerEpoch = 300;

std::string read_file(const fs::path& path) {
    std::ifstream in(path);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

nlohmann::json parse_json(const CommandResult& result, const std::string& what) {
    nlohmann::json value = nlohmann::json::parse(result.out, nullptr, false);
    EXPECT_FALSE(value.is_discarded()) << what << " printed no JSON:\n" << result.out << result.err;
    return value;
}

class SlurmCluster : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (!LocalCluster::unavailable_reason().empty()) return;
        cluster_ = new LocalCluster();
        setup_error_ = cluster_->up();
    }
    static void TearDownTestSuite() {
        if (cluster_ != nullptr) cluster_->down();
        delete cluster_;
        cluster_ = nullptr;
    }
    void SetUp() override {
        std::string reason = LocalCluster::unavailable_reason();
        if (!reason.empty()) GTEST_SKIP() << reason;
        ASSERT_TRUE(setup_error_.empty()) << setup_error_;
        dir_ = fs::path(SEGSWEEP_TEST_TMP) / "slurm_cluster" /
               ::testing::UnitTest::GetInstance()->current_test_info()->name();
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        run_ = (dir_ / "run").string();
    }
    // Whatever happened, leave no job of this test's launch behind.
    void TearDown() override {
        if (fs::exists(fs::path(run_) / "launch.json")) {
            CommandResult stopped = run_segsweep("", {"slurm", "stop", run_});
            if (stopped.exit_code != 0) ADD_FAILURE() << "slurm stop failed:\n" << stopped.out << stopped.err;
        }
    }

    // A tiny synthetic dataset (32 px images) shared by the tests of this process.
    std::string dataset() {
        fs::path data = fs::path(SEGSWEEP_TEST_TMP) / "slurm_cluster" / "data";
        if (!fs::exists(data / "train")) {
            CommandResult made = run_segsweep("", {"data", "synth", "--out", data.string(), "--train", "16",
                                                   "--validation", "8", "--eval", "12", "--size", "32"});
            EXPECT_EQ(made.exit_code, 0) << made.out << made.err;
        }
        return data.string();
    }

    // A grid sweep of tiny trials (a few thousand parameters, 32 px images).
    std::string write_sweep(const std::string& name, const nlohmann::json& parameters, int ranks) {
        nlohmann::json sweep = {{"name", name},
                                {"method", "grid"},
                                {"metric", {{"name", "final_score"}, {"goal", "maximize"}}},
                                {"data", dataset()},
                                {"parameters",
                                 {{"batch_size", {{"value", 4}}},
                                  {"steps_per_epoch", {{"value", 2}}},
                                  {"validation_steps", {{"value", 1}}},
                                  {"image_size", {{"value", 32}}},
                                  {"workers", {{"value", 1}}},
                                  {"patience", {{"value", 0}}},
                                  {"encoder_filters", {{"value", {4, 8}}}},
                                  {"conv1x1_filters", {{"value", 8}}},
                                  {"decoder_filters", {{"value", {8, 4}}}}}},
                                {"resources", {{"gpus_per_trial", ranks}, {"cpus_per_rank", 1}}},
                                {"max_restarts", 1}};
        for (const auto& [key, value] : parameters.items()) sweep["parameters"][key] = value;
        std::string path = (dir_ / (name + ".json")).string();
        std::ofstream(path) << sweep.dump(2);
        return path;
    }

    CommandResult client(const std::vector<std::string>& args) { return run_segsweep(run_, args); }

    std::string sweep_id() {
        std::ifstream in(fs::path(run_) / "sweep.id");
        std::string id;
        std::getline(in, id);
        return id;
    }

    void wait_for_sweep(const std::string& id) {
        CommandResult waited = client({"wait", id, "--timeout", std::to_string(kSweepTimeoutS)});
        ASSERT_EQ(waited.exit_code, 0) << waited.out << waited.err << "\nworker logs:\n" << logs();
    }

    // Trials of the sweep from the store, as JSON objects.
    nlohmann::json trials(const std::string& id) {
        return parse_json(client({"trials", id, "--format", "json", "--db", run_ + "/coordinator.db"}), "trials");
    }

    std::string logs() {
        std::string text;
        for (const auto& entry : fs::directory_iterator(fs::path(run_) / "logs"))
            text += "---- " + entry.path().filename().string() + "\n" + read_file(entry.path());
        return text;
    }

    // Launches (coordinator on this node, 2 one-rank workers) `trials` trials of 6 epochs of
    // about a second each: long enough to be caught mid-trial. Returns the sweep id.
    std::string launch_preemption_sweep(const std::string& name, int trials) {
        nlohmann::json rates = nlohmann::json::array();
        for (int i = 0; i < trials; ++i) rates.push_back(0.001 * (i + 1));
        std::string sweep = write_sweep(name,
                                        {{"learning_rate", {{"values", rates}}},
                                         {"num_epochs", {{"value", kPreemptEpochs}}},
                                         {"steps_per_epoch", {{"value", kPreemptStepsPerEpoch}}}},
                                        1);
        CommandResult launched = run_segsweep("", {"slurm", "launch", sweep, "--workers", "2", "--gpus", "no",
                                                   "--coordinator-here", "--run-dir", run_, "--wait", "60"});
        EXPECT_EQ(launched.exit_code, 0) << launched.out << launched.err;
        return sweep_id();
    }

    struct MidTrial {
        std::string job_id;  // the array element's own job id
        int64_t trial_id = 0;
    };

    // Waits until the worker of array element `index` is inside a trial with at least one epoch
    // done and two to go (trial_id 0 when that never happens).
    MidTrial wait_until_element_mid_trial(const std::string& sweep, const std::string& index) {
        LaunchRecord record = read_launch_record(RunFolder{run_});
        MidTrial found;
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kMidTrialTimeoutS);
        while (std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(kPollMs));
            for (const auto& row : query_jobs({}, {record.worker_job}))
                if (row.index == index && row.state == "RUNNING") found.job_id = row.job_id;
            if (found.job_id.empty()) continue;
            std::string owner = read_file(fs::path(run_) / "workers" / found.job_id);  // "HOST PID\n"
            if (owner.find(' ') == std::string::npos) continue;
            std::string prefix = owner.substr(0, owner.find(' ')) + ":" +
                                 owner.substr(owner.find(' ') + 1, owner.find('\n') - owner.find(' ') - 1) + ":";
            nlohmann::json status = parse_json(client({"status", sweep, "--json"}), "status");
            nlohmann::json sweeps = status.value("sweeps", nlohmann::json::array());
            if (!sweeps.empty() && sweeps[0].value("done", false)) break;  // too late: every trial is over
            for (const auto& running : status.value("running", nlohmann::json::array())) {
                int epoch = running.value("epoch", 0);
                if (running.value("worker_id", "").rfind(prefix, 0) == 0 && epoch >= 1 && epoch <= kPreemptEpochs - 2) {
                    found.trial_id = running.value("trial_id", int64_t{0});
                    return found;
                }
            }
        }
        return found;
    }

    void expect_all_completed_without_restarts(const std::string& sweep, size_t trial_count) {
        nlohmann::json all = trials(sweep);
        ASSERT_TRUE(all.is_array());
        ASSERT_EQ(all.size(), trial_count) << all.dump(2);
        for (const auto& trial : all) {
            EXPECT_EQ(trial.value("state", ""), "completed") << trial.dump(2);
            EXPECT_EQ(trial.value("restarts", -1), 0) << "a preemption uses no restart: " << trial.dump(2);
        }
    }

    // The trial was preempted once, resumed on another worker, and has one result (from attempt
    // 2) and each epoch once: it continued from its checkpoint instead of starting again.
    void expect_resumed_once(int64_t trial_id) {
        nlohmann::json shown = parse_json(
            client({"show", std::to_string(trial_id), "--format", "json", "--db", run_ + "/coordinator.db"}), "show");
        const nlohmann::json& trial = shown["trial"];
        EXPECT_EQ(trial.value("state", ""), "completed") << shown.dump(2);
        EXPECT_EQ(trial.value("preemptions", 0), 1) << shown.dump(2);
        EXPECT_EQ(trial.value("restarts", -1), 0);
        const nlohmann::json& attempts = shown["attempts"];
        ASSERT_EQ(attempts.size(), 2u) << shown.dump(2);
        EXPECT_EQ(attempts[0].value("outcome", ""), "preempted");
        EXPECT_EQ(attempts[1].value("outcome", ""), "completed");
        EXPECT_NE(attempts[0].value("worker", ""), attempts[1].value("worker", "")) << "resumed on the next worker";
        ASSERT_TRUE(shown["result"].is_object()) << shown.dump(2);
        EXPECT_EQ(shown["result"].value("attempt", 0), 2);
        EXPECT_EQ(shown["result"].value("epochs_run", 0), kPreemptEpochs);
        const nlohmann::json& curve = shown["curve"];
        ASSERT_EQ(curve.size(), static_cast<size_t>(kPreemptEpochs)) << shown.dump(2);
        for (int epoch = 1; epoch <= kPreemptEpochs; ++epoch) EXPECT_EQ(curve[epoch - 1].value("epoch", 0), epoch);
    }

    // The log of the worker array element whose file name ends with `suffix` ("_0.out").
    std::string element_log(const std::string& suffix) {
        std::string text;
        for (const auto& entry : fs::directory_iterator(fs::path(run_) / "logs")) {
            std::string name = entry.path().filename().string();
            if (name.rfind("worker-", 0) == 0 && name.size() > suffix.size() &&
                name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
                text += read_file(entry.path());
        }
        return text;
    }

    static LocalCluster* cluster_;
    static std::string setup_error_;
    fs::path dir_;
    std::string run_;
};

LocalCluster* SlurmCluster::cluster_ = nullptr;
std::string SlurmCluster::setup_error_;

TEST_F(SlurmCluster, RunsAJobArrayOfTwoRankPmixSteps) {
    std::string script = (dir_ / "array.sh").string();
    std::ofstream(script)
        << "#!/bin/bash\n"
           "#SBATCH --array=0-1\n"
           "#SBATCH --ntasks=2\n"
           "#SBATCH --output="
        << dir_.string()
        << "/array-%a.out\n"
           "srun --mpi=pmix --ntasks=2 bash -c 'echo \"task $SLURM_ARRAY_TASK_ID rank $PMIX_RANK\"'\n";
    CommandResult submitted = run_command({"sbatch", "--parsable", "--wait", script});
    ASSERT_EQ(submitted.exit_code, 0) << submitted.err;
    for (int task = 0; task < 2; ++task) {
        std::string text = read_file(dir_ / ("array-" + std::to_string(task) + ".out"));
        for (int rank = 0; rank < 2; ++rank) {
            std::string line = "task " + std::to_string(task) + " rank " + std::to_string(rank);
            EXPECT_NE(text.find(line), std::string::npos) << "missing '" << line << "' in:\n" << text;
        }
    }
}

TEST_F(SlurmCluster, SweepOnTwoArrayWorkersOfTwoRanksCompletesEveryTrial) {
    std::string sweep = write_sweep("slurm_grid",
                                    {{"learning_rate", {{"values", {0.001, 0.01}}}},
                                     {"batch_size", {{"values", {4, 8}}}},
                                     {"num_epochs", {{"value", 2}}}},
                                    2);
    CommandResult launched = run_segsweep("", {"slurm", "launch", sweep, "--workers", "2", "--gpus", "no", "--run-dir",
                                               run_, "--time", "00:20:00", "--wait", "180"});
    ASSERT_EQ(launched.exit_code, 0) << launched.out << launched.err;
    std::string id = sweep_id();
    ASSERT_FALSE(id.empty()) << "the coordinator job never took the sweep:\n" << launched.out << logs();
    wait_for_sweep(id);

    nlohmann::json board = parse_json(
        client({"leaderboard", id, "--top", "0", "--format", "json", "--db", run_ + "/coordinator.db"}), "leaderboard");
    ASSERT_TRUE(board.is_array());
    ASSERT_EQ(board.size(), 4u) << board.dump(2);
    for (const auto& row : board) EXPECT_EQ(row.value("state", ""), "completed") << row.dump();

    // Both array elements ran a 2-rank worker, and `slurm status` maps them to job ids.
    for (const char* suffix : {"_0.out", "_1.out"}) {
        bool found = false;
        for (const auto& entry : fs::directory_iterator(fs::path(run_) / "logs")) {
            std::string name = entry.path().filename().string();
            if (name.rfind("worker-", 0) == 0 && name.find(suffix) != std::string::npos) {
                std::string text = read_file(entry.path());
                EXPECT_NE(text.find("2 rank(s)"), std::string::npos) << name << ":\n" << text;
                found = true;
            }
        }
        EXPECT_TRUE(found) << "no worker log ending " << suffix << "\n" << logs();
    }
    CommandResult status = run_segsweep("", {"slurm", "status", run_});
    ASSERT_EQ(status.exit_code, 0) << status.err;
    EXPECT_NE(status.out.find("coordinator  RUNNING"), std::string::npos) << status.out;
    EXPECT_NE(status.out.find("worker 0"), std::string::npos) << status.out;
    EXPECT_NE(status.out.find("worker 1"), std::string::npos) << status.out;
    EXPECT_NE(status.out.find("4 trials: 4 completed"), std::string::npos) << status.out;

    CommandResult stopped = run_segsweep("", {"slurm", "stop", run_});
    ASSERT_EQ(stopped.exit_code, 0) << stopped.out << stopped.err;
    LaunchRecord record = read_launch_record(RunFolder{run_});
    for (const auto& row : query_jobs({}, {record.coordinator_job, record.worker_job}))
        EXPECT_FALSE(state_is_active(row.state)) << row.display_id() << " " << row.state;
}

TEST_F(SlurmCluster, PreemptedWorkerTrialResumesElsewhereAndCompletesOnce) {
    std::string id = launch_preemption_sweep("slurm_preempt", 2);
    ASSERT_FALSE(id.empty());
    MidTrial victim = wait_until_element_mid_trial(id, "0");
    ASSERT_NE(victim.trial_id, 0) << "element 0 never got mid-trial\n" << logs();
    // The job steps only (the ranks), as SLURM's own preemption signal would reach them.
    CommandResult signalled = run_command({"scancel", "--signal=USR2", victim.job_id});
    ASSERT_EQ(signalled.exit_code, 0) << signalled.err;

    wait_for_sweep(id);
    expect_all_completed_without_restarts(id, 2);
    expect_resumed_once(victim.trial_id);
    // The signalled element was not requeued: a signal to the ranks alone is not a time limit.
    std::string element0_log = element_log("_0.out");
    EXPECT_NE(element0_log.find("preempted (SIGUSR2)"), std::string::npos) << element0_log;
    EXPECT_EQ(element0_log.find("requeueing"), std::string::npos) << element0_log;
}

TEST_F(SlurmCluster, TimeLimitWarningRequeuesTheWorkerAndItsTrialResumes) {
    std::string id = launch_preemption_sweep("slurm_time_limit", 3);
    ASSERT_FALSE(id.empty());
    MidTrial victim = wait_until_element_mid_trial(id, "0");
    ASSERT_NE(victim.trial_id, 0) << "element 0 never got mid-trial\n" << logs();
    // What --signal=B:USR2@120 does 120 s before the time limit: USR2 to the batch shell.
    CommandResult signalled = run_command({"scancel", "--batch", "--signal=USR2", victim.job_id});
    ASSERT_EQ(signalled.exit_code, 0) << signalled.err;

    wait_for_sweep(id);
    expect_all_completed_without_restarts(id, 3);
    expect_resumed_once(victim.trial_id);
    // The element requeued itself and ran again (SLURM_RESTART_COUNT 1) once its delay was over.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kRequeueTimeoutS);
    std::string element0_log;
    bool restarted_and_ended = false;
    while (!restarted_and_ended && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(kPollMs));
        element0_log = element_log("_0.out");
        std::vector<QueueRow> rows = query_jobs({}, {read_launch_record(RunFolder{run_}).worker_job});
        bool ended = !rows.empty();
        for (const auto& row : rows)
            if (row.index == "0" && state_is_active(row.state)) ended = false;
        restarted_and_ended = ended && element0_log.find(" restart 1 on ") != std::string::npos;
    }
    EXPECT_TRUE(restarted_and_ended) << element0_log;
    EXPECT_NE(element0_log.find("time limit near: requeueing job " + victim.job_id), std::string::npos) << element0_log;
}

}  // namespace
}  // namespace segsweep::slurm::testing
