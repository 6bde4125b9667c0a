// curves.svg: the training and validation loss per epoch as one SVG line chart, as the original
// notebook's LoggerPlotter drew it after each epoch, so a person sees at a glance where a run
// started to overfit (validation loss turning up while training loss keeps falling). The best
// epoch (the weights that get scored) is marked by a dashed line. Non-finite losses are left out.
#pragma once

#include <string>
#include <vector>

#include "common/trial_result.h"

namespace segsweep {

inline constexpr int kCurvesWidth = 720;   // px
inline constexpr int kCurvesHeight = 420;  // px

// best_epoch 0: no marker. title: shown above the plot (e.g. the run folder's name).
std::string render_loss_curves_svg(const std::vector<EpochMetrics>& history, int best_epoch,
                                   const std::string& title);

}  // namespace segsweep
