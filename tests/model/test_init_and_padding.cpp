// Keras initialisation (Glorot-uniform limits with Keras' fans, zero biases, BN at identity,
// reproducible from the seed) and TF 'same' padding of the stride-2 separable conv.
#include <cmath>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "worker/model/fcn.h"

using namespace segsweep;

TEST(KerasInit, GlorotLimitsUseKerasFans) {
    Fcn model(FcnArchitecture{}, 11);
    // enc1 depthwise (3,3,64,1): fan_in 576, fan_out 9.
    const double depthwise_limit = std::sqrt(6.0 / (576 + 9));
    torch::Tensor dw = model->encoders[1]->depthwise->weight;
    EXPECT_LE(dw.abs().max().item<double>(), depthwise_limit);
    EXPECT_GT(dw.abs().max().item<double>(), 0.9 * depthwise_limit);
    // U(-l, l) has standard deviation l / sqrt(3).
    EXPECT_NEAR(dw.std().item<double>(), depthwise_limit / std::sqrt(3.0), 0.1 * depthwise_limit);
    // dec0_sep0 pointwise (1,1,320,128): fan_in 320, fan_out 128.
    const double pointwise_limit = std::sqrt(6.0 / (320 + 128));
    torch::Tensor pw = model->decoders[0]->pointwise->weight;
    EXPECT_LE(pw.abs().max().item<double>(), pointwise_limit);
    EXPECT_GT(pw.abs().max().item<double>(), 0.99 * pointwise_limit);
    EXPECT_NEAR(pw.std().item<double>(), pointwise_limit / std::sqrt(3.0), 0.02 * pointwise_limit);
}

TEST(KerasInit, BiasesZeroBatchNormIdentity) {
    Fcn model(FcnArchitecture{}, 11);
    for (const auto& item : model->named_parameters()) {
        const std::string& name = item.key();
        if (name.ends_with("bn.weight")) {
            EXPECT_TRUE(torch::all(item.value() == 1).item<bool>()) << name;
        } else if (name.ends_with("bias")) {
            EXPECT_TRUE(torch::all(item.value() == 0).item<bool>()) << name;
        }
    }
    for (auto& bn : model->batch_norms()) {
        EXPECT_TRUE(torch::all(bn->running_mean == 0).item<bool>());
        EXPECT_TRUE(torch::all(bn->running_var == 1).item<bool>());
    }
    EXPECT_EQ(model->batch_norms().size(), 7u);
}

TEST(KerasInit, SameSeedSameWeightsOtherSeedOtherWeights) {
    Fcn a(FcnArchitecture{}, 5), b(FcnArchitecture{}, 5), c(FcnArchitecture{}, 6);
    auto pa = a->parameters(), pb = b->parameters(), pc = c->parameters();
    ASSERT_EQ(pa.size(), pb.size());
    bool any_differs = false;
    for (size_t i = 0; i < pa.size(); ++i) {
        EXPECT_TRUE(torch::equal(pa[i], pb[i]));
        if (!torch::equal(pa[i], pc[i])) any_differs = true;
    }
    EXPECT_TRUE(any_differs);
}

TEST(TfSamePadding, StrideTwoPadsOnlyBottomAndRight) {
    // One channel, depthwise kernel = the centre tap, pointwise 1, BN at identity in eval mode:
    // TF 'same' (pad bottom/right only) makes output (i, j) read input (2i+1, 2j+1); torch's
    // symmetric padding would read (2i, 2j).
    torch::NoGradGuard no_grad;
    SeparableConvBn block(1, 1, 2);
    block->eval();
    block->depthwise->weight.zero_();
    block->depthwise->weight[0][0][1][1] = 1.0f;
    block->pointwise->weight.fill_(1.0f);
    block->pointwise->bias.zero_();
    torch::Tensor x = torch::arange(36, torch::kFloat32).reshape({1, 1, 6, 6});
    torch::Tensor out = block->forward(x) * std::sqrt(1.0 + kKerasBatchNormEpsilon);
    torch::Tensor expected = x.index({0, 0, torch::indexing::Slice(1, 6, 2), torch::indexing::Slice(1, 6, 2)});
    EXPECT_TRUE(torch::allclose(out[0][0], expected, 1e-5, 1e-5)) << out;
}

TEST(TfSamePadding, StrideTwoBottomRightTapSeesZeroPad) {
    // Kernel tap (2, 2) of the last output row/column falls on the bottom/right pad: zero there.
    torch::NoGradGuard no_grad;
    SeparableConvBn block(1, 1, 2);
    block->eval();
    block->depthwise->weight.zero_();
    block->depthwise->weight[0][0][2][2] = 1.0f;
    block->pointwise->weight.fill_(1.0f);
    block->pointwise->bias.zero_();
    torch::Tensor x = torch::ones({1, 1, 4, 4});
    torch::Tensor out = block->forward(x) * std::sqrt(1.0 + kKerasBatchNormEpsilon);
    torch::Tensor expected = torch::tensor({1.0f, 0.0f, 0.0f, 0.0f}).reshape({2, 2});
    EXPECT_TRUE(torch::allclose(out[0][0], expected, 1e-5, 1e-5)) << out;
}
