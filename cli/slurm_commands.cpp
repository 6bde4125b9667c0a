// `segsweep slurm launch|status|stop|env`: run a sweep on a SLURM cluster. The coordinator runs as a
// job (or on the login node), the workers as a job array of MPI jobs, and everything of one run
// lives in its run folder on the shared file system (cli/slurm_run_folder.h).
#include <iostream>

#include "cli/commands.h"
#include "cli/slurm_control.h"
#include "cli/slurm_launch.h"

namespace segsweep::cli {
namespace {

void add_launch(CLI::App& slurm) {
    struct Flags {
        slurm::LaunchOptions options;
        std::string gpus = "auto";
        int wait_s = slurm::kDefaultLaunchWaitS;
    };
    auto flags = std::make_shared<Flags>();
    slurm::LaunchOptions& o = flags->options;
    CLI::App* launch = slurm.add_subcommand(
        "launch",
        "Run a sweep on SLURM: the coordinator as a job (or here), the workers as a job array of MPI jobs "
        "(resources.gpus_per_trial ranks each), with --signal=B:USR2@120 and --requeue");
    launch->add_option("FILE", o.sweep_file, "Sweep file (JSON or YAML)")->required()->check(CLI::ExistingFile);
    launch->add_option("--partition,-p", o.partition, "SLURM partition (default: the cluster's default)");
    launch->add_option("--workers,-w", o.workers, "Worker array elements")->capture_default_str();
    launch->add_option("--time,-t", o.time_limit,
                       "Time limit of each worker job (sbatch --time; default: the partition's)");
    launch->add_option("--coordinator-time", o.coordinator_time, "Time limit of the coordinator job (default: --time)");
    launch->add_option("--account,-A", o.account, "SLURM account to charge");
    launch->add_flag("--coordinator-here", o.coordinator_here,
                     "Run the coordinator on this (login) node instead of as a job");
    launch->add_flag("--dry-run", o.dry_run, "Print the batch scripts and sbatch commands; submit nothing");
    launch
        ->add_option("--gpus", flags->gpus,
                     "One GPU per rank: auto (when sinfo lists gpu GRES on the partition), yes or no")
        ->check(CLI::IsMember({"auto", "yes", "no"}))
        ->capture_default_str();
    launch->add_option("--ranks-per-node", o.ranks_per_node,
                       "Let a worker span nodes with at most this many ranks (GPUs) each (default: one node)");
    launch->add_option("--port", o.port, "Coordinator port (default: any free port; workers read the one it got)");
    launch->add_option("--run-dir", o.run_dir,
                       "Run folder on the shared file system (default: $SEGSWEEP_HOME/slurm/<sweep>-<time>)");
    launch->add_option("--db", o.db, "The coordinator's store (default: <run folder>/coordinator.db)");
    launch->add_option("--sbatch-option", o.sbatch_options,
                       "Extra #SBATCH line for both jobs, e.g. --sbatch-option=--qos=high (repeatable)");
    launch->add_option("--wait", flags->wait_s, "Seconds to wait for the coordinator to take the sweep")
        ->capture_default_str();
    launch->callback([flags] {
        flags->options.gpus = slurm::gpu_request_from_name(flags->gpus);
        slurm::launch(flags->options, flags->wait_s, std::cout);
    });
}

void add_status(CLI::App& slurm) {
    auto run_dir = std::make_shared<std::string>();
    CLI::App* status =
        slurm.add_subcommand("status", "The SLURM jobs of a launch (coordinator, each worker) with their states");
    status->add_option("RUN", *run_dir, "Run folder (default: the latest launch)");
    status->callback([run_dir] { slurm::print_status(slurm::resolve_run_folder(*run_dir), std::cout); });
}

void add_stop(CLI::App& slurm) {
    auto run_dir = std::make_shared<std::string>();
    CLI::App* stop = slurm.add_subcommand(
        "stop", "Stop a launch cleanly: workers checkpoint and report preempted, then the coordinator stops");
    stop->add_option("RUN", *run_dir, "Run folder (default: the latest launch)");
    stop->callback([run_dir] { slurm::stop(slurm::resolve_run_folder(*run_dir), std::cout); });
}

void add_env(CLI::App& slurm) {
    auto run_dir = std::make_shared<std::string>();
    CLI::App* env = slurm.add_subcommand(
        "env", "Print the exports that point status, wait and leaderboard at a launch: eval \"$(segsweep slurm env)\"");
    env->add_option("RUN", *run_dir, "Run folder (default: the latest launch)");
    env->callback([run_dir] { std::cout << slurm::run_environment(slurm::resolve_run_folder(*run_dir)); });
}

}  // namespace

void add_slurm_commands(CLI::App& app) {
    CLI::App& slurm = parent_command(app, "slurm", "Run sweeps on a SLURM cluster");
    add_launch(slurm);
    add_status(slurm);
    add_stop(slurm);
    add_env(slurm);
}

}  // namespace segsweep::cli
