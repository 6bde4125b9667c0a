// What `segsweep slurm launch` submits, as pure functions: the shape of one worker (ranks, CPUs,
// GPUs, nodes) from the sweep's resources section, and the two batch scripts it writes into the
// run folder (slurm_run_folder.h): the coordinator job and the worker job array. No files, no
// processes here, so `--dry-run` prints exactly what a real launch submits.
//
// Worker array element = one worker = one MPI job of resources.gpus_per_trial ranks, started by
// `srun --mpi=pmix`; rank 0 talks to the coordinator. Each rank gets resources.cpus_per_rank CPUs
// (and torch threads) and, on GPU partitions, one GPU. Jobs get --signal=B:USR2@120 (USR2, not
// USR1, which NCCL may catch) and --requeue. The batch script passes SIGUSR2 (time limit near)
// and SIGTERM (preemption, scancel) on to the ranks: the worker checkpoints, reports its trial
// PREEMPTED and exits. After SIGUSR2 the element requeues itself (scontrol requeue) unless
// `slurm stop` was run; a preempted job is requeued by SLURM (--requeue).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sweeps/sweep_spec.h"

namespace segsweep::slurm {

inline constexpr const char* kPreemptSignal = "USR2";  // SIGUSR1 may be caught by NCCL
inline constexpr int kPreemptSignalLeadS = 120;        // s before the time limit the signal comes
inline constexpr int kEndpointWaitS = 900;             // s a worker job waits for the coordinator's address
inline constexpr int kEndpointPollS = 2;               // s between looks at the address file
inline constexpr int kCoordinatorCpus = 1;             // CPUs of the coordinator job (one event loop)
inline constexpr int kDefaultWorkers = 1;              // array elements unless --workers

// Whether worker jobs ask for GPUs: `auto` asks when the partition's nodes have gpu GRES (sinfo).
enum class GpuRequest { automatic, yes, no };

const char* gpu_request_name(GpuRequest request);
// "auto", "yes", "no"; throws segsweep::Error otherwise.
GpuRequest gpu_request_from_name(const std::string& name);

// The command-line options of `segsweep slurm launch`.
struct LaunchOptions {
    std::string sweep_file;
    std::string partition;          // "" = the cluster's default partition
    std::string time_limit;         // sbatch --time of the workers ("" = the partition's default)
    std::string coordinator_time;   // sbatch --time of the coordinator ("" = time_limit)
    std::string account;            // "" = the user's default account
    int workers = kDefaultWorkers;  // job array elements
    bool coordinator_here = false;  // run the coordinator on this (login) node instead of as a job
    bool dry_run = false;
    GpuRequest gpus = GpuRequest::automatic;
    int ranks_per_node = 0;                   // > 0: a worker may span nodes, at most this many ranks each
    int port = 0;                             // coordinator port; 0 = any free port (it publishes the one it got)
    std::string run_dir;                      // "" = runs_root()/<name>-<time>
    std::string db;                           // "" = <run>/coordinator.db
    std::vector<std::string> sbatch_options;  // extra #SBATCH lines for both jobs (e.g. --qos=high)
};

// One worker's SLURM shape.
struct WorkerShape {
    int ranks = 1;  // MPI ranks (= gpus_per_trial)
    int cpus_per_rank = 1;
    bool gpus = false;       // one GPU per rank
    int nodes = 1;           // nodes the ranks spread over
    int ranks_per_node = 1;  // at most this many ranks (and GPUs) on one node
};

// From the sweep's resources and the launch options (GPU choice already resolved). Throws
// segsweep::Error when the numbers make no sense.
WorkerShape worker_shape(const ResourceSpec& resources, bool gpus, int ranks_per_node);

// Everything the scripts are rendered from.
struct LaunchPlan {
    std::string sweep_name;  // the sweep's name (file stem by default)
    std::string run_dir;     // absolute
    std::string work_dir;    // absolute: where launch ran; jobs run there (relative data paths)
    std::string segsweep;    // absolute path of the segsweep executable on the shared file system
    std::string db;          // the coordinator's store
    WorkerShape shape;
    std::string gpu_note;  // how --gpus auto decided ("" when asked explicitly)
    LaunchOptions options;
};

// A name SLURM and file names accept: letters, digits, '-', '_' and '.'; anything else becomes '-'.
std::string job_name_part(const std::string& name);

// The coordinator job's script. Also run as a plain bash script on the login node with
// --coordinator-here (the #SBATCH lines are comments to bash).
std::string coordinator_script(const LaunchPlan& plan);
// The worker job array's script.
std::string worker_script(const LaunchPlan& plan);

// The sbatch command lines (`--parsable` so the job id can be read). The worker array depends on
// the coordinator job having started (after:JOB) when there is one.
std::vector<std::string> coordinator_sbatch_command(const LaunchPlan& plan);
std::vector<std::string> worker_sbatch_command(const LaunchPlan& plan, const std::string& coordinator_job);

}  // namespace segsweep::slurm
