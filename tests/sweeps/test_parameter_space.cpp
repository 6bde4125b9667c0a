// Parameter forms: draws stay in their support, quantised forms give multiples of q, log forms
// follow their scale, integer keys get JSON integers, and grids list the documented values.
#include <cmath>
#include <set>

#include <gtest/gtest.h>

#include "sweeps/parameter_space.h"
#include "sweeps/random_source.h"
#include "tests/sweeps/sweep_test_support.h"

namespace segsweep {
namespace {

constexpr int kDraws = 2000;

ParameterSpec parameter(const std::string& name, const std::string& body) {
    const auto spec = testing::parse_json_sweep(R"({"method": "random", "run_cap": 1, "parameters": {")" + name +
                                                "\": " + body + "}}");
    return spec.parameters.at(0);
}

TEST(ParameterSpace, RandomSourceIsSeeded) {
    RandomSource a(42), b(42), c(43);
    for (int i = 0; i < 10; ++i) {
        const uint64_t x = a.next_u64();
        EXPECT_EQ(x, b.next_u64());
        EXPECT_NE(x, c.next_u64());
    }
    EXPECT_NE(RandomSource::derive_seed(1, 0), RandomSource::derive_seed(1, 1));
    EXPECT_NE(RandomSource::derive_seed(1, 0), RandomSource::derive_seed(2, 0));
}

TEST(ParameterSpace, UniformStaysInRange) {
    const auto p = parameter("learning_rate", R"({"min": 0.001, "max": 0.01})");
    RandomSource random(1);
    double low = 1, high = 0;
    for (int i = 0; i < kDraws; ++i) {
        const double v = sample_parameter(p, random).get<double>();
        ASSERT_GE(v, 0.001);
        ASSERT_LT(v, 0.01);
        low = std::min(low, v);
        high = std::max(high, v);
    }
    EXPECT_LT(low, 0.0015);  // the draws cover the range
    EXPECT_GT(high, 0.0095);
}

TEST(ParameterSpace, IntUniformIsInclusiveAndInteger) {
    const auto p = parameter("batch_size", R"({"min": 2, "max": 5})");
    RandomSource random(2);
    std::set<int64_t> seen;
    for (int i = 0; i < kDraws; ++i) {
        const auto v = sample_parameter(p, random);
        ASSERT_TRUE(v.is_number_integer());
        seen.insert(v.get<int64_t>());
    }
    EXPECT_EQ(seen, (std::set<int64_t>{2, 3, 4, 5}));
}

TEST(ParameterSpace, QuantisedFormsGiveMultiplesOfQInRange) {
    const auto p = parameter("batch_size", R"({"distribution": "q_uniform", "min": 10, "max": 70, "q": 16})");
    RandomSource random(3);
    std::set<int64_t> seen;
    for (int i = 0; i < kDraws; ++i) seen.insert(sample_parameter(p, random).get<int64_t>());
    EXPECT_EQ(seen, (std::set<int64_t>{16, 32, 48, 64}));  // 0 and 80 are moved inside [10, 70]

    const auto real = parameter("min_delta", R"({"distribution": "q_uniform", "min": 0, "max": 0.5, "q": 0.1})");
    EXPECT_EQ(grid_values(real), (std::vector<nlohmann::json>{0.0, 0.1, 0.2, 0.3, 0.4, 0.5}));

    const auto log_q =
        parameter("conv1x1_filters", R"({"distribution": "q_log_uniform_values", "min": 16, "max": 512, "q": 16})");
    for (int i = 0; i < kDraws; ++i) {
        const int64_t v = sample_parameter(log_q, random).get<int64_t>();
        ASSERT_EQ(v % 16, 0);
        ASSERT_GE(v, 16);
        ASSERT_LE(v, 512);
    }
    const auto normal_q =
        parameter("conv1x1_filters", R"({"distribution": "q_normal", "mu": 256, "sigma": 40, "q": 32})");
    for (int i = 0; i < 200; ++i) ASSERT_EQ(sample_parameter(normal_q, random).get<int64_t>() % 32, 0);
}

TEST(ParameterSpace, LogUniformTakesExponents) {
    // W&B's log_uniform: min and max are natural-log exponents, values exp(U(min, max)).
    const auto p = parameter("learning_rate", R"({"distribution": "log_uniform", "min": -9.21, "max": -2.3})");
    RandomSource random(4);
    int below_1e3 = 0;
    for (int i = 0; i < kDraws; ++i) {
        const double v = sample_parameter(p, random).get<double>();
        ASSERT_GE(v, std::exp(-9.21) * (1 - 1e-12));
        ASSERT_LE(v, std::exp(-2.3) * (1 + 1e-12));
        if (v < 1e-3) ++below_1e3;
    }
    // Log scale: ln(1e-3) = -6.91 splits [-9.21, -2.3] at 33%; a linear scale would give ~0.9%.
    EXPECT_NEAR(below_1e3 / static_cast<double>(kDraws), (std::log(1e-3) + 9.21) / 6.91, 0.04);
}

TEST(ParameterSpace, LogUniformValuesTakesValues) {
    const auto p = parameter("learning_rate", R"({"distribution": "log_uniform_values", "min": 1e-4, "max": 1e-1})");
    RandomSource random(5);
    int per_decade[3] = {0, 0, 0};
    for (int i = 0; i < kDraws * 3; ++i) {
        const double v = sample_parameter(p, random).get<double>();
        ASSERT_GE(v, 1e-4);
        ASSERT_LE(v, 1e-1);
        per_decade[std::min(2, static_cast<int>(std::floor(std::log10(v) + 4)))]++;
    }
    for (int count : per_decade) EXPECT_NEAR(count, kDraws, kDraws * 0.1);  // equal mass per decade
}

TEST(ParameterSpace, NormalAndLogNormalMoments) {
    const auto normal = parameter("min_delta", R"({"distribution": "normal", "mu": 0.5, "sigma": 0.1})");
    const auto log_normal = parameter("learning_rate", R"({"distribution": "log_normal", "mu": -6, "sigma": 0.5})");
    RandomSource random(6);
    double sum = 0, sum_sq = 0, log_sum = 0;
    for (int i = 0; i < kDraws; ++i) {
        const double v = sample_parameter(normal, random).get<double>();
        sum += v;
        sum_sq += v * v;
        log_sum += std::log(sample_parameter(log_normal, random).get<double>());
    }
    const double mean = sum / kDraws;
    EXPECT_NEAR(mean, 0.5, 0.01);
    EXPECT_NEAR(std::sqrt(sum_sq / kDraws - mean * mean), 0.1, 0.01);
    EXPECT_NEAR(log_sum / kDraws, -6, 0.05);
}

TEST(ParameterSpace, CategoricalFollowsProbabilities) {
    const auto p = parameter("decoder_convs", R"({"values": [1, 2], "probabilities": [0.2, 0.8]})");
    RandomSource random(7);
    int twos = 0;
    for (int i = 0; i < kDraws; ++i) twos += sample_parameter(p, random).get<int>() == 2;
    EXPECT_NEAR(twos / static_cast<double>(kDraws), 0.8, 0.03);
}

TEST(ParameterSpace, GridValuesAndCounts) {
    EXPECT_EQ(grid_values(parameter("batch_size", R"({"value": 8})")), (std::vector<nlohmann::json>{8}));
    EXPECT_EQ(grid_values(parameter("batch_size", R"({"values": [32, 8, 16]})")),
              (std::vector<nlohmann::json>{32, 8, 16}));
    EXPECT_EQ(grid_values(parameter("batch_size", R"({"min": 3, "max": 6})")),
              (std::vector<nlohmann::json>{3, 4, 5, 6}));
    EXPECT_EQ(distinct_value_count(parameter("batch_size", R"({"min": 3, "max": 6})")), 4u);
    EXPECT_FALSE(distinct_value_count(parameter("learning_rate", R"({"min": 0.1, "max": 0.2})")));
}

TEST(ParameterSpace, InternalCoordinatesRoundTrip) {
    const auto p = parameter("learning_rate", R"({"distribution": "log_uniform_values", "min": 1e-4, "max": 1e-1})");
    EXPECT_TRUE(is_log_form(p));
    const auto x = to_internal(p, 0.01);
    ASSERT_TRUE(x);
    EXPECT_NEAR(*x, std::log(0.01), 1e-12);
    EXPECT_NEAR(from_internal(p, *x).get<double>(), 0.01, 1e-15);
    EXPECT_FALSE(to_internal(p, -1.0));
    double low = 0, high = 0;
    ASSERT_TRUE(internal_bounds(p, low, high));
    EXPECT_NEAR(low, std::log(1e-4), 1e-12);
}

}  // namespace
}  // namespace segsweep
