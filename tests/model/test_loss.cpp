// Keras' categorical cross-entropy on probabilities: normalise, clip to [1e-7, 1-1e-7],
// -sum y log p per pixel, mean over pixels and batch (values worked out by hand).
#include <cmath>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "common/error.h"
#include "worker/model/loss.h"

using namespace segsweep;

namespace {

// Packs per-pixel class vectors into [1, 3, 1, npixels].
torch::Tensor pixels(std::vector<std::array<float, 3>> values) {
    torch::Tensor t = torch::empty({1, 3, 1, static_cast<int64_t>(values.size())});
    for (size_t i = 0; i < values.size(); ++i)
        for (int c = 0; c < 3; ++c) t[0][c][0][static_cast<int64_t>(i)] = values[i][c];
    return t;
}

}  // namespace

TEST(CategoricalCrossentropy, HandComputedMeanOverPixels) {
    torch::Tensor p = pixels({{0.7f, 0.2f, 0.1f},    // hero at 0.1: -log 0.1
                              {1.0f, 0.0f, 0.0f},    // people at 0 -> clipped to 1e-7: -log 1e-7
                              {2.0f, 1.0f, 1.0f},    // unnormalised: p_bg = 0.5: -log 0.5
                              {0.5f, 0.25f, 0.25f}}); // two labels (a resized boundary): -log .25 - log .5
    torch::Tensor y = pixels({{0, 0, 1}, {0, 1, 0}, {1, 0, 0}, {1, 1, 0}});
    const double expected =
        (-std::log(0.1) - std::log(1e-7) - std::log(0.5) - std::log(0.25) - std::log(0.5)) / 4.0;
    EXPECT_NEAR(categorical_crossentropy(p, y).item<double>(), expected, 1e-5);
    EXPECT_NEAR(categorical_crossentropy_sum(p, y).item<double>(), 4 * expected, 4e-5);
}

TEST(CategoricalCrossentropy, ClipsAtOneMinusEpsilon) {
    torch::Tensor p = pixels({{1.0f, 0.0f, 0.0f}}).to(torch::kFloat64);
    torch::Tensor y = pixels({{1, 0, 0}}).to(torch::kFloat64);
    EXPECT_NEAR(categorical_crossentropy(p, y).item<double>(), -std::log(1.0 - 1e-7), 1e-12);
}

TEST(CategoricalCrossentropy, MeanOverBatchAndPixels) {
    torch::Tensor p = torch::rand({2, 3, 4, 5}) + 0.1;
    torch::Tensor y = torch::zeros({2, 3, 4, 5});
    y.select(1, 2).fill_(1.0f);
    torch::Tensor normalised = p / p.sum(1, true);
    const double expected = -normalised.select(1, 2).log().mean().item<double>();
    EXPECT_NEAR(categorical_crossentropy(p, y).item<double>(), expected, 1e-5);
}

TEST(CategoricalCrossentropy, RejectsShapeMismatch) {
    EXPECT_THROW(categorical_crossentropy(torch::rand({1, 3, 2, 2}), torch::rand({1, 3, 2, 3})), Error);
}
