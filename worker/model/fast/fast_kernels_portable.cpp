// The portable variant of the fast FCN kernels (see fast_kernels.h): plain C++ loops compiled for
// baseline x86-64 (or any CPU), channels innermost so the compiler vectorises them with whatever
// the build targets. fast_kernels.cpp runs these on a CPU without AVX-512F, or when forced
// (SEGSWEEP_FAST_KERNELS=portable, set_fast_kernel_variant). Sums go straight into the double
// accumulators.
#include <cstring>

#include "worker/model/fast/fast_kernel_variants.h"

namespace segsweep::fast::portable {

namespace {

constexpr int kTaps = 9;  // 3x3 depthwise taps

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
            float* o = out + (int64_t{y} * out_width + x) * channels;
            for (int c = 0; c < channels; ++c) o[c] = in[c] * k9[c];
            for (int t = 1; t < kTaps; ++t) {
                const float* tap = in + offsets[t];
                const float* k = k9 + int64_t{t} * channels;
                for (int c = 0; c < channels; ++c) o[c] += tap[c] * k[c];
            }
        }
}

void depthwise3x3_kernel_grad(const float* band, int padded_width, int channels, int stride,
                              const float* grad_out, int out_rows, int out_width, double* grad_k9) {
    const int64_t row_floats = int64_t{padded_width} * channels;
    int64_t offsets[kTaps];
    tap_offsets(row_floats, channels, offsets);
    for (int y = 0; y < out_rows; ++y)
        for (int x = 0; x < out_width; ++x) {
            const float* in = band + int64_t{y} * stride * row_floats + int64_t{x} * stride * channels;
            const float* g = grad_out + (int64_t{y} * out_width + x) * channels;
            for (int t = 0; t < kTaps; ++t) {
                const float* tap = in + offsets[t];
                double* acc = grad_k9 + int64_t{t} * channels;
                for (int c = 0; c < channels; ++c) acc[c] += double{tap[c] * g[c]};
            }
        }
}

void depthwise3x3_input_grad(const float* grad_out, int out_rows, int out_width, int channels, int stride,
                             const float* k9, int padded_width, float* grad_band) {
    const int64_t row_floats = int64_t{padded_width} * channels;
    int64_t offsets[kTaps];
    tap_offsets(row_floats, channels, offsets);
    for (int y = 0; y < out_rows; ++y)
        for (int x = 0; x < out_width; ++x) {
            float* gin = grad_band + int64_t{y} * stride * row_floats + int64_t{x} * stride * channels;
            const float* g = grad_out + (int64_t{y} * out_width + x) * channels;
            for (int t = 0; t < kTaps; ++t) {
                float* tap = gin + offsets[t];
                const float* k = k9 + int64_t{t} * channels;
                for (int c = 0; c < channels; ++c) tap[c] += g[c] * k[c];
            }
        }
}

void bias_relu_stats(float* z, int64_t pixels, int channels, const float* bias, double* sum,
                     double* sum_squares) {
    for (int64_t p = 0; p < pixels; ++p) {
        float* at = z + p * channels;
        for (int c = 0; c < channels; ++c) {
            const float v = at[c] + bias[c] > 0.0f ? at[c] + bias[c] : 0.0f;
            at[c] = v;
            sum[c] += v;
            sum_squares[c] += double{v * v};
        }
    }
}

void bn_relu_backward(const float* gy, const float* r, int64_t pixels, int channels, const float* scale,
                      const float* slope, const float* offset, float* gz, double* grad_bias) {
    for (int64_t p = 0; p < pixels; ++p) {
        const int64_t at = p * channels;
        for (int c = 0; c < channels; ++c) {
            const float rv = r[at + c];
            const float g = rv > 0.0f ? scale[c] * gy[at + c] + (slope[c] * rv + offset[c]) : 0.0f;
            gz[at + c] = g;
            grad_bias[c] += g;
        }
    }
}

void store_grad_row(const float* src, int src_stride, int width, int channels, float* dst, bool add, const float* r,
                    double* sum_g, double* sum_gr) {
    for (int w = 0; w < width; ++w) {
        const float* g = src + int64_t{w} * src_stride;
        float* d = dst + int64_t{w} * channels;
        const float* rr = r + int64_t{w} * channels;
        for (int c = 0; c < channels; ++c) {
            d[c] = add ? d[c] + g[c] : g[c];
            sum_g[c] += g[c];
            sum_gr[c] += double{g[c] * rr[c]};
        }
    }
}

void upsample_transpose_row_add(const float* src, int src_stride, int full_width, int channels, float* dst0,
                                float w0, const float* r0, float* dst1, float w1, const float* r1, double* sum_g,
                                double* sum_gr) {
    // Horizontal transpose of out[2j] = in[j], out[2j+1] = (in[j] + in[min(j+1, n-1)]) / 2:
    // h[j] = out[2j] + out[2j+1]/2 + out[2j-1]/2, the last column taking all of out[2n-1].
    const int half_width = full_width / 2;
    const float weight_sum = dst1 != nullptr ? w0 + w1 : w0;
    for (int j = 0; j < half_width; ++j) {
        const float* even = src + int64_t{2 * j} * src_stride;
        const float* odd = even + src_stride;
        const float* previous_odd = j > 0 ? even - src_stride : nullptr;
        const float odd_weight = j + 1 == half_width ? 1.0f : 0.5f;
        const int64_t at = int64_t{j} * channels;
        for (int c = 0; c < channels; ++c) {
            float h = even[c] + odd_weight * odd[c];
            if (previous_odd != nullptr) h += 0.5f * previous_odd[c];
            dst0[at + c] += w0 * h;
            double hr = double{w0 * h * r0[at + c]};
            if (dst1 != nullptr) {
                dst1[at + c] += w1 * h;
                hr += double{w1 * h * r1[at + c]};
            }
            sum_g[c] += double{weight_sum * h};
            sum_gr[c] += hr;
        }
    }
}

#include "worker/model/fast/fast_row_kernels.inc"

}  // namespace segsweep::fast::portable
