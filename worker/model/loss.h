// Keras' categorical cross-entropy on probabilities (TF backend, from_logits=False), as the seed
// compiled it: normalise p over the class dim, clip to [1e-7, 1 - 1e-7], take -sum_c y_c log p_c
// per pixel, then average over every pixel and the batch. No class weights.
#pragma once

#include <ATen/core/Tensor.h>

namespace segsweep {

constexpr double kKerasEpsilon = 1e-7;  // K.epsilon(): the probability clip

// probabilities, targets: [N, C, H, W] (targets one-hot, float). Returns a 0-dim tensor.
at::Tensor categorical_crossentropy(const at::Tensor& probabilities, const at::Tensor& targets);

// Sum (not mean) of the per-pixel loss, for sharded validation: sum over ranks, divide by pixels.
at::Tensor categorical_crossentropy_sum(const at::Tensor& probabilities, const at::Tensor& targets);

}  // namespace segsweep
