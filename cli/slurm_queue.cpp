// squeue rows of a launch's jobs: the query and the parser.
#include "cli/slurm_queue.h"

#include <algorithm>
#include <sstream>

#include "cli/slurm_process.h"

namespace segsweep::slurm {
namespace {

constexpr size_t kQueueFields = 8;  // fields of kQueueFormat

std::vector<std::string> split(const std::string& line, char separator) {
    std::vector<std::string> parts;
    std::string part;
    std::stringstream stream(line);
    while (std::getline(stream, part, separator)) parts.push_back(part);
    if (!line.empty() && line.back() == separator) parts.emplace_back();
    return parts;
}

// Job ids and array indices are numbers; anything else sorts first.
long long number_or_minus_one(const std::string& text) {
    if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) return -1;
    return std::stoll(text);
}

std::string join(const std::vector<std::string>& words, char separator) {
    std::string text;
    for (const auto& word : words) {
        if (!text.empty()) text += separator;
        text += word;
    }
    return text;
}

}  // namespace

const char* const kQueueFormat = "%A|%F|%K|%T|%M|%l|%R|%j";

std::vector<QueueRow> parse_queue_rows(const std::string& text) {
    std::vector<QueueRow> rows;
    std::stringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        std::vector<std::string> f = split(line, '|');
        if (f.size() < kQueueFields) continue;
        QueueRow row;
        row.job_id = f[0];
        row.base_id = f[1];
        row.index = (f[2] == "N/A" || f[2].empty()) ? "" : f[2];
        row.state = f[3];
        row.elapsed = f[4];
        row.time_limit = f[5];
        row.where = f[6];
        // A job name may itself hold '|': everything after the seventh separator.
        std::vector<std::string> name_parts(f.begin() + 7, f.end());
        row.name = join(name_parts, '|');
        if (row.job_id.empty() || row.state.empty()) continue;
        rows.push_back(row);
    }
    return rows;
}

std::vector<QueueRow> query_jobs(const std::vector<std::string>& job_names, const std::vector<std::string>& job_ids) {
    std::vector<std::string> command = {"squeue", "--noheader", "--states=all", "--array", "--format", kQueueFormat};
    if (!job_names.empty()) command.push_back("--name=" + join(job_names, ','));
    std::vector<QueueRow> rows;
    for (const auto& row : parse_queue_rows(run_command_checked(command))) {
        if (std::find(job_ids.begin(), job_ids.end(), row.base_id) != job_ids.end()) rows.push_back(row);
    }
    std::sort(rows.begin(), rows.end(), [](const QueueRow& a, const QueueRow& b) {
        if (a.base_id != b.base_id) return number_or_minus_one(a.base_id) < number_or_minus_one(b.base_id);
        return number_or_minus_one(a.index) < number_or_minus_one(b.index);
    });
    return rows;
}

bool state_is_active(const std::string& state) {
    static const std::vector<std::string> active = {
        "PENDING",  "RUNNING",   "CONFIGURING", "COMPLETING", "REQUEUED",  "REQUEUE_FED",  "REQUEUE_HOLD",
        "RESIZING", "SUSPENDED", "STOPPED",     "SIGNALING",  "STAGE_OUT", "RESV_DEL_HOLD"};
    return std::find(active.begin(), active.end(), state) != active.end();
}

}  // namespace segsweep::slurm
