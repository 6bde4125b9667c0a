// The run folder of a SLURM launch: private modes (0700 folders, 0600 files, keys included), the
// `latest` link, refusal to reuse a non-empty folder, and the launch record round trip.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>

#include "cli/slurm_run_folder.h"
#include "common/error.h"

namespace segsweep::slurm {
namespace {
namespace fs = std::filesystem;

unsigned mode_of(const std::string& path) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) return 0;
    return info.st_mode & 0777;
}

class RunFolderTest : public ::testing::Test {
protected:
    void SetUp() override {
        home_ = fs::path(SEGSWEEP_TEST_TMP) / "slurm_run_folder" /
                ::testing::UnitTest::GetInstance()->current_test_info()->name();
        fs::remove_all(home_);
        fs::create_directories(home_);
        ::setenv("SEGSWEEP_HOME", home_.c_str(), 1);
    }
    void TearDown() override { ::unsetenv("SEGSWEEP_HOME"); }
    fs::path home_;
};

TEST_F(RunFolderTest, EverythingIsReadableByTheUserAlone) {
    RunFolder run = create_run_folder(default_run_dir("tiny"));
    make_run_keys(run);
    write_private_file(run.sweep_file(), "{}\n");
    EXPECT_EQ(mode_of(run.dir), 0700u);
    EXPECT_EQ(mode_of(run.logs_dir()), 0700u);
    EXPECT_EQ(mode_of(run.trials_dir()), 0700u);
    EXPECT_EQ(mode_of(run.sweep_file()), 0600u);
    int files = 0;
    for (const auto& entry : fs::recursive_directory_iterator(run.key_dir())) {
        unsigned expected = entry.is_directory() ? 0700u : 0600u;
        EXPECT_EQ(mode_of(entry.path().string()), expected) << entry.path();
        if (entry.is_regular_file()) ++files;
    }
    EXPECT_GE(files, 5) << "coordinator and client pairs plus the authorized client key";
    EXPECT_TRUE(fs::exists(run.key_dir() + "/coordinator.secret"));
    EXPECT_TRUE(fs::exists(run.key_dir() + "/authorized/client.pub"));
}

TEST_F(RunFolderTest, LatestPointsAtTheNewestRun) {
    RunFolder first = create_run_folder(runs_root() + "/a-1");
    EXPECT_THROW(resolve_run_folder(""), Error) << "no launch.json yet";
    write_launch_record(first, LaunchRecord{});
    EXPECT_EQ(resolve_run_folder("").dir, fs::canonical(first.dir).string());
    RunFolder second = create_run_folder(runs_root() + "/b-2");
    write_launch_record(second, LaunchRecord{});
    EXPECT_EQ(resolve_run_folder("").dir, fs::canonical(second.dir).string());
    EXPECT_EQ(resolve_run_folder(first.dir).dir, fs::canonical(first.dir).string());
    // With SEGSWEEP_HOME pointing at a run folder (slurm env), that folder is the default.
    ::setenv("SEGSWEEP_HOME", first.dir.c_str(), 1);
    EXPECT_EQ(resolve_run_folder("").dir, fs::canonical(first.dir).string());
}

TEST_F(RunFolderTest, RefusesAFolderThatHoldsSomething) {
    RunFolder run = create_run_folder(runs_root() + "/taken");
    write_private_file(run.sweep_file(), "{}\n");
    EXPECT_THROW(create_run_folder(run.dir), Error);
    EXPECT_THROW(resolve_run_folder((home_ / "missing").string()), Error);
}

TEST_F(RunFolderTest, LaunchRecordRoundTrip) {
    RunFolder run = create_run_folder(runs_root() + "/record");
    LaunchRecord record;
    record.sweep_name = "tiny";
    record.coordinator_here = true;
    record.coordinator_job = "";
    record.worker_job = "13";
    record.workers = 2;
    record.ranks_per_worker = 2;
    record.coordinator_pid = 4242;
    record.coordinator_host = "login1";
    record.launched_at = "2026-11-28T18:15:00Z";
    record.db = "/shared/runs/record/coordinator.db";
    write_launch_record(run, record);
    EXPECT_EQ(mode_of(run.launch_record()), 0600u);
    LaunchRecord back = read_launch_record(run);
    EXPECT_EQ(to_json(back), to_json(record));
    EXPECT_THROW(launch_record_from_json(nlohmann::json{{"sweep_name", "x"}}, "launch.json"), Error);
    EXPECT_THROW(launch_record_from_json(nlohmann::json::array(), "launch.json"), Error);
}

TEST_F(RunFolderTest, FirstLineOfMissingOrEmptyFileIsNothing) {
    RunFolder run = create_run_folder(runs_root() + "/lines");
    EXPECT_FALSE(read_first_line(run.sweep_id_file()).has_value());
    write_private_file(run.sweep_id_file(), "");
    EXPECT_FALSE(read_first_line(run.sweep_id_file()).has_value());
    write_private_file(run.sweep_id_file(), "7\nrest\n");
    EXPECT_EQ(read_first_line(run.sweep_id_file()).value_or(""), "7");
}

}  // namespace
}  // namespace segsweep::slurm
