// The decoded cache: same bytes as a direct decode, actually read when warm, rebuilt when a file
// changes, and never in the way when it cannot be written.
#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "tests/data/test_helpers.h"
#include "worker/data/decoded_cache.h"
#include "worker/data/image_set.h"

namespace segsweep {
namespace {

namespace fs = std::filesystem;

class DecodedCache : public ::testing::Test {
protected:
    void SetUp() override {
        fs::copy(testing::tiny_synthetic_dataset() / "train", set_dir(), fs::copy_options::recursive);
        options_.cache_dir = dir_.path() / "cache";
        options_.threads = 2;
    }
    fs::path set_dir() const { return dir_.path() / "train"; }
    fs::path cache_file() const { return cache_file_path(options_.cache_dir, set_dir(), 32); }

    testing::ScratchDir dir_{"cache"};
    LoadOptions options_;
};

TEST_F(DecodedCache, GivesTheSameSetAsADirectDecodeColdAndWarm) {
    const ImageSet direct = decode_image_set(set_dir(), 32, 1);
    ASSERT_FALSE(fs::exists(cache_file()));
    const ImageSet cold = load_image_set(set_dir(), 32, options_);
    ASSERT_TRUE(fs::exists(cache_file()));
    const ImageSet warm = load_image_set(set_dir(), 32, options_);
    for (const ImageSet* set : {&cold, &warm}) {
        EXPECT_EQ(set->count, direct.count);
        EXPECT_EQ(set->size, direct.size);
        EXPECT_EQ(set->file_width, direct.file_width);
        EXPECT_EQ(set->file_height, direct.file_height);
        EXPECT_EQ(set->images, direct.images);
        EXPECT_EQ(set->masks, direct.masks);
        EXPECT_EQ(set->image_files, direct.image_files);
        EXPECT_EQ(set->mask_files, direct.mask_files);
        EXPECT_EQ(set->name, "train");
    }
    // One cache file per size.
    load_image_set(set_dir(), 16, options_);
    EXPECT_TRUE(fs::exists(cache_file_path(options_.cache_dir, set_dir(), 16)));
}

TEST_F(DecodedCache, WarmLoadReadsTheCacheFileInsteadOfDecoding) {
    load_image_set(set_dir(), 32, options_);
    // Mark the cached payload: a load that returns the mark came from the cache.
    const size_t header = fs::file_size(cache_file()) - 2 * 6 * 32 * 32 * 3;
    {
        std::fstream file(cache_file(), std::ios::in | std::ios::out | std::ios::binary);
        file.seekp(static_cast<std::streamoff>(header));
        file.put(static_cast<char>(0xAB));
    }
    EXPECT_EQ(load_image_set(set_dir(), 32, options_).images[0], 0xAB);
}

TEST_F(DecodedCache, ChangedFilesInvalidateTheCache) {
    const ImageSet first = load_image_set(set_dir(), 32, options_);
    const uint64_t key = cache_key(list_set_files(set_dir()), 32);
    // A newer modification time on one image: the key changes and the load decodes again.
    const fs::path image = set_dir() / "images" / first.image_files[2];
    fs::last_write_time(image, fs::last_write_time(image) + std::chrono::seconds(5));
    EXPECT_NE(cache_key(list_set_files(set_dir()), 32), key);
    {
        std::fstream file(cache_file(), std::ios::in | std::ios::out | std::ios::binary);
        file.seekp(-1, std::ios::end);
        file.put(static_cast<char>(0x77));   // would show if the stale cache were used
    }
    const ImageSet second = load_image_set(set_dir(), 32, options_);
    EXPECT_EQ(second.masks, first.masks);
    EXPECT_EQ(second.images, first.images);
    // Removing a pair changes the key too.
    fs::remove(set_dir() / "images" / first.image_files[5]);
    fs::remove(set_dir() / "masks" / first.mask_files[5]);
    EXPECT_EQ(load_image_set(set_dir(), 32, options_).count, 5);
}

TEST_F(DecodedCache, ForeignOrShortFilesAreIgnored) {
    fs::create_directories(options_.cache_dir);
    std::ofstream(cache_file(), std::ios::binary) << "not a cache";
    const ImageSet set = load_image_set(set_dir(), 32, options_);
    EXPECT_EQ(set.images, decode_image_set(set_dir(), 32, 1).images);
    ImageSet scratch;
    EXPECT_FALSE(read_decoded_cache(dir_.path() / "missing.u8", 1, 32, scratch));
}

TEST_F(DecodedCache, UnwritableCacheLocationStillLoads) {
    std::ofstream(dir_.path() / "a-file") << "x";   // a file where the cache folder should be
    options_.cache_dir = dir_.path() / "a-file" / "cache";
    const ImageSet set = load_image_set(set_dir(), 32, options_);
    EXPECT_EQ(set.images, decode_image_set(set_dir(), 32, 1).images);
}

TEST(DecodedCacheLocation, EnvironmentChoosesTheDefault) {
    const char* saved = std::getenv("SEGSWEEP_CACHE_DIR");
    const std::string saved_value = saved ? saved : "";
    const char* saved_xdg = std::getenv("XDG_CACHE_HOME");
    const std::string saved_xdg_value = saved_xdg ? saved_xdg : "";
    setenv("SEGSWEEP_CACHE_DIR", "/somewhere/else", 1);
    EXPECT_EQ(default_cache_dir(), fs::path("/somewhere/else"));
    unsetenv("SEGSWEEP_CACHE_DIR");
    setenv("XDG_CACHE_HOME", "/xdg", 1);
    EXPECT_EQ(default_cache_dir(), fs::path("/xdg/segsweep"));
    if (saved) setenv("SEGSWEEP_CACHE_DIR", saved_value.c_str(), 1);
    if (saved_xdg)
        setenv("XDG_CACHE_HOME", saved_xdg_value.c_str(), 1);
    else
        unsetenv("XDG_CACHE_HOME");
    // Different folders never share a cache file, even with the same name.
    EXPECT_NE(cache_file_path("/c", "/a/train", 160), cache_file_path("/c", "/b/train", 160));
    EXPECT_NE(cache_file_path("/c", "/a/train", 160), cache_file_path("/c", "/a/train", 128));
}

}  // namespace
}  // namespace segsweep
