// method bayes (TPE): deterministic under a seed, never repeats a config, respects run_cap and a
// used-up space, keeps parallel asks apart (constant liar), and on a synthetic objective finds a
// better best value than random search with the same number of trials and the same seeds.
#include <cmath>
#include <set>

#include <gtest/gtest.h>

#include "sweeps/tpe_search.h"
#include "tests/sweeps/sweep_test_support.h"

namespace segsweep {
namespace {

constexpr int kTrials = 40;  // trials per search in the comparison
constexpr int kSeeds = 6;    // seeds 1..6

std::string objective_sweep(const std::string& method, int seed) {
    return R"({"method": ")" + method + R"(", "run_cap": )" + std::to_string(kTrials) + R"(, "seed": )" +
           std::to_string(seed) + R"(, "metric": {"name": "final_score"}, "parameters": {
        "learning_rate": {"distribution": "log_uniform_values", "min": 1e-5, "max": 0.1},
        "min_delta": {"min": 0.0, "max": 1.0},
        "batch_size": {"values": [8, 16, 32, 64, 128]},
        "conv1x1_filters": {"distribution": "q_uniform", "min": 32, "max": 512, "q": 32}}})";
}

// A synthetic "final_score" (maximised, best 1.0 at lr 0.02, min_delta 0.83, batch 32, 416 filters).
double synthetic_score(const TrialConfig& c) {
    const double lr_term = std::pow(std::log10(c.learning_rate) - std::log10(0.02), 2) / 4;
    const double delta_term = 2 * std::pow(c.min_delta - 0.83, 2);
    const double batch_term = c.batch_size == 32 ? 0 : 0.15;
    const double filter_term = std::pow((c.conv1x1_filters - 416) / 480.0, 2);
    return 1.0 - lr_term - delta_term - batch_term - filter_term;
}

// Runs a bayes search to run_cap, one trial at a time; returns the configs in order.
std::vector<PlannedTrial> run_bayes(const SweepSpec& spec) {
    BayesSearch search(spec);
    std::vector<SearchObservation> observations;
    std::vector<PlannedTrial> trials;
    while (auto next = search.ask(observations)) {
        trials.push_back(*next);
        observations.push_back({next->config, true, synthetic_score(next->config)});
    }
    return trials;
}

double best_score(const std::vector<PlannedTrial>& trials) {
    double best = -1e9;
    for (const auto& t : trials) best = std::max(best, synthetic_score(t.config));
    return best;
}

TEST(TpeSearch, DeterministicUnderASeed) {
    const auto a = run_bayes(testing::parse_json_sweep(objective_sweep("bayes", 3)));
    const auto b = run_bayes(testing::parse_json_sweep(objective_sweep("bayes", 3)));
    const auto c = run_bayes(testing::parse_json_sweep(objective_sweep("bayes", 4)));
    ASSERT_EQ(a.size(), static_cast<size_t>(kTrials));
    ASSERT_EQ(b.size(), a.size());
    for (size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(a[i].hash, b[i].hash) << "trial " << i;
        EXPECT_EQ(a[i].index, static_cast<int>(i));
    }
    EXPECT_NE(a.front().hash, c.front().hash);
    std::set<std::string> distinct;
    for (const auto& t : a) distinct.insert(t.hash);
    EXPECT_EQ(distinct.size(), a.size());  // never a repeated config
}

TEST(TpeSearch, FindsABetterBestThanRandomSearch) {
    // Same budget (40 trials), same seeds (1..6), same parameter forms.
    int tpe_wins = 0;
    double tpe_total = 0, random_total = 0;
    for (int seed = 1; seed <= kSeeds; ++seed) {
        const double tpe = best_score(run_bayes(testing::parse_json_sweep(objective_sweep("bayes", seed))));
        const double random =
            best_score(plan_trials(testing::parse_json_sweep(objective_sweep("random", seed))).trials);
        tpe_total += tpe;
        random_total += random;
        tpe_wins += tpe > random;
        std::printf("seed %d: best score tpe %.4f, random %.4f\n", seed, tpe, random);
    }
    EXPECT_GT(tpe_total / kSeeds, random_total / kSeeds);
    EXPECT_GE(tpe_wins, kSeeds - 1);
}

TEST(TpeSearch, ConstantLiarKeepsParallelAsksApart) {
    const auto spec = testing::parse_json_sweep(objective_sweep("bayes", 9));
    BayesSearch search(spec);
    std::vector<SearchObservation> observations;
    // 12 finished trials, then 4 asks while the previous asks are still running.
    for (int i = 0; i < 12; ++i) {
        auto next = search.ask(observations);
        ASSERT_TRUE(next);
        observations.push_back({next->config, true, synthetic_score(next->config)});
    }
    std::set<std::string> running;
    for (int worker = 0; worker < 4; ++worker) {
        auto next = search.ask(observations);
        ASSERT_TRUE(next);
        EXPECT_TRUE(running.insert(next->hash).second);
        observations.push_back({next->config, false, std::nullopt});
    }
    // The same observations give the same answer: a restarted coordinator asks again safely.
    const auto again = search.ask(observations);
    const auto once_more = search.ask(observations);
    ASSERT_TRUE(again && once_more);
    EXPECT_EQ(again->hash, once_more->hash);
    EXPECT_EQ(running.count(again->hash), 0u);
}

TEST(TpeSearch, RunCapAndExhaustedSpace) {
    const auto capped = testing::parse_json_sweep(R"({"method": "bayes", "run_cap": 2, "parameters": {
        "learning_rate": {"min": 0.001, "max": 0.01}}})");
    BayesSearch search(capped);
    std::vector<SearchObservation> observations;
    for (int i = 0; i < 2; ++i) observations.push_back({search.ask(observations)->config, true, 0.5});
    EXPECT_FALSE(search.ask(observations));

    const auto finite = testing::parse_json_sweep(R"({"method": "bayes", "run_cap": 10, "parameters": {
        "batch_size": {"values": [8, 16]}, "decoder_convs": {"values": [1, 2]}}})");
    BayesSearch small(finite);
    std::vector<SearchObservation> seen;
    std::set<std::string> hashes;
    while (auto next = small.ask(seen)) {
        hashes.insert(next->hash);
        seen.push_back({next->config, true, static_cast<double>(next->config.batch_size)});
    }
    EXPECT_EQ(seen.size(), 4u);
    EXPECT_EQ(hashes.size(), 4u);
}

TEST(TpeSearch, FailedTrialsCountAsTheWorst) {
    // Trials without a value (diverged, failed) must not stall the search or be repeated.
    const auto spec = testing::parse_json_sweep(objective_sweep("bayes", 5));
    BayesSearch search(spec);
    std::vector<SearchObservation> observations;
    for (int i = 0; i < 20; ++i) {
        auto next = search.ask(observations);
        ASSERT_TRUE(next);
        const bool failed = i % 3 == 0;
        observations.push_back(
            {next->config, true, failed ? std::nullopt : std::optional<double>(synthetic_score(next->config))});
    }
    std::set<std::string> distinct;
    for (const auto& o : observations) distinct.insert(config_hash(o.config));
    EXPECT_EQ(distinct.size(), observations.size());
}

}  // namespace
}  // namespace segsweep
