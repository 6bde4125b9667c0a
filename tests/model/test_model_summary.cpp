// The Keras-style summary: per-layer weights and multiply-adds of the seed model at 160x160 as
// worked out in udacity-followme.md section 6, the variants' totals, and the printed table.
#include <gtest/gtest.h>

#include "common/error.h"
#include "worker/model/model_summary.h"

using namespace segsweep;

namespace {

const SummaryLayer& layer(const ModelSummary& s, const std::string& name) {
    for (const auto& l : s.layers)
        if (l.name == name) return l;
    throw Error("no layer " + name);
}

}  // namespace

TEST(ModelSummary, SeedModelPerLayerFiguresAt160) {
    ModelSummary s = summarize_fcn(FcnArchitecture{}, 160);
    struct Row {
        const char* name;
        int h, c;
        int64_t params, macs;
    };
    const Row rows[] = {
        {"enc0", 80, 64, 283, 172800 + 1228800},
        {"enc0_bn", 80, 64, 256, 0},
        {"enc1", 40, 128, 8896, 921600 + 13107200},
        {"middle", 40, 256, 33024, 52428800},
        {"middle_bn", 40, 256, 1024, 0},
        {"dec0_up", 80, 256, 0, 0},
        {"dec0_concat", 80, 320, 0, 0},
        {"dec0_sep0", 80, 128, 43968, 18432000 + 262144000},
        {"dec0_sep1", 80, 128, 17664, 7372800 + 104857600},
        {"dec1_concat", 160, 131, 0, 0},
        {"dec1_sep0", 160, 64, 9627, 30182400 + 214630400},
        {"dec1_sep1", 160, 64, 4736, 14745600 + 104857600},
        {"output", 160, 3, 195, 4915200},
    };
    for (const auto& row : rows) {
        const SummaryLayer& l = layer(s, row.name);
        EXPECT_EQ(l.height, row.h) << row.name;
        EXPECT_EQ(l.width, row.h) << row.name;
        EXPECT_EQ(l.channels, row.c) << row.name;
        EXPECT_EQ(l.trainable_params + l.non_trainable_params, row.params) << row.name;
        EXPECT_EQ(l.multiply_adds, row.macs) << row.name;
    }
    EXPECT_EQ(s.total_params, 121721);
    EXPECT_EQ(s.trainable_params, 120057);
    EXPECT_EQ(s.non_trainable_params, 1664);
    EXPECT_NEAR(s.multiply_adds / 1e6, 830.0, 0.05);
}

TEST(ModelSummary, VariantTotals) {
    FcnArchitecture one_conv;
    one_conv.decoder_convs = 1;
    ModelSummary s1 = summarize_fcn(one_conv, 160);
    EXPECT_EQ(s1.total_params, 98553);
    EXPECT_EQ(s1.trainable_params, 97273);
    EXPECT_NEAR(s1.multiply_adds / 1e6, 598.2, 0.05);
    one_conv.output_kernel = 3;
    EXPECT_NEAR(summarize_fcn(one_conv, 160).multiply_adds / 1e6, 637.5, 0.05);
    FcnArchitecture k3;
    k3.output_kernel = 3;
    ModelSummary s3 = summarize_fcn(k3, 160);
    EXPECT_EQ(s3.total_params, 123257);
    EXPECT_NEAR(s3.multiply_adds / 1e6, 869.3, 0.05);
}

TEST(ModelSummary, MultiplyAddsScaleWithImageArea) {
    EXPECT_EQ(summarize_fcn(FcnArchitecture{}, 320).multiply_adds, 4 * summarize_fcn(FcnArchitecture{}, 160).multiply_adds);
}

TEST(ModelSummary, RejectsIndivisibleImageSize) {
    EXPECT_THROW(summarize_fcn(FcnArchitecture{}, 162), Error);
}

TEST(ModelSummary, TableNamesLayersAndTotals) {
    const std::string text = format_model_summary(summarize_fcn(FcnArchitecture{}, 160));
    EXPECT_NE(text.find("(None, 80, 80, 320)"), std::string::npos);
    EXPECT_NE(text.find("Total params: 121,721"), std::string::npos);
    EXPECT_NE(text.find("Trainable params: 120,057"), std::string::npos);
    EXPECT_NE(text.find("Non-trainable params: 1,664"), std::string::npos);
    EXPECT_NE(text.find("SeparableConv2D"), std::string::npos);
}
