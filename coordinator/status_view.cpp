// Text renderings of STATUS / WORKERS replies and the progress line of `segsweep wait`.
#include "coordinator/status_view.h"

#include <cstdio>
#include <sstream>

namespace segsweep::coordinator {
namespace {

const char* const kStateOrder[] = {"pending", "running", "completed", "stopped_early", "diverged", "failed",
                                   "cancelled"};
const char* const kFinalStates[] = {"completed", "stopped_early", "diverged", "failed", "cancelled"};

int count(const nlohmann::json& sweep, const char* state) {
    const auto& counts = sweep.value("counts", nlohmann::json::object());
    auto it = counts.find(state);
    return it != counts.end() && it->is_number_integer() ? it->get<int>() : 0;
}

std::string seconds_text(double seconds) {
    char text[32];
    if (seconds < 60) std::snprintf(text, sizeof text, "%.0fs", seconds);
    else if (seconds < 3600) std::snprintf(text, sizeof text, "%dm%02ds", static_cast<int>(seconds) / 60, static_cast<int>(seconds) % 60);
    else std::snprintf(text, sizeof text, "%dh%02dm", static_cast<int>(seconds) / 3600, (static_cast<int>(seconds) / 60) % 60);
    return text;
}

std::string string_of(const nlohmann::json& object, const char* key) {
    auto it = object.find(key);
    if (it == object.end() || it->is_null()) return "-";
    return it->is_string() ? it->get<std::string>() : it->dump();
}

}  // namespace

std::string final_counts_text(const nlohmann::json& sweep) {
    std::string text;
    for (const char* state : kFinalStates) {
        int n = count(sweep, state);
        if (n > 0) text += (text.empty() ? "" : ", ") + std::to_string(n) + " " + state;
    }
    return text.empty() ? "no trial final yet" : text;
}

int finished_trials(const nlohmann::json& sweep) {
    int n = 0;
    for (const char* state : kFinalStates) n += count(sweep, state);
    return n;
}

std::optional<nlohmann::json> sweep_of_status(const nlohmann::json& status, int64_t sweep_id) {
    for (const auto& sweep : status.value("sweeps", nlohmann::json::array()))
        if (sweep.value("sweep_id", int64_t{0}) == sweep_id) return sweep;
    return std::nullopt;
}

std::optional<int64_t> sweep_id_by_name(const nlohmann::json& status, const std::string& name) {
    std::optional<int64_t> newest;
    for (const auto& sweep : status.value("sweeps", nlohmann::json::array())) {
        const int64_t id = sweep.value("sweep_id", int64_t{0});
        if (sweep.value("name", std::string()) == name && (!newest || id > *newest)) newest = id;
    }
    return newest;
}

std::string status_text(const nlohmann::json& status) {
    std::ostringstream out;
    const auto sweeps = status.value("sweeps", nlohmann::json::array());
    if (sweeps.empty()) out << "no sweeps on this coordinator\n";
    for (const auto& sweep : sweeps) {
        std::string state = sweep.value("done", false) ? (sweep.value("cancelled", false) ? "cancelled" : "done")
                                                       : (sweep.value("cancelled", false) ? "cancelling" : "running");
        out << "sweep " << sweep.value("sweep_id", int64_t{0}) << " '" << sweep.value("name", std::string()) << "' ("
            << state << "): " << sweep.value("trials", 0) << " trials";
        std::string parts;
        for (const char* s : kStateOrder) {
            int n = count(sweep, s);
            if (n > 0) parts += (parts.empty() ? "" : ", ") + std::to_string(n) + " " + s;
        }
        out << (parts.empty() ? "" : ": " + parts) << "\n";
    }
    const auto running = status.value("running", nlohmann::json::array());
    if (!running.empty()) {
        out << "running:\n";
        for (const auto& r : running) {
            char line[320];
            std::string eta = r.contains("eta_seconds") && r["eta_seconds"].is_number()
                                  ? "eta " + seconds_text(r["eta_seconds"].get<double>())
                                  : "eta -";
            std::snprintf(line, sizeof line, "  trial %-6lld sweep %-4lld attempt %-2d epoch %d/%d  %-10s worker %s\n",
                          static_cast<long long>(r.value("trial_id", int64_t{0})),
                          static_cast<long long>(r.value("sweep_id", int64_t{0})), r.value("attempt", 0),
                          r.value("epoch", 0), r.value("epochs_planned", 0), eta.c_str(),
                          r.value("worker_id", std::string()).empty() ? "(waiting for re-attach)"
                                                                      : r.value("worker_id", std::string()).c_str());
            out << line;
        }
    }
    if (!status.contains("workers")) return out.str();  // read from a store: it knows no workers
    const auto workers = status.value("workers", nlohmann::json::object());
    out << "workers: " << workers.value("total", 0) << " (" << workers.value("busy", 0) << " busy, "
        << workers.value("idle", 0) << " idle)\n";
    if (status.contains("worker_list")) out << workers_text({{"workers", status["worker_list"]}});
    return out.str();
}

std::string workers_text(const nlohmann::json& workers) {
    std::ostringstream out;
    const auto list = workers.value("workers", nlohmann::json::array());
    if (list.empty()) return "  (no workers connected)\n";
    char line[400];
    std::snprintf(line, sizeof line, "  %-32s %-10s %-7s %5s %4s %7s %5s %9s\n", "worker", "state", "trial", "ranks",
                  "gpus", "threads", "done", "heard");
    out << line;
    for (const auto& w : list) {
        std::snprintf(line, sizeof line, "  %-32s %-10s %-7s %5d %4d %7d %5d %8.1fs\n",
                      w.value("worker_id", std::string()).c_str(), w.value("state", std::string()).c_str(),
                      string_of(w, "trial_id").c_str(), w.value("ranks", 0), w.value("gpus", 0),
                      w.value("cpu_threads", 0), w.value("trials_done", 0),
                      w.value("last_seen_ms_ago", int64_t{0}) / 1000.0);
        out << line;
    }
    return out.str();
}

std::string progress_line(const nlohmann::json& sweep, std::optional<double> best, const std::string& metric,
                          int width) {
    int total = sweep.value("trials", 0);
    int done = finished_trials(sweep);
    int filled = total > 0 ? done * width / total : 0;
    std::string bar = "[";
    bar.append(static_cast<size_t>(filled), '#');
    bar.append(static_cast<size_t>(width - filled), '.');
    bar += "]";
    char text[256];
    if (best)
        std::snprintf(text, sizeof text, "%s %d/%d trials final, %d running, best %s %.4f", bar.c_str(), done, total,
                      count(sweep, "running"), metric.c_str(), *best);
    else
        std::snprintf(text, sizeof text, "%s %d/%d trials final, %d running", bar.c_str(), done, total,
                      count(sweep, "running"));
    return text;
}

}  // namespace segsweep::coordinator
