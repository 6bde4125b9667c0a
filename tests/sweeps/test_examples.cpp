// The shipped example sweep files parse and expand as documented.
#include <gtest/gtest.h>

#include "sweeps/sweep_metric.h"
#include "sweeps/sweep_parser.h"
#include "sweeps/sweep_preview.h"
#include "sweeps/trial_planner.h"

namespace segsweep {
namespace {

std::string example(const std::string& name) { return std::string(SEGSWEEP_SOURCE_DIR) + "/sweeps/examples/" + name; }

TEST(Examples, SeedGridIsTheSeedRecipeAndAGridAroundIt) {
    const SweepSpec spec = parse_sweep_file(example("seed_grid.json"));
    EXPECT_TRUE(spec.warnings.empty());
    const TrialPlan plan = plan_trials(spec);
    ASSERT_EQ(plan.trials.size(), 9u);
    bool has_seed_recipe = false;
    const std::string seed_hash = config_hash(seed_recipe_config());
    for (const auto& t : plan.trials) has_seed_recipe = has_seed_recipe || t.hash == seed_hash;
    EXPECT_TRUE(has_seed_recipe) << "the seed's own config (0.001, 64, 50, 65, 50) is one of the grid points";
}

TEST(Examples, QuickstartIsTiny) {
    const SweepSpec spec = parse_sweep_file(example("quickstart.json"));
    EXPECT_EQ(spec.data, "data/quickstart");
    const TrialPlan plan = plan_trials(spec);
    ASSERT_EQ(plan.trials.size(), 12u);
    for (const auto& t : plan.trials) {  // small enough for a minute of training on 2 cores
        EXPECT_EQ(t.config.image_size, 64);
        EXPECT_LE(t.config.num_epochs, 10);
        EXPECT_LE(t.config.encoder_filters.back(), 32);
    }
}

TEST(Examples, RandomSearchYaml) {
    const SweepSpec spec = parse_sweep_file(example("random_search.yaml"));
    EXPECT_EQ(spec.method, SearchMethod::random);
    EXPECT_EQ(spec.early_terminate.type, EarlyTerminateType::hyperband);
    const SweepPreview preview = make_sweep_preview(spec);
    EXPECT_EQ(preview.plan.trials.size(), 20u);
    ASSERT_EQ(preview.hyperband.rungs.size(), 3u);  // bands 3, 9, 27 below 30 epochs
    EXPECT_EQ(preview.hyperband.rungs[0].epoch, 3);
    EXPECT_EQ(preview.hyperband.epochs_without_stopping, 20 * 30);
    EXPECT_LT(preview.hyperband.epochs_with_full_rungs, preview.hyperband.epochs_without_stopping / 3);
}

TEST(Examples, BayesHyperbandYaml) {
    const SweepSpec spec = parse_sweep_file(example("bayes_hyperband.yaml"));
    EXPECT_TRUE(spec.warnings.empty());
    EXPECT_EQ(spec.method, SearchMethod::bayes);
    EXPECT_EQ(spec.run_cap, 27);
    EXPECT_EQ(spec.metric.name, "final_score");
    EXPECT_EQ(epoch_metric_name(spec.metric), "val_loss");  // what hyperband judges
    const SweepPreview preview = make_sweep_preview(spec);
    ASSERT_EQ(preview.hyperband.rungs.size(), 3u);  // bands 1, 3, 9 below 27 epochs
    EXPECT_EQ(preview.hyperband.rungs[0].epoch, 1);
    EXPECT_EQ(preview.hyperband.rungs[2].epoch, 9);
}

}  // namespace
}  // namespace segsweep
