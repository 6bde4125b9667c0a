// The synthetic generator: same seed, same bytes (whatever the thread count); the layout, formats
// and mask colours of the original; and the evaluation sets' character.
#include <gtest/gtest.h>

#include <cmath>

#include "common/error.h"
#include "tests/data/test_helpers.h"
#include "worker/data/dataset_check.h"
#include "worker/data/image_io.h"
#include "worker/data/image_set.h"
#include "worker/data/synth_dataset.h"
#include "worker/data/synth_scene.h"

namespace segsweep {
namespace {

namespace fs = std::filesystem;

constexpr int kScenesPerKind = 40;   // scenes per kind for the character checks (128 px: fast)

TEST(Synth, SameSeedSameSceneOtherSeedOtherScene) {
    const SceneImage a = render_scene(SceneKind::training, 42, 96);
    const SceneImage b = render_scene(SceneKind::training, 42, 96);
    const SceneImage c = render_scene(SceneKind::training, 43, 96);
    EXPECT_EQ(a.image.pixels, b.image.pixels);
    EXPECT_EQ(a.mask.pixels, b.mask.pixels);
    EXPECT_NE(a.image.pixels, c.image.pixels);
}

TEST(Synth, DatasetBytesDependOnlyOnTheSeed) {
    testing::ScratchDir dir("synth-determinism");
    SynthOptions options;
    options.seed = 99;
    options.train = 4;
    options.validation = 2;
    options.evaluation = 6;
    options.size = 48;
    options.out = dir.path() / "one";
    options.threads = 1;
    synthesize_dataset(options);
    options.out = dir.path() / "two";
    options.threads = 3;
    synthesize_dataset(options);
    options.out = dir.path() / "other";
    options.seed = 100;
    synthesize_dataset(options);
    int files = 0, differing = 0;
    for (const auto& entry : fs::recursive_directory_iterator(dir.path() / "one")) {
        if (!entry.is_regular_file()) continue;
        const fs::path relative = fs::relative(entry.path(), dir.path() / "one");
        EXPECT_EQ(read_file_bytes(entry.path()), read_file_bytes(dir.path() / "two" / relative)) << relative;
        differing += read_file_bytes(entry.path()) != read_file_bytes(dir.path() / "other" / relative);
        ++files;
    }
    EXPECT_EQ(files, 2 * (4 + 2 + 6));
    EXPECT_GT(differing, files / 2);
}

TEST(Synth, WritesTheOriginalLayoutAndFormats) {
    const fs::path root = testing::tiny_synthetic_dataset();
    EXPECT_TRUE(fs::exists(root / "train" / "images" / "0_run1cam1_00000.jpeg"));
    EXPECT_TRUE(fs::exists(root / "train" / "masks" / "0_run1_mask_00000.png"));
    EXPECT_TRUE(fs::exists(root / "sample_evaluation_data" / "patrol_with_targ" / "masks" / "0_run5_mask_00001.png"));
    // JPEG SOI marker; PNG colour type 2 (RGB), 8 bits: byte 24 is the bit depth, 25 the colour type.
    const auto jpeg = read_file_bytes(root / "validation" / "images" / "0_run2cam1_00002.jpeg");
    ASSERT_GT(jpeg.size(), 4u);
    EXPECT_EQ(jpeg[0], 0xFF);
    EXPECT_EQ(jpeg[1], 0xD8);
    const auto png = read_file_bytes(root / "validation" / "masks" / "0_run2_mask_00002.png");
    ASSERT_GT(png.size(), 26u);
    EXPECT_EQ(png[24], 8);
    EXPECT_EQ(png[25], 2);
    // Every mask pixel is one of the three colours (the check decodes every file).
    EXPECT_NO_THROW(check_dataset(root, 2));
}

TEST(Synth, RerunWithFewerImagesRemovesTheOlderExtraFilesAndRefusesForeignOnes) {
    testing::ScratchDir dir("synth-rerun");
    SynthOptions options;
    options.out = dir.path();
    options.train = 5;
    options.validation = 1;
    options.evaluation = 3;
    options.size = 32;
    synthesize_dataset(options);
    options.train = 2;
    synthesize_dataset(options);
    EXPECT_EQ(list_set_files(dir.path() / "train").images.size(), 2u);
    EXPECT_EQ(list_set_files(dir.path() / "train").masks.size(), 2u);
    write_file_bytes(dir.path() / "train" / "images" / "mine.jpeg", {1, 2, 3});
    try {
        synthesize_dataset(options);
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("mine.jpeg"), std::string::npos) << e.what();
    }
}

TEST(Synth, EvaluationCountsFollowTheOriginalProportions) {
    EXPECT_EQ(evaluation_counts(1134), (std::vector<int>{542, 270, 322}));
    EXPECT_EQ(evaluation_counts(6), (std::vector<int>{3, 1, 2}));
    EXPECT_THROW(evaluation_counts(2), Error);
    SynthOptions bad;
    bad.out = "/tmp/unused";
    bad.size = 8;
    EXPECT_THROW(synthesize_dataset(bad), Error);
}

struct KindStats {
    int with_hero = 0;          // > 3 hero pixels
    int with_people = 0;
    double hero_pixels = 0;     // mean over images with the hero
    double hero_centre_distance = 0;  // mean distance of the hero's centroid from the image centre, in sides
};

KindStats stats_of(SceneKind kind, int size) {
    KindStats stats;
    for (int i = 0; i < kScenesPerKind; ++i) {
        const SceneImage scene = render_scene(kind, 1000 + i, size);
        int people = 0;
        double sx = 0, sy = 0;
        for (int y = 0; y < size; ++y)
            for (int x = 0; x < size; ++x) {
                const uint8_t* m = scene.mask.at(x, y);
                people += m[1] == 255;
                if (m[2] == 255) {
                    sx += x;
                    sy += y;
                }
            }
        EXPECT_EQ(scene.mask.width, size);
        if (people > 0) ++stats.with_people;
        if (scene.hero_pixels > 3) {
            ++stats.with_hero;
            stats.hero_pixels += scene.hero_pixels;
            const double cx = sx / scene.hero_pixels / size - 0.5, cy = sy / scene.hero_pixels / size - 0.5;
            stats.hero_centre_distance += std::sqrt(cx * cx + cy * cy);
        }
    }
    if (stats.with_hero > 0) {
        stats.hero_pixels /= stats.with_hero;
        stats.hero_centre_distance /= stats.with_hero;
    }
    return stats;
}

TEST(Synth, EvaluationSetsKeepTheOriginalCharacter) {
    const int size = 128;
    const KindStats following = stats_of(SceneKind::following, size);
    const KindStats non_targ = stats_of(SceneKind::patrol_non_targ, size);
    const KindStats with_targ = stats_of(SceneKind::patrol_with_targ, size);
    // following: the hero in (almost) every image, large and near the centre.
    EXPECT_GE(following.with_hero, kScenesPerKind - 1);
    EXPECT_GT(following.hero_pixels, 0.015 * size * size);   // the original: 1457 px of 256x256 = 2.2%
    EXPECT_LT(following.hero_centre_distance, 0.15);
    // patrol_non_targ: never the hero, people (almost) always.
    EXPECT_EQ(non_targ.with_hero, 0);
    EXPECT_GE(non_targ.with_people, kScenesPerKind - 2);
    // patrol_with_targ: the hero mostly present but far smaller.
    EXPECT_GE(with_targ.with_hero, kScenesPerKind * 7 / 10);
    EXPECT_LT(with_targ.with_hero, kScenesPerKind);
    EXPECT_LT(with_targ.hero_pixels * 5, following.hero_pixels);
}

TEST(Synth, TrainingScenesMixHeroSizesAndEmptyOnes) {
    const KindStats training = stats_of(SceneKind::training, 96);
    EXPECT_GT(training.with_hero, kScenesPerKind / 4);
    EXPECT_LT(training.with_hero, kScenesPerKind * 9 / 10);
}

}  // namespace
}  // namespace segsweep
