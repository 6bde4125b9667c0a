// Terminal output of a training run (rank 0): on a TTY a one-line progress bar per epoch,
// redrawn in place on stderr at most every kProgressRedrawMs, followed by the epoch's summary
// line; otherwise only the summary line per epoch, through the log.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "common/trial_result.h"

namespace segsweep {

inline constexpr int kProgressRedrawMs = 200;  // ms between redraws of the bar
inline constexpr int kProgressBarWidth = 30;   // characters

class EpochProgress {
public:
    // bar: draw the bar (the caller checked for a TTY). quiet: print nothing at all (ranks > 0).
    EpochProgress(bool bar, bool quiet) : bar_(bar), quiet_(quiet) {}

    void begin(int epoch, int num_epochs, int64_t steps);
    // After training batch `done` (1-based): running mean loss and images/s so far.
    void step(int64_t done, double mean_loss, double images_per_sec);
    // Shown while validating.
    void validating();
    // Ends the epoch with its summary line.
    void end(const EpochMetrics& metrics, bool improved);

    // "epoch 3/50  train_loss 0.1234  val_loss 0.2345  val_iou 0.5678  12.3 img/s  45.6 s"
    static std::string summary_line(const EpochMetrics& metrics, int num_epochs, bool improved);

private:
    void draw(const std::string& text);

    bool bar_;
    bool quiet_;
    int epoch_ = 0;
    int num_epochs_ = 0;
    int64_t steps_ = 0;
    std::chrono::steady_clock::time_point last_draw_{};
    size_t drawn_width_ = 0;
};

}  // namespace segsweep
