// Raw-pointer CPU kernels of the fast FCN path (see fast_fcn.h): NHWC band builders, the 3x3
// depthwise convolution and its two gradients, im2col / col2im for the dense kxk convolutions,
// the fused bias + ReLU + BatchNorm-statistics epilogue and its backward, and the row-wise TF1 x2
// upsample (forward and transposed). No LibTorch here.
//
// Conventions. Activations are NHWC rows: a row of `width` pixels, `channels` floats per pixel.
// A "band" holds the input rows one block of output rows needs, zero-padded as TF 'same' pads:
// padded_width = (out_width - 1) * stride + kernel columns, starting at image column -pad_left.
//
// Two variants implement every kernel (fast_kernel_variants.h): AVX-512 intrinsics, and portable
// C++ loops for any CPU. Each call below goes to the variant chosen once per process: AVX-512 when
// the CPU has AVX-512F, AVX2 and FMA (checked at run time), else the portable one; the environment
// variable SEGSWEEP_FAST_KERNELS (auto | avx512 | portable) or set_fast_kernel_variant() overrides.
#pragma once

#include <cstdint>

namespace segsweep::fast {

enum class KernelVariant { kAvx512, kPortable };

inline constexpr const char* kFastKernelsEnvironmentVariable = "SEGSWEEP_FAST_KERNELS";

// True when this CPU can run the AVX-512 variant (AVX-512F, AVX2 and FMA).
bool cpu_supports_avx512_kernels();
// The variant the kernels run. The first call reads SEGSWEEP_FAST_KERNELS and throws
// segsweep::Error for an unknown value, or for avx512 on a CPU without it.
KernelVariant fast_kernel_variant();
// Chooses the variant for the whole process (tests, benchmarks); throws segsweep::Error for
// kAvx512 on a CPU without it. Not while kernels are running.
void set_fast_kernel_variant(KernelVariant variant);
const char* kernel_variant_name(KernelVariant variant);  // "avx512" or "portable"

// ---- depthwise 3x3 (weights tap-major: k9[(dy*3+dx)*channels + c]) ----
// out[p][c] = sum_t band[y*stride+dy][x*stride+dx][c] * k9[t][c] for p = y*out_width + x.
void depthwise3x3_forward(const float* band, int padded_width, int channels, int stride, const float* k9,
                          int out_rows, int out_width, float* out);
// grad_k9[t][c] += sum_p band[..][c] * grad_out[p][c]   (double accumulators)
void depthwise3x3_kernel_grad(const float* band, int padded_width, int channels, int stride,
                              const float* grad_out, int out_rows, int out_width, double* grad_k9);
// grad_band[y*stride+dy][x*stride+dx][c] += grad_out[p][c] * k9[t][c]
void depthwise3x3_input_grad(const float* grad_out, int out_rows, int out_width, int channels, int stride,
                             const float* k9, int padded_width, float* grad_band);

// ---- dense kxk, stride 1 (columns ordered (dy, dx, c)) ----
// cols[p][(dy*k+dx)*channels + c] = band[y+dy][x+dx][c]
void im2col(const float* band, int padded_width, int channels, int kernel, int out_rows, int out_width,
            float* cols);
// grad_band[y+dy][x+dx][c] += grad_cols[p][(dy*k+dx)*channels + c]
void col2im_add(const float* grad_cols, int out_rows, int out_width, int channels, int kernel, int padded_width,
                float* grad_band);

// ---- epilogues ----
// z[p][c] = max(z[p][c] + bias[c], 0) in place; sum[c] += z, sum_squares[c] += z*z.
void bias_relu_stats(float* z, int64_t pixels, int channels, const float* bias, double* sum,
                     double* sum_squares);
// BatchNorm(training) + ReLU backward for one block of pixels:
//   gz = r > 0 ? scale*gy + slope*r + offset : 0, grad_bias[c] += gz.
void bn_relu_backward(const float* gy, const float* r, int64_t pixels, int channels, const float* scale,
                      const float* slope, const float* offset, float* gz, double* grad_bias);
// Output layer: gz[p][o] = grad_logits[o][p] (class planes, plane_stride apart); grad_bias[o] += gz.
void gather_class_planes(const float* grad_logits, int64_t plane_stride, int64_t pixels, int classes, float* gz,
                         double* grad_bias);
// logits[o][p] = z[p][o] + bias[o] (class planes, plane_stride apart).
void scatter_class_planes(const float* z, const float* bias, int64_t pixels, int classes, float* logits,
                          int64_t plane_stride);

// ---- band rows from the sources a block reads ----
// dst[w*dst_stride + c] = a[c] * r[w*channels + c] + b[c]   (BatchNorm applied on read)
void affine_row(const float* r, int width, int channels, const float* a, const float* b, float* dst,
                int dst_stride);
// One full-resolution row of upsample_x2_tf1(a*r+b): r0/r1 are the half-resolution rows to average
// (r1 == nullptr: row r0 alone); writes 2*half_width pixels. scratch: half_width*channels floats.
void upsampled_affine_row(const float* r0, const float* r1, int half_width, int channels, const float* a,
                          const float* b, float* scratch, float* dst, int dst_stride);
// dst[w*dst_stride + c] = image[c*channel_stride + w*pixel_stride] for the 3 input channels.
void image_row(const float* image, int64_t channel_stride, int64_t pixel_stride, int width, int channels,
               float* dst, int dst_stride);

// ---- gradient rows into their destinations ----
// Each also adds to the two sums BatchNorm's backward needs for the layer receiving the gradient:
// sum_g[c] += its contribution g, sum_gr[c] += g * r, r = that layer's ReLU output at the same
// place (the sums are linear, so contributions from several writers add up).
// dst[w*channels + c] (= or +=) src[w*src_stride + c]; r: the row's ReLU output, [width][channels].
void store_grad_row(const float* src, int src_stride, int width, int channels, float* dst, bool add, const float* r,
                    double* sum_g, double* sum_gr);
// Transposed upsample of one full-resolution gradient row into half-resolution rows:
// dst0 += w0 * h and (dst1 != nullptr) dst1 += w1 * h, h = the row's horizontal transpose;
// r0, r1: the ReLU outputs at dst0, dst1.
void upsample_transpose_row_add(const float* src, int src_stride, int full_width, int channels, float* dst0,
                                float w0, const float* r0, float* dst1, float w1, const float* r1, double* sum_g,
                                double* sum_gr);

}  // namespace segsweep::fast
