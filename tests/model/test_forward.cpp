// Forward pass of the FCN: output shapes at 160 and other sizes, probabilities over the class
// dim, channels_last inputs, and the error for a size the encoders cannot halve.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "common/error.h"
#include "worker/model/fcn.h"

using namespace segsweep;

namespace {

FcnArchitecture tiny_architecture() {
    FcnArchitecture a;
    a.encoder_filters = {4, 8};
    a.conv1x1_filters = 8;
    a.decoder_filters = {8, 4};
    return a;
}

}  // namespace

TEST(Forward, SeedModelAt160GivesProbabilitiesPerPixel) {
    torch::NoGradGuard no_grad;
    Fcn model(FcnArchitecture{}, 7);
    model->eval();
    torch::Tensor x = torch::rand({1, 3, 160, 160}) * 2 - 1;
    torch::Tensor p = model->forward(x);
    EXPECT_EQ(p.sizes(), torch::IntArrayRef({1, 3, 160, 160}));
    EXPECT_TRUE(torch::allclose(p.sum(1), torch::ones({1, 160, 160}), 1e-5, 1e-5));
    EXPECT_GE(p.min().item<float>(), 0.0f);
}

TEST(Forward, OtherSizesIncludingNonSquareAndThreeEncoders) {
    torch::NoGradGuard no_grad;
    Fcn model(tiny_architecture(), 7);
    EXPECT_EQ(model->forward(torch::rand({2, 3, 96, 96})).sizes(), torch::IntArrayRef({2, 3, 96, 96}));
    EXPECT_EQ(model->forward(torch::rand({1, 3, 12, 20})).sizes(), torch::IntArrayRef({1, 3, 12, 20}));
    FcnArchitecture deep = tiny_architecture();
    deep.encoder_filters = {4, 8, 8};
    deep.decoder_filters = {8, 8, 4};
    Fcn deep_model(deep, 7);
    EXPECT_EQ(deep_model->forward(torch::rand({1, 3, 40, 40})).sizes(), torch::IntArrayRef({1, 3, 40, 40}));
}

TEST(Forward, RejectsSizeNotDivisibleByEncoderStrides) {
    Fcn model(tiny_architecture(), 7);
    EXPECT_THROW(model->forward(torch::rand({1, 3, 30, 32})), Error);
    EXPECT_THROW(model->forward(torch::rand({1, 1, 32, 32})), Error);
}

TEST(Forward, ChannelsLastInputGivesTheSameProbabilities) {
    torch::NoGradGuard no_grad;
    Fcn model(tiny_architecture(), 3);
    model->eval();
    torch::Tensor x = torch::rand({2, 3, 32, 32});
    torch::Tensor a = model->forward(x);
    torch::Tensor b = model->forward(x.contiguous(torch::MemoryFormat::ChannelsLast));
    EXPECT_TRUE(torch::allclose(a, b, 1e-5, 1e-6));
}

TEST(Forward, TrainingModeUpdatesBatchNormWithKerasMomentum) {
    torch::NoGradGuard no_grad;
    Fcn model(tiny_architecture(), 3);
    model->train();
    model->forward(torch::rand({2, 3, 16, 16}));
    // Keras momentum 0.99: moving_mean = 0.99 * 0 + 0.01 * batch_mean.
    auto bn = model->encoders[0]->bn;
    EXPECT_DOUBLE_EQ(bn->options.momentum().value(), 0.01);
    EXPECT_DOUBLE_EQ(bn->options.eps(), 1e-3);
    EXPECT_GT(bn->running_mean.abs().max().item<float>(), 0.0f);
    EXPECT_LT(bn->running_mean.abs().max().item<float>(), 0.05f);
}
