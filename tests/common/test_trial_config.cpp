// TrialConfig: defaults, JSON round trip, error messages naming the key, canonical hash.
#include <gtest/gtest.h>

#include "common/error.h"
#include "common/trial_config.h"

using segsweep::Error;
using segsweep::TrialConfig;

namespace {

std::string error_of(const nlohmann::json& j) {
    try {
        segsweep::trial_config_from_json(j, "config");
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST(TrialConfig, DefaultsAreTheSeedArchitecture) {
    TrialConfig c;
    EXPECT_EQ(c.encoder_filters, (std::vector<int>{64, 128}));
    EXPECT_EQ(c.conv1x1_filters, 256);
    EXPECT_EQ(c.decoder_filters, (std::vector<int>{128, 64}));
    EXPECT_EQ(c.decoder_convs, 2);
    EXPECT_EQ(c.image_size, 160);
    EXPECT_NO_THROW(c.validate());
}

TEST(TrialConfig, SeedRecipeIsTheWriteUpsValues) {
    TrialConfig c = segsweep::seed_recipe_config();
    EXPECT_DOUBLE_EQ(c.learning_rate, 0.001);
    EXPECT_EQ(c.batch_size, 64);
    EXPECT_EQ(c.num_epochs, 50);
    EXPECT_EQ(c.steps_per_epoch, 65);
    EXPECT_EQ(c.validation_steps, 50);
}

TEST(TrialConfig, JsonRoundTripKeepsEveryKey) {
    TrialConfig c;
    c.learning_rate = 0.0015;
    c.batch_size = 32;
    c.encoder_filters = {32, 64, 128};
    c.decoder_filters = {128, 64, 32};
    c.conv1x1_kernel = 3;
    c.flip = true;
    c.seed = 42;
    nlohmann::json j = segsweep::to_json(c);
    EXPECT_EQ(j.size(), segsweep::trial_config_keys().size());
    TrialConfig back = segsweep::trial_config_from_json(j);
    EXPECT_EQ(segsweep::canonical_json(back), segsweep::canonical_json(c));
}

TEST(TrialConfig, MissingKeysTakeDefaults) {
    TrialConfig c = segsweep::trial_config_from_json({{"learning_rate", 0.01}});
    EXPECT_DOUBLE_EQ(c.learning_rate, 0.01);
    EXPECT_EQ(c.batch_size, TrialConfig{}.batch_size);
}

TEST(TrialConfig, IntegralFloatIsAcceptedForIntKeys) {
    TrialConfig c = segsweep::trial_config_from_json({{"batch_size", 16.0}});
    EXPECT_EQ(c.batch_size, 16);
}

TEST(TrialConfig, ErrorsNameTheKey) {
    EXPECT_NE(error_of({{"bogus", 1}}).find("config.bogus: unknown trial config key"), std::string::npos);
    EXPECT_NE(error_of({{"bogus", 1}}).find("learning_rate"), std::string::npos);  // lists valid keys
    EXPECT_NE(error_of({{"batch_size", "64"}}).find("config.batch_size: expected an integer"), std::string::npos);
    EXPECT_NE(error_of({{"batch_size", 6.5}}).find("config.batch_size: expected an integer"), std::string::npos);
    EXPECT_NE(error_of({{"learning_rate", -1}}).find("config.learning_rate: must be > 0"), std::string::npos);
    EXPECT_NE(error_of({{"image_size", 162}}).find("config.image_size: must be divisible by 4"), std::string::npos);
    EXPECT_NE(error_of({{"decoder_filters", {64}}}).find("config.decoder_filters: must have one entry per encoder"),
              std::string::npos);
    EXPECT_NE(error_of({{"decoder_convs", 3}}).find("config.decoder_convs: must be 1 or 2"), std::string::npos);
    EXPECT_NE(error_of({{"flip", 1}}).find("config.flip: expected true or false"), std::string::npos);
    EXPECT_NE(error_of(nlohmann::json::array()).find("expected a JSON object"), std::string::npos);
}

TEST(TrialConfig, HashIsCanonicalAndDistinguishesConfigs) {
    TrialConfig a;
    TrialConfig b = segsweep::trial_config_from_json(segsweep::to_json(a));
    EXPECT_EQ(segsweep::config_hash(a), segsweep::config_hash(b));
    EXPECT_EQ(segsweep::config_hash(a).size(), 16u);
    b.learning_rate = 0.002;
    EXPECT_NE(segsweep::config_hash(a), segsweep::config_hash(b));
    // Key order in the input does not matter.
    nlohmann::json x = nlohmann::json::parse(R"({"batch_size": 8, "learning_rate": 0.1})");
    nlohmann::json y = nlohmann::json::parse(R"({"learning_rate": 0.1, "batch_size": 8})");
    EXPECT_EQ(segsweep::config_hash(segsweep::trial_config_from_json(x)),
              segsweep::config_hash(segsweep::trial_config_from_json(y)));
}
