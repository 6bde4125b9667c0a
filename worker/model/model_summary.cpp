// Keras-style per-layer summary of the FCN (see model_summary.h): walks the architecture in the
// same order as FcnImpl::logits and counts weights and multiply-adds per layer.
#include "worker/model/model_summary.h"

#include <cstdio>

#include "common/error.h"

namespace segsweep {
namespace {

struct Shape {
    int height, width, channels;
};

class SummaryBuilder {
public:
    explicit SummaryBuilder(ModelSummary& summary) : summary_(summary) {}

    void add(const std::string& name, const std::string& type, Shape out, int64_t trainable, int64_t macs,
             int64_t non_trainable = 0) {
        summary_.layers.push_back({name, type, out.height, out.width, out.channels, trainable, non_trainable, macs});
        summary_.trainable_params += trainable;
        summary_.non_trainable_params += non_trainable;
        summary_.multiply_adds += macs;
    }
    // Separable conv (depthwise 3x3 + pointwise with bias + ReLU) then its BatchNorm.
    Shape separable(const std::string& name, Shape in, int filters, int stride) {
        Shape out{(in.height + stride - 1) / stride, (in.width + stride - 1) / stride, filters};
        const int64_t pixels = int64_t{out.height} * out.width;
        const int64_t k2 = kSeparableKernel * kSeparableKernel;
        add(name, "SeparableConv2D", out, k2 * in.channels + int64_t{in.channels} * filters + filters,
            pixels * in.channels * k2 + pixels * in.channels * filters);
        batch_norm(name + "_bn", out);
        return out;
    }
    Shape conv(const std::string& name, const std::string& type, Shape in, int filters, int kernel) {
        Shape out{in.height, in.width, filters};
        const int64_t k2 = int64_t{kernel} * kernel;
        add(name, type, out, k2 * in.channels * filters + filters,
            int64_t{out.height} * out.width * in.channels * filters * k2);
        return out;
    }
    void batch_norm(const std::string& name, Shape out) {
        add(name, "BatchNormalization", out, 2 * int64_t{out.channels}, 0, 2 * int64_t{out.channels});
    }

private:
    ModelSummary& summary_;
};

std::string with_commas(int64_t value) {
    std::string digits = std::to_string(value < 0 ? -value : value);
    std::string out;
    for (size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return value < 0 ? "-" + out : out;
}

}  // namespace

ModelSummary summarize_fcn(const FcnArchitecture& a, int image_size) {
    const size_t depth = a.encoder_filters.size();
    const int divisor = 1 << depth;
    if (depth == 0 || a.decoder_filters.size() != depth)
        throw Error("model summary: need one decoder per encoder");
    if (image_size < divisor || image_size % divisor != 0)
        throw Error("model summary: image size " + std::to_string(image_size) + " is not divisible by " +
                    std::to_string(divisor) + " (2 per encoder)");
    ModelSummary summary;
    summary.image_size = image_size;
    SummaryBuilder b(summary);

    Shape h{image_size, image_size, kFcnInputChannels};
    b.add("input", "InputLayer", h, 0, 0);
    std::vector<Shape> skips;
    for (size_t i = 0; i < depth; ++i) {
        skips.push_back(h);
        h = b.separable("enc" + std::to_string(i), h, a.encoder_filters[i], 2);
    }
    h = b.conv("middle", "Conv2D", h, a.conv1x1_filters, a.conv1x1_kernel);
    b.batch_norm("middle_bn", h);
    for (size_t j = 0; j < depth; ++j) {
        const std::string prefix = "dec" + std::to_string(j);
        h = Shape{h.height * 2, h.width * 2, h.channels};
        b.add(prefix + "_up", "BilinearUpSampling2D", h, 0, 0);
        h.channels += skips[depth - 1 - j].channels;
        b.add(prefix + "_concat", "Concatenate", h, 0, 0);
        for (int c = 0; c < a.decoder_convs; ++c)
            h = b.separable(prefix + "_sep" + std::to_string(c), h, a.decoder_filters[j], 1);
    }
    b.conv("output", "Conv2D+softmax", h, kFcnClasses, a.output_kernel);
    summary.total_params = summary.trainable_params + summary.non_trainable_params;
    return summary;
}

std::string format_model_summary(const ModelSummary& s) {
    std::string out;
    char line[256];
    const char* rule = "------------------------------------------------------------------------------------------\n";
    std::snprintf(line, sizeof line, "%-14s %-22s %-22s %12s %16s\n", "Layer", "Type", "Output shape", "Params",
                  "Mult-adds/image");
    out += line;
    out += rule;
    for (const auto& layer : s.layers) {
        const std::string shape = "(None, " + std::to_string(layer.height) + ", " + std::to_string(layer.width) +
                                  ", " + std::to_string(layer.channels) + ")";
        std::snprintf(line, sizeof line, "%-14s %-22s %-22s %12s %16s\n", layer.name.c_str(), layer.type.c_str(),
                      shape.c_str(), with_commas(layer.trainable_params + layer.non_trainable_params).c_str(),
                      with_commas(layer.multiply_adds).c_str());
        out += line;
    }
    out += rule;
    out += "Total params: " + with_commas(s.total_params) + "\n";
    out += "Trainable params: " + with_commas(s.trainable_params) + "\n";
    out += "Non-trainable params: " + with_commas(s.non_trainable_params) + "\n";
    std::snprintf(line, sizeof line, "Multiply-adds per image (forward, %dx%d): %s (%.1fM, %.2f GFLOP)\n",
                  s.image_size, s.image_size, with_commas(s.multiply_adds).c_str(), s.multiply_adds / 1e6,
                  2.0 * s.multiply_adds / 1e9);
    out += line;
    return out;
}

}  // namespace segsweep
