// The Follow-Me FCN as LibTorch modules: the seed write-up's encoder / 1x1 conv / decoder network
// (../shared/reference/udacity-followme.md sections 4 and 6), built from a TrialConfig.
//
// Blocks (Keras order: conv, ReLU, BatchNorm):
//   SeparableConvBn(cin, cout, stride): 3x3 depthwise conv (no bias, stride here, TF 'same' padding)
//                                       -> 1x1 pointwise conv with bias -> ReLU -> BatchNorm
//   ConvBn(cin, cout, kernel):          kxk conv with bias ('same') -> ReLU -> BatchNorm
// Network, for encoder_filters E[0..k-1], decoder_filters D[0..k-1] (deepest first):
//   enc_i    = SeparableConvBn(prev, E[i], stride 2)
//   middle   = ConvBn(E[k-1], conv1x1_filters, conv1x1_kernel)
//   dec_j    = concat([upsample_x2_tf1(prev), skip_j]) -> SeparableConvBn(.., D[j], 1)
//              [-> SeparableConvBn(D[j], D[j], 1) when decoder_convs == 2]
//              skip_j = enc_{k-2-j} output, or the input image for the last decoder
//   output   = Conv2d(D[k-1], 3, output_kernel, bias, 'same') -> softmax over the channel dim
// BatchNorm uses Keras' defaults: momentum 0.99 (torch momentum 0.01) and eps 1e-3. Running
// variance is torch's unbiased estimate (Keras 2.0 used the biased one; the difference is a factor
// n/(n-1) with n >= batch*H*W values, below 1e-5 at the seed's sizes).
// TF 'same' padding: a stride-2 conv on an even size pads only bottom/right (total pad 1), unlike
// torch's symmetric padding; this module reproduces TF.
//
// Tensor layout: NCHW at the API (channels_last tensors work too and stay channels_last).
//
// PARAMETER LAYOUT (for code that reads or writes the weights directly, e.g. a fast path):
// named_parameters() order is registration order, torch shapes (OIHW):
//   enc{i}.depthwise.weight    [Cin, 1, 3, 3]          (no bias)
//   enc{i}.pointwise.weight    [Cout, Cin, 1, 1]
//   enc{i}.pointwise.bias      [Cout]
//   enc{i}.bn.weight / .bias   [Cout]                  (gamma / beta)
//   middle.conv.weight         [C1x1, E[k-1], K, K],  middle.conv.bias [C1x1], middle.bn.weight/.bias
//   dec{j}_sep0.*, dec{j}_sep1.*  (as enc; sep0's input channels: the upsampled tensor first, then
//                                  the skip; dec{j}_sep1 exists when decoder_convs == 2)
//   output.weight              [3, D[k-1], Ko, Ko],    output.bias [3]
// named_buffers(): <bn>.running_mean, <bn>.running_var (float) and <bn>.num_batches_tracked (int64,
// not a Keras weight). keras_parameter_count() = parameters + running_mean + running_var.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>

#include "worker/model/fcn_architecture.h"

namespace segsweep {

inline constexpr double kKerasBatchNormMomentum = 0.01;  // torch convention; Keras momentum 0.99
inline constexpr double kKerasBatchNormEpsilon = 1e-3;

class SeparableConvBnImpl : public torch::nn::Module {
public:
    SeparableConvBnImpl(int in_channels, int out_channels, int stride);
    torch::Tensor forward(const torch::Tensor& x);

    int stride() const { return stride_; }
    torch::nn::Conv2d depthwise{nullptr};
    torch::nn::Conv2d pointwise{nullptr};
    torch::nn::BatchNorm2d bn{nullptr};

private:
    int stride_;
};
TORCH_MODULE(SeparableConvBn);

class ConvBnImpl : public torch::nn::Module {
public:
    ConvBnImpl(int in_channels, int out_channels, int kernel);
    torch::Tensor forward(const torch::Tensor& x);

    torch::nn::Conv2d conv{nullptr};
    torch::nn::BatchNorm2d bn{nullptr};
};
TORCH_MODULE(ConvBn);

class FcnImpl : public torch::nn::Module {
public:
    // Builds the modules and applies keras_initialize(*this, seed).
    FcnImpl(const FcnArchitecture& architecture, uint64_t seed);

    // x: [N, 3, H, W] float, H and W divisible by 2^encoders. Returns class probabilities
    // [N, 3, H, W] (softmax over dim 1).
    torch::Tensor forward(const torch::Tensor& x);
    // The output conv's pre-softmax values (same shape as forward).
    torch::Tensor logits(const torch::Tensor& x);

    const FcnArchitecture& architecture() const { return architecture_; }
    // Every BatchNorm layer in registration order (for running-stat averaging across ranks).
    std::vector<torch::nn::BatchNorm2d> batch_norms() const;

    std::vector<SeparableConvBn> encoders;
    ConvBn middle{nullptr};
    std::vector<SeparableConvBn> decoders;  // decoder j's blocks at [j*decoder_convs .. +decoder_convs)
    torch::nn::Conv2d output{nullptr};

private:
    FcnArchitecture architecture_;
};
TORCH_MODULE(Fcn);

// Keras' weight count: every parameter plus BatchNorm moving mean and variance.
struct KerasParameterCount {
    int64_t total = 0;
    int64_t trainable = 0;
    int64_t non_trainable = 0;  // BN moving mean + moving variance
};
KerasParameterCount keras_parameter_count(torch::nn::Module& model);

// Keras initialisation, deterministic from `seed`: Glorot-uniform kernels with Keras' fan
// computation (conv kernel (kh,kw,in,out): fan_in = kh*kw*in, fan_out = kh*kw*out; depthwise
// (3,3,Cin,1): fan_in = 9*Cin, fan_out = 9), zero biases, BN gamma 1, beta 0, moving mean 0,
// moving variance 1. Draws in registration order on the CPU, so every device gets the same values.
void keras_initialize(FcnImpl& model, uint64_t seed);

}  // namespace segsweep
