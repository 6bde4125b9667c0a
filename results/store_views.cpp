// Tables and text for the sweeps, trials and show verbs.
#include "results/store_views.h"

#include <cmath>
#include <cstdio>
#include <ctime>

#include "results/leaderboard.h"
#include "sweeps/text_table.h"

namespace segsweep {
namespace {

std::string fixed(const std::optional<double>& value, int decimals) {
    if (!value || !std::isfinite(*value)) return "-";
    char text[48];
    std::snprintf(text, sizeof text, "%.*f", decimals, *value);
    return text;
}

std::string fixed(double value, int decimals) { return fixed(std::optional<double>(value), decimals); }

int count(const std::map<std::string, int>& counts, const char* state) {
    const auto it = counts.find(state);
    return it == counts.end() ? 0 : it->second;
}

}  // namespace

std::string format_utc_time(double seconds) {
    if (!std::isfinite(seconds) || seconds <= 0) return "-";
    const std::time_t time = static_cast<std::time_t>(seconds);
    std::tm utc{};
    gmtime_r(&time, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &utc);
    return text;
}

std::string sweeps_table(const std::vector<SweepRecord>& sweeps) {
    TextTable table({"sweep", "name", "method", "state", "trials", "done", "running", "pending", "created (UTC)"});
    for (size_t c : {0, 4, 5, 6, 7}) table.align_right(c);
    for (const auto& s : sweeps) {
        int total = 0;
        for (const auto& [state, n] : s.trial_counts) total += n;
        const int open = count(s.trial_counts, "pending") + count(s.trial_counts, "running");
        table.add_row({std::to_string(s.id), s.name, s.spec.value("method", std::string("-")),
                       sweep_state_name(s.state), std::to_string(total), std::to_string(total - open),
                       std::to_string(count(s.trial_counts, "running")),
                       std::to_string(count(s.trial_counts, "pending")), format_utc_time(s.created_at)});
    }
    return table.render();
}

std::string trials_table(const std::vector<TrialRecord>& trials) {
    TextTable table({"trial", "#", "state", "lr", "batch", "epochs", "attempt", "score", "IoU", "worker"});
    for (size_t c : {0, 1, 3, 4, 5, 6, 7, 8}) table.align_right(c);
    for (const auto& t : trials) {
        table.add_row({std::to_string(t.id), std::to_string(t.trial_index + 1), trial_state_name(t.state),
                       format_table_number(t.config.learning_rate, 3), std::to_string(t.config.batch_size),
                       std::to_string(t.last_epoch) + "/" + std::to_string(t.config.num_epochs),
                       std::to_string(t.attempt), fixed(t.final_score, 4), fixed(t.final_iou, 4),
                       t.worker_id.empty() ? "-" : t.worker_id});
    }
    return table.render();
}

std::string trial_details_text(const TrialDetails& d) {
    const TrialRecord& t = d.trial;
    std::string out = "trial " + std::to_string(t.id) + " (#" + std::to_string(t.trial_index + 1) + " of sweep " +
                      std::to_string(t.sweep_id) + " '" + d.sweep_name + "'): " + trial_state_name(t.state);
    if (!t.message.empty()) out += " - " + t.message;
    out += "\nconfig " + t.config_hash + ": " + canonical_json(t.config) + "\n";
    out += "attempts: " + std::to_string(t.attempt) + " (restarts " + std::to_string(t.restarts) + ", preemptions " +
           std::to_string(t.preemptions) + ")\n";
    if (!d.attempts.empty()) {
        TextTable attempts({"attempt", "worker", "outcome", "started (UTC)", "ended (UTC)", "message"});
        attempts.align_right(0);
        for (const auto& a : d.attempts)
            attempts.add_row({std::to_string(a.attempt), a.worker_id.empty() ? "-" : a.worker_id,
                              attempt_outcome_name(a.outcome), format_utc_time(a.started_at),
                              a.ended_at ? format_utc_time(*a.ended_at) : "-", a.message});
        out += attempts.render();
    }
    if (!d.curve.empty()) {
        out += "curve:\n";
        TextTable curve({"epoch", "train_loss", "val_loss", "val_iou", "images/s", "seconds"});
        for (size_t c = 0; c < 6; ++c) curve.align_right(c);
        for (const auto& e : d.curve)
            curve.add_row({std::to_string(e.epoch), fixed(e.train_loss, 4), fixed(e.val_loss, 4), fixed(e.val_iou, 4),
                           fixed(e.images_per_sec, 1), fixed(e.seconds, 1)});
        out += curve.render();
    }
    if (d.result) {
        const ResultRecord& r = *d.result;
        out += "result (attempt " + std::to_string(r.attempt) + "): " + trial_state_name(r.state) + ", " +
               std::to_string(r.epochs_run) + "/" + std::to_string(t.config.num_epochs) + " epochs, best epoch " +
               std::to_string(r.best_epoch) + ", " + format_duration(r.wall_seconds) + ", " +
               fixed(r.images_per_sec, 1) + " images/s\n";
        if (r.score) {
            out += "final_score " + fixed(r.score->final_score, 4) + " = final_IoU " + fixed(r.score->final_iou, 4) +
                   " x weight " + fixed(r.score->weight, 4) + "\n";
            TextTable sets({"set", "images", "IoU bg", "IoU people", "IoU hero", "TP", "FP", "FN"});
            for (size_t c = 1; c < 8; ++c) sets.align_right(c);
            for (const auto& s : r.score->sets)
                sets.add_row({s.name, std::to_string(s.images), fixed(s.iou_background, 4), fixed(s.iou_people, 4),
                              fixed(s.iou_hero, 4), std::to_string(s.true_positives), std::to_string(s.false_positives),
                              std::to_string(s.false_negatives)});
            out += sets.render();
        } else {
            out += "not scored\n";
        }
    }
    return out;
}

nlohmann::json to_json(const TrialDetails& d) {
    nlohmann::json attempts = nlohmann::json::array();
    for (const auto& a : d.attempts) attempts.push_back(to_json(a));
    nlohmann::json curve = nlohmann::json::array();
    for (const auto& e : d.curve) curve.push_back(to_json(e));
    return {{"trial", to_json(d.trial)},
            {"sweep_name", d.sweep_name},
            {"attempts", attempts},
            {"curve", curve},
            {"result", d.result ? to_json(*d.result) : nlohmann::json()}};
}

}  // namespace segsweep
