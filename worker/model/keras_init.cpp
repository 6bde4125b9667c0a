// Keras initialisation of the FCN (see keras_initialize in fcn.h): Glorot-uniform kernels with
// Keras' fan-in/fan-out for depthwise, pointwise and plain conv kernels; zero biases; BN at
// identity. One seeded CPU generator, drawn in registration order.
#include <cmath>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "worker/model/fcn.h"

namespace segsweep {
namespace {

// Keras glorot_uniform: U(-limit, limit), limit = sqrt(6 / (fan_in + fan_out)).
void glorot_uniform_(torch::Tensor weight, int64_t fan_in, int64_t fan_out, at::Generator& generator) {
    const double limit = std::sqrt(6.0 / static_cast<double>(fan_in + fan_out));
    torch::NoGradGuard no_grad;
    torch::Tensor draw = torch::empty(weight.sizes(), torch::TensorOptions().dtype(torch::kFloat32));
    draw.uniform_(-limit, limit, generator);
    weight.copy_(draw);
}

// A conv kernel in torch layout [out, in/groups, kh, kw] seen as Keras' (kh, kw, in, out).
void init_conv_kernel(torch::nn::Conv2d& conv, at::Generator& generator) {
    const auto& w = conv->weight;
    const int64_t receptive = w.size(2) * w.size(3);
    glorot_uniform_(w, receptive * w.size(1), receptive * w.size(0), generator);
}

// A depthwise kernel [Cin, 1, kh, kw] seen as Keras' (kh, kw, Cin, depth_multiplier=1).
void init_depthwise_kernel(torch::nn::Conv2d& conv, at::Generator& generator) {
    const auto& w = conv->weight;
    const int64_t receptive = w.size(2) * w.size(3);
    glorot_uniform_(w, receptive * w.size(0), receptive * w.size(1), generator);
}

void init_bias(torch::nn::Conv2d& conv) {
    torch::NoGradGuard no_grad;
    if (conv->bias.defined()) conv->bias.zero_();
}

void init_batch_norm(torch::nn::BatchNorm2d& bn) {
    torch::NoGradGuard no_grad;
    bn->weight.fill_(1.0);
    bn->bias.zero_();
    bn->running_mean.zero_();
    bn->running_var.fill_(1.0);
    bn->num_batches_tracked.zero_();
}

void init_separable(SeparableConvBn& block, at::Generator& generator) {
    init_depthwise_kernel(block->depthwise, generator);
    init_conv_kernel(block->pointwise, generator);
    init_bias(block->pointwise);
    init_batch_norm(block->bn);
}

}  // namespace

void keras_initialize(FcnImpl& model, uint64_t seed) {
    at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed);
    for (auto& encoder : model.encoders) init_separable(encoder, generator);
    init_conv_kernel(model.middle->conv, generator);
    init_bias(model.middle->conv);
    init_batch_norm(model.middle->bn);
    for (auto& decoder : model.decoders) init_separable(decoder, generator);
    init_conv_kernel(model.output, generator);
    init_bias(model.output);
}

}  // namespace segsweep
