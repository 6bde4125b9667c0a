// The Follow-Me FCN modules (see fcn.h): separable and plain conv blocks with Keras' conv -> ReLU
// -> BatchNorm order and TF 'same' padding, and the encoder / middle / decoder network.
#include "worker/model/fcn.h"

#include <torch/nn/functional/padding.h>
#include <torch/torch.h>

#include "common/error.h"
#include "worker/model/fast/fast_fcn.h"
#include "worker/model/tf1_upsample.h"

namespace segsweep {
namespace {

torch::nn::BatchNorm2d make_keras_batch_norm(int channels) {
    return torch::nn::BatchNorm2d(
        torch::nn::BatchNorm2dOptions(channels).momentum(kKerasBatchNormMomentum).eps(kKerasBatchNormEpsilon));
}

// TF 'same' padding of one axis: total = max((ceil(n/s)-1)*s + k - n, 0), the extra pixel at the
// end (bottom/right).
std::pair<int64_t, int64_t> tf_same_padding(int64_t size, int64_t kernel, int64_t stride) {
    const int64_t out = (size + stride - 1) / stride;
    const int64_t total = std::max<int64_t>((out - 1) * stride + kernel - size, 0);
    return {total / 2, total - total / 2};
}

}  // namespace

SeparableConvBnImpl::SeparableConvBnImpl(int in_channels, int out_channels, int stride) : stride_(stride) {
    // Stride 1 'same' with kernel 3 is symmetric (1, 1): torch's padding does it. Stride 2 is padded
    // explicitly in forward().
    const int padding = stride == 1 ? kSeparableKernel / 2 : 0;
    depthwise = register_module(
        "depthwise", torch::nn::Conv2d(torch::nn::Conv2dOptions(in_channels, in_channels, kSeparableKernel)
                                           .stride(stride)
                                           .padding(padding)
                                           .groups(in_channels)
                                           .bias(false)));
    pointwise = register_module("pointwise",
                                torch::nn::Conv2d(torch::nn::Conv2dOptions(in_channels, out_channels, 1).bias(true)));
    bn = register_module("bn", make_keras_batch_norm(out_channels));
}

torch::Tensor SeparableConvBnImpl::forward(const torch::Tensor& x) {
    torch::Tensor input = x;
    if (stride_ != 1) {
        auto [top, bottom] = tf_same_padding(x.size(2), kSeparableKernel, stride_);
        auto [left, right] = tf_same_padding(x.size(3), kSeparableKernel, stride_);
        input = torch::constant_pad_nd(x, {left, right, top, bottom}, 0);
    }
    return bn(torch::relu(pointwise(depthwise(input))));
}

ConvBnImpl::ConvBnImpl(int in_channels, int out_channels, int kernel) {
    if (kernel % 2 != 1) throw Error("ConvBn: kernel must be odd for 'same' padding, got " + std::to_string(kernel));
    conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(in_channels, out_channels, kernel)
                                                         .padding(kernel / 2)
                                                         .bias(true)));
    bn = register_module("bn", make_keras_batch_norm(out_channels));
}

torch::Tensor ConvBnImpl::forward(const torch::Tensor& x) { return bn(torch::relu(conv(x))); }

FcnImpl::FcnImpl(const FcnArchitecture& architecture, uint64_t seed) : architecture_(architecture) {
    const auto& enc = architecture.encoder_filters;
    const auto& dec = architecture.decoder_filters;
    if (enc.empty() || dec.size() != enc.size())
        throw Error("Fcn: need one decoder per encoder (got " + std::to_string(enc.size()) + " encoders, " +
                    std::to_string(dec.size()) + " decoders)");
    if (architecture.decoder_convs < 1 || architecture.decoder_convs > 2)
        throw Error("Fcn: decoder_convs must be 1 or 2");

    std::vector<int> skip_channels;  // channels of each encoder's input: image, enc0, enc1, ...
    int channels = kFcnInputChannels;
    for (size_t i = 0; i < enc.size(); ++i) {
        skip_channels.push_back(channels);
        encoders.push_back(register_module("enc" + std::to_string(i), SeparableConvBn(channels, enc[i], 2)));
        channels = enc[i];
    }
    middle = register_module("middle", ConvBn(channels, architecture.conv1x1_filters, architecture.conv1x1_kernel));
    channels = architecture.conv1x1_filters;
    for (size_t j = 0; j < dec.size(); ++j) {
        const int skip = skip_channels[enc.size() - 1 - j];
        const std::string prefix = "dec" + std::to_string(j) + "_sep";
        decoders.push_back(register_module(prefix + "0", SeparableConvBn(channels + skip, dec[j], 1)));
        if (architecture.decoder_convs == 2)
            decoders.push_back(register_module(prefix + "1", SeparableConvBn(dec[j], dec[j], 1)));
        channels = dec[j];
    }
    output = register_module("output", torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, kFcnClasses,
                                                                                  architecture.output_kernel)
                                                              .padding(architecture.output_kernel / 2)
                                                              .bias(true)));
    keras_initialize(*this, seed);
}

torch::Tensor FcnImpl::logits(const torch::Tensor& x) {
    const size_t depth = encoders.size();
    const int64_t divisor = int64_t{1} << depth;
    if (x.dim() != 4 || x.size(1) != kFcnInputChannels || x.size(2) % divisor != 0 ||
        x.size(3) % divisor != 0)
        throw Error("Fcn: expected input [N, " + std::to_string(kFcnInputChannels) +
                    ", H, W] with H and W divisible by " + std::to_string(divisor) + ", got " +
                    c10::str(x.sizes()));
    // Seam to the fast CPU path (worker/model/fast/fast_fcn.h, owned by the performance engineer):
    // same math with fused NHWC kernels; undefined when it does not apply (CUDA, float64, ...).
    if (torch::Tensor fast = fast_fcn_logits(*this, x); fast.defined()) return fast;
    std::vector<torch::Tensor> skips;  // input of each encoder
    torch::Tensor h = x;
    for (auto& encoder : encoders) {
        skips.push_back(h);
        h = encoder->forward(h);
    }
    h = middle->forward(h);
    const int convs = architecture_.decoder_convs;
    for (size_t j = 0; j < depth; ++j) {
        h = torch::cat({upsample_x2_tf1(h), skips[depth - 1 - j]}, 1);
        for (int c = 0; c < convs; ++c) h = decoders[j * convs + c]->forward(h);
    }
    return output(h);
}

torch::Tensor FcnImpl::forward(const torch::Tensor& x) { return torch::softmax(logits(x), 1); }

std::vector<torch::nn::BatchNorm2d> FcnImpl::batch_norms() const {
    std::vector<torch::nn::BatchNorm2d> out;
    for (const auto& e : encoders) out.push_back(e->bn);
    out.push_back(middle->bn);
    for (const auto& d : decoders) out.push_back(d->bn);
    return out;
}

KerasParameterCount keras_parameter_count(torch::nn::Module& model) {
    KerasParameterCount count;
    for (const auto& p : model.parameters()) count.trainable += p.numel();
    for (const auto& item : model.named_buffers()) {
        const std::string& name = item.key();
        const bool is_running_stat = name.ends_with("running_mean") || name.ends_with("running_var");
        if (is_running_stat) count.non_trainable += item.value().numel();
    }
    count.total = count.trainable + count.non_trainable;
    return count;
}

}  // namespace segsweep
