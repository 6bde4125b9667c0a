// The sweep metric: names, goals, per-epoch and per-trial values, target checks.
#include "sweeps/sweep_metric.h"

#include <cmath>

namespace segsweep {

const std::vector<std::string>& sweep_metric_names() {
    static const std::vector<std::string> names = {"val_loss", "val_iou", "final_score", "final_iou"};
    return names;
}

bool is_sweep_metric_name(const std::string& name) {
    for (const auto& known : sweep_metric_names())
        if (known == name) return true;
    return false;
}

MetricGoal natural_goal(const std::string& metric_name) {
    return metric_name == "val_loss" ? MetricGoal::minimize : MetricGoal::maximize;
}

std::string epoch_metric_name(const MetricSpec& metric) { return metric.name == "val_iou" ? "val_iou" : "val_loss"; }

MetricGoal epoch_metric_goal(const MetricSpec& metric) {
    return metric.name == "val_loss" || metric.name == "val_iou" ? metric.goal : MetricGoal::minimize;
}

double epoch_metric_value(const MetricSpec& metric, const EpochMetrics& epoch) {
    return metric.name == "val_iou" ? epoch.val_iou : epoch.val_loss;
}

std::optional<double> trial_metric_value(const MetricSpec& metric, const std::vector<EpochMetrics>& history,
                                         const std::optional<FollowMeScore>& score) {
    if (metric.name == "final_score" || metric.name == "final_iou") {
        if (!score) return std::nullopt;
        const double value = metric.name == "final_score" ? score->final_score : score->final_iou;
        if (!std::isfinite(value)) return std::nullopt;
        return value;
    }
    std::optional<double> best;
    for (const auto& epoch : history) {
        const double value = epoch_metric_value(metric, epoch);
        if (!std::isfinite(value)) continue;
        if (!best || metric_better(metric.goal, value, *best)) best = value;
    }
    return best;
}

std::optional<double> trial_metric_value(const MetricSpec& metric, const TrialResult& result) {
    return trial_metric_value(metric, result.history, result.score);
}

bool metric_better(MetricGoal goal, double a, double b) { return goal == MetricGoal::minimize ? a < b : a > b; }

bool metric_target_reached(const MetricSpec& metric, double value) {
    if (!metric.target || !std::isfinite(value)) return false;
    return metric.goal == MetricGoal::minimize ? value <= *metric.target : value >= *metric.target;
}

bool metric_target_reached(const MetricSpec& metric, const EpochMetrics& epoch) {
    if (metric.name != "val_loss" && metric.name != "val_iou") return false;
    return metric_target_reached(metric, epoch_metric_value(metric, epoch));
}

bool metric_target_reached(const MetricSpec& metric, const TrialResult& result) {
    const auto value = trial_metric_value(metric, result);
    return value && metric_target_reached(metric, *value);
}

}  // namespace segsweep
