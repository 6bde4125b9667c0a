// The batch scripts of `segsweep slurm launch`: worker shapes from the sweep's resources, the
// #SBATCH lines (resources, --signal=B:USR2@120, --requeue, array size, GPUs only when asked),
// the srun line, and that both scripts are valid bash (bash -n).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "cli/slurm_launch_plan.h"
#include "cli/slurm_process.h"
#include "common/error.h"

namespace segsweep::slurm {
namespace {

LaunchPlan plan_for(int ranks, int cpus_per_rank, bool gpus, int workers) {
    ResourceSpec resources;
    resources.gpus_per_trial = ranks;
    resources.cpus_per_rank = cpus_per_rank;
    LaunchPlan plan;
    plan.sweep_name = "tiny sweep";
    plan.run_dir = "/shared/runs/tiny-1";
    plan.work_dir = "/shared/work dir";
    plan.segsweep = "/shared/bin/segsweep";
    plan.db = "/shared/runs/tiny-1/coordinator.db";
    plan.shape = worker_shape(resources, gpus, 0);
    plan.options.workers = workers;
    plan.options.partition = "gpu";
    plan.options.time_limit = "01:00:00";
    plan.options.account = "proj42";
    return plan;
}

bool has_line(const std::string& text, const std::string& line) {
    return ("\n" + text + "\n").find("\n" + line + "\n") != std::string::npos;
}

// A template field (@KEY@) left unfilled.
bool has_unfilled_field(const std::string& text) { return std::regex_search(text, std::regex("@[A-Z_]+@")); }

// bash -n on the script text: 0 when it parses.
int bash_syntax_check(const std::string& script, const std::string& name) {
    std::filesystem::path dir = std::filesystem::path(SEGSWEEP_TEST_TMP) / "slurm_plan";
    std::filesystem::create_directories(dir);
    std::string path = (dir / name).string();
    std::ofstream(path) << script;
    return run_command({"bash", "-n", path}).exit_code;
}

TEST(WorkerShape, RanksAndCpusComeFromTheResourcesSection) {
    ResourceSpec resources;
    resources.gpus_per_trial = 4;
    resources.cpus_per_rank = 3;
    WorkerShape shape = worker_shape(resources, true, 0);
    EXPECT_EQ(shape.ranks, 4);
    EXPECT_EQ(shape.cpus_per_rank, 3);
    EXPECT_TRUE(shape.gpus);
    EXPECT_EQ(shape.nodes, 1);
    EXPECT_EQ(shape.ranks_per_node, 4);
}

TEST(WorkerShape, RanksPerNodeSpreadsAWorkerOverNodes) {
    ResourceSpec resources;
    resources.gpus_per_trial = 6;
    WorkerShape shape = worker_shape(resources, true, 4);
    EXPECT_EQ(shape.nodes, 2);
    EXPECT_EQ(shape.ranks_per_node, 4);
    EXPECT_EQ(worker_shape(resources, true, 8).nodes, 1);  // more room per node than ranks
}

TEST(WorkerShape, RefusesNonsense) {
    ResourceSpec resources;
    resources.gpus_per_trial = 0;
    EXPECT_THROW(worker_shape(resources, false, 0), Error);
    resources.gpus_per_trial = 1;
    resources.cpus_per_rank = 0;
    EXPECT_THROW(worker_shape(resources, false, 0), Error);
    resources.cpus_per_rank = 1;
    EXPECT_THROW(worker_shape(resources, false, -2), Error);
}

TEST(WorkerScript, ArrayOfMpiJobsWithTheSweepResources) {
    LaunchPlan plan = plan_for(2, 3, false, 5);
    std::string script = worker_script(plan);
    EXPECT_TRUE(has_line(script, "#SBATCH --array=0-4")) << script;
    EXPECT_TRUE(has_line(script, "#SBATCH --nodes=1"));
    EXPECT_TRUE(has_line(script, "#SBATCH --ntasks=2"));
    EXPECT_TRUE(has_line(script, "#SBATCH --cpus-per-task=3"));
    EXPECT_TRUE(has_line(script, "#SBATCH --partition=gpu"));
    EXPECT_TRUE(has_line(script, "#SBATCH --account=proj42"));
    EXPECT_TRUE(has_line(script, "#SBATCH --time=01:00:00"));
    EXPECT_TRUE(has_line(script, "#SBATCH --signal=B:USR2@120"));
    EXPECT_TRUE(has_line(script, "#SBATCH --requeue"));
    EXPECT_TRUE(has_line(script, "#SBATCH --output=/shared/runs/tiny-1/logs/worker-%A_%a.out"));
    EXPECT_TRUE(has_line(script, "#SBATCH --job-name=segsweep-tiny-sweep-workers"));
    EXPECT_TRUE(has_line(script, "export SEGSWEEP_HOME=/shared/runs/tiny-1"));
    EXPECT_TRUE(has_line(script, "export OMP_NUM_THREADS=3"));
    EXPECT_NE(script.find("srun --mpi=pmix --kill-on-bad-exit=1 --ntasks=2 --cpus-per-task=3 \\"), std::string::npos)
        << script;
    EXPECT_NE(script.find("worker-rank /shared/bin/segsweep worker --exit-when-idle --threads 3 &"), std::string::npos);
    EXPECT_EQ(script.find("--gres"), std::string::npos) << "CPU ranks ask for no GPU";
    EXPECT_NE(script.find("scontrol requeue"), std::string::npos);
    EXPECT_EQ(script.find("kill -TERM $worker"), std::string::npos) << "srun kills the step on SIGTERM";
    EXPECT_FALSE(has_unfilled_field(script)) << script;
    EXPECT_EQ(bash_syntax_check(script, "workers.sbatch"), 0) << script;
}

TEST(WorkerScript, OneGpuPerRankOnGpuPartitions) {
    LaunchPlan plan = plan_for(4, 1, true, 2);
    EXPECT_TRUE(has_line(worker_script(plan), "#SBATCH --gres=gpu:4"));
    ResourceSpec resources;
    resources.gpus_per_trial = 8;
    plan.shape = worker_shape(resources, true, 4);
    std::string spread = worker_script(plan);
    EXPECT_TRUE(has_line(spread, "#SBATCH --nodes=2"));
    EXPECT_TRUE(has_line(spread, "#SBATCH --ntasks=8"));
    EXPECT_TRUE(has_line(spread, "#SBATCH --ntasks-per-node=4"));
    EXPECT_TRUE(has_line(spread, "#SBATCH --gres=gpu:4")) << "gres counts per node";
}

TEST(WorkerScript, OptionalDirectivesOnlyWhenGiven) {
    LaunchPlan plan = plan_for(1, 1, false, 1);
    plan.options.partition.clear();
    plan.options.account.clear();
    plan.options.time_limit.clear();
    plan.options.sbatch_options = {"--qos=high", "--constraint=a100"};
    std::string script = worker_script(plan);
    EXPECT_EQ(script.find("--partition"), std::string::npos);
    EXPECT_EQ(script.find("--account"), std::string::npos);
    EXPECT_EQ(script.find("--time"), std::string::npos);
    EXPECT_TRUE(has_line(script, "#SBATCH --qos=high"));
    EXPECT_TRUE(has_line(script, "#SBATCH --constraint=a100"));
    EXPECT_TRUE(has_line(script, "#SBATCH --array=0-0"));
}

TEST(CoordinatorScript, OneTaskThatSubmitsTheSweepOnce) {
    LaunchPlan plan = plan_for(2, 1, false, 2);
    plan.options.coordinator_time = "2-00:00:00";
    std::string script = coordinator_script(plan);
    EXPECT_TRUE(has_line(script, "#SBATCH --ntasks=1"));
    EXPECT_TRUE(has_line(script, "#SBATCH --job-name=segsweep-tiny-sweep-coordinator"));
    EXPECT_TRUE(has_line(script, "#SBATCH --time=2-00:00:00")) << "its own time limit";
    EXPECT_TRUE(has_line(script, "#SBATCH --signal=B:USR2@120"));
    EXPECT_TRUE(has_line(script, "#SBATCH --requeue"));
    EXPECT_TRUE(has_line(script, "#SBATCH --chdir=\"/shared/work dir\"")) << "sbatch splits on blanks";
    EXPECT_NE(script.find("coordinator --listen 'tcp://*:*' --db /shared/runs/tiny-1/coordinator.db --runs "
                          "/shared/runs/tiny-1/trials &"),
              std::string::npos)
        << script;
    EXPECT_NE(script.find("if [ ! -s \"$SEGSWEEP_HOME/sweep.id\" ]"), std::string::npos) << "no second submit";
    EXPECT_EQ(bash_syntax_check(script, "coordinator.sbatch"), 0) << script;
    EXPECT_FALSE(has_unfilled_field(script)) << script;
    plan.options.port = 5555;
    EXPECT_NE(coordinator_script(plan).find("--listen 'tcp://*:5555'"), std::string::npos);
}

TEST(SbatchCommands, WorkersStartAfterTheCoordinatorJob) {
    LaunchPlan plan = plan_for(1, 1, false, 2);
    EXPECT_EQ(shell_join(coordinator_sbatch_command(plan)), "sbatch --parsable /shared/runs/tiny-1/coordinator.sbatch");
    EXPECT_EQ(shell_join(worker_sbatch_command(plan, "17")),
              "sbatch --parsable --dependency=after:17 /shared/runs/tiny-1/workers.sbatch");
    EXPECT_EQ(shell_join(worker_sbatch_command(plan, "")), "sbatch --parsable /shared/runs/tiny-1/workers.sbatch");
}

TEST(JobNamePart, KeepsSafeCharactersOnly) {
    EXPECT_EQ(job_name_part("seed_grid-2.v1"), "seed_grid-2.v1");
    EXPECT_EQ(job_name_part("my sweep/$(rm)"), "my-sweep---rm-");
    EXPECT_EQ(job_name_part(""), "sweep");
}

TEST(GpuRequest, NamesRoundTripAndBadOnesAreRefused) {
    for (GpuRequest request : {GpuRequest::automatic, GpuRequest::yes, GpuRequest::no})
        EXPECT_EQ(gpu_request_from_name(gpu_request_name(request)), request);
    EXPECT_THROW(gpu_request_from_name("maybe"), Error);
}

}  // namespace
}  // namespace segsweep::slurm
