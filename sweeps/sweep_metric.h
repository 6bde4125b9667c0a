// The sweep metric: which number of a trial the sweep optimises, early stopping judges and
// metric.target checks. Four names:
//   val_loss     per epoch, minimised   (a trial's value: its lowest val_loss)
//   val_iou      per epoch, maximised   (validation hero IoU; a trial's value: its highest)
//   final_score  final, maximised       (the Udacity score of the best weights)
//   final_iou    final, maximised       (the final hero IoU)
// Early stopping needs a per-epoch number: for final_score and final_iou it uses val_loss
// (minimised), the number the trainer picks the scored weights by. Not val_iou: with Keras'
// BatchNorm momentum 0.99 the eval-mode hero IoU stays 0 for the first hundreds of steps, so at
// the early bands every trial ties at 0 and nothing is stopped (docs/BENCHMARKS.md, bench sweep).
// Pure functions.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/trial_result.h"
#include "sweeps/sweep_spec.h"

namespace segsweep {

// The accepted metric names, in the order above.
const std::vector<std::string>& sweep_metric_names();
bool is_sweep_metric_name(const std::string& name);
// minimize for val_loss, maximize for the others.
MetricGoal natural_goal(const std::string& metric_name);
// The per-epoch metric early stopping reads: "val_iou" for a val_iou sweep, else "val_loss".
std::string epoch_metric_name(const MetricSpec& metric);
// Its goal: the sweep's own goal for val_loss and val_iou sweeps, minimize for final_score/final_iou.
MetricGoal epoch_metric_goal(const MetricSpec& metric);

// The per-epoch value early stopping reads (a non-finite value stays as it is).
double epoch_metric_value(const MetricSpec& metric, const EpochMetrics& epoch);
// A trial's value for the sweep: final_score/final_iou from its score (empty without one);
// val_loss/val_iou: the best finite value of its history (empty if none).
std::optional<double> trial_metric_value(const MetricSpec& metric, const TrialResult& result);
// The same from a history and an optional score, for callers that hold the parts (the store).
std::optional<double> trial_metric_value(const MetricSpec& metric, const std::vector<EpochMetrics>& history,
                                         const std::optional<FollowMeScore>& score);

// True when `a` is strictly better than `b` under the goal.
bool metric_better(MetricGoal goal, double a, double b);
// metric.target: true when the sweep has a target and `value` reaches it (>= when maximising,
// <= when minimising). A non-finite value never reaches it.
bool metric_target_reached(const MetricSpec& metric, double value);
// Target check on one EPOCH report (only for the per-epoch metrics val_loss and val_iou).
bool metric_target_reached(const MetricSpec& metric, const EpochMetrics& epoch);
// Target check on a final result (any metric name; see trial_metric_value).
bool metric_target_reached(const MetricSpec& metric, const TrialResult& result);

}  // namespace segsweep
