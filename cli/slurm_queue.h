// What SLURM says about the jobs of one launch: squeue rows (one per array element, finished jobs
// included while slurmctld keeps them, MinJobAge), parsed into plain structs. There is no sacct
// on clusters without slurmdbd, so squeue -t all is the source; a job purged from it is reported
// as gone.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace segsweep::slurm {

struct QueueRow {
    std::string job_id;      // the element's own job id (SLURM_JOB_ID)
    std::string base_id;     // the array's job id (= job_id for a plain job)
    std::string index;       // array index ("" for a plain job)
    std::string state;       // PENDING, RUNNING, COMPLETED, CANCELLED, FAILED, TIMEOUT, PREEMPTED, ...
    std::string elapsed;     // squeue %M
    std::string time_limit;  // squeue %l
    std::string where;       // node list, or the pending reason in parentheses
    std::string name;        // job name

    // "13_1" for an array element, "12" for a plain job.
    std::string display_id() const { return index.empty() ? job_id : base_id + "_" + index; }
};

// The squeue format behind parse_queue_rows: %A|%F|%K|%T|%M|%l|%R|%j.
extern const char* const kQueueFormat;

// Parses squeue -h -o kQueueFormat output. Lines that do not have every field are skipped.
std::vector<QueueRow> parse_queue_rows(const std::string& text);

// The rows of the given jobs (array ids or plain ids), found by job name (squeue --name) and
// kept when their base id is one of `job_ids`. Throws segsweep::Error when squeue fails.
std::vector<QueueRow> query_jobs(const std::vector<std::string>& job_names, const std::vector<std::string>& job_ids);

// True for the states in which a job still holds or waits for resources.
bool state_is_active(const std::string& state);

}  // namespace segsweep::slurm
