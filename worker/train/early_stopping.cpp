// Keras-style early stopping on val_loss (see early_stopping.h).
#include "worker/train/early_stopping.h"

#include <cmath>

#include "common/error.h"

namespace segsweep {

EarlyStopping::EarlyStopping(int patience, double min_delta) : patience_(patience), min_delta_(std::fabs(min_delta)) {
    if (patience < 0) throw Error("early stopping: patience must be >= 0, got " + std::to_string(patience));
}

bool EarlyStopping::update(int epoch, double val_loss) {
    // Written as Keras does: monitor_op(current - min_delta, best) with np.less and min_delta < 0.
    if (val_loss + min_delta_ < best_value_) {
        best_value_ = val_loss;
        best_epoch_ = epoch;
        wait_ = 0;
        return true;
    }
    ++wait_;
    return false;
}

bool EarlyStopping::should_stop() const { return patience_ > 0 && wait_ >= patience_; }

nlohmann::json EarlyStopping::state() const {
    nlohmann::json best = std::isfinite(best_value_) ? nlohmann::json(best_value_) : nlohmann::json(nullptr);
    return {{"best_epoch", best_epoch_}, {"best_value", best}, {"wait", wait_}};
}

void EarlyStopping::restore(const nlohmann::json& state) {
    try {
        best_epoch_ = state.at("best_epoch").get<int>();
        const auto& best = state.at("best_value");
        best_value_ = best.is_null() ? std::numeric_limits<double>::infinity() : best.get<double>();
        wait_ = state.at("wait").get<int>();
    } catch (const nlohmann::json::exception& e) {
        throw Error(std::string("checkpoint early_stopping state: ") + e.what());
    }
}

}  // namespace segsweep
