// The run folder of one `segsweep slurm launch`, on the file system the login node and the compute
// nodes share. It is the SEGSWEEP_HOME of every process of the run (coordinator, workers, and the
// client verbs run with SEGSWEEP_HOME=<run folder>), so they all find the coordinator's address
// and the CURVE keys there without a flag. Readable by the user alone: folders 0700, files 0600.
//
//   <run>/sweep.json             the sweep file as launched (later edits of the file change nothing)
//   <run>/keys/                  CURVE keys: coordinator and client pairs, authorized/ (segsweep keygen)
//   <run>/coordinator.endpoint   tcp://HOST:PORT, written by the coordinator when it has bound
//   <run>/sweep.id               the sweep's id, written once by the first coordinator start
//   <run>/coordinator.sbatch     the batch scripts as submitted
//   <run>/workers.sbatch
//   <run>/launch.json            what was started: job ids, or the login-node coordinator's pid
//   <run>/stop-requested         `slurm stop` ran: preempted workers do not requeue themselves
//   <run>/coordinator.db         the results store (default; --db moves it to node-local disk)
//   <run>/trials/                trial folders: checkpoints every attempt of a trial resumes from
//   <run>/workers/<job id>       "HOST PID" of the worker's rank 0 in that array element (status)
//   <run>/logs/                  coordinator-<job>.out, worker-<array>_<index>.out
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace segsweep::slurm {

inline constexpr unsigned kPrivateDirMode = 0700;   // run folder, keys/, logs/, trials/
inline constexpr unsigned kPrivateFileMode = 0600;  // every file written into it

struct RunFolder {
    std::string dir;  // absolute

    std::string sweep_file() const { return dir + "/sweep.json"; }
    std::string key_dir() const { return dir + "/keys"; }
    std::string endpoint_file() const;  // common/coordinator_address.h's file name
    std::string sweep_id_file() const { return dir + "/sweep.id"; }
    std::string coordinator_script() const { return dir + "/coordinator.sbatch"; }
    std::string worker_script() const { return dir + "/workers.sbatch"; }
    std::string launch_record() const { return dir + "/launch.json"; }
    std::string stop_marker() const { return dir + "/stop-requested"; }
    std::string default_db() const { return dir + "/coordinator.db"; }
    std::string trials_dir() const { return dir + "/trials"; }
    std::string logs_dir() const { return dir + "/logs"; }
    std::string workers_dir() const { return dir + "/workers"; }
};

// $SEGSWEEP_HOME/slurm (where run folders go by default, and the `latest` link).
std::string runs_root();
// <runs_root>/<sweep name>-<UTC yyyymmdd-hhmmss>.
std::string default_run_dir(const std::string& sweep_name);
// The folder `slurm status` and `slurm stop` use: `flag` if given, else $SEGSWEEP_HOME when it
// is a run folder (after `eval "$(segsweep slurm env)"`), else <runs_root>/latest.
RunFolder resolve_run_folder(const std::string& flag);

// Creates the folder (refuses one that exists and is not empty) with keys/, logs/ and trials/,
// all 0700, and points <runs_root>/latest at it.
RunFolder create_run_folder(const std::string& dir);

// Makes the CURVE keys in <run>/keys (segsweep keygen's layout) and makes every file 0600.
void make_run_keys(const RunFolder& run);

// Writes `text` to `path` with mode 0600, atomically (temporary file + rename).
void write_private_file(const std::string& path, const std::string& text);
// Reads a whole file; throws segsweep::Error naming it when it cannot.
std::string read_text_file(const std::string& path);
// The file's first line, or nothing when the file is missing or empty.
std::optional<std::string> read_first_line(const std::string& path);
// Now in UTC, ISO 8601 ("2026-11-28T18:15:00Z").
std::string utc_now_iso();

// What `slurm launch` started, kept in <run>/launch.json for `slurm status` and `slurm stop`.
struct LaunchRecord {
    std::string sweep_name;
    bool coordinator_here = false;
    std::string coordinator_job;  // SLURM job id of the coordinator ("" with --coordinator-here)
    std::string worker_job;       // SLURM job id of the worker array
    int workers = 0;              // array elements
    int ranks_per_worker = 1;
    int64_t coordinator_pid = 0;   // --coordinator-here: the login-node process
    std::string coordinator_host;  // --coordinator-here: where it runs
    std::string launched_at;       // UTC, ISO 8601
    std::string db;                // the coordinator's results store
};

nlohmann::json to_json(const LaunchRecord& record);
LaunchRecord launch_record_from_json(const nlohmann::json& object, const std::string& source);
void write_launch_record(const RunFolder& run, const LaunchRecord& record);
LaunchRecord read_launch_record(const RunFolder& run);

}  // namespace segsweep::slurm
