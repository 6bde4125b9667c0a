// The fast FCN kernels' dispatcher (see fast_kernels.h): picks the AVX-512 or the portable variant
// once (CPU check with __builtin_cpu_supports, then SEGSWEEP_FAST_KERNELS), and forwards each
// kernel call to it. Compiled for baseline x86-64 like the rest of the project.
#include "worker/model/fast/fast_kernels.h"

#include <atomic>
#include <cstdlib>
#include <string>

#include "common/error.h"
#include "worker/model/fast/fast_kernel_variants.h"

namespace segsweep::fast {
namespace {

constexpr int kVariantUnresolved = -1;

// The chosen KernelVariant as an int, or kVariantUnresolved before the first call.
std::atomic<int> g_variant{kVariantUnresolved};

KernelVariant variant_from_environment() {
    const char* value = std::getenv(kFastKernelsEnvironmentVariable);
    const std::string text = value != nullptr ? value : "";
    const bool avx512 = cpu_supports_avx512_kernels();
    if (text.empty() || text == "auto") return avx512 ? KernelVariant::kAvx512 : KernelVariant::kPortable;
    if (text == "portable") return KernelVariant::kPortable;
    if (text == "avx512") {
        if (!avx512)
            throw Error(std::string(kFastKernelsEnvironmentVariable) +
                        "=avx512, but this CPU lacks AVX-512F, AVX2 or FMA");
        return KernelVariant::kAvx512;
    }
    throw Error(std::string(kFastKernelsEnvironmentVariable) + "='" + text + "': expected auto, avx512 or portable");
}

bool use_avx512() { return fast_kernel_variant() == KernelVariant::kAvx512; }

}  // namespace

bool cpu_supports_avx512_kernels() {
#if defined(__x86_64__) || defined(__i386__)
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return false;
#endif
}

KernelVariant fast_kernel_variant() {
    int variant = g_variant.load(std::memory_order_relaxed);
    if (variant == kVariantUnresolved) {
        variant = static_cast<int>(variant_from_environment());
        g_variant.store(variant, std::memory_order_relaxed);
    }
    return static_cast<KernelVariant>(variant);
}

void set_fast_kernel_variant(KernelVariant variant) {
    if (variant == KernelVariant::kAvx512 && !cpu_supports_avx512_kernels())
        throw Error("fast FCN kernels: the AVX-512 variant needs AVX-512F, AVX2 and FMA, which this CPU lacks");
    g_variant.store(static_cast<int>(variant), std::memory_order_relaxed);
}

const char* kernel_variant_name(KernelVariant variant) {
    return variant == KernelVariant::kAvx512 ? "avx512" : "portable";
}

void depthwise3x3_forward(const float* band, int padded_width, int channels, int stride, const float* k9, int out_rows,
                          int out_width, float* out) {
    if (use_avx512())
        avx512::depthwise3x3_forward(band, padded_width, channels, stride, k9, out_rows, out_width, out);
    else
        portable::depthwise3x3_forward(band, padded_width, channels, stride, k9, out_rows, out_width, out);
}

void depthwise3x3_kernel_grad(const float* band, int padded_width, int channels, int stride, const float* grad_out,
                              int out_rows, int out_width, double* grad_k9) {
    if (use_avx512())
        avx512::depthwise3x3_kernel_grad(band, padded_width, channels, stride, grad_out, out_rows, out_width, grad_k9);
    else
        portable::depthwise3x3_kernel_grad(band, padded_width, channels, stride, grad_out, out_rows, out_width,
                                           grad_k9);
}

void depthwise3x3_input_grad(const float* grad_out, int out_rows, int out_width, int channels, int stride,
                             const float* k9, int padded_width, float* grad_band) {
    if (use_avx512())
        avx512::depthwise3x3_input_grad(grad_out, out_rows, out_width, channels, stride, k9, padded_width, grad_band);
    else
        portable::depthwise3x3_input_grad(grad_out, out_rows, out_width, channels, stride, k9, padded_width, grad_band);
}

void im2col(const float* band, int padded_width, int channels, int kernel, int out_rows, int out_width, float* cols) {
    if (use_avx512())
        avx512::im2col(band, padded_width, channels, kernel, out_rows, out_width, cols);
    else
        portable::im2col(band, padded_width, channels, kernel, out_rows, out_width, cols);
}

void col2im_add(const float* grad_cols, int out_rows, int out_width, int channels, int kernel, int padded_width,
                float* grad_band) {
    if (use_avx512())
        avx512::col2im_add(grad_cols, out_rows, out_width, channels, kernel, padded_width, grad_band);
    else
        portable::col2im_add(grad_cols, out_rows, out_width, channels, kernel, padded_width, grad_band);
}

void bias_relu_stats(float* z, int64_t pixels, int channels, const float* bias, double* sum, double* sum_squares) {
    if (use_avx512())
        avx512::bias_relu_stats(z, pixels, channels, bias, sum, sum_squares);
    else
        portable::bias_relu_stats(z, pixels, channels, bias, sum, sum_squares);
}

void bn_relu_backward(const float* gy, const float* r, int64_t pixels, int channels, const float* scale,
                      const float* slope, const float* offset, float* gz, double* grad_bias) {
    if (use_avx512())
        avx512::bn_relu_backward(gy, r, pixels, channels, scale, slope, offset, gz, grad_bias);
    else
        portable::bn_relu_backward(gy, r, pixels, channels, scale, slope, offset, gz, grad_bias);
}

void gather_class_planes(const float* grad_logits, int64_t plane_stride, int64_t pixels, int classes, float* gz,
                         double* grad_bias) {
    if (use_avx512())
        avx512::gather_class_planes(grad_logits, plane_stride, pixels, classes, gz, grad_bias);
    else
        portable::gather_class_planes(grad_logits, plane_stride, pixels, classes, gz, grad_bias);
}

void scatter_class_planes(const float* z, const float* bias, int64_t pixels, int classes, float* logits,
                          int64_t plane_stride) {
    if (use_avx512())
        avx512::scatter_class_planes(z, bias, pixels, classes, logits, plane_stride);
    else
        portable::scatter_class_planes(z, bias, pixels, classes, logits, plane_stride);
}

void affine_row(const float* r, int width, int channels, const float* a, const float* b, float* dst, int dst_stride) {
    if (use_avx512())
        avx512::affine_row(r, width, channels, a, b, dst, dst_stride);
    else
        portable::affine_row(r, width, channels, a, b, dst, dst_stride);
}

void upsampled_affine_row(const float* r0, const float* r1, int half_width, int channels, const float* a,
                          const float* b, float* scratch, float* dst, int dst_stride) {
    if (use_avx512())
        avx512::upsampled_affine_row(r0, r1, half_width, channels, a, b, scratch, dst, dst_stride);
    else
        portable::upsampled_affine_row(r0, r1, half_width, channels, a, b, scratch, dst, dst_stride);
}

void image_row(const float* image, int64_t channel_stride, int64_t pixel_stride, int width, int channels, float* dst,
               int dst_stride) {
    if (use_avx512())
        avx512::image_row(image, channel_stride, pixel_stride, width, channels, dst, dst_stride);
    else
        portable::image_row(image, channel_stride, pixel_stride, width, channels, dst, dst_stride);
}

void store_grad_row(const float* src, int src_stride, int width, int channels, float* dst, bool add, const float* r,
                    double* sum_g, double* sum_gr) {
    if (use_avx512())
        avx512::store_grad_row(src, src_stride, width, channels, dst, add, r, sum_g, sum_gr);
    else
        portable::store_grad_row(src, src_stride, width, channels, dst, add, r, sum_g, sum_gr);
}

void upsample_transpose_row_add(const float* src, int src_stride, int full_width, int channels, float* dst0, float w0,
                                const float* r0, float* dst1, float w1, const float* r1, double* sum_g,
                                double* sum_gr) {
    if (use_avx512())
        avx512::upsample_transpose_row_add(src, src_stride, full_width, channels, dst0, w0, r0, dst1, w1, r1, sum_g,
                                           sum_gr);
    else
        portable::upsample_transpose_row_add(src, src_stride, full_width, channels, dst0, w0, r0, dst1, w1, r1, sum_g,
                                             sum_gr);
}

}  // namespace segsweep::fast
