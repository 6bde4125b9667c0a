// `segsweep slurm launch`: sweep file -> run folder -> coordinator (job or login node) -> worker
// array -> launch.json -> the sweep id.
#include "cli/slurm_launch.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "cli/slurm_process.h"
#include "cli/slurm_queue.h"
#include "cli/slurm_run_folder.h"
#include "common/error.h"
#include "sweeps/sweep_parser.h"
#include "sweeps/sweep_text.h"

namespace segsweep::slurm {
namespace fs = std::filesystem;
namespace {

constexpr int kWaitPollMs = 200;        // ms between looks at sweep.id
constexpr int kJobStatePollMs = 2000;   // ms between squeue calls while waiting
constexpr size_t kLogTailBytes = 2000;  // bytes of a failed coordinator's log shown in the error
constexpr int kPendingNoteS = 5;        // s pending before launch says the coordinator job waits in the queue
constexpr mode_t kRunUmask = 077;       // files of the run (job logs included: sbatch passes it on) are private

std::string this_executable() {
    std::error_code ec;
    fs::path self = fs::read_symlink("/proc/self/exe", ec);
    if (ec) throw Error("cannot find the segsweep executable (/proc/self/exe): " + ec.message());
    return self.string();
}

std::string host_name() {
    char name[256] = {0};
    if (gethostname(name, sizeof name - 1) != 0) return "localhost";
    return name;
}

// GPUs for the workers: as asked, or (auto) when sinfo lists gpu GRES on the partition's nodes.
bool resolve_gpus(const LaunchOptions& options, std::string& note) {
    if (options.gpus != GpuRequest::automatic) return options.gpus == GpuRequest::yes;
    if (!command_on_path("sinfo")) {
        note = "sinfo not found: assuming GPU nodes (--gpus no for CPU ranks)";
        return true;
    }
    std::vector<std::string> command = {"sinfo", "--noheader", "--format=%G"};
    if (!options.partition.empty()) command.push_back("--partition=" + options.partition);
    CommandResult result = run_command(command);
    if (result.exit_code != 0) {
        note = "sinfo failed: assuming GPU nodes (--gpus no for CPU ranks)";
        return true;
    }
    bool gpus = result.out.find("gpu") != std::string::npos;
    note = gpus ? "the partition's nodes have gpu GRES: one GPU per rank"
                : "no gpu GRES on the partition's nodes: CPU ranks (--gpus yes to ask for GPUs anyway)";
    return gpus;
}

std::string parse_job_id(const std::string& sbatch_output, const std::string& what) {
    // --parsable prints "jobid" or "jobid;cluster".
    std::string id = sbatch_output.substr(0, sbatch_output.find_first_of(";\n"));
    if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos)
        throw Error("sbatch (" + what + ") printed no job id: '" + sbatch_output + "'");
    return id;
}

std::string log_tail(const std::string& path) {
    std::string text;
    try {
        text = read_text_file(path);
    } catch (const Error&) {
        return "";
    }
    if (text.size() > kLogTailBytes) text = "..." + text.substr(text.size() - kLogTailBytes);
    return text;
}

void print_dry_run(const LaunchPlan& plan, std::ostream& out) {
    RunFolder run{plan.run_dir};
    out << "# dry run: nothing is created or submitted\n"
        << "# run folder " << run.dir << " (0700; SEGSWEEP_HOME of every process of the run)\n"
        << "# workers: " << plan.options.workers << " x " << plan.shape.ranks << " rank(s), "
        << plan.shape.cpus_per_rank << " CPU(s) per rank, " << (plan.shape.gpus ? "one GPU per rank" : "no GPUs")
        << (plan.gpu_note.empty() ? "" : " (" + plan.gpu_note + ")") << "\n\n";
    out << "# ---- " << run.coordinator_script() << " ----\n" << coordinator_script(plan) << "\n";
    out << "# ---- " << run.worker_script() << " ----\n" << worker_script(plan) << "\n";
    out << "# ---- commands ----\n";
    if (plan.options.coordinator_here) {
        out << "nohup bash " << shell_quote(run.coordinator_script()) << " >> "
            << shell_quote(run.logs_dir() + "/coordinator-here.log") << " 2>&1 &\n";
        out << shell_join(worker_sbatch_command(plan, "")) << "\n";
    } else {
        out << shell_join(coordinator_sbatch_command(plan)) << "\n";
        out << shell_join(worker_sbatch_command(plan, "<coordinator job id>")) << "\n";
    }
}

// Waits for <run>/sweep.id. Returns it, or "" when the coordinator has not taken the sweep yet
// (still pending in the queue, or wait_s ran out). Throws when the coordinator died.
std::string wait_for_sweep_id(const RunFolder& run, const LaunchRecord& record, int wait_s, std::ostream& out) {
    auto start = std::chrono::steady_clock::now();
    auto deadline = start + std::chrono::seconds(wait_s);
    auto next_queue_check = start;
    bool said_pending = false;
    while (std::chrono::steady_clock::now() < deadline) {
        if (auto id = read_first_line(run.sweep_id_file())) return *id;
        if (record.coordinator_here) {
            if (!process_matches(static_cast<pid_t>(record.coordinator_pid), run.coordinator_script())) {
                std::string log = run.logs_dir() + "/coordinator-here.log";
                throw Error("the coordinator on this node exited before taking the sweep; " + log + ":\n" +
                            log_tail(log));
            }
        } else if (std::chrono::steady_clock::now() >= next_queue_check) {
            next_queue_check += std::chrono::milliseconds(kJobStatePollMs);
            std::vector<QueueRow> rows = query_jobs({}, {record.coordinator_job});
            if (!rows.empty() && !state_is_active(rows.front().state)) {
                std::string log = run.logs_dir() + "/coordinator-" + record.coordinator_job + ".out";
                throw Error("coordinator job " + record.coordinator_job + " ended (" + rows.front().state +
                            ") before taking the sweep; " + log + ":\n" + log_tail(log));
            }
            bool long_pending = std::chrono::steady_clock::now() - start > std::chrono::seconds(kPendingNoteS);
            if (!rows.empty() && rows.front().state == "PENDING" && long_pending && !said_pending) {
                out << "coordinator job " << record.coordinator_job << " is pending " << rows.front().where
                    << "; waiting up to " << wait_s << " s\n";
                said_pending = true;
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(kWaitPollMs));
    }
    return "";
}

}  // namespace

LaunchPlan make_launch_plan(const LaunchOptions& options) {
    if (options.workers < 1) throw Error("--workers must be at least 1, not " + std::to_string(options.workers));
    if (options.port < 0 || options.port > 65535)
        throw Error("--port must be 0..65535, not " + std::to_string(options.port));
    std::string text = read_sweep_file_text(options.sweep_file);
    SweepSpec spec = parse_sweep_text(text, options.sweep_file);

    LaunchPlan plan;
    plan.options = options;
    plan.sweep_name = spec.name;
    plan.shape = worker_shape(spec.resources, resolve_gpus(options, plan.gpu_note), options.ranks_per_node);
    std::error_code ec;
    plan.work_dir = fs::current_path(ec).string();
    if (ec) throw Error("cannot read the current folder: " + ec.message());
    std::string run_dir = options.run_dir.empty() ? default_run_dir(job_name_part(spec.name)) : options.run_dir;
    plan.run_dir = fs::absolute(run_dir).lexically_normal().string();
    plan.db = options.db.empty() ? RunFolder{plan.run_dir}.default_db() : fs::absolute(options.db).string();
    plan.segsweep = this_executable();
    return plan;
}

void launch(const LaunchOptions& options, int wait_s, std::ostream& out) {
    LaunchPlan plan = make_launch_plan(options);
    if (options.dry_run) {
        print_dry_run(plan, out);
        return;
    }
    if (!command_on_path("sbatch"))
        throw Error("sbatch not found on PATH: run this on a SLURM login node (or --dry-run to see the scripts)");

    std::string text = read_sweep_file_text(options.sweep_file);
    nlohmann::json document =
        parse_sweep_document(text, sweep_format_for(options.sweep_file, text), options.sweep_file);

    ::umask(kRunUmask);
    RunFolder run = create_run_folder(plan.run_dir);
    make_run_keys(run);
    write_private_file(run.sweep_file(), document.dump(2) + "\n");
    write_private_file(run.coordinator_script(), coordinator_script(plan));
    write_private_file(run.worker_script(), worker_script(plan));

    LaunchRecord record;
    record.sweep_name = plan.sweep_name;
    record.coordinator_here = options.coordinator_here;
    record.workers = options.workers;
    record.ranks_per_worker = plan.shape.ranks;
    record.launched_at = utc_now_iso();
    record.db = plan.db;
    if (options.coordinator_here) {
        pid_t pid = start_detached({"bash", run.coordinator_script()}, run.logs_dir() + "/coordinator-here.log");
        record.coordinator_pid = pid;
        record.coordinator_host = host_name();
    } else {
        record.coordinator_job = parse_job_id(run_command_checked(coordinator_sbatch_command(plan)), "coordinator");
    }
    write_launch_record(run, record);
    try {
        record.worker_job =
            parse_job_id(run_command_checked(worker_sbatch_command(plan, record.coordinator_job)), "workers");
    } catch (const Error&) {
        // No workers: take the coordinator down again rather than leave it serving nobody.
        if (options.coordinator_here) {
            if (process_matches(static_cast<pid_t>(record.coordinator_pid), run.coordinator_script()))
                ::kill(static_cast<pid_t>(record.coordinator_pid), SIGTERM);
        } else {
            run_command({"scancel", record.coordinator_job});
        }
        throw;
    }
    write_launch_record(run, record);

    out << "run folder   " << run.dir << "\n";
    if (options.coordinator_here)
        out << "coordinator  pid " << record.coordinator_pid << " on " << record.coordinator_host << " (log "
            << run.logs_dir() << "/coordinator-here.log)\n";
    else
        out << "coordinator  job " << record.coordinator_job << "\n";
    out << "workers      job array " << record.worker_job << ": " << options.workers << " x " << plan.shape.ranks
        << " rank(s), " << plan.shape.cpus_per_rank << " CPU(s) per rank"
        << (plan.shape.gpus ? ", one GPU per rank" : ", no GPUs") << "\n";
    std::string sweep_id = wait_for_sweep_id(run, record, wait_s, out);
    if (sweep_id.empty()) {
        out << "sweep        not submitted yet: the coordinator submits it when it starts (see segsweep slurm "
               "status)\n";
    } else {
        out << "sweep        " << sweep_id << " (coordinator " << read_first_line(run.endpoint_file()).value_or("?")
            << ")\n";
    }
    out << "next         segsweep slurm status " << run.dir << "\n"
        << "             eval \"$(segsweep slurm env " << run.dir << ")\"; segsweep wait "
        << (sweep_id.empty() ? "SWEEP" : sweep_id) << "; segsweep leaderboard\n"
        << "             segsweep slurm stop " << run.dir << "\n";
}

}  // namespace segsweep::slurm
