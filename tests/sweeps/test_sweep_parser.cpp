// Sweep file parsing: every parameter form, both formats, our keys, W&B keys, and the defaults.
#include <cmath>

#include <gtest/gtest.h>

#include "sweeps/sweep_parser.h"
#include "sweeps/sweep_metric.h"
#include "tests/sweeps/sweep_test_support.h"

namespace segsweep {
namespace {

using testing::parse_json_sweep;
using testing::parse_yaml_sweep;

SweepSpec one_parameter(const std::string& method, const std::string& name, const std::string& body) {
    std::string text = R"({"method": ")" + method + R"(", "parameters": {")" + name + "\": " + body + "}";
    if (method != "grid") text += R"(, "run_cap": 5)";
    return parse_json_sweep(text + "}");
}

TEST(SweepParser, ValueIsConstant) {
    const auto spec = one_parameter("grid", "learning_rate", R"({"value": 0.01})");
    ASSERT_EQ(spec.parameters.size(), 1u);
    EXPECT_EQ(spec.parameters[0].distribution, Distribution::constant);
    EXPECT_DOUBLE_EQ(spec.parameters[0].values.at(0).get<double>(), 0.01);
}

TEST(SweepParser, ValuesAreCategorical) {
    const auto spec = one_parameter("grid", "batch_size", R"({"values": [16, 32, 64]})");
    const auto& p = spec.parameters[0];
    EXPECT_EQ(p.distribution, Distribution::categorical);
    ASSERT_EQ(p.values.size(), 3u);
    EXPECT_EQ(p.values[2], 64);
    EXPECT_TRUE(p.probabilities.empty());
    EXPECT_TRUE(p.integer_key);
}

TEST(SweepParser, ValuesWithProbabilities) {
    const auto spec = one_parameter("random", "decoder_convs", R"({"values": [1, 2], "probabilities": [0.25, 0.75]})");
    const auto& p = spec.parameters[0];
    EXPECT_EQ(p.distribution, Distribution::categorical);
    ASSERT_EQ(p.probabilities.size(), 2u);
    EXPECT_DOUBLE_EQ(p.probabilities[1], 0.75);
    // The W&B name for the same form.
    const auto named = one_parameter(
        "random", "decoder_convs",
        R"({"distribution": "categorical_w_probabilities", "values": [1, 2], "probabilities": [0.5, 0.5]})");
    EXPECT_EQ(named.parameters[0].distribution, Distribution::categorical);
}

TEST(SweepParser, IntegerMinMaxIsIntUniform) {
    const auto spec = one_parameter("random", "batch_size", R"({"min": 8, "max": 64})");
    EXPECT_EQ(spec.parameters[0].distribution, Distribution::int_uniform);
    EXPECT_EQ(spec.parameters[0].min, 8);
    EXPECT_EQ(spec.parameters[0].max, 64);
}

TEST(SweepParser, RealMinMaxIsUniform) {
    const auto spec = one_parameter("random", "learning_rate", R"({"min": 0.0001, "max": 0.1})");
    EXPECT_EQ(spec.parameters[0].distribution, Distribution::uniform);
    EXPECT_DOUBLE_EQ(spec.parameters[0].max, 0.1);
}

TEST(SweepParser, EveryNamedDistribution) {
    struct Case {
        const char* name;
        const char* body;
        Distribution expected;
    };
    const Case cases[] = {
        {"learning_rate", R"({"distribution": "constant", "value": 0.002})", Distribution::constant},
        {"batch_size", R"({"distribution": "categorical", "values": [8, 16]})", Distribution::categorical},
        {"batch_size", R"({"distribution": "int_uniform", "min": 8, "max": 32})", Distribution::int_uniform},
        {"learning_rate", R"({"distribution": "uniform", "min": 0.001, "max": 0.01})", Distribution::uniform},
        {"batch_size", R"({"distribution": "q_uniform", "min": 8, "max": 64, "q": 8})", Distribution::q_uniform},
        {"learning_rate", R"({"distribution": "log_uniform", "min": -9.2, "max": -2.3})", Distribution::log_uniform},
        {"learning_rate", R"({"distribution": "log_uniform_values", "min": 1e-4, "max": 1e-1})",
         Distribution::log_uniform_values},
        {"batch_size", R"({"distribution": "q_log_uniform_values", "min": 8, "max": 256, "q": 8})",
         Distribution::q_log_uniform_values},
        {"min_delta", R"({"distribution": "normal", "mu": 0.5, "sigma": 0.1})", Distribution::normal},
        {"conv1x1_filters", R"({"distribution": "q_normal", "mu": 256, "sigma": 32, "q": 32})", Distribution::q_normal},
        {"learning_rate", R"({"distribution": "log_normal", "mu": -6.9, "sigma": 0.5})", Distribution::log_normal},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.body);
        const auto spec = one_parameter("random", c.name, c.body);
        EXPECT_EQ(spec.parameters[0].distribution, c.expected);
    }
}

TEST(SweepParser, DistributionDefaults) {
    const auto normal = one_parameter("random", "min_delta", R"({"distribution": "normal"})");
    EXPECT_EQ(normal.parameters[0].mu, 0);
    EXPECT_EQ(normal.parameters[0].sigma, 1);
    const auto q = one_parameter("random", "batch_size", R"({"distribution": "q_uniform", "min": 4, "max": 9})");
    EXPECT_EQ(q.parameters[0].q, 1);
}

TEST(SweepParser, ListAndBooleanKeysTakeValues) {
    const auto spec = parse_json_sweep(R"({"method": "grid", "parameters": {
        "encoder_filters": {"values": [[32, 64], [64, 128]]},
        "decoder_filters": {"value": [64, 32]},
        "flip": {"values": [true, false]}}})");
    ASSERT_EQ(spec.parameters.size(), 3u);
    EXPECT_EQ(spec.parameters[0].name, "decoder_filters");  // sorted by name
    EXPECT_EQ(spec.parameters[1].values[1], nlohmann::json({64, 128}));
    EXPECT_EQ(spec.parameters[2].values[0], true);
}

TEST(SweepParser, TopLevelKeysAndDefaults) {
    const auto spec = parse_json_sweep(R"({"method": "grid", "parameters": {"batch_size": {"value": 32}}})");
    EXPECT_EQ(spec.name, "test");  // the file's stem
    EXPECT_EQ(spec.method, SearchMethod::grid);
    EXPECT_EQ(spec.metric.name, "final_score");
    EXPECT_EQ(spec.metric.goal, MetricGoal::maximize);
    EXPECT_FALSE(spec.metric.target);
    EXPECT_EQ(spec.early_terminate.type, EarlyTerminateType::none);
    EXPECT_FALSE(spec.run_cap);
    EXPECT_EQ(spec.max_restarts, 3);
    EXPECT_EQ(spec.seed, 0u);
    EXPECT_EQ(spec.resources.gpus_per_trial, 1);
    EXPECT_EQ(spec.resources.cpus_per_rank, 1);
    EXPECT_TRUE(spec.warnings.empty());

    const auto full = parse_json_sweep(R"({"name": "n", "description": "d", "method": "random", "run_cap": 7,
        "metric": {"name": "val_loss", "target": 0.05}, "data": "/data/followme",
        "resources": {"gpus_per_trial": 2, "cpus_per_rank": 3}, "max_restarts": 0, "seed": 11,
        "early_terminate": {"type": "median", "grace_period": 2, "min_trials": 4},
        "parameters": {"batch_size": {"values": [16, 32]}}})");
    EXPECT_EQ(full.name, "n");
    EXPECT_EQ(full.description, "d");
    EXPECT_EQ(*full.run_cap, 7);
    EXPECT_EQ(full.metric.goal, MetricGoal::minimize);  // val_loss is minimised
    EXPECT_DOUBLE_EQ(*full.metric.target, 0.05);
    EXPECT_EQ(full.data, "/data/followme");
    EXPECT_EQ(full.resources.gpus_per_trial, 2);
    EXPECT_EQ(full.resources.cpus_per_rank, 3);
    EXPECT_EQ(full.max_restarts, 0);
    EXPECT_EQ(full.seed, 11u);
    EXPECT_EQ(full.early_terminate.type, EarlyTerminateType::median);
    EXPECT_EQ(full.early_terminate.median.grace_period, 2);
    EXPECT_EQ(full.early_terminate.median.min_trials, 4);
}

TEST(SweepParser, HyperbandForms) {
    const auto by_min = parse_json_sweep(R"({"method": "grid", "parameters": {"batch_size": {"value": 8}},
        "early_terminate": {"type": "hyperband", "min_iter": 3}})");
    EXPECT_EQ(by_min.early_terminate.type, EarlyTerminateType::hyperband);
    EXPECT_EQ(by_min.early_terminate.hyperband.min_iter, 3);
    EXPECT_EQ(by_min.early_terminate.hyperband.eta, 3);
    EXPECT_TRUE(by_min.early_terminate.hyperband.strict);

    const auto by_max = parse_json_sweep(R"({"method": "grid", "parameters": {"batch_size": {"value": 8}},
        "early_terminate": {"type": "hyperband", "max_iter": 27, "s": 2, "eta": 2, "strict": false}})");
    EXPECT_EQ(by_max.early_terminate.hyperband.max_iter, 27);
    EXPECT_EQ(by_max.early_terminate.hyperband.s, 2);
    EXPECT_EQ(by_max.early_terminate.hyperband.eta, 2);
    EXPECT_FALSE(by_max.early_terminate.hyperband.strict);
}

TEST(SweepParser, WandbKeysAreIgnoredWithAWarning) {
    const auto spec = parse_json_sweep(R"({"program": "train.py", "project": "p", "entity": "e",
        "controller": {"type": "local"}, "command": ["${env}", "${program}"], "job": "j", "image_uri": "u",
        "method": "grid", "parameters": {"batch_size": {"value": 8}}})");
    ASSERT_EQ(spec.warnings.size(), 7u);
    EXPECT_NE(spec.warnings[0].find("W&B key that segsweep ignores"), std::string::npos);
}

TEST(SweepParser, YamlAndJsonGiveTheSameSpec) {
    const auto from_json = parse_sweep_text(R"({"method": "random", "run_cap": 4, "seed": 3,
        "metric": {"name": "val_iou", "goal": "maximize"},
        "parameters": {"learning_rate": {"distribution": "log_uniform_values", "min": 1e-5, "max": 0.1},
                       "batch_size": {"values": [16, 32]}, "flip": {"value": true}},
        "early_terminate": {"type": "hyperband", "min_iter": 2}})",
                                            SweepFormat::json, "same.json");
    const auto from_yaml = parse_sweep_text(R"(
method: random
run_cap: 4
seed: 3
metric: {name: val_iou, goal: maximize}
parameters:
  learning_rate: {distribution: log_uniform_values, min: 1e-5, max: 0.1}   # 1e-5: a number here
  batch_size:
    values: [16, 32]
  flip: {value: true}
early_terminate: {type: hyperband, min_iter: 2}
)",
                                            SweepFormat::yaml, "same.yaml");
    EXPECT_EQ(to_json(from_json), to_json(from_yaml));
}

TEST(SweepParser, YamlQuotedScalarsStayStrings) {
    const std::string message =
        testing::error_message([] { parse_yaml_sweep("method: grid\nparameters:\n  batch_size: {value: \"32\"}\n"); });
    EXPECT_NE(message.find("parameters.batch_size.value: batch_size takes an integer, got a string"), std::string::npos)
        << message;
}

TEST(SweepParser, FormatDetection) {
    EXPECT_EQ(sweep_format_for("a.json", "method: grid"), SweepFormat::json);
    EXPECT_EQ(sweep_format_for("a.yml", "{}"), SweepFormat::yaml);
    EXPECT_EQ(sweep_format_for("a.yaml", "{}"), SweepFormat::yaml);
    EXPECT_EQ(sweep_format_for("submitted", "  {\"method\": 1}"), SweepFormat::json);
    EXPECT_EQ(sweep_format_for("submitted", "method: grid"), SweepFormat::yaml);
}

TEST(SweepParser, NormalisedJsonHasEveryKey) {
    const auto spec = parse_json_sweep(R"({"method": "grid", "parameters": {"batch_size": {"values": [8, 16]}}})");
    const auto j = to_json(spec);
    for (const char* key : {"name", "description", "method", "metric", "parameters", "early_terminate", "data",
                            "resources", "max_restarts", "seed"})
        EXPECT_TRUE(j.contains(key)) << key;
    EXPECT_EQ(j["parameters"]["batch_size"]["distribution"], "categorical");
}

}  // namespace
}  // namespace segsweep
