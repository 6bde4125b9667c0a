// FcnArchitecture: the architecture part of a TrialConfig (layer widths and kernels of the
// Follow-Me FCN), without LibTorch, so summaries and fast paths can use it cheaply.
#pragma once

#include <vector>

#include "common/trial_config.h"

namespace segsweep {

inline constexpr int kFcnClasses = 3;        // output classes: background, other people, hero
inline constexpr int kFcnInputChannels = 3;  // RGB
inline constexpr int kSeparableKernel = 3;   // depthwise kernel size of every separable block

struct FcnArchitecture {
    std::vector<int> encoder_filters = {64, 128};   // separable blocks, stride 2 each
    int conv1x1_filters = 256;                      // middle conv2d_batchnorm
    int conv1x1_kernel = 1;                         // 1 or 3
    std::vector<int> decoder_filters = {128, 64};   // deepest first, one per encoder
    int decoder_convs = 2;                          // separable blocks per decoder: 1 or 2
    int output_kernel = 1;                          // 1 or 3
};

FcnArchitecture fcn_architecture(const TrialConfig& config);

}  // namespace segsweep
