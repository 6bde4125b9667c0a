// Run-folder files: atomic whole-file writes, history.jsonl, config.json and result.json.
#include "worker/train/run_files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/error.h"

namespace segsweep {
namespace {

std::string errno_text() { return std::strerror(errno); }

// Flushes a file (or folder) to disk; a folder fsync makes the rename durable.
void fsync_path(const std::filesystem::path& path, bool directory) {
    const int fd = ::open(path.c_str(), directory ? (O_RDONLY | O_DIRECTORY) : O_RDONLY);
    if (fd < 0) throw Error(path.string() + ": cannot open to sync: " + errno_text());
    const int rc = ::fsync(fd);
    const int error = rc != 0 ? errno : 0;
    ::close(fd);
    // Some file systems refuse fsync on folders (EINVAL); the rename is still atomic there.
    if (rc != 0 && !(directory && error == EINVAL))
        throw Error(path.string() + ": fsync failed: " + std::strerror(error));
}

}  // namespace

void write_file_atomically(const std::filesystem::path& file, const std::string& bytes) {
    std::filesystem::path temporary = file;
    temporary += ".tmp-" + std::to_string(::getpid());
    {
        std::FILE* out = std::fopen(temporary.c_str(), "wb");
        if (!out) throw Error(temporary.string() + ": cannot create: " + errno_text());
        const size_t written = bytes.empty() ? 0 : std::fwrite(bytes.data(), 1, bytes.size(), out);
        const bool ok = written == bytes.size() && std::fflush(out) == 0 && ::fsync(::fileno(out)) == 0;
        const std::string why = ok ? "" : errno_text();
        std::fclose(out);
        if (!ok) {
            std::filesystem::remove(temporary);
            throw Error(temporary.string() + ": write failed: " + why);
        }
    }
    std::error_code ec;
    std::filesystem::rename(temporary, file, ec);
    if (ec) {
        std::filesystem::remove(temporary);
        throw Error(file.string() + ": cannot rename " + temporary.filename().string() + " into place: " + ec.message());
    }
    const std::filesystem::path folder = file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
    fsync_path(folder, /*directory=*/true);
}

std::string read_text_file(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw Error(file.string() + ": cannot open for reading");
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) throw Error(file.string() + ": read failed");
    return text.str();
}

void append_history_line(const std::filesystem::path& run_dir, const EpochMetrics& metrics) {
    const std::filesystem::path file = run_dir / kRunHistoryFile;
    std::FILE* out = std::fopen(file.c_str(), "ab");
    if (!out) throw Error(file.string() + ": cannot open for appending: " + errno_text());
    const std::string line = to_json(metrics).dump() + "\n";
    const bool ok = std::fwrite(line.data(), 1, line.size(), out) == line.size() && std::fflush(out) == 0;
    std::fclose(out);
    if (!ok) throw Error(file.string() + ": append failed: " + errno_text());
}

void rewrite_history(const std::filesystem::path& run_dir, const std::vector<EpochMetrics>& history) {
    std::string text;
    for (const auto& metrics : history) text += to_json(metrics).dump() + "\n";
    write_file_atomically(run_dir / kRunHistoryFile, text);
}

std::vector<EpochMetrics> read_history(const std::filesystem::path& run_dir) {
    const std::filesystem::path file = run_dir / kRunHistoryFile;
    std::istringstream lines(read_text_file(file));
    std::vector<EpochMetrics> history;
    std::string line;
    int number = 0;
    while (std::getline(lines, line)) {
        ++number;
        if (line.empty()) continue;
        try {
            history.push_back(epoch_metrics_from_json(nlohmann::json::parse(line)));
        } catch (const std::exception& e) {
            throw Error(file.string() + ":" + std::to_string(number) + ": " + e.what());
        }
    }
    return history;
}

TrialConfig read_run_config(const std::filesystem::path& run_dir) {
    const std::filesystem::path file = run_dir / kRunConfigFile;
    nlohmann::json object;
    try {
        object = nlohmann::json::parse(read_text_file(file));
    } catch (const nlohmann::json::exception& e) {
        throw Error(file.string() + ": not valid JSON: " + e.what());
    }
    return trial_config_from_json(object, file.string());
}

std::optional<TrialResult> read_run_result(const std::filesystem::path& run_dir) {
    const std::filesystem::path file = run_dir / kRunResultFile;
    if (!std::filesystem::exists(file)) return std::nullopt;
    try {
        return trial_result_from_json(nlohmann::json::parse(read_text_file(file)));
    } catch (const nlohmann::json::exception& e) {
        throw Error(file.string() + ": not valid JSON: " + e.what());
    } catch (const Error& e) {
        throw Error(file.string() + ": " + e.what());
    }
}

}  // namespace segsweep
