// The fast FCN path's engine: runs a NetworkPlan forward and backward on the CPU with NHWC
// activations, band by band (a few image rows at a time, so each band's buffers stay in cache):
//   forward, per layer:  build the input band (BatchNorm of the layer read applied on the fly,
//                        the decoder's upsample and concat written straight into the band),
//                        depthwise 3x3 / im2col, one sgemm, then bias + ReLU + BN statistics in
//                        place. Only each layer's ReLU output R is stored; BN is folded into
//                        the next read as a per-channel scale and shift.
//   backward, per layer: per image and band: BN + ReLU backward, recompute the depthwise output,
//                        the weight-gradient sgemm, the input-gradient sgemm, the depthwise /
//                        col2im transpose into a band accumulator whose finished rows go to the
//                        layers read (assigned, added, or transposed through the upsample). While
//                        writing them it also sums what BatchNorm's backward of those layers needs
//                        (sum gy, sum gy*r), so no extra pass over their gradients is made.
// Threads: the items of each pass (images, or image bands) are handed out dynamically over
// at::get_num_threads() threads; each thread has its own scratch and gradient accumulators.
// A Workspace holds every buffer and is reused across steps (see fast_fcn.cpp's pool).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <ATen/core/ivalue.h>

#include "worker/model/fast/fast_plan.h"

namespace segsweep::fast {

// One layer's weights in the kernels' layouts (contiguous float32).
struct LayerWeights {
    at::Tensor depthwise;  // [9, Cin], tap-major (separable layers)
    at::Tensor matrix;     // [Cout, gemm_depth]: pointwise [Cout, Cin] or dense [Cout, k, k, Cin]
    at::Tensor bias;       // [Cout]
    at::Tensor gamma, beta;                  // [Cout] (BatchNorm layers)
    at::Tensor running_mean, running_var;    // [Cout] (BatchNorm layers, used in eval mode)
    double epsilon = 0.0;                    // BatchNorm epsilon
};

// Gradients of one layer's weights, same layouts as LayerWeights.
struct LayerGrads {
    at::Tensor depthwise, matrix, bias, gamma, beta;
};

// A BatchNorm layer's batch statistics from the last training-mode forward.
struct BatchStatistics {
    std::vector<double> mean;
    std::vector<double> variance;  // biased (divided by count)
    int64_t count = 0;             // values per channel: batch * height * width
};

class Workspace : public torch::CustomClassHolder {
public:
    Workspace(NetworkPlan plan, int64_t batch, bool with_gradients, std::string key);
    ~Workspace() override;

    const std::string& key() const { return key_; }
    const NetworkPlan& plan() const { return plan_; }
    int64_t batch() const { return batch_; }

    // x: [N, 3, H, W] float32 (any strides). batch_statistics: BatchNorm in training mode
    // (else running statistics). Returns the logits [N, 3, H, W] (contiguous). Keeps `weights`
    // and every layer's ReLU output for backward().
    at::Tensor forward(const at::Tensor& x, std::vector<LayerWeights> weights, bool batch_statistics);
    const BatchStatistics& batch_statistics(size_t layer) const { return stats_[layer]; }

    // grad_logits: gradient of the loss with respect to forward()'s output. Needs a forward with
    // batch statistics and with_gradients.
    std::vector<LayerGrads> backward(const at::Tensor& grad_logits);

private:
    struct ThreadScratch;

    void forward_layer(size_t l, const at::Tensor& x, at::Tensor& logits);
    void finish_batch_norm(size_t l, bool batch_statistics);
    void backward_layer(size_t l, const at::Tensor& grad_logits, LayerGrads& grads);
    void backward_image(size_t l, int64_t n, const at::Tensor& grad_logits, ThreadScratch& s);
    // Writes the input band of output rows [h0, h1) of image n, except its first `carried` rows
    // (already there from the previous band); returns the band's first image row.
    int fill_band(size_t l, int64_t n, int h0, int h1, int carried, ThreadScratch& s, float* band) const;
    void fill_source_row(const LayerPlan& layer, int64_t n, int row, ThreadScratch& s, float* dst) const;
    void emit_input_grad_row(const LayerPlan& layer, int64_t n, int row, const float* grad, int stride,
                             ThreadScratch& s);
    // The GEMM's left operand for a band: the depthwise output, im2col columns, or the band itself.
    const float* gemm_operand(const LayerPlan& layer, size_t l, const float* band, int rows, float* cols) const;
    float* rows_of(std::vector<at::Tensor>& buffers, size_t l, int64_t n, int row) const;
    const float* rows_of(const std::vector<at::Tensor>& buffers, size_t l, int64_t n, int row) const;
    void ensure_threads(int threads);

    NetworkPlan plan_;
    int64_t batch_;
    bool with_gradients_;
    std::string key_;
    at::Tensor image_;                       // forward()'s x, kept for backward()
    std::vector<LayerWeights> weights_;
    std::vector<at::Tensor> outputs_;        // per layer: ReLU output [N, Ho, Wo, Cout] (BN layers)
    std::vector<at::Tensor> output_grads_;   // per layer: gradient w.r.t. the BN output (training)
    std::vector<BatchStatistics> stats_;
    std::vector<std::vector<float>> scale_, shift_;  // per BN layer: y = scale * r + shift
    std::vector<int64_t> grad_sums_offset_;         // per layer: where its sums sit in ThreadScratch::grad_sums
    // Backward, per BN layer: gz = r > 0 ? scale*gy + slope*r + offset : 0.
    std::vector<float> grad_slope_, grad_offset_;
    std::vector<std::unique_ptr<ThreadScratch>> threads_;
    bool has_forward_ = false;
};

}  // namespace segsweep::fast
