// The dataset reader on a generated tiny dataset and on hand-made sets: sizes, mask values,
// pairing by sorted order, the resize, the whole-root loader, and each bad-input error.
#include <gtest/gtest.h>

#include "common/error.h"
#include "tests/data/test_helpers.h"
#include "worker/data/dataset_check.h"
#include "worker/data/image_io.h"
#include "worker/data/image_set.h"
#include "worker/data/mask_io.h"
#include "worker/data/pil_resize.h"

namespace segsweep {
namespace {

namespace fs = std::filesystem;

std::string error_text(const std::function<void()>& call) {
    try {
        call();
    } catch (const Error& e) {
        return e.what();
    }
    return "(no error)";
}

TEST(ImageSet, LoadsTheTinyDatasetAtItsOwnSizeExactly) {
    const fs::path train = testing::tiny_synthetic_dataset() / "train";
    const ImageSet set = decode_image_set(train, 64, 2);
    ASSERT_EQ(set.count, 6);
    EXPECT_EQ(set.name, "train");
    EXPECT_EQ(set.file_width, 64);
    EXPECT_EQ(set.images.size(), 6u * 64 * 64 * 3);
    for (int i = 0; i < set.count; ++i) {
        const RgbImage image = read_jpeg(train / "images" / set.image_files[i]);
        const RgbImage mask = read_png(train / "masks" / set.mask_files[i]);
        EXPECT_TRUE(std::equal(image.pixels.begin(), image.pixels.end(), set.image(i)));
        // At the file size, every pixel is exactly one class, and it is the file's colour.
        for (size_t p = 0; p < mask.pixels.size(); p += 3) {
            ASSERT_EQ(set.mask(i)[p] + set.mask(i)[p + 1] + set.mask(i)[p + 2], 1);
            for (int c = 0; c < 3; ++c) ASSERT_EQ(set.mask(i)[p + c] * 255, mask.pixels[p + c]);
        }
    }
}

TEST(ImageSet, ResizesImagesAndMasksWithPilsBilinearFilter) {
    const fs::path train = testing::tiny_synthetic_dataset() / "train";
    const ImageSet set = decode_image_set(train, 40, 1);
    ASSERT_EQ(set.size, 40);
    for (int i = 0; i < set.count; ++i) {
        const RgbImage image = read_jpeg(train / "images" / set.image_files[i]);
        const RgbImage mask = read_one_hot_mask(train / "masks" / set.mask_files[i]);
        const auto image_resized = pil_resize_bilinear(image.pixels.data(), 64, 64, 3, 40, 40);
        const auto mask_resized = pil_resize_bilinear(mask.pixels.data(), 64, 64, 3, 40, 40);
        EXPECT_TRUE(std::equal(image_resized.begin(), image_resized.end(), set.image(i)));
        EXPECT_TRUE(std::equal(mask_resized.begin(), mask_resized.end(), set.mask(i)));
        for (size_t v = 0; v < set.values_per_item(); ++v) ASSERT_LE(set.mask(i)[v], 1);
    }
}

TEST(ImageSet, PairsImagesAndMasksBySortedNameOrderOnly) {
    testing::ScratchDir dir("pairing");
    const fs::path set_dir = dir.path() / "set";
    // Written out of order, and with names that do not match: only the sorted position pairs them.
    const std::string image_stems[] = {"b_run1cam1_00002", "a_run1cam1_00001", "c_run1cam1_00000"};
    const std::string mask_stems[] = {"m2", "m1", "m3"};
    const int classes[] = {1, 0, 2};
    for (int i = 0; i < 3; ++i)
        testing::write_pair(set_dir, image_stems[i], testing::gradient_image(16, 16, i),
                            mask_stems[i], testing::solid_mask(16, 16, classes[i]));
    const ImageSet set = decode_image_set(set_dir, 16);
    EXPECT_EQ(set.image_files, (std::vector<std::string>{"a_run1cam1_00001.jpeg", "b_run1cam1_00002.jpeg",
                                                         "c_run1cam1_00000.jpeg"}));
    EXPECT_EQ(set.mask_files, (std::vector<std::string>{"m1.png", "m2.png", "m3.png"}));
    // Image i pairs with mask i: m1 (background), m2 (people), m3 (hero).
    for (int i = 0; i < 3; ++i) EXPECT_EQ(set.mask(i)[i], 1) << i;
    const RgbImage a = read_jpeg(set_dir / "images" / "a_run1cam1_00001.jpeg");
    EXPECT_TRUE(std::equal(a.pixels.begin(), a.pixels.end(), set.image(0)));
}

TEST(ImageSet, LoadsAWholeRootWithSelectableSplits) {
    LoadOptions options;
    options.use_cache = false;
    const FollowMeData all = load_follow_me_data(testing::tiny_synthetic_dataset(), 32, {}, options);
    EXPECT_EQ(all.train.count, 6);
    EXPECT_EQ(all.validation.count, 3);
    ASSERT_EQ(all.evaluation.size(), 3u);
    EXPECT_EQ(all.evaluation[0].name, kFollowingImages);
    EXPECT_EQ(all.evaluation_set(kPatrolWithTarg).count, 2);
    EXPECT_EQ(all.evaluation_set(kPatrolNonTarg).count, 1);
    EXPECT_THROW(all.evaluation_set("nonsense"), Error);

    SplitSelection only_eval;
    only_eval.train = only_eval.validation = false;
    const FollowMeData eval = load_follow_me_data(testing::tiny_synthetic_dataset(), 32, only_eval, options);
    EXPECT_EQ(eval.train.count, 0);
    EXPECT_EQ(eval.evaluation.size(), 3u);
    EXPECT_EQ(evaluation_root(testing::tiny_synthetic_dataset()), testing::tiny_synthetic_dataset() / kEvaluationFolder);
    EXPECT_EQ(evaluation_root(testing::tiny_synthetic_dataset() / kEvaluationFolder),
              testing::tiny_synthetic_dataset() / kEvaluationFolder);
}

class BadInput : public ::testing::Test {
protected:
    void SetUp() override {
        for (int i = 0; i < 3; ++i)
            testing::write_pair(set_dir(), "img" + std::to_string(i), testing::gradient_image(16, 16, i),
                                "mask" + std::to_string(i), testing::solid_mask(16, 16, i % 3));
    }
    fs::path set_dir() const { return dir_.path() / "set"; }
    std::string load_error() {
        return error_text([&] { decode_image_set(set_dir(), 8, 1); });
    }
    testing::ScratchDir dir_{"bad-input"};
};

TEST_F(BadInput, MissingFoldersAreNamed) {
    EXPECT_NE(error_text([&] { decode_image_set(dir_.path() / "nope", 8); }).find("nope: folder not found"),
              std::string::npos);
    fs::remove_all(set_dir() / "masks");
    const std::string text = load_error();
    EXPECT_NE(text.find((set_dir() / "masks").string()), std::string::npos) << text;
    EXPECT_NE(text.find("folder not found"), std::string::npos) << text;
    EXPECT_THROW(load_follow_me_data(dir_.path() / "no-root", 8), Error);
}

TEST_F(BadInput, EmptyFolderIsAnError) {
    for (int i = 0; i < 3; ++i) fs::remove(set_dir() / "images" / ("img" + std::to_string(i) + ".jpeg"));
    EXPECT_NE(load_error().find("no .jpeg files"), std::string::npos);
}

TEST_F(BadInput, CountMismatchNamesBothFolders) {
    fs::remove(set_dir() / "masks" / "mask1.png");
    const std::string text = load_error();
    EXPECT_NE(text.find((set_dir() / "images").string()), std::string::npos) << text;
    EXPECT_NE(text.find((set_dir() / "masks").string()), std::string::npos) << text;
    EXPECT_NE(text.find("3 .jpeg"), std::string::npos) << text;
    EXPECT_NE(text.find("2 .png"), std::string::npos) << text;
}

TEST_F(BadInput, TruncatedImageIsNamed) {
    const fs::path file = set_dir() / "images" / "img1.jpeg";
    auto bytes = read_file_bytes(file);
    bytes.resize(bytes.size() - 40);
    write_file_bytes(file, bytes);
    const std::string text = load_error();
    EXPECT_NE(text.find(file.string()), std::string::npos) << text;
}

TEST_F(BadInput, StrayMaskColourIsNamed) {
    RgbImage mask = testing::solid_mask(16, 16, 0);
    mask.at(5, 6)[1] = 128;
    write_png(set_dir() / "masks" / "mask2.png", mask);
    const std::string text = load_error();
    EXPECT_NE(text.find("mask2.png"), std::string::npos) << text;
    EXPECT_NE(text.find("(255,128,0)"), std::string::npos) << text;
}

TEST_F(BadInput, MixedImageSizesAreNamed) {
    write_jpeg(set_dir() / "images" / "img2.jpeg", testing::gradient_image(20, 16, 2));
    std::string text = load_error();
    EXPECT_NE(text.find("img2.jpeg"), std::string::npos) << text;
    EXPECT_NE(text.find("20x16"), std::string::npos) << text;
    EXPECT_NE(text.find("mixed image sizes"), std::string::npos) << text;
}

TEST_F(BadInput, MaskOfAnotherSizeThanItsImageIsNamed) {
    write_png(set_dir() / "masks" / "mask0.png", testing::solid_mask(8, 8, 0));
    const std::string text = load_error();
    EXPECT_NE(text.find("mask0.png"), std::string::npos) << text;
    EXPECT_NE(text.find("8x8"), std::string::npos) << text;
}

TEST(DatasetCheck, CountsSetsAndClassSharesOfTheTinyDataset) {
    const DatasetReport report = check_dataset(testing::tiny_synthetic_dataset(), 2);
    ASSERT_EQ(report.sets.size(), 5u);
    const int expected[] = {6, 3, 3, 1, 2};
    for (size_t i = 0; i < 5; ++i) {
        EXPECT_EQ(report.sets[i].images, expected[i]) << report.sets[i].name;
        EXPECT_EQ(report.sets[i].width, 64);
        const double sum = report.sets[i].class_share[0] + report.sets[i].class_share[1] + report.sets[i].class_share[2];
        EXPECT_NEAR(sum, 1.0, 1e-12);
        EXPECT_GT(report.sets[i].class_share[0], 0.5);   // mostly background
    }
    EXPECT_EQ(report.sets[3].name, kPatrolNonTarg);
    EXPECT_EQ(report.sets[3].class_share[2], 0.0);       // never the hero
    EXPECT_EQ(report.sets[3].images_with_hero, 0);
    const std::string table = format_dataset_report(report);
    EXPECT_NE(table.find("patrol_with_targ"), std::string::npos);
}

TEST(DatasetCheck, FailsOnAMissingSplit) {
    testing::ScratchDir dir("check-missing");
    testing::write_pair(dir.path() / "train", "a", testing::gradient_image(8, 8, 0), "a", testing::solid_mask(8, 8, 0));
    const std::string text = error_text([&] { check_dataset(dir.path()); });
    EXPECT_NE(text.find("validation"), std::string::npos) << text;
}

}  // namespace
}  // namespace segsweep
