// The batch scripts of `segsweep slurm launch`: worker shape from the sweep's resources, the
// coordinator script, the worker array script and the sbatch command lines.
#include "cli/slurm_launch_plan.h"

#include <cctype>
#include <sstream>
#include <utility>

#include "cli/slurm_process.h"
#include "cli/slurm_run_folder.h"
#include "common/error.h"

namespace segsweep::slurm {
namespace {

// A path as an #SBATCH value: sbatch splits directives on blanks but honours double quotes.
std::string directive_path(const std::string& path) {
    if (path.find('"') != std::string::npos || path.find('\n') != std::string::npos)
        throw Error("path " + path + ": a double quote or newline cannot go into an #SBATCH line");
    if (path.find_first_of(" \t") == std::string::npos) return path;
    return "\"" + path + "\"";
}

// The #SBATCH lines both jobs share: partition, account, extra options, requeue, log file.
void common_directives(std::ostream& out, const LaunchPlan& plan, const std::string& time_limit,
                       const std::string& log_pattern) {
    const LaunchOptions& o = plan.options;
    if (!o.partition.empty()) out << "#SBATCH --partition=" << o.partition << "\n";
    if (!o.account.empty()) out << "#SBATCH --account=" << o.account << "\n";
    if (!time_limit.empty()) out << "#SBATCH --time=" << time_limit << "\n";
    out << "#SBATCH --requeue\n";
    out << "#SBATCH --chdir=" << directive_path(plan.work_dir) << "\n";
    out << "#SBATCH --open-mode=append\n";
    out << "#SBATCH --output=" << directive_path(plan.run_dir + "/logs/" + log_pattern) << "\n";
    for (const auto& option : o.sbatch_options) out << "#SBATCH " << option << "\n";
}

std::string coordinator_listen(const LaunchPlan& plan) {
    return plan.options.port > 0 ? "tcp://*:" + std::to_string(plan.options.port) : std::string("tcp://*:*");
}

std::string coordinator_time(const LaunchOptions& options) {
    return options.coordinator_time.empty() ? options.time_limit : options.coordinator_time;
}

// Replaces each @KEY@ of `text` by its value.
std::string fill(std::string text, const std::vector<std::pair<std::string, std::string>>& values) {
    for (const auto& [key, value] : values) {
        for (size_t at = text.find(key); at != std::string::npos; at = text.find(key, at + value.size()))
            text.replace(at, key.size(), value);
    }
    return text;
}

// The coordinator job after its #SBATCH lines (@KEY@: filled in by coordinator_script).
constexpr const char* kCoordinatorBody = R"(set -u
umask 077
# Everything of the run is found through SEGSWEEP_HOME (address, keys), never the caller's settings.
unset SEGSWEEP_COORDINATOR SEGSWEEP_KEYS
export SEGSWEEP_HOME=@RUN@
segsweep=@SEGSWEEP@
endpoint=$SEGSWEEP_HOME/coordinator.endpoint
rm -f "$endpoint"
"$segsweep" coordinator --listen @LISTEN@ --db @DB@ --runs @TRIALS@ &
coordinator=$!
requeue=0
trap 'kill -TERM $coordinator 2>/dev/null' TERM INT
trap 'requeue=1; kill -TERM $coordinator 2>/dev/null' @SIGNAL@
until [ -s "$endpoint" ]; do
  if ! kill -0 $coordinator 2>/dev/null; then
    wait $coordinator
    echo "error: the coordinator exited (status $?) before publishing its address" >&2
    exit 1
  fi
  sleep 0.2
done
echo "coordinator $(cat "$endpoint") pid $coordinator host $(hostname) job ${SLURM_JOB_ID:-none}"
if [ ! -s "$SEGSWEEP_HOME/sweep.id" ]; then
  if submitted=$("$segsweep" submit "$SEGSWEEP_HOME/sweep.json"); then
    echo "$submitted"
    echo "$submitted" | grep -o '[0-9][0-9]*' | head -n 1 > "$SEGSWEEP_HOME/sweep.id.tmp"
    mv "$SEGSWEEP_HOME/sweep.id.tmp" "$SEGSWEEP_HOME/sweep.id"
  else
    echo "error: submitting $SEGSWEEP_HOME/sweep.json failed; stopping the coordinator" >&2
    kill -TERM $coordinator
  fi
fi
# `wait` returns early when a trapped signal arrives: wait until the coordinator is gone.
while :; do
  wait $coordinator
  status=$?
  kill -0 $coordinator 2>/dev/null || break
done
echo "coordinator exited with status $status"
if [ "$requeue" = 1 ] && [ -n "${SLURM_JOB_ID:-}" ] && [ ! -e "$SEGSWEEP_HOME/stop-requested" ]; then
  echo "time limit near: requeueing job $SLURM_JOB_ID"
  scontrol requeue "$SLURM_JOB_ID"
fi
exit $status
)";

// One worker array element after its #SBATCH lines (@KEY@: filled in by worker_script).
constexpr const char* kWorkerBody = R"(set -u
umask 077
# Everything of the run is found through SEGSWEEP_HOME (address, keys), never the caller's settings.
unset SEGSWEEP_COORDINATOR SEGSWEEP_KEYS
export SEGSWEEP_HOME=@RUN@
export OMP_NUM_THREADS=@CPUS@
endpoint=$SEGSWEEP_HOME/coordinator.endpoint
mkdir -p "$SEGSWEEP_HOME/workers"

wait_for_endpoint() {
  local waited=0
  until [ -s "$endpoint" ]; do
    if [ "$waited" -ge @WAIT_S@ ]; then
      echo "error: no $endpoint after @WAIT_S@ s: is the coordinator running?" >&2
      return 1
    fi
    sleep @POLL_S@
    waited=$((waited + @POLL_S@))
  done
}

# Rank 0 records its host and pid in $SEGSWEEP_HOME/workers/<job id> (then execs the worker, same
# pid): `segsweep slurm status` maps the coordinator's workers to array elements with it.
start_worker() {
  address=$(cat "$endpoint")
  echo "worker ${SLURM_ARRAY_JOB_ID:-}_${SLURM_ARRAY_TASK_ID:-} job ${SLURM_JOB_ID:-} restart ${SLURM_RESTART_COUNT:-0} on $(hostname): coordinator $address"
  srun --mpi=pmix --kill-on-bad-exit=1 --ntasks=@RANKS@ --cpus-per-task=@CPUS@ \
    bash -c '[ "$SLURM_PROCID" != 0 ] || echo "$(hostname) $$" > "$SEGSWEEP_HOME/workers/$SLURM_JOB_ID"; exec "$@"' \
    worker-rank @SEGSWEEP@ worker --exit-when-idle --threads @CPUS@ &
  worker=$!
}

wait_for_endpoint || exit 1
start_worker
time_limit=0
moved=0
trap 'time_limit=1; kill -@SIGNAL@ $worker 2>/dev/null' @SIGNAL@
# SIGTERM (preemption, scancel) reaches the ranks from SLURM itself; srun must not get it from
# here: srun answers SIGTERM by killing the step before the ranks have checkpointed.
trap 'echo "SIGTERM: waiting for the worker to checkpoint and report"' TERM
while :; do
  # One look at the address file every @POLL_S@ s; a trapped signal ends the wait early.
  sleep @POLL_S@ &
  wait $!
  if ! kill -0 $worker 2>/dev/null; then
    wait $worker
    status=$?
    echo "worker exited with status $status"
    if [ "$moved" = 1 ] && [ "$time_limit" = 0 ] && [ ! -e "$SEGSWEEP_HOME/stop-requested" ]; then
      moved=0
      wait_for_endpoint || exit 1
      start_worker
      continue
    fi
    break
  fi
  current=$(cat "$endpoint" 2>/dev/null || true)
  if [ "$moved" = 0 ] && [ -n "$current" ] && [ "$current" != "$address" ]; then
    echo "the coordinator moved to $current: the worker checkpoints and starts again"
    moved=1
    scancel --signal=TERM "$SLURM_JOB_ID"
  fi
done
if [ "$time_limit" = 1 ]; then
  if [ -e "$SEGSWEEP_HOME/stop-requested" ]; then
    echo "time limit near; segsweep slurm stop was run: not requeued"
  else
    echo "time limit near: requeueing job $SLURM_JOB_ID"
    scontrol requeue "$SLURM_JOB_ID"
  fi
fi
exit $status
)";

}  // namespace

const char* gpu_request_name(GpuRequest request) {
    switch (request) {
        case GpuRequest::automatic:
            return "auto";
        case GpuRequest::yes:
            return "yes";
        case GpuRequest::no:
            return "no";
    }
    return "auto";
}

GpuRequest gpu_request_from_name(const std::string& name) {
    if (name == "auto") return GpuRequest::automatic;
    if (name == "yes") return GpuRequest::yes;
    if (name == "no") return GpuRequest::no;
    throw Error("--gpus: '" + name + "' is not one of auto, yes, no");
}

WorkerShape worker_shape(const ResourceSpec& resources, bool gpus, int ranks_per_node) {
    if (resources.gpus_per_trial < 1)
        throw Error("resources.gpus_per_trial must be at least 1 (it is the ranks of one trial), not " +
                    std::to_string(resources.gpus_per_trial));
    if (resources.cpus_per_rank < 1)
        throw Error("resources.cpus_per_rank must be at least 1, not " + std::to_string(resources.cpus_per_rank));
    if (ranks_per_node < 0) throw Error("--ranks-per-node must be positive, not " + std::to_string(ranks_per_node));
    WorkerShape shape;
    shape.ranks = resources.gpus_per_trial;
    shape.cpus_per_rank = resources.cpus_per_rank;
    shape.gpus = gpus;
    shape.ranks_per_node = ranks_per_node > 0 && ranks_per_node < shape.ranks ? ranks_per_node : shape.ranks;
    shape.nodes = (shape.ranks + shape.ranks_per_node - 1) / shape.ranks_per_node;
    return shape;
}

std::string job_name_part(const std::string& name) {
    std::string part;
    for (char c : name) {
        bool keep = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
        part += keep ? c : '-';
    }
    return part.empty() ? std::string("sweep") : part;
}

std::string coordinator_script(const LaunchPlan& plan) {
    const std::string name = job_name_part(plan.sweep_name);
    std::ostringstream out;
    out << "#!/bin/bash\n"
        << "# segsweep coordinator of sweep '" << name << "', written by `segsweep slurm launch`.\n"
        << "# Starts the coordinator, which publishes tcp://HOST:PORT in $SEGSWEEP_HOME/coordinator.endpoint\n"
        << "# once bound; submits $SEGSWEEP_HOME/sweep.json once ($SEGSWEEP_HOME/sweep.id keeps a requeued\n"
        << "# job from submitting it again); then serves workers and clients until stopped. SIGTERM\n"
        << "# (scancel, `segsweep slurm stop`) stops the coordinator cleanly; SIGUSR2 (time limit near)\n"
        << "# too, and then the job requeues itself: the coordinator carries on from its store.\n"
        << "# `segsweep slurm launch --coordinator-here` runs this file with bash on the login node.\n"
        << "#SBATCH --job-name=segsweep-" << name << "-coordinator\n"
        << "#SBATCH --nodes=1\n"
        << "#SBATCH --ntasks=1\n"
        << "#SBATCH --cpus-per-task=" << kCoordinatorCpus << "\n"
        << "#SBATCH --signal=B:" << kPreemptSignal << "@" << kPreemptSignalLeadS << "\n";
    common_directives(out, plan, coordinator_time(plan.options), "coordinator-%j.out");
    out << fill(kCoordinatorBody, {{"@RUN@", shell_quote(plan.run_dir)},
                                   {"@SEGSWEEP@", shell_quote(plan.segsweep)},
                                   {"@LISTEN@", shell_quote(coordinator_listen(plan))},
                                   {"@DB@", shell_quote(plan.db)},
                                   {"@TRIALS@", shell_quote(RunFolder{plan.run_dir}.trials_dir())},
                                   {"@SIGNAL@", kPreemptSignal}});
    return out.str();
}

std::string worker_script(const LaunchPlan& plan) {
    const std::string name = job_name_part(plan.sweep_name);
    const WorkerShape& shape = plan.shape;
    std::ostringstream out;
    out << "#!/bin/bash\n"
        << "# segsweep workers of sweep '" << name << "', written by `segsweep slurm launch`: a job array,\n"
        << "# one worker per element. A worker is an MPI job of " << shape.ranks << " rank(s) (srun --mpi=pmix);\n"
        << "# rank 0 finds the coordinator through $SEGSWEEP_HOME/coordinator.endpoint and the keys in\n"
        << "# $SEGSWEEP_HOME/keys. SIGUSR2 (time limit near; this script passes it on) and SIGTERM\n"
        << "# (preemption, scancel) reach the ranks: the worker checkpoints, reports its trial\n"
        << "# preempted (it resumes from the checkpoint on the next worker, using no restart) and exits.\n"
        << "# After SIGUSR2 the element requeues itself, unless `segsweep slurm stop` was run; after a\n"
        << "# preemption SLURM requeues it (--requeue). When a requeued coordinator publishes a new\n"
        << "# address, the worker checkpoints and starts again against it.\n"
        << "#SBATCH --job-name=segsweep-" << name << "-workers\n"
        << "#SBATCH --array=0-" << plan.options.workers - 1 << "\n"
        << "#SBATCH --nodes=" << shape.nodes << "\n"
        << "#SBATCH --ntasks=" << shape.ranks << "\n";
    if (shape.nodes > 1) out << "#SBATCH --ntasks-per-node=" << shape.ranks_per_node << "\n";
    out << "#SBATCH --cpus-per-task=" << shape.cpus_per_rank << "\n";
    if (shape.gpus) out << "#SBATCH --gres=gpu:" << shape.ranks_per_node << "\n";
    out << "#SBATCH --signal=B:" << kPreemptSignal << "@" << kPreemptSignalLeadS << "\n";
    common_directives(out, plan, plan.options.time_limit, "worker-%A_%a.out");
    out << fill(kWorkerBody, {{"@RUN@", shell_quote(plan.run_dir)},
                              {"@SEGSWEEP@", shell_quote(plan.segsweep)},
                              {"@RANKS@", std::to_string(shape.ranks)},
                              {"@CPUS@", std::to_string(shape.cpus_per_rank)},
                              {"@WAIT_S@", std::to_string(kEndpointWaitS)},
                              {"@POLL_S@", std::to_string(kEndpointPollS)},
                              {"@SIGNAL@", kPreemptSignal}});
    return out.str();
}

std::vector<std::string> coordinator_sbatch_command(const LaunchPlan& plan) {
    return {"sbatch", "--parsable", RunFolder{plan.run_dir}.coordinator_script()};
}

std::vector<std::string> worker_sbatch_command(const LaunchPlan& plan, const std::string& coordinator_job) {
    std::vector<std::string> command = {"sbatch", "--parsable"};
    if (!coordinator_job.empty()) command.push_back("--dependency=after:" + coordinator_job);
    command.push_back(RunFolder{plan.run_dir}.worker_script());
    return command;
}

}  // namespace segsweep::slurm
