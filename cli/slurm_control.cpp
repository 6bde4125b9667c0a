// `segsweep slurm status` and `segsweep slurm stop`: the launch's jobs from squeue, and a clean
// stop (SIGTERM first, so workers checkpoint and report preempted; a hard cancel only after the
// grace time).
#include "cli/slurm_control.h"

#include <signal.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <filesystem>
#include <iomanip>
#include <sstream>
#include <thread>

#include "cli/slurm_launch_plan.h"
#include "cli/slurm_process.h"
#include "cli/slurm_queue.h"
#include "common/error.h"
#include "coordinator/client.h"

namespace segsweep::slurm {
namespace {

std::vector<std::string> job_names(const LaunchRecord& record) {
    const std::string name = job_name_part(record.sweep_name);
    return {"segsweep-" + name + "-coordinator", "segsweep-" + name + "-workers"};
}

std::vector<QueueRow> rows_of(const LaunchRecord& record, const std::string& job_id) {
    if (job_id.empty()) return {};
    return query_jobs(job_names(record), {job_id});
}

bool any_active(const std::vector<QueueRow>& rows) {
    for (const auto& row : rows)
        if (state_is_active(row.state)) return true;
    return false;
}

// Polls until `done()` or the grace time is over; true when done.
template <typename Done>
bool wait_until(Done done, int seconds) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (!done()) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(kStopPollMs));
    }
    return true;
}

struct StatusRow {
    std::string job, role, state, elapsed, limit, where, worker, trial;
};

void print_rows(std::ostream& out, const std::vector<StatusRow>& rows) {
    const StatusRow header{"JOB", "ROLE", "STATE", "ELAPSED", "LIMIT", "NODES(REASON)", "WORKER", "TRIAL"};
    size_t where_width = header.where.size(), worker_width = header.worker.size();
    for (const auto& row : rows) {
        where_width = std::max(where_width, row.where.size());
        worker_width = std::max(worker_width, row.worker.size());
    }
    auto print = [&](const StatusRow& row) {
        std::ostringstream line;
        line << std::left << std::setw(10) << row.job << std::setw(13) << row.role << std::setw(12) << row.state
             << std::setw(9) << row.elapsed << std::setw(14) << row.limit
             << std::setw(static_cast<int>(where_width) + 2) << row.where
             << std::setw(static_cast<int>(worker_width) + 2) << row.worker << row.trial;
        std::string text = line.str();
        while (!text.empty() && text.back() == ' ') text.pop_back();
        out << text << "\n";
    };
    print(header);
    for (const auto& row : rows) print(row);
}

// What the coordinator says (STATUS and WORKERS), or nothing when it does not answer.
struct CoordinatorView {
    nlohmann::json status = nlohmann::json::object();
    nlohmann::json workers = nlohmann::json::object();
    std::string error;  // why there is no view
};

CoordinatorView ask_coordinator(const RunFolder& run, const std::string& endpoint, std::optional<int64_t> sweep_id) {
    CoordinatorView view;
    try {
        coordinator::ClientOptions options;
        options.address = endpoint;
        options.key_dir = run.key_dir();
        options.timeout_ms = kStatusRequestTimeoutMs;
        options.retries = 1;
        coordinator::CoordinatorClient client(options);
        nlohmann::json status = client.status(sweep_id);
        nlohmann::json workers = client.workers();
        if (status.is_object()) view.status = status;
        if (workers.is_object()) view.workers = workers;
    } catch (const Error& e) {
        view.error = e.what();
    }
    return view;
}

// <run>/workers/<job id> holds "HOST PID" of the worker's rank 0: the key to the coordinator's list.
std::string worker_key_of_job(const RunFolder& run, const std::string& job_id) {
    std::optional<std::string> line = read_first_line(run.workers_dir() + "/" + job_id);
    if (!line) return "";
    std::istringstream words(*line);
    std::string host, pid;
    words >> host >> pid;
    return host + ":" + pid;
}

// The coordinator's worker entry for a SLURM job, if it is connected.
std::optional<nlohmann::json> worker_of_job(const RunFolder& run, const CoordinatorView& view,
                                            const std::string& job_id) {
    std::string key = worker_key_of_job(run, job_id);
    if (key.empty() || !view.workers.is_object()) return std::nullopt;
    for (const auto& worker : view.workers.value("workers", nlohmann::json::array())) {
        std::string host_pid =
            worker.value("host", std::string()) + ":" + std::to_string(worker.value("pid", int64_t{0}));
        if (host_pid == key) return worker;
    }
    return std::nullopt;
}

// "trial 3 epoch 2/8" for a busy worker.
std::string trial_text(const CoordinatorView& view, const nlohmann::json& worker) {
    if (!worker.contains("trial_id") || !worker["trial_id"].is_number()) return worker.value("state", std::string());
    int64_t trial_id = worker["trial_id"].get<int64_t>();
    for (const auto& running : view.status.value("running", nlohmann::json::array())) {
        if (running.value("trial_id", int64_t{0}) != trial_id) continue;
        return "trial " + std::to_string(trial_id) + " attempt " + std::to_string(running.value("attempt", 0)) +
               " epoch " + std::to_string(running.value("epoch", 0)) + "/" +
               std::to_string(running.value("epochs_planned", 0));
    }
    return "trial " + std::to_string(trial_id);
}

std::string counts_text(const nlohmann::json& sweep) {
    std::string parts;
    const nlohmann::json counts = sweep.value("counts", nlohmann::json::object());
    for (const auto& [state, count] : counts.items()) {
        if (!count.is_number() || count.get<int>() == 0) continue;
        parts += (parts.empty() ? "" : ", ") + std::to_string(count.get<int>()) + " " + state;
    }
    return std::to_string(sweep.value("trials", 0)) + " trials" + (parts.empty() ? "" : ": " + parts) +
           (sweep.value("done", false) ? " (done)" : "");
}

void stop_workers(const LaunchRecord& record, std::ostream& out) {
    if (record.worker_job.empty() || !any_active(rows_of(record, record.worker_job))) {
        out << "workers      none running\n";
        return;
    }
    // Pending elements never started: cancel them. The ranks of running ones get SIGTERM (the job
    // steps only: srun would answer SIGTERM by killing the step): checkpoint, PREEMPTED, exit.
    run_command({"scancel", "--state=PENDING", record.worker_job});
    run_command({"scancel", "--signal=TERM", record.worker_job});
    out << "workers      job array " << record.worker_job
        << ": SIGTERM sent (each worker checkpoints and reports its trial preempted)\n";
    bool ended = wait_until([&] { return !any_active(rows_of(record, record.worker_job)); }, kStopGraceS);
    if (!ended) {
        run_command({"scancel", record.worker_job});
        out << "workers      still running after " << kStopGraceS << " s: cancelled\n";
    } else {
        out << "workers      ended\n";
    }
}

void stop_coordinator(const RunFolder& run, const LaunchRecord& record, std::ostream& out) {
    if (record.coordinator_here) {
        pid_t pid = static_cast<pid_t>(record.coordinator_pid);
        auto alive = [&] { return process_matches(pid, run.coordinator_script()); };
        if (!alive()) {
            out << "coordinator  pid " << pid << " not running\n";
            return;
        }
        ::kill(pid, SIGTERM);
        if (!wait_until([&] { return !alive(); }, kStopGraceS))
            throw Error("coordinator pid " + std::to_string(pid) + " still running " + std::to_string(kStopGraceS) +
                        " s after SIGTERM (log " + run.logs_dir() + "/coordinator-here.log)");
        out << "coordinator  pid " << pid << " stopped\n";
        return;
    }
    if (!any_active(rows_of(record, record.coordinator_job))) {
        out << "coordinator  job " << record.coordinator_job << " not running\n";
        return;
    }
    run_command({"scancel", "--state=PENDING", record.coordinator_job});
    run_command({"scancel", "--batch", "--signal=TERM", record.coordinator_job});
    bool ended = wait_until([&] { return !any_active(rows_of(record, record.coordinator_job)); }, kStopGraceS);
    if (!ended) {
        run_command({"scancel", record.coordinator_job});
        out << "coordinator  job " << record.coordinator_job << " still running after " << kStopGraceS
            << " s: cancelled\n";
    } else {
        out << "coordinator  job " << record.coordinator_job << " stopped\n";
    }
}

}  // namespace

void print_status(const RunFolder& run, std::ostream& out) {
    LaunchRecord record = read_launch_record(run);
    std::optional<std::string> sweep_id = read_first_line(run.sweep_id_file());
    std::optional<std::string> endpoint = read_first_line(run.endpoint_file());
    CoordinatorView view;
    if (endpoint) {
        std::optional<int64_t> id;
        int64_t parsed = 0;
        const bool digits = sweep_id && !sweep_id->empty() && sweep_id->find_first_not_of("0123456789") == std::string::npos;
        if (digits && std::from_chars(sweep_id->data(), sweep_id->data() + sweep_id->size(), parsed).ec == std::errc())
            id = parsed;
        view = ask_coordinator(run, *endpoint, id);
    }
    out << "run folder   " << run.dir << "\n"
        << "sweep        " << (sweep_id ? *sweep_id : std::string("(not submitted yet)")) << " '" << record.sweep_name
        << "', launched " << record.launched_at << "\n"
        << "coordinator  "
        << (endpoint ? *endpoint
                     : std::string(std::filesystem::exists(run.stop_marker()) ? "(stopped)" : "(no address yet)"));
    if (endpoint && !view.error.empty()) out << " (not answering: " << view.error << ")";
    out << "\n";
    for (const auto& sweep : view.status.value("sweeps", nlohmann::json::array()))
        out << "trials       " << counts_text(sweep) << "\n";
    if (std::filesystem::exists(run.stop_marker())) out << "stopped      segsweep slurm stop was run\n";
    out << "\n";

    std::vector<StatusRow> rows;
    if (record.coordinator_here) {
        bool alive = process_matches(static_cast<pid_t>(record.coordinator_pid), run.coordinator_script());
        rows.push_back({"-", "coordinator", alive ? "RUNNING" : "EXITED", "", "",
                        record.coordinator_host + " pid " + std::to_string(record.coordinator_pid), "", ""});
    } else {
        std::vector<QueueRow> coordinator_rows = rows_of(record, record.coordinator_job);
        if (coordinator_rows.empty())
            rows.push_back({record.coordinator_job, "coordinator", "GONE", "", "", "(not in squeue)", "", ""});
        for (const auto& row : coordinator_rows)
            rows.push_back(
                {row.display_id(), "coordinator", row.state, row.elapsed, row.time_limit, row.where, "", ""});
    }
    std::vector<QueueRow> workers = rows_of(record, record.worker_job);
    if (workers.empty() && !record.worker_job.empty())
        rows.push_back({record.worker_job, "workers", "GONE", "", "", "(not in squeue)", "", ""});
    for (const auto& row : workers) {
        StatusRow status{
            row.display_id(), "worker " + row.index, row.state, row.elapsed, row.time_limit, row.where, "", ""};
        if (auto worker = worker_of_job(run, view, row.job_id)) {
            status.worker = worker->value("worker_id", std::string());
            status.trial = trial_text(view, *worker);
        }
        rows.push_back(status);
    }
    print_rows(out, rows);
}

std::string run_environment(const RunFolder& run) {
    LaunchRecord record = read_launch_record(run);
    return "unset SEGSWEEP_COORDINATOR SEGSWEEP_KEYS\n"
           "export SEGSWEEP_HOME=" +
           shell_quote(run.dir) +
           "\n"
           "export SEGSWEEP_DB=" +
           shell_quote(record.db) + "\n";
}

void stop(const RunFolder& run, std::ostream& out) {
    LaunchRecord record = read_launch_record(run);
    write_private_file(run.stop_marker(), utc_now_iso() + "\n");
    stop_workers(record, out);
    stop_coordinator(run, record, out);
}

}  // namespace segsweep::slurm
