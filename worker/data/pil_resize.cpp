// PIL's bilinear resample (Pillow's libImaging/Resample.c, 8 bits per channel), reproduced step by
// step: precompute_coeffs() for each axis, normalise the weights to 22-bit fixed point, a horizontal
// pass over the rows the vertical pass needs into an 8-bit intermediate, then the vertical pass.
#include "worker/data/pil_resize.h"

#include <cmath>
#include <string>

#include "common/error.h"

namespace segsweep {
namespace {

constexpr int kPrecisionBits = 32 - 8 - 2;     // Pillow's PRECISION_BITS for 8-bit images
constexpr double kBilinearSupport = 1.0;       // the triangle filter's support at scale 1

double bilinear_filter(double x) {
    if (x < 0.0) x = -x;
    if (x < 1.0) return 1.0 - x;
    return 0.0;
}

// Per output index: the first input index, the number of inputs, and their fixed-point weights.
struct AxisCoefficients {
    int kernel_size = 0;
    std::vector<int> first;
    std::vector<int> count;
    std::vector<int32_t> weights;   // out_size * kernel_size
};

// Pillow's precompute_coeffs + normalize_coeffs_8bpc for the box [0, in_size).
AxisCoefficients precompute(int in_size, int out_size) {
    const double in0 = 0.0;
    const double in1 = static_cast<double>(static_cast<float>(in_size));
    const double scale = (in1 - in0) / out_size;
    const double filter_scale = scale < 1.0 ? 1.0 : scale;
    const double support = kBilinearSupport * filter_scale;

    AxisCoefficients axis;
    axis.kernel_size = static_cast<int>(std::ceil(support)) * 2 + 1;
    axis.first.resize(out_size);
    axis.count.resize(out_size);
    axis.weights.assign(static_cast<size_t>(out_size) * axis.kernel_size, 0);
    std::vector<double> k(axis.kernel_size);
    for (int xx = 0; xx < out_size; ++xx) {
        const double center = in0 + (xx + 0.5) * scale;
        const double inverse_scale = 1.0 / filter_scale;
        int xmin = static_cast<int>(center - support + 0.5);
        if (xmin < 0) xmin = 0;
        int xmax = static_cast<int>(center + support + 0.5);
        if (xmax > in_size) xmax = in_size;
        xmax -= xmin;
        double total = 0.0;
        for (int x = 0; x < xmax; ++x) {
            const double w = bilinear_filter((x + xmin - center + 0.5) * inverse_scale);
            k[x] = w;
            total += w;
        }
        for (int x = 0; x < xmax; ++x)
            if (total != 0.0) k[x] /= total;
        for (int x = 0; x < axis.kernel_size; ++x) {
            const double value = x < xmax ? k[x] : 0.0;
            axis.weights[static_cast<size_t>(xx) * axis.kernel_size + x] =
                value < 0 ? static_cast<int32_t>(-0.5 + value * (1 << kPrecisionBits))
                          : static_cast<int32_t>(0.5 + value * (1 << kPrecisionBits));
        }
        axis.first[xx] = xmin;
        axis.count[xx] = xmax;
    }
    return axis;
}

uint8_t clip8(int32_t value) {
    const int32_t shifted = value >> kPrecisionBits;   // arithmetic shift: floor, as Pillow's table lookup
    if (shifted < 0) return 0;
    if (shifted > 255) return 255;
    return static_cast<uint8_t>(shifted);
}

}  // namespace

std::vector<uint8_t> pil_resize_bilinear(const uint8_t* src, int width, int height, int channels,
                                         int out_width, int out_height) {
    if (width < 1 || height < 1 || out_width < 1 || out_height < 1 || channels < 1)
        throw Error("resize: bad sizes " + std::to_string(width) + "x" + std::to_string(height) + " -> " +
                    std::to_string(out_width) + "x" + std::to_string(out_height));
    const size_t in_values = static_cast<size_t>(width) * height * channels;
    if (out_width == width && out_height == height) return std::vector<uint8_t>(src, src + in_values);

    const bool need_horizontal = out_width != width;
    const bool need_vertical = out_height != height;
    const AxisCoefficients horizontal = precompute(width, out_width);
    const AxisCoefficients vertical = precompute(height, out_height);
    const int32_t half = 1 << (kPrecisionBits - 1);

    // Horizontal pass over the source rows the vertical pass reads: [first_row, last_row).
    const int first_row = need_vertical ? vertical.first[0] : 0;
    const int last_row = need_vertical ? vertical.first[out_height - 1] + vertical.count[out_height - 1] : height;
    std::vector<uint8_t> intermediate;
    const uint8_t* rows = src + static_cast<size_t>(first_row) * width * channels;
    int row_width = width;
    if (need_horizontal) {
        intermediate.resize(static_cast<size_t>(last_row - first_row) * out_width * channels);
        for (int y = first_row; y < last_row; ++y) {
            const uint8_t* in_row = src + static_cast<size_t>(y) * width * channels;
            uint8_t* out_row = &intermediate[static_cast<size_t>(y - first_row) * out_width * channels];
            for (int xx = 0; xx < out_width; ++xx) {
                const int32_t* k = &horizontal.weights[static_cast<size_t>(xx) * horizontal.kernel_size];
                const int xmin = horizontal.first[xx];
                const int xcount = horizontal.count[xx];
                for (int c = 0; c < channels; ++c) {
                    int32_t sum = half;
                    for (int x = 0; x < xcount; ++x) sum += in_row[(xmin + x) * channels + c] * k[x];
                    out_row[xx * channels + c] = clip8(sum);
                }
            }
        }
        rows = intermediate.data();
        row_width = out_width;
    }
    if (!need_vertical) return std::vector<uint8_t>(rows, rows + static_cast<size_t>(height) * row_width * channels);

    std::vector<uint8_t> out(static_cast<size_t>(out_height) * row_width * channels);
    const size_t stride = static_cast<size_t>(row_width) * channels;
    for (int yy = 0; yy < out_height; ++yy) {
        const int32_t* k = &vertical.weights[static_cast<size_t>(yy) * vertical.kernel_size];
        const int ymin = vertical.first[yy] - first_row;
        const int ycount = vertical.count[yy];
        uint8_t* out_row = &out[static_cast<size_t>(yy) * stride];
        for (size_t i = 0; i < stride; ++i) {
            int32_t sum = half;
            for (int y = 0; y < ycount; ++y) sum += rows[(ymin + y) * stride + i] * k[y];
            out_row[i] = clip8(sum);
        }
    }
    return out;
}

}  // namespace segsweep
