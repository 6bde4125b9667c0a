// The replay report of `segsweep bench sweep replay`: a table (one row per method x policy) and JSON.
#include <cstdio>
#include <string>

#include "bench/sweep_efficiency_replay.h"
#include "sweeps/sweep_metric.h"
#include "sweeps/text_table.h"

namespace segsweep {
namespace {

std::string fixed(double value, int decimals) {
    char text[32];
    std::snprintf(text, sizeof text, "%.*f", decimals, value);
    return text;
}

double worst_best_score(const ReplayCell& cell) {
    double worst = cell.runs.empty() ? 0.0 : cell.runs.front().best_score;
    for (const ReplayRun& run : cell.runs) worst = std::min(worst, run.best_score);
    return worst;
}

double mean_of(const ReplayCell& cell, double (*field)(const ReplayRun&)) {
    double sum = 0;
    for (const ReplayRun& run : cell.runs) sum += field(run);
    return cell.runs.empty() ? 0.0 : sum / static_cast<double>(cell.runs.size());
}

}  // namespace

std::string format_replay_report(const ReplayReport& report) {
    std::string out;
    char line[1024];
    std::snprintf(line, sizeof line,
                  "recording: %d trials, %lld epochs in all; grid's best final_score %.4f at %s\n"
                  "replay: %d workers, sweep metric %s (epochs judged on %s); random and bayes: run_cap %d, "
                  "seeds 1..%d (means over seeds)\nearly_terminate: %s, %s\n",
                  report.grid_trials, static_cast<long long>(report.grid_epochs), report.grid_best_score,
                  report.grid_best_parameters.dump().c_str(), report.workers, report.metric.c_str(),
                  epoch_metric_name(MetricSpec{report.metric, natural_goal(report.metric), std::nullopt}).c_str(),
                  report.run_cap, report.seeds, report.hyperband.dump().c_str(), report.median.dump().c_str());
    out += line;
    TextTable table({"method", "early_terminate", "trials", "stopped", "epochs", "of grid", "best score", "gap",
                     "worst best", "within 0.01", "target"});
    for (size_t column = 2; column <= 9; ++column) table.align_right(column);
    for (const ReplayCell& cell : report.cells) {
        const double epochs = mean_epochs(cell);
        const double best = mean_best_score(cell);
        table.add_row({search_method_name(cell.method), early_terminate_type_name(cell.early_terminate),
                       fixed(mean_of(cell, [](const ReplayRun& r) { return static_cast<double>(r.trials); }), 1),
                       fixed(mean_of(cell, [](const ReplayRun& r) { return static_cast<double>(r.stopped); }), 1),
                       fixed(epochs, 1), fixed(epochs / static_cast<double>(report.grid_epochs), 3), fixed(best, 4),
                       fixed(report.grid_best_score - best, 4), fixed(worst_best_score(cell), 4),
                       std::to_string(runs_within_target(cell, report.grid_best_score)) + "/" +
                           std::to_string(cell.runs.size()),
                       cell_meets_target(cell, report) ? "met" : "-"});
    }
    out += table.render();
    std::snprintf(line, sizeof line,
                  "target: within %.2f of the grid's best final_score with at most %.3f of the grid's epochs, in "
                  "every seed (\"target\" column)\n",
                  kReplayTargetGap, kReplayTargetEpochFraction);
    out += line;
    return out;
}

nlohmann::json replay_report_json(const ReplayReport& report) {
    nlohmann::json json;
    json["metric"] = report.metric;
    json["workers"] = report.workers;
    json["run_cap"] = report.run_cap;
    json["seeds"] = report.seeds;
    json["hyperband"] = report.hyperband;
    json["median"] = report.median;
    json["grid_trials"] = report.grid_trials;
    json["grid_epochs"] = report.grid_epochs;
    json["grid_best_score"] = report.grid_best_score;
    json["grid_best_parameters"] = report.grid_best_parameters;
    json["cells"] = nlohmann::json::array();
    for (const ReplayCell& cell : report.cells) {
        nlohmann::json runs = nlohmann::json::array();
        for (const ReplayRun& run : cell.runs)
            runs.push_back({{"epochs", run.epochs},
                            {"trials", run.trials},
                            {"stopped", run.stopped},
                            {"best_score", run.best_score},
                            {"best_parameters", run.best_parameters}});
        json["cells"].push_back({{"method", search_method_name(cell.method)},
                                 {"early_terminate", early_terminate_type_name(cell.early_terminate)},
                                 {"mean_epochs", mean_epochs(cell)},
                                 {"epoch_fraction", mean_epochs(cell) / static_cast<double>(report.grid_epochs)},
                                 {"mean_best_score", mean_best_score(cell)},
                                 {"runs_within_target", runs_within_target(cell, report.grid_best_score)},
                                 {"meets_target", cell_meets_target(cell, report)},
                                 {"runs", runs}});
    }
    return json;
}

}  // namespace segsweep
