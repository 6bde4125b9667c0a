// Sweep file errors: each refuses the whole file with one message naming the file and key path.
#include <gtest/gtest.h>

#include "sweeps/sweep_parser.h"
#include "sweeps/trial_planner.h"
#include "tests/sweeps/sweep_test_support.h"

namespace segsweep {
namespace {

using testing::error_message;
using testing::json_sweep_error;

// Asserts that the message contains `expected` (and starts with the file name).
void expect_message(const std::string& message, const std::string& expected) {
    EXPECT_EQ(message.rfind("test.", 0), 0u) << message;
    EXPECT_NE(message.find(expected), std::string::npos) << "message: " << message << "\nexpected: " << expected;
}

TEST(SweepErrors, BadJson) {
    const std::string message = json_sweep_error("{\"method\": \"grid\",\n \"parameters\": {\n}");
    expect_message(message, "test.json: bad JSON: parse error at line 3");
}

TEST(SweepErrors, BadYaml) {
    const std::string message =
        error_message([] { testing::parse_yaml_sweep("method: grid\nparameters: [a, b\n  c: d\n"); });
    expect_message(message, "bad YAML");
    expect_message(message, "test.yaml:");
}

TEST(SweepErrors, NotAnObject) { expect_message(json_sweep_error("[1, 2]"), "the sweep file must be an object"); }

TEST(SweepErrors, UnknownTopLevelKeyListsTheValidOnes) {
    expect_message(json_sweep_error(R"({"method": "grid", "paramters": {}})"),
                   "paramters: unknown key (valid: data, description, early_terminate, max_restarts, method, metric, "
                   "name, parameters, resources, run_cap, seed)");
}

TEST(SweepErrors, UnknownKeyInsideAParameter) {
    expect_message(json_sweep_error(R"({"method": "random", "run_cap": 2,
        "parameters": {"learning_rate": {"min": 0.001, "max": 0.01, "mean": 3}}})"),
                   "parameters.learning_rate.mean: unknown key (valid: distribution, min, max)");
}

TEST(SweepErrors, UnknownParameterListsTheTrialConfigKeys) {
    expect_message(json_sweep_error(R"({"method": "grid", "parameters": {"lr": {"value": 0.1}}})"),
                   "parameters.lr: unknown parameter (valid: batch_size, conv1x1_filters");
}

TEST(SweepErrors, WrongTypes) {
    expect_message(
        json_sweep_error(R"({"method": "grid", "run_cap": "ten", "parameters": {"batch_size": {"value": 8}}})"),
        "run_cap: expected an integer, got a string");
    expect_message(json_sweep_error(R"({"method": 3, "parameters": {"batch_size": {"value": 8}}})"),
                   "method: expected a string, got an integer");
    expect_message(json_sweep_error(R"({"method": "grid", "parameters": {"batch_size": {"values": [8, "x"]}}})"),
                   "parameters.batch_size.values[1]: batch_size takes an integer, got a string");
    expect_message(json_sweep_error(R"({"method": "grid", "parameters": {"batch_size": {"value": 8.5}}})"),
                   "parameters.batch_size.value: expected an integer, got 8.5");
    expect_message(json_sweep_error(R"({"method": "grid", "parameters": {"flip": {"value": 1}}})"),
                   "parameters.flip.value: flip takes true or false, got an integer");
    expect_message(json_sweep_error(R"({"method": "grid", "parameters": {"batch_size": 8}})"),
                   "parameters.batch_size: expected an object");
    expect_message(json_sweep_error(R"({"method": "random", "run_cap": 2,
        "parameters": {"learning_rate": {"min": "small", "max": 0.1}}})"),
                   "parameters.learning_rate.min: expected a number, got a string");
}

TEST(SweepErrors, MinGreaterThanMax) {
    expect_message(json_sweep_error(R"({"method": "random", "run_cap": 2,
        "parameters": {"learning_rate": {"min": 0.1, "max": 0.01}}})"),
                   "parameters.learning_rate.min: 0.1 is greater than max (0.01)");
}

TEST(SweepErrors, EmptyValues) {
    expect_message(json_sweep_error(R"({"method": "grid", "parameters": {"batch_size": {"values": []}}})"),
                   "parameters.batch_size.values: empty list");
    expect_message(json_sweep_error(R"({"method": "grid", "parameters": {}})"), "parameters: empty");
}

TEST(SweepErrors, NonPositiveLogValues) {
    expect_message(json_sweep_error(R"({"method": "random", "run_cap": 2, "parameters": {
        "learning_rate": {"distribution": "log_uniform_values", "min": 0, "max": 0.1}}})"),
                   "parameters.learning_rate.min: must be > 0 for log_uniform_values (got 0)");
    expect_message(json_sweep_error(R"({"method": "random", "run_cap": 2, "parameters": {
        "batch_size": {"distribution": "q_log_uniform_values", "min": -8, "max": 64, "q": 8}}})"),
                   "parameters.batch_size.min: must be > 0 for q_log_uniform_values");
    expect_message(json_sweep_error(R"({"method": "random", "run_cap": 2, "parameters": {
        "learning_rate": {"distribution": "log_normal", "mu": -5, "sigma": 0}}})"),
                   "parameters.learning_rate.sigma: must be > 0");
}

TEST(SweepErrors, ContinuousDistributionUnderGrid) {
    expect_message(json_sweep_error(R"({"method": "grid", "parameters": {
        "learning_rate": {"distribution": "log_uniform_values", "min": 0.0001, "max": 0.1}}})"),
                   "parameters.learning_rate: method grid needs a finite set of values, and log_uniform_values is "
                   "continuous");
    expect_message(
        json_sweep_error(R"({"method": "grid", "parameters": {"learning_rate": {"min": 0.001, "max": 0.1}}})"),
        "uniform is continuous");
}

TEST(SweepErrors, UnknownDistribution) {
    expect_message(json_sweep_error(R"({"method": "random", "run_cap": 2, "parameters": {
        "learning_rate": {"distribution": "beta", "min": 0, "max": 1}}})"),
                   "parameters.learning_rate.distribution: unknown distribution 'beta' (valid: constant, categorical");
}

TEST(SweepErrors, RealDistributionForAnIntegerKey) {
    expect_message(json_sweep_error(R"({"method": "random", "run_cap": 2, "parameters": {
        "batch_size": {"distribution": "uniform", "min": 8, "max": 64}}})"),
                   "parameters.batch_size: batch_size takes integers but uniform gives real numbers");
}

TEST(SweepErrors, ValueOutOfTheKeysRange) {
    expect_message(json_sweep_error(R"({"method": "grid", "parameters": {"batch_size": {"values": [8, 0]}}})"),
                   "parameters.batch_size.values[1]: 0 is not a valid batch_size (batch_size: must be >= 1)");
    expect_message(json_sweep_error(R"({"method": "random", "run_cap": 2,
        "parameters": {"learning_rate": {"min": 0.0, "max": 0.1}}})"),
                   "parameters.learning_rate.min: 0.0 is not a valid learning_rate");
}

TEST(SweepErrors, Probabilities) {
    expect_message(json_sweep_error(R"({"method": "random", "run_cap": 2, "parameters": {
        "batch_size": {"values": [8, 16], "probabilities": [0.5, 0.6]}}})"),
                   "parameters.batch_size.probabilities: must sum to 1");
    expect_message(json_sweep_error(R"({"method": "random", "run_cap": 2, "parameters": {
        "batch_size": {"values": [8, 16], "probabilities": [1.0]}}})"),
                   "parameters.batch_size.probabilities: has 1 entries for 2 values");
}

TEST(SweepErrors, IncompleteForms) {
    expect_message(json_sweep_error(R"({"method": "random", "run_cap": 2, "parameters": {"batch_size": {"min": 8}}})"),
                   "parameters.batch_size: min and max go together (max is missing)");
    expect_message(json_sweep_error(R"({"method": "random", "run_cap": 2, "parameters": {"batch_size": {}}})"),
                   "parameters.batch_size: expected one of {value: V}");
    expect_message(json_sweep_error(R"({"method": "random", "run_cap": 2, "parameters": {
        "learning_rate": {"distribution": "uniform", "min": 0.1}}})"),
                   "parameters.learning_rate.max: required for uniform");
    expect_message(json_sweep_error(R"({"method": "grid", "parameters": {"batch_size": {"parameters": {}}}})"),
                   "parameters.batch_size.parameters: nested parameters are not supported");
}

TEST(SweepErrors, MethodAndRunCap) {
    expect_message(json_sweep_error(R"({"parameters": {"batch_size": {"value": 8}}})"), "method: required");
    expect_message(json_sweep_error(R"({"method": "hill", "parameters": {"batch_size": {"value": 8}}})"),
                   "method: unknown method 'hill' (valid: grid, random, bayes)");
    expect_message(json_sweep_error(R"({"method": "random", "parameters": {"batch_size": {"values": [8]}}})"),
                   "run_cap: required for method random");
    expect_message(json_sweep_error(R"({"method": "bayes", "parameters": {"batch_size": {"values": [8]}}})"),
                   "run_cap: required for method bayes");
    expect_message(json_sweep_error(R"({"method": "grid", "run_cap": 0, "parameters": {"batch_size": {"value": 8}}})"),
                   "run_cap: must be between 1 and");
}

TEST(SweepErrors, Metric) {
    expect_message(json_sweep_error(R"({"method": "grid", "metric": {"name": "accuracy"},
        "parameters": {"batch_size": {"value": 8}}})"),
                   "metric.name: unknown metric 'accuracy' (valid: val_loss, val_iou, final_score, final_iou)");
    expect_message(json_sweep_error(R"({"method": "grid", "metric": {"name": "val_iou", "goal": "minimize"},
        "parameters": {"batch_size": {"value": 8}}})"),
                   "metric.goal: val_iou is maximized");
    expect_message(json_sweep_error(R"({"method": "grid", "metric": {"goal": "maximize"},
        "parameters": {"batch_size": {"value": 8}}})"),
                   "metric.name: required");
}

TEST(SweepErrors, EarlyTerminate) {
    const std::string head = R"({"method": "grid", "parameters": {"batch_size": {"value": 8}}, "early_terminate": )";
    expect_message(json_sweep_error(head + R"({"type": "asha"}})"),
                   "early_terminate.type: unknown type 'asha' (valid: hyperband, median, none)");
    expect_message(json_sweep_error(head + R"({"type": "hyperband"}})"),
                   "early_terminate: hyperband needs min_iter, or max_iter with s");
    expect_message(json_sweep_error(head + R"({"type": "hyperband", "max_iter": 27}})"),
                   "early_terminate.s: required with max_iter");
    expect_message(json_sweep_error(head + R"({"type": "hyperband", "min_iter": 3, "max_iter": 27, "s": 2}})"),
                   "give either min_iter, or max_iter with s, not both");
    expect_message(json_sweep_error(head + R"({"type": "hyperband", "min_iter": 3, "eta": 1}})"),
                   "early_terminate.eta: must be > 1");
    expect_message(json_sweep_error(head + R"({"type": "hyperband", "max_iter": 2, "s": 1}})"),
                   "gives no band of at least 1 epoch");
    expect_message(json_sweep_error(head + R"({"type": "median", "grace_period": 0}})"),
                   "early_terminate.grace_period: must be between 1 and");
}

TEST(SweepErrors, BatchSizeMustDivideAcrossRanks) {
    expect_message(json_sweep_error(R"({"method": "grid", "resources": {"gpus_per_trial": 4},
        "parameters": {"batch_size": {"values": [16, 30]}}})"),
                   "parameters.batch_size.values[1]: 30 is not divisible by resources.gpus_per_trial (4)");
    expect_message(json_sweep_error(R"({"method": "grid", "resources": {"gpus_per_trial": 3},
        "parameters": {"learning_rate": {"value": 0.01}}})"),
                   "resources.gpus_per_trial: 3 does not divide batch_size 64 (the default)");
    expect_message(json_sweep_error(R"({"method": "grid", "resources": {"gpus": 3},
        "parameters": {"learning_rate": {"value": 0.01}}})"),
                   "resources.gpus: unknown key (valid: gpus_per_trial, cpus_per_rank)");
}

TEST(SweepErrors, OversizedInputIsRefusedNotExpanded) {
    // A grid axis of a billion values is refused before anything is allocated.
    const auto huge = testing::parse_json_sweep(R"({"method": "grid", "run_cap": 5,
        "parameters": {"seed": {"min": 0, "max": 1000000000}}})");
    const std::string grid = error_message([&] { plan_trials(huge); });
    EXPECT_NE(grid.find("parameters.seed: int_uniform gives 1000000001 grid values, more than 1000000"),
              std::string::npos)
        << grid;
    // YAML nested without end, and an alias bomb (each level doubles the nodes).
    std::string deep = "method: grid\nparameters:\n  batch_size: {values: ";
    for (int i = 0; i < 200; ++i) deep += "[";
    for (int i = 0; i < 200; ++i) deep += "]";
    deep += "}\n";
    expect_message(error_message([&] { testing::parse_yaml_sweep(deep); }), "bad YAML: nested deeper than 64 levels");
    std::string bomb = "a0: &a0 [x, x]\n";
    for (int i = 1; i <= 30; ++i) {
        const std::string name = std::to_string(i), previous = std::to_string(i - 1);
        bomb.append("a").append(name).append(": &a").append(name);
        bomb.append(" [*a").append(previous).append(", *a").append(previous).append("]\n");
    }
    bomb += "method: grid\n";
    expect_message(error_message([&] { testing::parse_yaml_sweep(bomb); }), "bad YAML: more than 100000 nodes");
}

TEST(SweepErrors, UnreadableFile) {
    const std::string message = error_message([] { parse_sweep_file("/nonexistent/sweep.yaml"); });
    EXPECT_EQ(message, "/nonexistent/sweep.yaml: cannot open the sweep file");
}

}  // namespace
}  // namespace segsweep
