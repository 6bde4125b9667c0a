// The AVX-512 variant of the fast FCN kernels (see fast_kernels.h; fast_kernels.cpp picks it at run
// time). The depthwise and epilogue loops use AVX-512 intrinsics, one 16-channel chunk at a time
// (masked for the channels left over), with the 9 taps held in registers; stride 1 slides along
// each row so every band column is loaded once. The row copies (fast_row_kernels.inc) are plain
// loops left to the compiler's vectoriser. Everything in this file is compiled for AVX-512F (+ AVX2,
// FMA), so only the dispatcher calls it, and only on a CPU that has them.
#include <immintrin.h>

#include <cstring>

#include "worker/model/fast/fast_kernel_variants.h"

namespace segsweep::fast::avx512 {

#pragma GCC push_options
#pragma GCC target("avx512f,avx2,fma")

namespace {

constexpr int kLanes = 16;               // floats per AVX-512 register
constexpr int kTaps = 9;                 // 3x3 depthwise taps
constexpr int64_t kPartialPixels = 512;  // pixels summed in float before adding to double

// Lanes [0, n) of a chunk starting n channels before the end (all 16 when n >= 16).
inline __mmask16 lane_mask(int n) { return n >= kLanes ? __mmask16(0xFFFF) : __mmask16((1u << n) - 1u); }
#ifndef __SANITIZE_ADDRESS__
inline __m512 load(const float* p, __mmask16 m) { return _mm512_maskz_loadu_ps(m, p); }
inline void store(float* p, __m512 v, __mmask16 m) { _mm512_mask_storeu_ps(p, m, v); }
#else
// Under AddressSanitizer the masked accesses go lane by lane: it does not check masked vector
// loads and stores, and a lane outside its buffer must not pass unseen.
inline __m512 load(const float* p, __mmask16 m) {
    alignas(64) float lanes[kLanes] = {};
    for (int i = 0; i < kLanes; ++i)
        if (m >> i & 1u) lanes[i] = p[i];
    return _mm512_load_ps(lanes);
}
inline void store(float* p, __m512 v, __mmask16 m) {
    alignas(64) float lanes[kLanes];
    _mm512_store_ps(lanes, v);
    for (int i = 0; i < kLanes; ++i)
        if (m >> i & 1u) p[i] = lanes[i];
}
#endif

// Offset of tap t = dy*3+dx inside a band, in floats.
inline int64_t tap_offset(int t, int64_t row_floats, int channels) {
    return (t / 3) * row_floats + int64_t{t % 3} * channels;
}

// grad[t*channels + c + i] += lane i of acc[t], for the lanes of mask m.
void add_lanes_to(const __m512* acc, int channels, int c, __mmask16 m, double* grad) {
    for (int t = 0; t < kTaps; ++t) {
        alignas(64) float lane[kLanes];
        _mm512_store_ps(lane, acc[t]);
        for (int i = 0; i < kLanes && (m >> i & 1u); ++i) grad[int64_t{t} * channels + c + i] += lane[i];
    }
}

// Any stride: per output pixel, the 9 taps from the band.
void depthwise_forward_strided(const float* band, int padded_width, int channels, int stride, const float* k9,
                               int out_rows, int out_width, float* out) {
    const int64_t row_floats = int64_t{padded_width} * channels;
    int64_t offsets[kTaps];
    for (int t = 0; t < kTaps; ++t) offsets[t] = tap_offset(t, row_floats, channels);
    for (int y = 0; y < out_rows; ++y)
        for (int c = 0; c < channels; c += kLanes) {
            const __mmask16 m = lane_mask(channels - c);
            __m512 k[kTaps];
            for (int t = 0; t < kTaps; ++t) k[t] = load(k9 + int64_t{t} * channels + c, m);
            const float* in_row = band + int64_t{y} * stride * row_floats + c;
            float* out_row = out + int64_t{y} * out_width * channels + c;
            for (int x = 0; x < out_width; ++x) {
                const float* in = in_row + int64_t{x} * stride * channels;
                __m512 acc = _mm512_mul_ps(load(in, m), k[0]);
                for (int t = 1; t < kTaps; ++t) acc = _mm512_fmadd_ps(load(in + offsets[t], m), k[t], acc);
                store(out_row + int64_t{x} * channels, acc, m);
            }
        }
}

void depthwise_kernel_grad_strided(const float* band, int padded_width, int channels, int stride,
                                   const float* grad_out, int out_rows, int out_width, double* grad_k9) {
    const int64_t row_floats = int64_t{padded_width} * channels;
    int64_t offsets[kTaps];
    for (int t = 0; t < kTaps; ++t) offsets[t] = tap_offset(t, row_floats, channels);
    for (int c = 0; c < channels; c += kLanes) {
        const __mmask16 m = lane_mask(channels - c);
        __m512 acc[kTaps];
        for (int t = 0; t < kTaps; ++t) acc[t] = _mm512_setzero_ps();
        for (int y = 0; y < out_rows; ++y) {
            const float* in_row = band + int64_t{y} * stride * row_floats + c;
            const float* g_row = grad_out + int64_t{y} * out_width * channels + c;
            for (int x = 0; x < out_width; ++x) {
                const float* in = in_row + int64_t{x} * stride * channels;
                const __m512 g = load(g_row + int64_t{x} * channels, m);
                for (int t = 0; t < kTaps; ++t) acc[t] = _mm512_fmadd_ps(load(in + offsets[t], m), g, acc[t]);
            }
        }
        add_lanes_to(acc, channels, c, m, grad_k9);
    }
}

void depthwise_input_grad_strided(const float* grad_out, int out_rows, int out_width, int channels, int stride,
                                  const float* k9, int padded_width, float* grad_band) {
    const int64_t row_floats = int64_t{padded_width} * channels;
    int64_t offsets[kTaps];
    for (int t = 0; t < kTaps; ++t) offsets[t] = tap_offset(t, row_floats, channels);
    for (int y = 0; y < out_rows; ++y)
        for (int c = 0; c < channels; c += kLanes) {
            const __mmask16 m = lane_mask(channels - c);
            __m512 k[kTaps];
            for (int t = 0; t < kTaps; ++t) k[t] = load(k9 + int64_t{t} * channels + c, m);
            float* gin_row = grad_band + int64_t{y} * stride * row_floats + c;
            const float* g_row = grad_out + int64_t{y} * out_width * channels + c;
            for (int x = 0; x < out_width; ++x) {
                float* gin = gin_row + int64_t{x} * stride * channels;
                const __m512 g = load(g_row + int64_t{x} * channels, m);
                for (int t = 0; t < kTaps; ++t) {
                    float* p = gin + offsets[t];
                    store(p, _mm512_fmadd_ps(g, k[t], load(p, m)), m);
                }
            }
        }
}

// Stride 1, sliding along the row: each band column is loaded once and its three partial sums
// (one per kernel column dx) go to the three outputs it touches: out[x] = P0(x) + P1(x+1) + P2(x+2).
void depthwise_forward_stride1(const float* band, int padded_width, int channels, const float* k9, int out_rows,
                               int out_width, float* out) {
    const int64_t row_floats = int64_t{padded_width} * channels;
    for (int y = 0; y < out_rows; ++y)
        for (int c = 0; c < channels; c += kLanes) {
            const __mmask16 m = lane_mask(channels - c);
            __m512 k[kTaps];
            for (int t = 0; t < kTaps; ++t) k[t] = load(k9 + int64_t{t} * channels + c, m);
            const float* r0 = band + int64_t{y} * row_floats + c;
            const float* r1 = r0 + row_floats;
            const float* r2 = r1 + row_floats;
            float* o = out + int64_t{y} * out_width * channels + c;
            __m512 v0 = load(r0, m), v1 = load(r1, m), v2 = load(r2, m);
            __m512 a = _mm512_fmadd_ps(v2, k[6], _mm512_fmadd_ps(v1, k[3], _mm512_mul_ps(v0, k[0])));  // out[0]
            v0 = load(r0 + channels, m);
            v1 = load(r1 + channels, m);
            v2 = load(r2 + channels, m);
            a = _mm512_fmadd_ps(v2, k[7], _mm512_fmadd_ps(v1, k[4], _mm512_fmadd_ps(v0, k[1], a)));
            __m512 b = _mm512_fmadd_ps(v2, k[6], _mm512_fmadd_ps(v1, k[3], _mm512_mul_ps(v0, k[0])));  // out[1]
            for (int j = 2; j < out_width + 2; ++j) {
                const int64_t at = int64_t{j} * channels;
                v0 = load(r0 + at, m);
                v1 = load(r1 + at, m);
                v2 = load(r2 + at, m);
                store(o + at - 2 * channels, _mm512_fmadd_ps(v2, k[8], _mm512_fmadd_ps(v1, k[5], _mm512_fmadd_ps(v0, k[2], a))),
                      m);
                a = _mm512_fmadd_ps(v2, k[7], _mm512_fmadd_ps(v1, k[4], _mm512_fmadd_ps(v0, k[1], b)));
                b = _mm512_fmadd_ps(v2, k[6], _mm512_fmadd_ps(v1, k[3], _mm512_mul_ps(v0, k[0])));
            }
        }
}

// Stride 1: band column j meets grad_out[x] for x = j - dx, dx = 0..2 (kept in registers).
void depthwise_kernel_grad_stride1(const float* band, int padded_width, int channels, const float* grad_out,
                                   int out_rows, int out_width, double* grad_k9) {
    const int64_t row_floats = int64_t{padded_width} * channels;
    const __m512 zero = _mm512_setzero_ps();
    for (int c = 0; c < channels; c += kLanes) {
        const __mmask16 m = lane_mask(channels - c);
        __m512 acc[kTaps];
        for (int t = 0; t < kTaps; ++t) acc[t] = zero;
        for (int y = 0; y < out_rows; ++y) {
            const float* r0 = band + int64_t{y} * row_floats + c;
            const float* r1 = r0 + row_floats;
            const float* r2 = r1 + row_floats;
            const float* g = grad_out + int64_t{y} * out_width * channels + c;
            __m512 g1 = zero, g2 = zero;  // grad_out[j-1], grad_out[j-2]
            for (int j = 0; j < out_width + 2; ++j) {
                const int64_t at = int64_t{j} * channels;
                const __m512 g0 = j < out_width ? load(g + at, m) : zero;
                const __m512 v0 = load(r0 + at, m);
                const __m512 v1 = load(r1 + at, m);
                const __m512 v2 = load(r2 + at, m);
                acc[0] = _mm512_fmadd_ps(v0, g0, acc[0]);
                acc[1] = _mm512_fmadd_ps(v0, g1, acc[1]);
                acc[2] = _mm512_fmadd_ps(v0, g2, acc[2]);
                acc[3] = _mm512_fmadd_ps(v1, g0, acc[3]);
                acc[4] = _mm512_fmadd_ps(v1, g1, acc[4]);
                acc[5] = _mm512_fmadd_ps(v1, g2, acc[5]);
                acc[6] = _mm512_fmadd_ps(v2, g0, acc[6]);
                acc[7] = _mm512_fmadd_ps(v2, g1, acc[7]);
                acc[8] = _mm512_fmadd_ps(v2, g2, acc[8]);
                g2 = g1;
                g1 = g0;
            }
        }
        add_lanes_to(acc, channels, c, m, grad_k9);
    }
}

// Stride 1: band column j of rows y..y+2 gathers grad_out[x] for x = j - dx, dx = 0..2.
void depthwise_input_grad_stride1(const float* grad_out, int out_rows, int out_width, int channels, const float* k9,
                                  int padded_width, float* grad_band) {
    const int64_t row_floats = int64_t{padded_width} * channels;
    const __m512 zero = _mm512_setzero_ps();
    for (int y = 0; y < out_rows; ++y)
        for (int c = 0; c < channels; c += kLanes) {
            const __mmask16 m = lane_mask(channels - c);
            __m512 k[kTaps];
            for (int t = 0; t < kTaps; ++t) k[t] = load(k9 + int64_t{t} * channels + c, m);
            float* r0 = grad_band + int64_t{y} * row_floats + c;
            float* r1 = r0 + row_floats;
            float* r2 = r1 + row_floats;
            const float* g = grad_out + int64_t{y} * out_width * channels + c;
            __m512 g1 = zero, g2 = zero;
            for (int j = 0; j < out_width + 2; ++j) {
                const int64_t at = int64_t{j} * channels;
                const __m512 g0 = j < out_width ? load(g + at, m) : zero;
                store(r0 + at, _mm512_fmadd_ps(g2, k[2], _mm512_fmadd_ps(g1, k[1], _mm512_fmadd_ps(g0, k[0], load(r0 + at, m)))), m);
                store(r1 + at, _mm512_fmadd_ps(g2, k[5], _mm512_fmadd_ps(g1, k[4], _mm512_fmadd_ps(g0, k[3], load(r1 + at, m)))), m);
                store(r2 + at, _mm512_fmadd_ps(g2, k[8], _mm512_fmadd_ps(g1, k[7], _mm512_fmadd_ps(g0, k[6], load(r2 + at, m)))), m);
                g2 = g1;
                g1 = g0;
            }
        }
}

}  // namespace

void depthwise3x3_forward(const float* band, int padded_width, int channels, int stride, const float* k9,
                          int out_rows, int out_width, float* out) {
    if (stride == 1)
        depthwise_forward_stride1(band, padded_width, channels, k9, out_rows, out_width, out);
    else
        depthwise_forward_strided(band, padded_width, channels, stride, k9, out_rows, out_width, out);
}

void depthwise3x3_kernel_grad(const float* band, int padded_width, int channels, int stride,
                              const float* grad_out, int out_rows, int out_width, double* grad_k9) {
    if (stride == 1)
        depthwise_kernel_grad_stride1(band, padded_width, channels, grad_out, out_rows, out_width, grad_k9);
    else
        depthwise_kernel_grad_strided(band, padded_width, channels, stride, grad_out, out_rows, out_width, grad_k9);
}

void depthwise3x3_input_grad(const float* grad_out, int out_rows, int out_width, int channels, int stride,
                             const float* k9, int padded_width, float* grad_band) {
    if (stride == 1)
        depthwise_input_grad_stride1(grad_out, out_rows, out_width, channels, k9, padded_width, grad_band);
    else
        depthwise_input_grad_strided(grad_out, out_rows, out_width, channels, stride, k9, padded_width, grad_band);
}



namespace {

// Adds lanes of the float vectors s1, s2 to the double sums d1, d2 at channel c (lanes of m).
void add_sums(__m512 s1, __m512 s2, int c, __mmask16 m, double* d1, double* d2) {
    alignas(64) float l1[kLanes], l2[kLanes];
    _mm512_store_ps(l1, s1);
    _mm512_store_ps(l2, s2);
    for (int i = 0; i < kLanes && (m >> i & 1u); ++i) {
        d1[c + i] += l1[i];
        if (d2 != nullptr) d2[c + i] += l2[i];
    }
}

}  // namespace

void bias_relu_stats(float* z, int64_t pixels, int channels, const float* bias, double* sum,
                     double* sum_squares) {
    const __m512 zero = _mm512_setzero_ps();
    for (int64_t p0 = 0; p0 < pixels; p0 += kPartialPixels) {
        const int64_t p1 = p0 + kPartialPixels < pixels ? p0 + kPartialPixels : pixels;
        for (int c = 0; c < channels; c += kLanes) {
            const __mmask16 m = lane_mask(channels - c);
            const __m512 b = load(bias + c, m);
            __m512 s1 = zero, s2 = zero;
            for (int64_t p = p0; p < p1; ++p) {
                float* at = z + p * channels + c;
                // max(zero, t) returns t when t is NaN (the second operand wins): a NaN passes on,
                // as torch's relu does, so a poisoned weight still reaches the loss check.
                const __m512 v = _mm512_maskz_max_ps(m, zero, _mm512_add_ps(load(at, m), b));
                store(at, v, m);
                s1 = _mm512_add_ps(s1, v);
                s2 = _mm512_fmadd_ps(v, v, s2);
            }
            add_sums(s1, s2, c, m, sum, sum_squares);
        }
    }
}

void bn_relu_backward(const float* gy, const float* r, int64_t pixels, int channels, const float* scale,
                      const float* slope, const float* offset, float* gz, double* grad_bias) {
    const __m512 zero = _mm512_setzero_ps();
    for (int64_t p0 = 0; p0 < pixels; p0 += kPartialPixels) {
        const int64_t p1 = p0 + kPartialPixels < pixels ? p0 + kPartialPixels : pixels;
        for (int c = 0; c < channels; c += kLanes) {
            const __mmask16 m = lane_mask(channels - c);
            const __m512 a = load(scale + c, m);
            const __m512 k = load(slope + c, m);
            const __m512 o = load(offset + c, m);
            __m512 total = zero;
            for (int64_t p = p0; p < p1; ++p) {
                const int64_t at = p * channels + c;
                const __m512 rv = load(r + at, m);
                const __m512 g = _mm512_fmadd_ps(a, load(gy + at, m), _mm512_fmadd_ps(k, rv, o));
                const __m512 v = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(rv, zero, _CMP_GT_OQ), g);
                store(gz + at, v, m);
                total = _mm512_add_ps(total, v);
            }
            add_sums(total, zero, c, m, grad_bias, nullptr);
        }
    }
}






void store_grad_row(const float* src, int src_stride, int width, int channels, float* dst, bool add, const float* r,
                    double* sum_g, double* sum_gr) {
    const __m512 zero = _mm512_setzero_ps();
    for (int c = 0; c < channels; c += kLanes) {
        const __mmask16 m = lane_mask(channels - c);
        __m512 s1 = zero, s2 = zero;
        for (int w = 0; w < width; ++w) {
            const __m512 g = load(src + int64_t{w} * src_stride + c, m);
            float* d = dst + int64_t{w} * channels + c;
            store(d, add ? _mm512_add_ps(g, load(d, m)) : g, m);
            s1 = _mm512_add_ps(s1, g);
            s2 = _mm512_fmadd_ps(g, load(r + int64_t{w} * channels + c, m), s2);
        }
        add_sums(s1, s2, c, m, sum_g, sum_gr);
    }
}

void upsample_transpose_row_add(const float* src, int src_stride, int full_width, int channels, float* dst0,
                                float w0, const float* r0, float* dst1, float w1, const float* r1, double* sum_g,
                                double* sum_gr) {
    // Horizontal transpose of out[2j] = in[j], out[2j+1] = (in[j] + in[min(j+1, n-1)]) / 2.
    const int half_width = full_width / 2;
    const __m512 zero = _mm512_setzero_ps();
    const __m512 half = _mm512_set1_ps(0.5f);
    const __m512 weight0 = _mm512_set1_ps(w0);
    const __m512 weight1 = _mm512_set1_ps(w1);
    for (int c = 0; c < channels; c += kLanes) {
        const __mmask16 m = lane_mask(channels - c);
        __m512 s1 = zero, s2 = zero;
        for (int j = 0; j < half_width; ++j) {
            const float* even = src + int64_t{2 * j} * src_stride + c;
            const __m512 odd = load(even + src_stride, m);
            // the last column takes both halves of its odd neighbour
            __m512 h = _mm512_fmadd_ps(j + 1 == half_width ? _mm512_set1_ps(1.0f) : half, odd, load(even, m));
            if (j > 0) h = _mm512_fmadd_ps(half, load(even - src_stride, m), h);
            const int64_t at = int64_t{j} * channels + c;
            store(dst0 + at, _mm512_fmadd_ps(weight0, h, load(dst0 + at, m)), m);
            __m512 hr = _mm512_mul_ps(weight0, _mm512_mul_ps(h, load(r0 + at, m)));
            if (dst1 != nullptr) {
                store(dst1 + at, _mm512_fmadd_ps(weight1, h, load(dst1 + at, m)), m);
                hr = _mm512_fmadd_ps(weight1, _mm512_mul_ps(h, load(r1 + at, m)), hr);
            }
            s1 = _mm512_add_ps(s1, h);
            s2 = _mm512_add_ps(s2, hr);
        }
        add_sums(_mm512_mul_ps(s1, _mm512_set1_ps(dst1 != nullptr ? w0 + w1 : w0)), s2, c, m, sum_g, sum_gr);
    }
}

#include "worker/model/fast/fast_row_kernels.inc"

#pragma GCC pop_options

}  // namespace segsweep::fast::avx512
