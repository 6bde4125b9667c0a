// The x2 bilinear upsample of the original model: TF1 `resize_bilinear(align_corners=False)`,
// the legacy asymmetric mapping src = dst / 2 with no half-pixel offset. Along each spatial axis:
//   out[2i]   = in[i]
//   out[2i+1] = (in[i] + in[min(i+1, n-1)]) / 2      (the last row/column repeats)
// This is NOT torch's interpolate (half-pixel centres, align_corners=False) nor align_corners=True.
// Built from differentiable tensor ops, so autograd gives its backward.
#pragma once

#include <ATen/core/Tensor.h>

namespace segsweep {

// x: [N, C, H, W] (contiguous or channels_last). Returns [N, C, 2H, 2W] in the same memory format.
at::Tensor upsample_x2_tf1(const at::Tensor& x);

}  // namespace segsweep
