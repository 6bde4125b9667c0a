// The run folder of a SLURM launch: layout, private files (0600, written atomically), keys, and
// the launch record (launch.json).
#include "cli/slurm_run_folder.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/coordinator_address.h"
#include "common/error.h"
#include "common/keys.h"

namespace segsweep::slurm {
namespace fs = std::filesystem;
namespace {

constexpr const char* kLatestLink = "latest";  // <runs_root>/latest -> the newest run folder

std::string utc_stamp(const char* format) {
    std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm utc{};
    gmtime_r(&now, &utc);
    char text[64];
    std::strftime(text, sizeof text, format, &utc);
    return text;
}

void make_private_dir(const std::string& dir) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw Error(dir + ": cannot create: " + ec.message());
    if (::chmod(dir.c_str(), kPrivateDirMode) != 0) throw Error(dir + ": cannot chmod 700: " + std::strerror(errno));
}

void make_private_tree(const std::string& dir) {
    std::error_code ec;
    for (const auto& entry : fs::recursive_directory_iterator(dir, ec)) {
        mode_t mode = entry.is_directory() ? kPrivateDirMode : kPrivateFileMode;
        if (::chmod(entry.path().c_str(), mode) != 0)
            throw Error(entry.path().string() + ": cannot chmod: " + std::strerror(errno));
    }
    if (ec) throw Error(dir + ": cannot list: " + ec.message());
    if (::chmod(dir.c_str(), kPrivateDirMode) != 0) throw Error(dir + ": cannot chmod 700: " + std::strerror(errno));
}

const nlohmann::json& field(const nlohmann::json& object, const char* key, const std::string& source) {
    if (!object.contains(key)) throw Error(source + ": missing \"" + key + "\"");
    return object.at(key);
}

}  // namespace

std::string RunFolder::endpoint_file() const { return dir + "/" + kEndpointFileName; }

std::string runs_root() { return segsweep_home() + "/slurm"; }

std::string default_run_dir(const std::string& sweep_name) {
    return runs_root() + "/" + sweep_name + "-" + utc_stamp("%Y%m%d-%H%M%S");
}

RunFolder resolve_run_folder(const std::string& flag) {
    // After `eval "$(segsweep slurm env)"` SEGSWEEP_HOME is the run folder itself.
    if (flag.empty() && fs::exists(RunFolder{segsweep_home()}.launch_record()))
        return resolve_run_folder(segsweep_home());
    std::string dir = flag.empty() ? runs_root() + "/" + kLatestLink : flag;
    std::error_code ec;
    fs::path resolved = fs::canonical(dir, ec);
    if (ec) {
        if (flag.empty())
            throw Error("no SLURM launch found (" + dir +
                        " is missing): pass the run folder that `segsweep slurm launch` printed");
        throw Error(dir + ": no such run folder");
    }
    RunFolder run{resolved.string()};
    if (!fs::exists(run.launch_record()))
        throw Error(run.dir + ": not a run folder of `segsweep slurm launch` (no launch.json)");
    return run;
}

RunFolder create_run_folder(const std::string& dir) {
    std::error_code ec;
    fs::path absolute = fs::absolute(dir, ec);
    if (ec) throw Error(dir + ": " + ec.message());
    RunFolder run{absolute.lexically_normal().string()};
    if (fs::exists(run.dir) && !fs::is_empty(run.dir, ec))
        throw Error(run.dir + ": run folder exists and is not empty (pass another --run-dir)");
    make_private_dir(run.dir);
    make_private_dir(run.logs_dir());
    make_private_dir(run.trials_dir());
    // Point <runs_root>/latest at it (a symlink replaced atomically), when it lives there.
    fs::path root = runs_root();
    if (fs::path(run.dir).parent_path() == fs::absolute(root).lexically_normal()) {
        fs::path link = root / kLatestLink;
        fs::path temporary = root / (std::string(kLatestLink) + ".tmp." + std::to_string(getpid()));
        fs::remove(temporary, ec);
        fs::create_directory_symlink(fs::path(run.dir).filename(), temporary, ec);
        if (!ec) fs::rename(temporary, link, ec);
        if (ec) throw Error(link.string() + ": cannot point it at " + run.dir + ": " + ec.message());
    }
    return run;
}

void make_run_keys(const RunFolder& run) {
    keygen_folder(run.key_dir(), "client", false);
    make_private_tree(run.key_dir());
}

void write_private_file(const std::string& path, const std::string& text) {
    std::string temporary = path + ".tmp." + std::to_string(getpid());
    {
        std::ofstream out(temporary, std::ios::trunc);
        if (!out) throw Error(temporary + ": cannot write: " + std::strerror(errno));
        if (::chmod(temporary.c_str(), kPrivateFileMode) != 0)
            throw Error(temporary + ": cannot chmod 600: " + std::strerror(errno));
        out << text;
        if (!out.flush()) throw Error(temporary + ": write failed");
    }
    std::error_code ec;
    fs::rename(temporary, path, ec);
    if (ec) throw Error(path + ": cannot replace: " + ec.message());
}

std::string read_text_file(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw Error(path + ": cannot read: " + std::strerror(errno));
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

std::optional<std::string> read_first_line(const std::string& path) {
    std::ifstream in(path);
    std::string line;
    if (!in || !std::getline(in, line) || line.empty()) return std::nullopt;
    return line;
}

nlohmann::json to_json(const LaunchRecord& record) {
    return {{"sweep_name", record.sweep_name},
            {"coordinator_here", record.coordinator_here},
            {"coordinator_job", record.coordinator_job},
            {"worker_job", record.worker_job},
            {"workers", record.workers},
            {"ranks_per_worker", record.ranks_per_worker},
            {"coordinator_pid", record.coordinator_pid},
            {"coordinator_host", record.coordinator_host},
            {"launched_at", record.launched_at},
            {"db", record.db}};
}

LaunchRecord launch_record_from_json(const nlohmann::json& object, const std::string& source) {
    if (!object.is_object()) throw Error(source + ": not a JSON object");
    LaunchRecord record;
    try {
        record.sweep_name = field(object, "sweep_name", source).get<std::string>();
        record.coordinator_here = field(object, "coordinator_here", source).get<bool>();
        record.coordinator_job = field(object, "coordinator_job", source).get<std::string>();
        record.worker_job = field(object, "worker_job", source).get<std::string>();
        record.workers = field(object, "workers", source).get<int>();
        record.ranks_per_worker = field(object, "ranks_per_worker", source).get<int>();
        record.coordinator_pid = field(object, "coordinator_pid", source).get<int64_t>();
        record.coordinator_host = field(object, "coordinator_host", source).get<std::string>();
        record.launched_at = field(object, "launched_at", source).get<std::string>();
        record.db = field(object, "db", source).get<std::string>();
    } catch (const nlohmann::json::exception& e) {
        throw Error(source + ": " + e.what());
    }
    return record;
}

void write_launch_record(const RunFolder& run, const LaunchRecord& record) {
    write_private_file(run.launch_record(), to_json(record).dump(2) + "\n");
}

LaunchRecord read_launch_record(const RunFolder& run) {
    std::string text = read_text_file(run.launch_record());
    nlohmann::json object = nlohmann::json::parse(text, nullptr, false);
    if (object.is_discarded()) throw Error(run.launch_record() + ": not valid JSON");
    return launch_record_from_json(object, run.launch_record());
}

std::string utc_now_iso() { return utc_stamp("%Y-%m-%dT%H:%M:%SZ"); }

}  // namespace segsweep::slurm
