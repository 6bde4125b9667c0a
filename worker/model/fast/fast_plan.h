// The fast FCN path's description of one network at one input size, without LibTorch: each
// layer's geometry (TF 'same' padding, stride, band size), where its input comes from (the image,
// another layer's BatchNorm output, or the decoder concat of an x2 upsample and a skip), and how
// its input gradient is written back (assigned, added, or upsample-accumulated), in the order
// FcnImpl::logits runs the layers (encoders, middle, decoder blocks, output conv).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "worker/model/fcn_architecture.h"

namespace segsweep::fast {

// A band's forward buffers (input rows, GEMM operand, output rows) stay under this size, so they
// and the backward's twice as many stay in a core's L2 cache.
inline constexpr int64_t kBandBytes = 768 * 1024;

enum class LayerKind {
    kSeparable,  // 3x3 depthwise (stride here) -> 1x1 pointwise with bias
    kDense,      // kxk conv with bias, stride 1
};

enum class SourceKind {
    kImage,   // the network input (3 channels)
    kLayer,   // BatchNorm(output of `layer`), normalised on read
    kConcat,  // [upsample_x2_tf1(BN(output of `layer`)), skip]; skip = image or BN(skip_layer)
};

struct LayerSource {
    SourceKind kind = SourceKind::kImage;
    int layer = -1;        // kLayer: the layer read; kConcat: the upsampled layer
    int skip_layer = -1;   // kConcat: the skip's layer, -1 for the input image
    int up_channels = 0;   // kConcat: channels of the upsampled part (they come first)
};

struct LayerPlan {
    std::string name;  // module name in FcnImpl ("enc0", "middle", "dec1_sep0", "output")
    LayerKind kind = LayerKind::kSeparable;
    int kernel = 3;    // depthwise kernel (separable) or conv kernel (dense)
    int stride = 1;
    int pad_top = 0, pad_left = 0;  // TF 'same': stride 2 on even sizes pads bottom/right only
    int in_channels = 0, out_channels = 0;
    int in_height = 0, in_width = 0, out_height = 0, out_width = 0;
    bool batch_norm = true;  // conv -> ReLU -> BatchNorm; false for the output conv (logits)
    LayerSource source;
    int band_rows = 1;       // output rows per band (see kBandBytes)

    // Backward: how this layer's input gradient reaches the layers it read.
    bool input_grad_add = false;  // kLayer: add into the read layer's output gradient (else assign)
    bool skip_grad_add = false;   // kConcat with a skip layer: likewise for the skip
    bool zero_up_grad = false;    // kConcat: zero the upsampled layer's output gradient first

    int padded_width() const { return (out_width - 1) * stride + kernel; }
    int band_in_rows(int out_rows) const { return (out_rows - 1) * stride + kernel; }
    int bands() const { return (out_height + band_rows - 1) / band_rows; }
    // Columns of the GEMM's left operand: Cin (separable) or k*k*Cin (dense).
    int gemm_depth() const { return kind == LayerKind::kSeparable ? in_channels : kernel * kernel * in_channels; }
    bool has_input_grad() const { return source.kind != SourceKind::kImage; }
    // Bytes of a band of `out_rows` rows: input band, GEMM operand (unless the band is it), output.
    int64_t band_bytes(int out_rows) const {
        const int64_t pixels = int64_t{out_rows} * out_width;
        const int64_t operand = kind == LayerKind::kDense && kernel == 1 ? 0 : pixels * gemm_depth();
        return int64_t{sizeof(float)} *
               (int64_t{band_in_rows(out_rows)} * padded_width() * in_channels + operand + pixels * out_channels);
    }
};

struct NetworkPlan {
    int height = 0, width = 0;
    std::vector<LayerPlan> layers;
};

// Bands are the most output rows whose band_bytes() fit in band_bytes (at least one row). Throws
// segsweep::Error for an architecture the FCN itself rejects (see FcnImpl), or an input size not
// divisible by 2^encoders.
NetworkPlan plan_network(const FcnArchitecture& architecture, int height, int width,
                         int64_t band_bytes = kBandBytes);

}  // namespace segsweep::fast
