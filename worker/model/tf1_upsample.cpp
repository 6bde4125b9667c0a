// TF1 legacy x2 bilinear upsample (see tf1_upsample.h): one axis at a time, each output pair
// (in[i], mean(in[i], in[i+1 clamped])) interleaved by stack + flatten.
#include "worker/model/tf1_upsample.h"

#include <ATen/ATen.h>

#include "common/error.h"

namespace segsweep {
namespace {

// Doubles axis `dim` of t: stacks [t, midpoints] on a new axis after `dim` and folds it in.
at::Tensor upsample_axis_x2(const at::Tensor& t, int64_t dim) {
    const int64_t n = t.size(dim);
    at::Tensor next = n > 1 ? at::cat({t.narrow(dim, 1, n - 1), t.narrow(dim, n - 1, 1)}, dim) : t;
    at::Tensor midpoints = (t + next) * 0.5;
    return at::stack({t, midpoints}, dim + 1).flatten(dim, dim + 1);
}

}  // namespace

at::Tensor upsample_x2_tf1(const at::Tensor& x) {
    if (x.dim() != 4) throw Error("upsample_x2_tf1: expected a 4-D NCHW tensor, got " + std::to_string(x.dim()) + "-D");
    if (x.is_contiguous(at::MemoryFormat::ChannelsLast) && !x.is_contiguous()) {
        // Work on the NHWC view (H = dim 1, W = dim 2) so the result is channels_last as well.
        at::Tensor nhwc = x.permute({0, 2, 3, 1});
        at::Tensor up = upsample_axis_x2(upsample_axis_x2(nhwc, 1), 2);
        return up.permute({0, 3, 1, 2});
    }
    return upsample_axis_x2(upsample_axis_x2(x, 2), 3);
}

}  // namespace segsweep
