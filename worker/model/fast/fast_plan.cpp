// Builds the fast path's NetworkPlan (see fast_plan.h) from an FcnArchitecture, mirroring the
// layer order and wiring of FcnImpl (worker/model/fcn.cpp).
#include "worker/model/fast/fast_plan.h"

#include "common/error.h"

namespace segsweep::fast {
namespace {

LayerPlan separable(const std::string& name, int in_channels, int out_channels, int in_height, int in_width,
                    int stride, LayerSource source) {
    LayerPlan p;
    p.name = name;
    p.kind = LayerKind::kSeparable;
    p.kernel = kSeparableKernel;
    p.stride = stride;
    // Stride 1: symmetric padding 1. Stride 2 on an even size: TF pads 1 at the bottom/right only.
    p.pad_top = p.pad_left = stride == 1 ? kSeparableKernel / 2 : 0;
    p.in_channels = in_channels;
    p.out_channels = out_channels;
    p.in_height = in_height;
    p.in_width = in_width;
    p.out_height = in_height / stride;
    p.out_width = in_width / stride;
    p.source = source;
    return p;
}

LayerPlan dense(const std::string& name, int in_channels, int out_channels, int height, int width, int kernel,
                bool batch_norm, LayerSource source) {
    if (kernel < 1 || kernel % 2 != 1)
        throw Error("fast FCN: " + name + " kernel must be odd, got " + std::to_string(kernel));
    LayerPlan p;
    p.name = name;
    p.kind = LayerKind::kDense;
    p.kernel = kernel;
    p.stride = 1;
    p.pad_top = p.pad_left = kernel / 2;
    p.in_channels = in_channels;
    p.out_channels = out_channels;
    p.in_height = p.out_height = height;
    p.in_width = p.out_width = width;
    p.batch_norm = batch_norm;
    p.source = source;
    return p;
}

LayerSource from_layer(int layer) { return {SourceKind::kLayer, layer, -1, 0}; }

// Which writer of each layer's output gradient comes first in backward (reverse layer order):
// the first assigns (or zeroes, for the upsample), later ones add.
void plan_gradient_writes(NetworkPlan& plan) {
    std::vector<bool> written(plan.layers.size(), false);
    for (size_t i = plan.layers.size(); i-- > 0;) {
        LayerPlan& layer = plan.layers[i];
        const LayerSource& s = layer.source;
        if (s.kind == SourceKind::kLayer) {
            layer.input_grad_add = written[s.layer];
            written[s.layer] = true;
        } else if (s.kind == SourceKind::kConcat) {
            if (written[s.layer])
                throw Error("fast FCN: layer " + std::to_string(s.layer) + " is upsampled by two decoders");
            layer.zero_up_grad = true;
            written[s.layer] = true;
            if (s.skip_layer >= 0) {
                layer.skip_grad_add = written[s.skip_layer];
                written[s.skip_layer] = true;
            }
        }
    }
}

}  // namespace

NetworkPlan plan_network(const FcnArchitecture& a, int height, int width, int64_t band_bytes) {
    const size_t depth = a.encoder_filters.size();
    if (depth == 0 || a.decoder_filters.size() != depth)
        throw Error("fast FCN: need one decoder per encoder");
    if (a.decoder_convs < 1 || a.decoder_convs > 2) throw Error("fast FCN: decoder_convs must be 1 or 2");
    const int divisor = 1 << depth;
    if (height < divisor || width < divisor || height % divisor != 0 || width % divisor != 0)
        throw Error("fast FCN: input " + std::to_string(height) + "x" + std::to_string(width) +
                    " is not divisible by " + std::to_string(divisor));

    NetworkPlan plan;
    plan.height = height;
    plan.width = width;
    auto& layers = plan.layers;

    // Encoders: enc_i reads the image (i = 0) or BN(enc_{i-1}).
    std::vector<int> skip_layer;  // the layer whose output is each encoder's input (-1: image)
    std::vector<int> skip_channels;
    int channels = kFcnInputChannels, h = height, w = width;
    for (size_t i = 0; i < depth; ++i) {
        const int input_layer = i == 0 ? -1 : static_cast<int>(i) - 1;
        skip_layer.push_back(input_layer);
        skip_channels.push_back(channels);
        const LayerSource source = i == 0 ? LayerSource{} : from_layer(input_layer);
        layers.push_back(separable("enc" + std::to_string(i), channels, a.encoder_filters[i], h, w, 2, source));
        channels = a.encoder_filters[i];
        h /= 2;
        w /= 2;
    }
    layers.push_back(dense("middle", channels, a.conv1x1_filters, h, w, a.conv1x1_kernel, true,
                           from_layer(static_cast<int>(layers.size()) - 1)));
    channels = a.conv1x1_filters;

    for (size_t j = 0; j < depth; ++j) {
        const size_t e = depth - 1 - j;  // the encoder whose input is this decoder's skip
        const int up_layer = static_cast<int>(layers.size()) - 1;
        h *= 2;
        w *= 2;
        const LayerSource concat{SourceKind::kConcat, up_layer, skip_layer[e], channels};
        const std::string prefix = "dec" + std::to_string(j) + "_sep";
        layers.push_back(separable(prefix + "0", channels + skip_channels[e], a.decoder_filters[j], h, w, 1, concat));
        if (a.decoder_convs == 2)
            layers.push_back(separable(prefix + "1", a.decoder_filters[j], a.decoder_filters[j], h, w, 1,
                                       from_layer(static_cast<int>(layers.size()) - 1)));
        channels = a.decoder_filters[j];
    }
    layers.push_back(dense("output", channels, kFcnClasses, h, w, a.output_kernel, false,
                           from_layer(static_cast<int>(layers.size()) - 1)));

    for (LayerPlan& layer : layers) {
        layer.band_rows = 1;
        while (layer.band_rows < layer.out_height && layer.band_bytes(layer.band_rows + 1) <= band_bytes)
            ++layer.band_rows;
    }
    plan_gradient_writes(plan);
    return plan;
}

}  // namespace segsweep::fast
