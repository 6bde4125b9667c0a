// Progress bar and per-epoch summary lines (see progress.h).
#include "worker/train/progress.h"

#include <cstdio>

#include "common/log.h"

namespace segsweep {

void EpochProgress::begin(int epoch, int num_epochs, int64_t steps) {
    epoch_ = epoch;
    num_epochs_ = num_epochs;
    steps_ = steps;
    last_draw_ = {};
}

void EpochProgress::draw(const std::string& text) {
    std::string line = "\r" + text;
    if (text.size() < drawn_width_) line += std::string(drawn_width_ - text.size(), ' ');
    drawn_width_ = text.size();
    std::fputs(line.c_str(), stderr);
    std::fflush(stderr);
}

void EpochProgress::step(int64_t done, double mean_loss, double images_per_sec) {
    if (!bar_ || quiet_) return;
    const auto now = std::chrono::steady_clock::now();
    if (done < steps_ && now - last_draw_ < std::chrono::milliseconds(kProgressRedrawMs)) return;
    last_draw_ = now;
    const int filled = steps_ > 0 ? static_cast<int>(kProgressBarWidth * done / steps_) : kProgressBarWidth;
    std::string bar(static_cast<size_t>(filled), '=');
    if (filled < kProgressBarWidth) bar += '>' + std::string(static_cast<size_t>(kProgressBarWidth - filled - 1), ' ');
    char text[256];
    std::snprintf(text, sizeof text, "epoch %d/%d [%s] %lld/%lld  loss %.4f  %.1f img/s", epoch_, num_epochs_,
                  bar.c_str(), static_cast<long long>(done), static_cast<long long>(steps_), mean_loss,
                  images_per_sec);
    draw(text);
}

void EpochProgress::validating() {
    if (!bar_ || quiet_) return;
    char text[128];
    std::snprintf(text, sizeof text, "epoch %d/%d  validating...", epoch_, num_epochs_);
    draw(text);
}

std::string EpochProgress::summary_line(const EpochMetrics& m, int num_epochs, bool improved) {
    char text[256];
    std::snprintf(text, sizeof text, "epoch %d/%d  train_loss %.4f  val_loss %.4f  val_iou %.4f  %.1f img/s  %.1f s%s",
                  m.epoch, num_epochs, m.train_loss, m.val_loss, m.val_iou, m.images_per_sec, m.seconds,
                  improved ? "  (best)" : "");
    return text;
}

void EpochProgress::end(const EpochMetrics& metrics, bool improved) {
    if (quiet_) return;
    const std::string line = summary_line(metrics, num_epochs_, improved);
    if (bar_) {
        draw(line);
        std::fputs("\n", stderr);
        drawn_width_ = 0;
    } else {
        LOG_I("%s", line.c_str());
    }
}

}  // namespace segsweep
