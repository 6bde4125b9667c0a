// EarlyStopper: curves, hyperband band tables, median-rule tables, and the decisions.
#include "sweeps/early_stopping.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "sweeps/hyperband_bands.h"
#include "sweeps/sweep_metric.h"

namespace segsweep {
namespace {

constexpr double kUnknown = std::numeric_limits<double>::quiet_NaN();

void insert_sorted(std::vector<double>& sorted, double value) {
    sorted.insert(std::upper_bound(sorted.begin(), sorted.end(), value), value);
}

void erase_sorted(std::vector<double>& sorted, double value) {
    auto it = std::lower_bound(sorted.begin(), sorted.end(), value);
    if (it != sorted.end() && (*it == value || (std::isinf(*it) && std::isinf(value)))) sorted.erase(it);
}

std::string format_number(double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%.4g", value);
    return text;
}

}  // namespace

EarlyStopper::EarlyStopper(const SweepSpec& spec)
    : type_(spec.early_terminate.type),
      hyperband_(spec.early_terminate.hyperband),
      median_(spec.early_terminate.median),
      metric_(spec.metric),
      epoch_metric_(epoch_metric_name(spec.metric)),
      epoch_goal_(epoch_metric_goal(spec.metric)) {
    if (type_ == EarlyTerminateType::hyperband) bands_ = hyperband_bands(hyperband_);
}

double EarlyStopper::to_loss(const EpochMetrics& metrics) const {
    const double value = epoch_metric_value(metric_, metrics);
    if (!std::isfinite(value)) return std::numeric_limits<double>::infinity();
    return epoch_goal_ == MetricGoal::minimize ? value : -value;
}

std::string EarlyStopper::show(double loss) const {
    if (std::isinf(loss)) return "non-finite";
    return format_number(epoch_goal_ == MetricGoal::minimize ? loss : -loss);
}

void EarlyStopper::add_to_bands(double loss, int epoch) {
    if (std::binary_search(bands_.begin(), bands_.end(), epoch)) insert_sorted(band_losses_[epoch], loss);
}

void EarlyStopper::remove_from_bands(double loss, int epoch) {
    auto it = band_losses_.find(epoch);
    if (it != band_losses_.end()) erase_sorted(it->second, loss);
}

void EarlyStopper::observe_epoch(int64_t trial_id, int attempt, const EpochMetrics& metrics) {
    if (metrics.epoch < 1) return;
    Curve& curve = curves_[trial_id];
    if (curve.finished || attempt < curve.attempt) return;
    const size_t e = static_cast<size_t>(metrics.epoch);
    if (attempt > curve.attempt) {
        // A newer attempt: everything from this epoch on belongs to the old attempt.
        for (size_t i = e - 1; i < curve.losses.size(); ++i)
            if (!std::isnan(curve.losses[i])) remove_from_bands(curve.losses[i], static_cast<int>(i + 1));
        if (curve.losses.size() > e - 1) curve.losses.resize(e - 1);
        curve.attempt = attempt;
    } else if (e <= curve.losses.size() && !std::isnan(curve.losses[e - 1])) {
        return;  // the same report again
    }
    if (curve.losses.size() < e) curve.losses.resize(e, kUnknown);
    const double loss = to_loss(metrics);
    curve.losses[e - 1] = loss;
    add_to_bands(loss, metrics.epoch);
}

void EarlyStopper::add_finished_averages(const Curve& curve) {
    if (finished_averages_.size() < curve.losses.size()) finished_averages_.resize(curve.losses.size());
    double sum = 0;
    int known = 0;
    for (size_t i = 0; i < curve.losses.size(); ++i) {
        if (!std::isnan(curve.losses[i])) {
            sum += curve.losses[i];
            ++known;
        }
        if (known > 0) insert_sorted(finished_averages_[i], sum / known);
    }
}

void EarlyStopper::observe_finished(int64_t trial_id) {
    Curve& curve = curves_[trial_id];
    if (curve.finished) return;
    curve.finished = true;
    add_finished_averages(curve);
}

StopDecision EarlyStopper::decide_hyperband(const Curve& curve) const {
    const int reached = static_cast<int>(curve.losses.size());
    int band = 0;
    for (int b : bands_) {
        if (b > reached) break;
        band = b;
    }
    if (band == 0) return {};
    const double at_band = curve.losses[static_cast<size_t>(band - 1)];
    if (std::isnan(at_band)) return {};
    const auto it = band_losses_.find(band);
    if (it == band_losses_.end() || it->second.empty()) return {};
    const std::vector<double>& losses = it->second;
    const size_t n = losses.size();
    const size_t cut = std::min(n - 1, static_cast<size_t>(std::floor(static_cast<double>(n) / hyperband_.eta)));
    const double threshold = losses[cut];
    double judged = at_band;
    if (!hyperband_.strict)
        for (double loss : curve.losses)
            if (!std::isnan(loss)) judged = std::min(judged, loss);
    if (!(judged > threshold)) return {};
    StopDecision decision;
    decision.stop = true;
    decision.reason = "hyperband: " + epoch_metric_ + " " + show(judged) +
                      (hyperband_.strict ? " at epoch " + std::to_string(band) : " (best so far)") +
                      " is worse than the threshold " + show(threshold) + " of band " + std::to_string(band) + " (" +
                      std::to_string(hyperband_kept(static_cast<int>(n), hyperband_.eta)) + " of " + std::to_string(n) +
                      " trials continue)";
    return decision;
}

StopDecision EarlyStopper::decide_median(const Curve& curve) const {
    const size_t s = curve.losses.size();
    if (s < static_cast<size_t>(median_.grace_period)) return {};
    double best = std::numeric_limits<double>::quiet_NaN();
    for (double loss : curve.losses)
        if (!std::isnan(loss) && (std::isnan(best) || loss < best)) best = loss;
    if (std::isnan(best)) return {};
    if (s > finished_averages_.size()) return {};
    const std::vector<double>& averages = finished_averages_[s - 1];
    if (averages.size() < static_cast<size_t>(median_.min_trials)) return {};
    const size_t n = averages.size();
    const double median = n % 2 == 1 ? averages[n / 2] : 0.5 * (averages[n / 2 - 1] + averages[n / 2]);
    if (!(best > median)) return {};
    StopDecision decision;
    decision.stop = true;
    decision.reason = "median rule: best " + epoch_metric_ + " " + show(best) + " by epoch " + std::to_string(s) +
                      " is worse than the median " + show(median) + " of " + std::to_string(n) +
                      " finished trials' running averages at that epoch";
    return decision;
}

StopDecision EarlyStopper::decide(int64_t trial_id) const {
    if (type_ == EarlyTerminateType::none) return {};
    const auto it = curves_.find(trial_id);
    if (it == curves_.end() || it->second.finished) return {};
    return type_ == EarlyTerminateType::hyperband ? decide_hyperband(it->second) : decide_median(it->second);
}

StopDecision EarlyStopper::on_epoch(int64_t trial_id, int attempt, const EpochMetrics& metrics) {
    observe_epoch(trial_id, attempt, metrics);
    return decide(trial_id);
}

}  // namespace segsweep
