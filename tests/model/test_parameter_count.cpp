// Keras-style parameter counts of the FCN modules: the seed model has 121,721 weights
// (120,057 trainable + 1,664 BN moving statistics) and the documented variants match section 6
// of udacity-followme.md; the torch-free summary agrees with the real modules.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "worker/model/fcn.h"
#include "worker/model/model_summary.h"

using namespace segsweep;

namespace {

KerasParameterCount count_modules(const FcnArchitecture& architecture) {
    Fcn model(architecture, /*seed=*/1);
    return keras_parameter_count(*model);
}

}  // namespace

TEST(ParameterCount, SeedModelHas121721KerasWeights) {
    KerasParameterCount count = count_modules(FcnArchitecture{});
    EXPECT_EQ(count.total, 121721);
    EXPECT_EQ(count.trainable, 120057);
    EXPECT_EQ(count.non_trainable, 1664);
}

TEST(ParameterCount, OneConvPerDecoderHas98553) {
    FcnArchitecture a;
    a.decoder_convs = 1;
    KerasParameterCount count = count_modules(a);
    EXPECT_EQ(count.total, 98553);
    EXPECT_EQ(count.trainable, 97273);
}

TEST(ParameterCount, OutputKernel3Has123257) {
    FcnArchitecture a;
    a.output_kernel = 3;
    EXPECT_EQ(count_modules(a).total, 123257);
}

TEST(ParameterCount, SeedCodeMiddle512Kernel3) {
    // The seed code's own variant: conv2d_batchnorm(512, kernel 3) in the middle.
    FcnArchitecture a;
    a.conv1x1_filters = 512;
    a.conv1x1_kernel = 3;
    // middle: 3*3*128*512 + 512 + 4*512; dec0_sep0 input 512+64.
    const int64_t middle = 9 * 128 * 512 + 512 + 4 * 512;
    const int64_t dec0_sep0 = 9 * 576 + 576 * 128 + 128 + 4 * 128;
    const int64_t seed_middle = 128 * 256 + 256 + 4 * 256;
    const int64_t seed_dec0_sep0 = 43968 + 512;
    KerasParameterCount count = count_modules(a);
    EXPECT_EQ(count.total, 121721 - seed_middle - seed_dec0_sep0 + middle + dec0_sep0);
}

TEST(ParameterCount, SummaryAgreesWithModules) {
    std::vector<FcnArchitecture> variants(4);
    variants[1].decoder_convs = 1;
    variants[2].encoder_filters = {32, 64, 128};
    variants[2].decoder_filters = {128, 64, 32};
    variants[2].conv1x1_filters = 16;
    variants[3].conv1x1_kernel = 3;
    variants[3].output_kernel = 3;
    for (const auto& a : variants) {
        KerasParameterCount modules = count_modules(a);
        ModelSummary summary = summarize_fcn(a, 64);
        EXPECT_EQ(summary.total_params, modules.total);
        EXPECT_EQ(summary.trainable_params, modules.trainable);
        EXPECT_EQ(summary.non_trainable_params, modules.non_trainable);
    }
}
