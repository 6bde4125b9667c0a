// The portable variant of the fast FCN kernels (see fast_kernels.h): plain C++ loops compiled for
// baseline x86-64 (or any CPU), channels innermost so the compiler vectorises them with whatever
// the build targets. fast_kernels.cpp runs these on a CPU without AVX-512F, or when forced
// (SEGSWEEP_FAST_KERNELS=portable, set_fast_kernel_variant). Per-channel sums go to float
// partials (restrict-qualified, so the loops vectorise) that are added to the double
// accumulators every kPartialPixels pixels, as the AVX-512 variant does.
#include <algorithm>
#include <cstring>
#include <vector>

#include "worker/model/fast/fast_kernel_variants.h"

namespace segsweep::fast::portable {

namespace {

constexpr int kTaps = 9;                 // 3x3 depthwise taps
constexpr int64_t kPartialPixels = 512;  // pixels summed in float before adding to double

// Float partial sums of `count` values, zeroed, flushed into double accumulators.
class PartialSums {
public:
    explicit PartialSums(int64_t count) : values_(static_cast<size_t>(count), 0.0f) {}
    float* data() { return values_.data(); }
    // target[i] += partial[i], then the partials restart from zero.
    void flush_into(double* target) {
        for (size_t i = 0; i < values_.size(); ++i) target[i] += values_[i];
        std::fill(values_.begin(), values_.end(), 0.0f);
    }

private:
    std::vector<float> values_;
};

// Offsets of the 9 taps t = dy*3+dx inside a band, in floats.
void tap_offsets(int64_t row_floats, int channels, int64_t* offsets) {
    for (int t = 0; t < kTaps; ++t) offsets[t] = (t / 3) * row_floats + int64_t{t % 3} * channels;
}

}  // namespace

void depthwise3x3_forward(const float* band, int padded_width, int channels, int stride, const float* k9,
                          int out_rows, int out_width, float* out) {
    const int64_t row_floats = int64_t{padded_width} * channels;
    int64_t offsets[kTaps];
    tap_offsets(row_floats, channels, offsets);
    for (int y = 0; y < out_rows; ++y)
        for (int x = 0; x < out_width; ++x) {
            const float* in = band + int64_t{y} * stride * row_floats + int64_t{x} * stride * channels;
            float* __restrict o = out + (int64_t{y} * out_width + x) * channels;
            for (int c = 0; c < channels; ++c) o[c] = in[c] * k9[c];
            for (int t = 1; t < kTaps; ++t) {
                const float* __restrict tap = in + offsets[t];
                const float* __restrict k = k9 + int64_t{t} * channels;
                for (int c = 0; c < channels; ++c) o[c] += tap[c] * k[c];
            }
        }
}

void depthwise3x3_kernel_grad(const float* band, int padded_width, int channels, int stride,
                              const float* grad_out, int out_rows, int out_width, double* grad_k9) {
    const int64_t row_floats = int64_t{padded_width} * channels;
    int64_t offsets[kTaps];
    tap_offsets(row_floats, channels, offsets);
    PartialSums partial(int64_t{kTaps} * channels);
    for (int y = 0; y < out_rows; ++y)
        for (int x = 0; x < out_width; ++x) {
            const float* in = band + int64_t{y} * stride * row_floats + int64_t{x} * stride * channels;
            const float* __restrict g = grad_out + (int64_t{y} * out_width + x) * channels;
            for (int t = 0; t < kTaps; ++t) {
                const float* __restrict tap = in + offsets[t];
                float* __restrict acc = partial.data() + int64_t{t} * channels;
                for (int c = 0; c < channels; ++c) acc[c] += tap[c] * g[c];
            }
        }
    partial.flush_into(grad_k9);
}

void depthwise3x3_input_grad(const float* grad_out, int out_rows, int out_width, int channels, int stride,
                             const float* k9, int padded_width, float* grad_band) {
    const int64_t row_floats = int64_t{padded_width} * channels;
    int64_t offsets[kTaps];
    tap_offsets(row_floats, channels, offsets);
    for (int y = 0; y < out_rows; ++y)
        for (int x = 0; x < out_width; ++x) {
            float* gin = grad_band + int64_t{y} * stride * row_floats + int64_t{x} * stride * channels;
            const float* __restrict g = grad_out + (int64_t{y} * out_width + x) * channels;
            for (int t = 0; t < kTaps; ++t) {
                float* __restrict tap = gin + offsets[t];
                const float* __restrict k = k9 + int64_t{t} * channels;
                for (int c = 0; c < channels; ++c) tap[c] += g[c] * k[c];
            }
        }
}

void bias_relu_stats(float* z, int64_t pixels, int channels, const float* bias, double* sum,
                     double* sum_squares) {
    PartialSums partial_sum(channels), partial_squares(channels);
    float* __restrict s1 = partial_sum.data();
    float* __restrict s2 = partial_squares.data();
    const float* __restrict b = bias;
    for (int64_t p0 = 0; p0 < pixels; p0 += kPartialPixels) {
        const int64_t p1 = std::min(pixels, p0 + kPartialPixels);
        for (int64_t p = p0; p < p1; ++p) {
            float* __restrict at = z + p * channels;
            for (int c = 0; c < channels; ++c) {
                const float t = at[c] + b[c];
                const float v = t < 0.0f ? 0.0f : t;  // NaN passes on, as torch's relu does
                at[c] = v;
                s1[c] += v;
                s2[c] += v * v;
            }
        }
        partial_sum.flush_into(sum);
        partial_squares.flush_into(sum_squares);
    }
}

void bn_relu_backward(const float* gy, const float* r, int64_t pixels, int channels, const float* scale,
                      const float* slope, const float* offset, float* gz, double* grad_bias) {
    PartialSums partial(channels);
    float* __restrict total = partial.data();
    const float* __restrict a = scale;
    const float* __restrict k = slope;
    const float* __restrict o = offset;
    for (int64_t p0 = 0; p0 < pixels; p0 += kPartialPixels) {
        const int64_t p1 = std::min(pixels, p0 + kPartialPixels);
        for (int64_t p = p0; p < p1; ++p) {
            const float* __restrict g_in = gy + p * channels;
            const float* __restrict rv = r + p * channels;
            float* __restrict g_out = gz + p * channels;
            for (int c = 0; c < channels; ++c) {
                const float g = rv[c] > 0.0f ? a[c] * g_in[c] + (k[c] * rv[c] + o[c]) : 0.0f;
                g_out[c] = g;
                total[c] += g;
            }
        }
        partial.flush_into(grad_bias);
    }
}

void store_grad_row(const float* src, int src_stride, int width, int channels, float* dst, bool add, const float* r,
                    double* sum_g, double* sum_gr) {
    PartialSums partial_g(channels), partial_gr(channels);
    float* __restrict s1 = partial_g.data();
    float* __restrict s2 = partial_gr.data();
    for (int w = 0; w < width; ++w) {
        const float* __restrict g = src + int64_t{w} * src_stride;
        float* __restrict d = dst + int64_t{w} * channels;
        const float* __restrict rr = r + int64_t{w} * channels;
        for (int c = 0; c < channels; ++c) {
            d[c] = add ? d[c] + g[c] : g[c];
            s1[c] += g[c];
            s2[c] += g[c] * rr[c];
        }
    }
    partial_g.flush_into(sum_g);
    partial_gr.flush_into(sum_gr);
}

void upsample_transpose_row_add(const float* src, int src_stride, int full_width, int channels, float* dst0,
                                float w0, const float* r0, float* dst1, float w1, const float* r1, double* sum_g,
                                double* sum_gr) {
    // Horizontal transpose of out[2j] = in[j], out[2j+1] = (in[j] + in[min(j+1, n-1)]) / 2:
    // h[j] = out[2j] + out[2j+1]/2 + out[2j-1]/2, the last column taking all of out[2n-1].
    const int half_width = full_width / 2;
    const float weight_sum = dst1 != nullptr ? w0 + w1 : w0;
    PartialSums partial_g(channels), partial_gr(channels);
    float* __restrict s1 = partial_g.data();
    float* __restrict s2 = partial_gr.data();
    std::vector<float> row(static_cast<size_t>(channels));
    float* __restrict h = row.data();
    for (int j = 0; j < half_width; ++j) {
        const float* __restrict even = src + int64_t{2 * j} * src_stride;
        const float* __restrict odd = even + src_stride;
        const float odd_weight = j + 1 == half_width ? 1.0f : 0.5f;
        for (int c = 0; c < channels; ++c) h[c] = even[c] + odd_weight * odd[c];
        if (j > 0) {
            const float* __restrict previous_odd = even - src_stride;
            for (int c = 0; c < channels; ++c) h[c] += 0.5f * previous_odd[c];
        }
        const int64_t at = int64_t{j} * channels;
        float* __restrict d0 = dst0 + at;
        const float* __restrict q0 = r0 + at;
        for (int c = 0; c < channels; ++c) {
            d0[c] += w0 * h[c];
            s1[c] += h[c];
            s2[c] += w0 * h[c] * q0[c];
        }
        if (dst1 != nullptr) {
            float* __restrict d1 = dst1 + at;
            const float* __restrict q1 = r1 + at;
            for (int c = 0; c < channels; ++c) {
                d1[c] += w1 * h[c];
                s2[c] += w1 * h[c] * q1[c];
            }
        }
    }
    for (int c = 0; c < channels; ++c) s1[c] *= weight_sum;
    partial_g.flush_into(sum_g);
    partial_gr.flush_into(sum_gr);
}

#include "worker/model/fast/fast_row_kernels.inc"

}  // namespace segsweep::fast::portable
