// The fast CPU path of the Follow-Me FCN: the same network and math as FcnImpl's reference modules
// (worker/model/fcn.cpp), run as one autograd Function with fused NHWC kernels (fast_engine.h):
// oneDNN sgemm for the pointwise / dense convolutions, a hand-written 3x3 depthwise, BatchNorm
// folded into the next layer's read, the TF1 x2 upsample and the decoder concat written straight
// into the next layer's input, every parameter gradient computed by hand in backward.
//
// The reference module stays the source of truth: its parameters are the Function's inputs, so
// torch::optim::Adam, torch::save/load and gradient hooks (the GradientAverager) see ordinary
// parameter gradients. BatchNorm running statistics are updated in forward exactly as the
// reference does (torch momentum, unbiased variance), and num_batches_tracked is incremented.
//
// FcnImpl::logits() calls fast_fcn_logits() first and runs the reference modules when it returns
// an undefined tensor, which it does for anything outside the fast path:
//   - not built with oneDNN;
//   - CUDA (cuDNN is the right path there) or non-float32 tensors (e.g. the double-precision
//     finite-difference tests);
//   - gradients wanted in eval mode, or for the input x, or BatchNorm modules in mixed modes;
//   - a BatchNorm layer with a single value per channel in training mode (the reference raises
//     its own error for that);
//   - set_fast_fcn_enabled(false) (benchmarks and tests of the reference path).
// backward() through the fast path works once per forward (retain_graph is not supported).
#pragma once

#include <cstdint>
#include <string>

#include <ATen/core/Tensor.h>

namespace segsweep {

class FcnImpl;

// The logits of model for x (shape [N, 3, H, W], already validated by FcnImpl::logits), or an
// undefined tensor when the fast path does not apply.
at::Tensor fast_fcn_logits(FcnImpl& model, const at::Tensor& x);

// Empty when fast_fcn_logits(model, x) would run the fast path now (grad mode included), else why
// it would not.
std::string fast_fcn_unsupported_reason(FcnImpl& model, const at::Tensor& x);

// True when this build can run the fast path at all (oneDNN found). Any CPU: the kernels pick their
// AVX-512 or portable variant at run time (fast_kernels.h).
bool fast_fcn_available();

// Process-wide switch, on by default.
void set_fast_fcn_enabled(bool enabled);
bool fast_fcn_enabled();

// Runs the reference path while in scope (restores the previous setting).
class ScopedFastFcnDisabled {
public:
    ScopedFastFcnDisabled();
    ~ScopedFastFcnDisabled();
    ScopedFastFcnDisabled(const ScopedFastFcnDisabled&) = delete;
    ScopedFastFcnDisabled& operator=(const ScopedFastFcnDisabled&) = delete;

private:
    bool previous_;
};

// Size of the bands the engine works in (see kBandBytes in fast_plan.h): for tests and tuning.
void set_fast_fcn_band_bytes(int64_t bytes);
int64_t fast_fcn_band_bytes();

// The fast path keeps its last workspace (activation and scratch buffers) for the next step of
// the same shape; this frees it.
void release_fast_fcn_workspaces();

}  // namespace segsweep
