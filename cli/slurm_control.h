// `segsweep slurm status` and `segsweep slurm stop` for one run folder (slurm_run_folder.h).
//
// status: the launch's SLURM jobs (coordinator, each worker array element) with their states from
// squeue, the coordinator's address and sweep id, and, when the coordinator answers, which
// worker (and trial) runs in which array element.
//
// stop: writes <run>/stop-requested (preempted workers then do not requeue), cancels the pending
// worker elements, sends SIGTERM to the running ones (each checkpoints and reports its trial
// preempted, so nothing is lost and no restart is used), waits for them, then stops the
// coordinator the same way (SIGTERM: it shuts down cleanly). Whatever is still there after the
// grace time is cancelled outright.
#pragma once

#include <ostream>

#include "cli/slurm_run_folder.h"

namespace segsweep::slurm {

inline constexpr int kStopGraceS = 90;                // s workers and coordinator get to end after SIGTERM
inline constexpr int kStopPollMs = 500;               // ms between looks at the queue while stopping
inline constexpr int kStatusRequestTimeoutMs = 3000;  // ms status waits for the coordinator's answer

// The environment that points the client verbs (status, wait, leaderboard, ...) at this run:
// SEGSWEEP_HOME (address and keys) and SEGSWEEP_DB (the store), as `export` lines.
std::string run_environment(const RunFolder& run);

void print_status(const RunFolder& run, std::ostream& out);
void stop(const RunFolder& run, std::ostream& out);

}  // namespace segsweep::slurm
