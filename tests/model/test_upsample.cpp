// The TF1 x2 bilinear upsample (align_corners=False, legacy mapping) against values computed by
// hand: out[2i] = in[i], out[2i+1] = (in[i] + in[min(i+1, n-1)]) / 2 per axis.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "common/error.h"
#include "worker/model/tf1_upsample.h"

using namespace segsweep;

namespace {

torch::Tensor hand_input() {
    return torch::tensor({1.0f, 2.0f, 4.0f, 3.0f, 5.0f, 9.0f}).reshape({1, 1, 2, 3});
}

torch::Tensor hand_expected() {
    // Columns of [1 2 4] -> [1 1.5 2 3 4 4]; of [3 5 9] -> [3 4 5 7 9 9]; rows interleave the same way.
    return torch::tensor({1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 4.0f,    //
                          2.0f, 2.75f, 3.5f, 5.0f, 6.5f, 6.5f,   //
                          3.0f, 4.0f, 5.0f, 7.0f, 9.0f, 9.0f,    //
                          3.0f, 4.0f, 5.0f, 7.0f, 9.0f, 9.0f})
        .reshape({1, 1, 4, 6});
}

}  // namespace

TEST(Tf1Upsample, MatchesHandComputedValues) {
    torch::Tensor out = upsample_x2_tf1(hand_input());
    ASSERT_EQ(out.sizes(), torch::IntArrayRef({1, 1, 4, 6}));
    EXPECT_TRUE(torch::equal(out, hand_expected())) << out;
}

TEST(Tf1Upsample, DiffersFromTorchHalfPixelInterpolate) {
    namespace F = torch::nn::functional;
    torch::Tensor torch_bilinear = F::interpolate(
        hand_input(),
        F::InterpolateFuncOptions().scale_factor(std::vector<double>{2, 2}).mode(torch::kBilinear).align_corners(false));
    EXPECT_FALSE(torch::allclose(torch_bilinear, hand_expected()));
}

TEST(Tf1Upsample, ChannelsLastStaysChannelsLastWithTheSameValues) {
    torch::Tensor x = torch::rand({2, 5, 3, 4});
    torch::Tensor expected = upsample_x2_tf1(x);
    torch::Tensor out = upsample_x2_tf1(x.contiguous(torch::MemoryFormat::ChannelsLast));
    EXPECT_TRUE(out.is_contiguous(torch::MemoryFormat::ChannelsLast));
    EXPECT_TRUE(torch::equal(out, expected));
}

TEST(Tf1Upsample, EachChannelAndImageIsUpsampledAlone) {
    torch::Tensor x = torch::zeros({2, 2, 2, 3});
    x[1][1] = hand_input()[0][0];
    torch::Tensor out = upsample_x2_tf1(x);
    EXPECT_TRUE(torch::equal(out[1][1], hand_expected()[0][0]));
    EXPECT_EQ(out[0].abs().sum().item<float>(), 0.0f);
    EXPECT_EQ(out[1][0].abs().sum().item<float>(), 0.0f);
}

TEST(Tf1Upsample, BackwardSpreadsGradientsAsTheForwardWeights) {
    // Along an axis of 3: outputs (a, (a+b)/2, b, (b+c)/2, c, c) give d/d(a,b,c) of the sum = 1.5, 2, 2.5;
    // along an axis of 2: (a, (a+b)/2, b, b) gives 1.5, 2.5. The 2-D gradient is their outer product.
    torch::Tensor x = hand_input().requires_grad_(true);
    upsample_x2_tf1(x).sum().backward();
    torch::Tensor expected = torch::outer(torch::tensor({1.5f, 2.5f}), torch::tensor({1.5f, 2.0f, 2.5f}));
    EXPECT_TRUE(torch::allclose(x.grad()[0][0], expected));
}

TEST(Tf1Upsample, SizeOneAxisRepeats) {
    torch::Tensor out = upsample_x2_tf1(torch::full({1, 1, 1, 1}, 3.0f));
    EXPECT_TRUE(torch::equal(out, torch::full({1, 1, 2, 2}, 3.0f)));
}

TEST(Tf1Upsample, RejectsNon4dInput) { EXPECT_THROW(upsample_x2_tf1(torch::rand({3, 4})), Error); }
