// The fast FCN path's forward and backward passes over a NetworkPlan (see fast_engine.h).
#include "worker/model/fast/fast_engine.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include "common/error.h"
#include "worker/model/fast/fast_gemm.h"
#include "worker/model/fast/fast_kernels.h"

namespace segsweep::fast {
namespace {

constexpr int kWindowBands = 4;  // bands a band buffer holds before its carried rows move back to the top

// Runs work(item, thread) for items [0, count), handed out one at a time to at::get_num_threads()
// threads (dynamic, so a thread slowed by other processes on the machine takes fewer items).
template <class Work>
void run_parallel(int64_t count, int threads, const Work& work) {
    std::atomic<int64_t> next{0};
    at::parallel_for(0, threads, 1, [&](int64_t, int64_t) {
        const int thread = at::get_thread_num();
        for (int64_t item = next.fetch_add(1); item < count; item = next.fetch_add(1)) work(item, thread);
    });
}

float* floats(at::Tensor& t) { return t.data_ptr<float>(); }
const float* floats(const at::Tensor& t) { return t.data_ptr<float>(); }

at::Tensor float_buffer(int64_t count) { return at::empty({std::max<int64_t>(count, 1)}, at::kFloat); }

// Consecutive bands of one image in one buffer several bands long: each band starts on the
// previous band's last `overlap` rows, which were built (or accumulated) once; only when the
// buffer is full do those rows move to its top.
class BandWindow {
public:
    BandWindow(at::Tensor& buffer, int64_t row_floats)
        : buffer_(floats(buffer)), capacity_rows_(buffer.numel() / row_floats), row_floats_(row_floats) {}

    float* rows() const { return buffer_ + first_ * row_floats_; }

    // Moves past a band of `rows` rows to the next band, of `next_rows` rows, which starts on this
    // band's last `overlap` rows. Returns how many rows the next band finds in place.
    int advance(int rows, int overlap, int next_rows) {
        if (overlap <= 0) {
            first_ = 0;
            return 0;
        }
        first_ += rows - overlap;
        if (first_ + next_rows > capacity_rows_) {
            std::memmove(buffer_, rows_at(first_), sizeof(float) * overlap * row_floats_);
            first_ = 0;
        }
        return overlap;
    }

private:
    float* rows_at(int64_t row) const { return buffer_ + row * row_floats_; }

    float* buffer_;
    int64_t capacity_rows_;
    int64_t row_floats_;
    int64_t first_ = 0;
};

// Input rows of the band after the one of output rows [h0, h1) (0 after the last band).
int next_band_rows(const LayerPlan& layer, int h1) {
    if (h1 >= layer.out_height) return 0;
    return layer.band_in_rows(std::min(h1 + layer.band_rows, layer.out_height) - h1);
}

}  // namespace

// Per-thread buffers, sized for the largest layer of the plan.
struct Workspace::ThreadScratch {
    at::Tensor band, cols, z, gz, gcols, gband, up;
    std::vector<double> sum, sum2;          // forward BatchNorm statistics
    std::vector<double> grad_bias, grad_k9;
    std::vector<double> grad_sums;  // per BN layer: sum gy, then sum gy*r (offsets: grad_sums_offset_)
    at::Tensor grad_matrix;

    ThreadScratch(const NetworkPlan& plan, int64_t grad_sums_size) : grad_sums(grad_sums_size, 0.0) {
        int64_t band_floats = 0, cols_floats = 0, pixel_floats = 0, up_floats = 0, matrix_floats = 0;
        int channels = 0;
        for (const LayerPlan& l : plan.layers) {
            const int64_t pixels = int64_t{l.band_rows} * l.out_width;
            band_floats = std::max(band_floats, int64_t{l.band_in_rows(l.band_rows)} * l.padded_width() * l.in_channels);
            cols_floats = std::max(cols_floats, pixels * l.gemm_depth());
            pixel_floats = std::max(pixel_floats, pixels * l.out_channels);
            if (l.source.kind == SourceKind::kConcat)
                up_floats = std::max(up_floats, int64_t{l.in_width / 2} * l.source.up_channels);
            matrix_floats = std::max(matrix_floats, int64_t{l.out_channels} * l.gemm_depth());
            channels = std::max({channels, l.in_channels, l.out_channels});
        }
        band = float_buffer(kWindowBands * band_floats);
        cols = float_buffer(cols_floats);
        z = float_buffer(pixel_floats);
        gz = float_buffer(pixel_floats);
        gcols = float_buffer(cols_floats);
        gband = float_buffer(kWindowBands * band_floats);
        up = float_buffer(up_floats);
        grad_matrix = float_buffer(matrix_floats);
        sum.resize(channels);
        sum2.resize(channels);
        grad_bias.resize(channels);
        grad_k9.resize(int64_t{kSeparableKernel * kSeparableKernel} * channels);
    }
};

Workspace::Workspace(NetworkPlan plan, int64_t batch, bool with_gradients, std::string key)
    : plan_(std::move(plan)), batch_(batch), with_gradients_(with_gradients), key_(std::move(key)) {
    const size_t count = plan_.layers.size();
    outputs_.resize(count);
    output_grads_.resize(count);
    stats_.resize(count);
    scale_.resize(count);
    shift_.resize(count);
    grad_sums_offset_.assign(count + 1, 0);
    for (size_t l = 0; l < count; ++l)
        grad_sums_offset_[l + 1] = grad_sums_offset_[l] + 2 * plan_.layers[l].out_channels;
    for (size_t l = 0; l < count; ++l) {
        const LayerPlan& layer = plan_.layers[l];
        if (!layer.batch_norm) continue;
        const std::vector<int64_t> shape{batch_, layer.out_height, layer.out_width, layer.out_channels};
        outputs_[l] = at::empty(shape, at::kFloat);
        if (with_gradients_) output_grads_[l] = at::empty(shape, at::kFloat);
    }
}

Workspace::~Workspace() = default;

void Workspace::ensure_threads(int threads) {
    while (static_cast<int>(threads_.size()) < threads)
        threads_.push_back(std::make_unique<ThreadScratch>(plan_, grad_sums_offset_.back()));
}

float* Workspace::rows_of(std::vector<at::Tensor>& buffers, size_t l, int64_t n, int row) const {
    const LayerPlan& layer = plan_.layers[l];
    return floats(buffers[l]) + ((n * layer.out_height + row) * layer.out_width) * layer.out_channels;
}

const float* Workspace::rows_of(const std::vector<at::Tensor>& buffers, size_t l, int64_t n, int row) const {
    const LayerPlan& layer = plan_.layers[l];
    return floats(buffers[l]) + ((n * layer.out_height + row) * layer.out_width) * layer.out_channels;
}

// ---------------------------------------------------------------------------------------------
// Forward

at::Tensor Workspace::forward(const at::Tensor& x, std::vector<LayerWeights> weights, bool batch_statistics) {
    if (x.size(0) != batch_ || x.size(2) != plan_.height || x.size(3) != plan_.width)
        throw Error("fast FCN: workspace for batch " + std::to_string(batch_) + " at " + std::to_string(plan_.height) +
                    "x" + std::to_string(plan_.width) + " given input " + c10::str(x.sizes()));
    image_ = x;
    weights_ = std::move(weights);
    at::Tensor logits = at::empty({batch_, kFcnClasses, plan_.height, plan_.width}, at::kFloat);
    for (size_t l = 0; l < plan_.layers.size(); ++l) {
        forward_layer(l, x, logits);
        if (plan_.layers[l].batch_norm) finish_batch_norm(l, batch_statistics);
    }
    has_forward_ = batch_statistics;
    return logits;
}

void Workspace::forward_layer(size_t l, const at::Tensor& x, at::Tensor& logits) {
    (void)x;
    const LayerPlan& layer = plan_.layers[l];
    const int threads = at::get_num_threads();
    ensure_threads(threads);
    for (const auto& t : threads_) {  // every slot: finish_batch_norm() sums them all
        std::fill(t->sum.begin(), t->sum.end(), 0.0);
        std::fill(t->sum2.begin(), t->sum2.end(), 0.0);
    }
    const int bands = layer.bands();
    const int cout = layer.out_channels;
    const int depth = layer.gemm_depth();
    const float* matrix = floats(weights_[l].matrix);
    const float* bias = floats(weights_[l].bias);
    const int64_t plane = int64_t{plan_.height} * plan_.width;
    // Items: images, each split into `segments` runs of consecutive bands (more than one only when
    // there are fewer images than threads). Within a run the band rows shared with the next band
    // move to the top of the band buffer instead of being built again.
    const int segments = static_cast<int>(std::min<int64_t>(bands, (threads + batch_ - 1) / batch_));
    const int overlap = layer.kernel - layer.stride;
    const int64_t row_floats = int64_t{layer.padded_width()} * layer.in_channels;
    run_parallel(batch_ * segments, threads, [&](int64_t item, int thread) {
        ThreadScratch& s = *threads_[thread];
        const int64_t n = item / segments;
        const int segment = static_cast<int>(item % segments);
        const int first_band = bands * segment / segments;
        const int end_band = bands * (segment + 1) / segments;
        BandWindow window(s.band, row_floats);
        int carried = 0;
        for (int b = first_band; b < end_band; ++b) {
            const int h0 = b * layer.band_rows;
            const int h1 = std::min(h0 + layer.band_rows, layer.out_height);
            const int64_t pixels = int64_t{h1 - h0} * layer.out_width;
            float* band = window.rows();
            fill_band(l, n, h0, h1, carried, s, band);
            const float* operand = gemm_operand(layer, l, band, h1 - h0, floats(s.cols));
            if (layer.batch_norm) {
                float* z = rows_of(outputs_, l, n, h0);
                gemm_a_bt(pixels, cout, depth, operand, depth, matrix, depth, 0.0f, z, cout);
                bias_relu_stats(z, pixels, cout, bias, s.sum.data(), s.sum2.data());
            } else {
                float* z = floats(s.z);
                gemm_a_bt(pixels, cout, depth, operand, depth, matrix, depth, 0.0f, z, cout);
                scatter_class_planes(z, bias, pixels, cout,
                                     floats(logits) + n * cout * plane + int64_t{h0} * layer.out_width, plane);
            }
            carried = window.advance(layer.band_in_rows(h1 - h0), overlap, next_band_rows(layer, h1));
        }
    });
}

void Workspace::finish_batch_norm(size_t l, bool batch_statistics) {
    const LayerPlan& layer = plan_.layers[l];
    const int channels = layer.out_channels;
    const float* gamma = floats(weights_[l].gamma);
    const float* beta = floats(weights_[l].beta);
    std::vector<float>& scale = scale_[l];
    std::vector<float>& shift = shift_[l];
    scale.resize(channels);
    shift.resize(channels);
    if (batch_statistics) {
        BatchStatistics& st = stats_[l];
        st.count = batch_ * layer.out_height * layer.out_width;
        st.mean.assign(channels, 0.0);
        st.variance.assign(channels, 0.0);
        std::vector<double> sum(channels, 0.0), sum2(channels, 0.0);
        for (const auto& t : threads_)
            for (int c = 0; c < channels; ++c) {
                sum[c] += t->sum[c];
                sum2[c] += t->sum2[c];
            }
        for (int c = 0; c < channels; ++c) {
            const double mean = sum[c] / st.count;
            const double variance = std::max(sum2[c] / st.count - mean * mean, 0.0);
            st.mean[c] = mean;
            st.variance[c] = variance;
            const double a = gamma[c] / std::sqrt(variance + weights_[l].epsilon);
            scale[c] = static_cast<float>(a);
            shift[c] = static_cast<float>(beta[c] - mean * a);
        }
    } else {
        const float* running_mean = floats(weights_[l].running_mean);
        const float* running_var = floats(weights_[l].running_var);
        for (int c = 0; c < channels; ++c) {
            const double a = gamma[c] / std::sqrt(double{running_var[c]} + weights_[l].epsilon);
            scale[c] = static_cast<float>(a);
            shift[c] = static_cast<float>(beta[c] - running_mean[c] * a);
        }
    }
}

int Workspace::fill_band(size_t l, int64_t n, int h0, int h1, int carried, ThreadScratch& s, float* band) const {
    const LayerPlan& layer = plan_.layers[l];
    const int rows = layer.band_in_rows(h1 - h0);
    const int first = h0 * layer.stride - layer.pad_top;
    const int64_t cin = layer.in_channels;
    const int64_t row_floats = int64_t{layer.padded_width()} * cin;
    const int right = layer.padded_width() - layer.pad_left - layer.in_width;
    for (int i = carried; i < rows; ++i) {
        const int row = first + i;
        float* dst = band + i * row_floats;
        if (row < 0 || row >= layer.in_height) {
            std::memset(dst, 0, sizeof(float) * row_floats);
            continue;
        }
        if (layer.pad_left > 0) std::memset(dst, 0, sizeof(float) * layer.pad_left * cin);
        if (right > 0) std::memset(dst + (layer.pad_left + layer.in_width) * cin, 0, sizeof(float) * right * cin);
        fill_source_row(layer, n, row, s, dst + layer.pad_left * cin);
    }
    return first;
}

void Workspace::fill_source_row(const LayerPlan& layer, int64_t n, int row, ThreadScratch& s, float* dst) const {
    const LayerSource& source = layer.source;
    const int cin = layer.in_channels;
    auto image_at = [&](float* out) {
        const float* x = floats(image_) + n * image_.stride(0) + row * image_.stride(2);
        image_row(x, image_.stride(1), image_.stride(3), layer.in_width, kFcnInputChannels, out, cin);
    };
    auto layer_at = [&](int p, float* out) {
        affine_row(rows_of(outputs_, p, n, row), layer.in_width, plan_.layers[p].out_channels, scale_[p].data(),
                   shift_[p].data(), out, cin);
    };
    switch (source.kind) {
        case SourceKind::kImage:
            image_at(dst);
            return;
        case SourceKind::kLayer:
            layer_at(source.layer, dst);
            return;
        case SourceKind::kConcat: {
            const int u = source.layer;
            const int half = row / 2;
            const bool odd_with_next = row % 2 == 1 && half + 1 < plan_.layers[u].out_height;
            upsampled_affine_row(rows_of(outputs_, u, n, half), odd_with_next ? rows_of(outputs_, u, n, half + 1) : nullptr,
                                 layer.in_width / 2, source.up_channels, scale_[u].data(), shift_[u].data(),
                                 floats(s.up), dst, cin);
            if (source.skip_layer < 0)
                image_at(dst + source.up_channels);
            else
                layer_at(source.skip_layer, dst + source.up_channels);
            return;
        }
    }
}

const float* Workspace::gemm_operand(const LayerPlan& layer, size_t l, const float* band, int rows, float* cols) const {
    if (layer.kind == LayerKind::kSeparable) {
        depthwise3x3_forward(band, layer.padded_width(), layer.in_channels, layer.stride, floats(weights_[l].depthwise),
                             rows, layer.out_width, cols);
        return cols;
    }
    if (layer.kernel == 1) return band;
    im2col(band, layer.padded_width(), layer.in_channels, layer.kernel, rows, layer.out_width, cols);
    return cols;
}

// ---------------------------------------------------------------------------------------------
// Backward

std::vector<LayerGrads> Workspace::backward(const at::Tensor& grad_logits) {
    if (!with_gradients_ || !has_forward_)
        throw Error("fast FCN: backward needs a training-mode forward with gradients (and runs once per forward)");
    has_forward_ = false;
    ensure_threads(at::get_num_threads());
    for (const auto& t : threads_) std::fill(t->grad_sums.begin(), t->grad_sums.end(), 0.0);
    const at::Tensor grad = grad_logits.contiguous();
    std::vector<LayerGrads> grads(plan_.layers.size());
    for (size_t l = plan_.layers.size(); l-- > 0;) backward_layer(l, grad, grads[l]);
    return grads;
}

void Workspace::backward_layer(size_t l, const at::Tensor& grad_logits, LayerGrads& grads) {
    const LayerPlan& layer = plan_.layers[l];
    const int threads = at::get_num_threads();
    ensure_threads(threads);
    const int cout = layer.out_channels;
    const int depth = layer.gemm_depth();
    const int k9_floats = kSeparableKernel * kSeparableKernel * layer.in_channels;
    for (int t = 0; t < threads; ++t) {
        ThreadScratch& s = *threads_[t];
        std::fill(s.grad_bias.begin(), s.grad_bias.end(), 0.0);
        std::fill(s.grad_k9.begin(), s.grad_k9.end(), 0.0);
        std::memset(floats(s.grad_matrix), 0, sizeof(float) * cout * depth);
    }

    if (layer.batch_norm) {
        // BatchNorm's batch reductions, sum gy and sum gy*r per channel (gathered while the layers
        // reading this one wrote gy), give the affine map gr = scale*gy + slope*r + offset that its
        // training-mode backward reduces to.
        const BatchStatistics& st = stats_[l];
        grads.gamma = at::empty({cout}, at::kFloat);
        grads.beta = at::empty({cout}, at::kFloat);
        grad_slope_.resize(cout);
        grad_offset_.resize(cout);
        for (int c = 0; c < cout; ++c) {
            double sum_gy = 0.0, sum_gy_r = 0.0;
            for (const auto& t : threads_) {
                sum_gy += t->grad_sums[grad_sums_offset_[l] + c];
                sum_gy_r += t->grad_sums[grad_sums_offset_[l] + cout + c];
            }
            const double invstd = 1.0 / std::sqrt(st.variance[c] + weights_[l].epsilon);
            const double grad_gamma = invstd * (sum_gy_r - st.mean[c] * sum_gy);  // sum gy * xhat
            const double a = scale_[l][c];
            const double slope = -a * invstd * grad_gamma / st.count;
            grad_slope_[c] = static_cast<float>(slope);
            grad_offset_[c] = static_cast<float>(-a * sum_gy / st.count - slope * st.mean[c]);
            floats(grads.gamma)[c] = static_cast<float>(grad_gamma);
            floats(grads.beta)[c] = static_cast<float>(sum_gy);
        }
    }

    run_parallel(batch_, threads, [&](int64_t n, int thread) { backward_image(l, n, grad_logits, *threads_[thread]); });

    grads.matrix = at::zeros({cout, depth}, at::kFloat);
    grads.bias = at::empty({cout}, at::kFloat);
    for (int t = 0; t < threads; ++t) grads.matrix.add_(threads_[t]->grad_matrix.narrow(0, 0, int64_t{cout} * depth).view({cout, depth}));
    for (int c = 0; c < cout; ++c) {
        double total = 0.0;
        for (int t = 0; t < threads; ++t) total += threads_[t]->grad_bias[c];
        floats(grads.bias)[c] = static_cast<float>(total);
    }
    if (layer.kind == LayerKind::kSeparable) {
        grads.depthwise = at::empty({kSeparableKernel * kSeparableKernel, layer.in_channels}, at::kFloat);
        for (int i = 0; i < k9_floats; ++i) {
            double total = 0.0;
            for (int t = 0; t < threads; ++t) total += threads_[t]->grad_k9[i];
            floats(grads.depthwise)[i] = static_cast<float>(total);
        }
    }
}

void Workspace::backward_image(size_t l, int64_t n, const at::Tensor& grad_logits, ThreadScratch& s) {
    const LayerPlan& layer = plan_.layers[l];
    const int cin = layer.in_channels;
    const int cout = layer.out_channels;
    const int depth = layer.gemm_depth();
    const int64_t row_floats = int64_t{layer.padded_width()} * cin;
    const int carry = layer.kernel - layer.stride;  // band rows shared with the next band
    const bool separable = layer.kind == LayerKind::kSeparable;
    const float* matrix = floats(weights_[l].matrix);
    const int64_t plane = int64_t{plan_.height} * plan_.width;

    if (layer.source.kind == SourceKind::kConcat && layer.zero_up_grad) {
        const int u = layer.source.layer;
        const LayerPlan& up = plan_.layers[u];
        std::memset(rows_of(output_grads_, u, n, 0), 0,
                    sizeof(float) * up.out_height * up.out_width * up.out_channels);
    }

    float* gz = floats(s.gz);
    float* gcols = floats(s.gcols);
    BandWindow band_window(s.band, row_floats);
    BandWindow grad_window(s.gband, row_floats);
    int band_carried = 0;
    for (int b = 0; b < layer.bands(); ++b) {
        const int h0 = b * layer.band_rows;
        const int h1 = std::min(h0 + layer.band_rows, layer.out_height);
        const int rows = h1 - h0;
        const int64_t pixels = int64_t{rows} * layer.out_width;
        if (layer.batch_norm)
            bn_relu_backward(rows_of(output_grads_, l, n, h0), rows_of(outputs_, l, n, h0), pixels, cout,
                             scale_[l].data(), grad_slope_.data(), grad_offset_.data(), gz, s.grad_bias.data());
        else
            gather_class_planes(floats(grad_logits) + n * cout * plane + int64_t{h0} * layer.out_width, plane, pixels,
                                cout, gz, s.grad_bias.data());

        float* band = band_window.rows();
        const int first = fill_band(l, n, h0, h1, band_carried, s, band);
        const float* operand = gemm_operand(layer, l, band, rows, floats(s.cols));
        gemm_at_b(cout, depth, pixels, gz, cout, operand, depth, 1.0f, floats(s.grad_matrix), depth);
        if (separable || layer.has_input_grad()) gemm_a_b(pixels, depth, cout, gz, cout, matrix, depth, 0.0f, gcols, depth);
        if (separable)
            depthwise3x3_kernel_grad(band, layer.padded_width(), cin, layer.stride, gcols, rows, layer.out_width,
                                     s.grad_k9.data());
        band_carried = band_window.advance(layer.band_in_rows(rows), carry, next_band_rows(layer, h1));
        if (!layer.has_input_grad()) continue;

        if (!separable && layer.kernel == 1) {  // the band is the GEMM operand: rows map 1:1
            for (int i = 0; i < rows; ++i) emit_input_grad_row(layer, n, h0 + i, gcols + int64_t{i} * layer.out_width * cin, cin, s);
            continue;
        }
        const int band_rows = layer.band_in_rows(rows);
        const int carried = b == 0 ? 0 : carry;
        float* gband = grad_window.rows();
        std::memset(gband + carried * row_floats, 0, sizeof(float) * (band_rows - carried) * row_floats);
        if (separable)
            depthwise3x3_input_grad(gcols, rows, layer.out_width, cin, layer.stride, floats(weights_[l].depthwise),
                                    layer.padded_width(), gband);
        else
            col2im_add(gcols, rows, layer.out_width, cin, layer.kernel, layer.padded_width(), gband);
        const bool last = h1 == layer.out_height;
        const int finished = last ? band_rows : band_rows - carry;
        for (int i = 0; i < finished; ++i) {
            const int row = first + i;
            if (row >= 0 && row < layer.in_height)
                emit_input_grad_row(layer, n, row, gband + i * row_floats + int64_t{layer.pad_left} * cin, cin, s);
        }
        grad_window.advance(band_rows, carry, next_band_rows(layer, h1));
    }
}

void Workspace::emit_input_grad_row(const LayerPlan& layer, int64_t n, int row, const float* grad, int stride,
                                    ThreadScratch& s) {
    const LayerSource& source = layer.source;
    auto sums = [&](int target) { return s.grad_sums.data() + grad_sums_offset_[target]; };
    auto store_into = [&](int target, int channel_offset, bool add) {
        const int channels = plan_.layers[target].out_channels;
        store_grad_row(grad + channel_offset, stride, layer.in_width, channels, rows_of(output_grads_, target, n, row),
                       add, rows_of(outputs_, target, n, row), sums(target), sums(target) + channels);
    };
    if (source.kind == SourceKind::kLayer) {
        store_into(source.layer, 0, layer.input_grad_add);
        return;
    }
    if (source.kind != SourceKind::kConcat) return;
    const int u = source.layer;
    const int half = row / 2;
    const int cu = source.up_channels;
    double* up_sums = sums(u);
    if (row % 2 == 1 && half + 1 < plan_.layers[u].out_height) {
        upsample_transpose_row_add(grad, stride, layer.in_width, cu, rows_of(output_grads_, u, n, half), 0.5f,
                                   rows_of(outputs_, u, n, half), rows_of(output_grads_, u, n, half + 1), 0.5f,
                                   rows_of(outputs_, u, n, half + 1), up_sums, up_sums + cu);
    } else {  // an even row, or the last odd row (a copy of the last half-resolution row)
        upsample_transpose_row_add(grad, stride, layer.in_width, cu, rows_of(output_grads_, u, n, half), 1.0f,
                                   rows_of(outputs_, u, n, half), nullptr, 0.0f, nullptr, up_sums, up_sums + cu);
    }
    if (source.skip_layer >= 0) store_into(source.skip_layer, cu, layer.skip_grad_add);
}

}  // namespace segsweep::fast
