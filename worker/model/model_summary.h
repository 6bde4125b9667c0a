// A Keras-style model.summary() of the Follow-Me FCN, computed from the architecture alone (no
// LibTorch): one row per layer with its output shape (Keras NHWC), weights counted as Keras does
// (BatchNorm moving mean and variance included) and multiply-adds per image for the forward pass.
// MACs: depthwise = Hout*Wout*Cin*9 (stride applied), pointwise = Hout*Wout*Cin*Cout,
// conv = Hout*Wout*Cin*Cout*k*k. BatchNorm, ReLU, upsample, concat and softmax count 0 (small;
// see ../shared/reference/udacity-followme.md section 6).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "worker/model/fcn_architecture.h"

namespace segsweep {

struct SummaryLayer {
    std::string name;        // "enc0", "enc0_bn", "dec0_up", ...
    std::string type;        // Keras class name: SeparableConv2D, BatchNormalization, ...
    int height = 0, width = 0, channels = 0;  // output shape of one image
    int64_t trainable_params = 0;
    int64_t non_trainable_params = 0;         // BN moving mean + variance
    int64_t multiply_adds = 0;                // per image, forward
};

struct ModelSummary {
    int image_size = 0;
    std::vector<SummaryLayer> layers;
    int64_t total_params = 0;
    int64_t trainable_params = 0;
    int64_t non_trainable_params = 0;
    int64_t multiply_adds = 0;  // per image, forward
};

// Throws segsweep::Error when image_size is not divisible by 2^encoders.
ModelSummary summarize_fcn(const FcnArchitecture& architecture, int image_size);

// The table as text, Keras-like, followed by the totals.
std::string format_model_summary(const ModelSummary& summary);

}  // namespace segsweep
