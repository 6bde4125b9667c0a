// EarlyStopper: sweep-level early stopping, asked after every EPOCH report: CONTINUE or STOP, with
// a reason. Pure logic: it keeps each trial's per-epoch curve of the sweep metric's per-epoch value
// (sweep_metric.h: val_iou for a val_iou sweep, else val_loss) and incremental rung tables.
//
// type hyperband (W&B's early_terminate, a stopping-style ASHA): bands as hyperband_bands.h. After
//   each epoch a running trial is judged at the latest band it has reached: the band's threshold is
//   element floor(n / eta) of the sorted values of all n trials (running and finished) recorded at
//   that band; strict judges the trial's value at the band, non-strict its best value so far; it
//   stops when that is worse than the threshold. As in W&B, thresholds are recomputed as trials
//   arrive, so a trial that passed a band can still be stopped there until it reaches the next one.
// type median (Google Vizier): at epoch s >= grace_period, a running trial stops when its best value
//   so far is strictly worse than the median, over the finished trials that reached epoch s (at
//   least min_trials of them), of their running averages over epochs 1..s.
// type none: always continue.
// A non-finite value (a diverged epoch) counts as the worst possible value.
//
// Coordinator use: observe_epoch + decide (or on_epoch) per EPOCH report; observe_finished when a
// trial reaches a final state. After a restart, replay the stored curves (ResultsStore) in any
// order: the tables only depend on the data.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/trial_result.h"
#include "sweeps/sweep_spec.h"

namespace segsweep {

struct StopDecision {
    bool stop = false;
    std::string reason;  // why (for the log and the trial's message); empty when continuing silently
};

class EarlyStopper {
public:
    explicit EarlyStopper(const SweepSpec& spec);

    // Records one epoch of a trial's attempt. A report from a newer attempt for an epoch already
    // recorded replaces the curve from that epoch on (the attempt restarted or resumed there);
    // a repeated report of the same attempt is ignored.
    void observe_epoch(int64_t trial_id, int attempt, const EpochMetrics& metrics);
    // The trial reached a final state: it becomes a reference for the median rule and is no longer judged.
    void observe_finished(int64_t trial_id);
    // CONTINUE or STOP for a running trial, from everything observed so far.
    StopDecision decide(int64_t trial_id) const;
    // observe_epoch, then decide.
    StopDecision on_epoch(int64_t trial_id, int attempt, const EpochMetrics& metrics);

    const std::vector<int>& bands() const { return bands_; }
    EarlyTerminateType type() const { return type_; }

private:
    struct Curve {
        int attempt = 0;
        bool finished = false;
        std::vector<double> losses;  // per epoch (index epoch-1), "lower is better"; NaN = not reported
    };

    double to_loss(const EpochMetrics& metrics) const;
    void add_to_bands(double loss, int epoch);
    void remove_from_bands(double loss, int epoch);
    void add_finished_averages(const Curve& curve);
    StopDecision decide_hyperband(const Curve& curve) const;
    StopDecision decide_median(const Curve& curve) const;
    std::string show(double loss) const;  // a loss back in the metric's own sign

    EarlyTerminateType type_;
    HyperbandSpec hyperband_;
    MedianRuleSpec median_;
    MetricSpec metric_;
    std::string epoch_metric_;
    MetricGoal epoch_goal_;
    std::vector<int> bands_;
    std::map<int64_t, Curve> curves_;
    std::map<int, std::vector<double>> band_losses_;      // band epoch -> sorted losses at it
    std::vector<std::vector<double>> finished_averages_;  // [s-1] -> sorted running averages at epoch s
};

}  // namespace segsweep
