// `segsweep slurm launch`: checks the sweep file, makes the run folder (sweep, keys, scripts),
// starts the coordinator (a SLURM job, or on this login node with --coordinator-here), submits
// the worker job array, records the job ids in launch.json and waits a little for the sweep id.
// `--dry-run` prints the scripts and sbatch commands instead and changes nothing.
#pragma once

#include <ostream>

#include "cli/slurm_launch_plan.h"

namespace segsweep::slurm {

inline constexpr int kDefaultLaunchWaitS = 60;  // s launch waits for the coordinator to take the sweep

// Resolves the plan (sweep name, run folder, executable, GPUs) from the options.
LaunchPlan make_launch_plan(const LaunchOptions& options);

// Runs the launch (or prints it with options.dry_run) and reports on `out`. `wait_s`: how long to
// wait for the sweep id before leaving the coordinator to it. Throws segsweep::Error.
void launch(const LaunchOptions& options, int wait_s, std::ostream& out);

}  // namespace segsweep::slurm
