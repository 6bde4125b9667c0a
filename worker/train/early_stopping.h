// EarlyStopping: Keras' EarlyStopping(monitor='val_loss', mode='min', patience, min_delta,
// restore_best_weights=True) as a small pure class, fed one validation loss per epoch.
//   - an epoch improves when val_loss < best - min_delta (a NaN never improves); it becomes the
//     best and the wait count resets to 0;
//   - otherwise wait += 1, and training stops once wait >= patience;
//   - patience 0 disables stopping (segsweep's convention; the best epoch is still tracked).
// The caller keeps the weights of best_epoch() and scores those (restore_best_weights).
#pragma once

#include <limits>

#include <nlohmann/json.hpp>

namespace segsweep {

class EarlyStopping {
public:
    EarlyStopping(int patience, double min_delta);

    // Feeds epoch `epoch` (1-based). Returns true when it is the new best.
    bool update(int epoch, double val_loss);
    // True once `patience` epochs in a row have not improved (never when patience is 0).
    bool should_stop() const;

    int best_epoch() const { return best_epoch_; }  // 0 before the first update with a finite loss
    double best_value() const { return best_value_; }
    int wait() const { return wait_; }
    int patience() const { return patience_; }

    // For checkpoints: {"best_epoch", "best_value" (null while none), "wait"}.
    nlohmann::json state() const;
    void restore(const nlohmann::json& state);

private:
    int patience_;
    double min_delta_;
    int best_epoch_ = 0;
    double best_value_ = std::numeric_limits<double>::infinity();
    int wait_ = 0;
};

}  // namespace segsweep
