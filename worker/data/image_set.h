// Reading a Follow-Me dataset in the original Udacity layout into memory:
//   <root>/train/{images/*.jpeg, masks/*.png}
//   <root>/validation/{images,masks}
//   <root>/sample_evaluation_data/{following_images,patrol_non_targ,patrol_with_targ}/{images,masks}
// Images and masks pair by sorted file name order (as the original zips two sorted globs); the
// counts must match. Every image and mask is decoded, checked and resized to image_size x image_size
// with PIL's bilinear filter (pil_resize.h), exactly as the original loader's scipy imresize.
// Masks are one-hot RGB: channel 0 (red) background, 1 (green) other people, 2 (blue) the hero;
// every file pixel must be exactly (255,0,0), (0,255,0) or (0,0,255), and is clipped to 0/1 before
// the resize. Bad input (missing folder, unreadable or truncated file, a stray mask colour, images
// or masks of different sizes, count mismatch) throws segsweep::Error naming the file and problem.
//
// Loading goes through the decoded cache (decoded_cache.h): the first load of a split at a size
// decodes the files and writes a packed uint8 file; later loads read that file back while the
// files' names, sizes and modification times are unchanged.
//
// Torch-free: batch_loader.h turns an ImageSet into training tensors.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace segsweep {

inline constexpr int kNumClasses = 3;            // background, other people, hero
inline constexpr int kBackgroundChannel = 0;     // red in the mask files
inline constexpr int kPeopleChannel = 1;         // green
inline constexpr int kHeroChannel = 2;           // blue
inline constexpr int kDefaultImageSize = 160;    // px; the original notebook's image_hw

inline constexpr const char* kTrainSplit = "train";
inline constexpr const char* kValidationSplit = "validation";
inline constexpr const char* kEvaluationFolder = "sample_evaluation_data";
inline constexpr const char* kFollowingImages = "following_images";  // hero large, near the centre
inline constexpr const char* kPatrolNonTarg = "patrol_non_targ";      // no hero, other people
inline constexpr const char* kPatrolWithTarg = "patrol_with_targ";    // hero far away, small
// The evaluation sets in the order the Udacity notebook scores them.
inline constexpr std::array<const char*, 3> kEvaluationSetNames = {kFollowingImages, kPatrolNonTarg,
                                                                   kPatrolWithTarg};
inline constexpr const char* kImagesFolder = "images";  // *.jpeg
inline constexpr const char* kMasksFolder = "masks";    // *.png

// One split (or one evaluation set) in memory, resized to size x size.
struct ImageSet {
    std::string name;              // folder name: "train", "validation", "following_images", ...
    std::filesystem::path dir;     // the folder holding images/ and masks/
    int count = 0;                 // image/mask pairs
    int size = 0;                  // side after resize, px
    int file_width = 0;            // side of the files on disk (all equal), px
    int file_height = 0;
    std::vector<uint8_t> images;   // count*size*size*3: RGB, HWC per image, uint8 as PIL resized it
    std::vector<uint8_t> masks;    // count*size*size*3: one-hot 0/1 per channel, HWC, after resize
    std::vector<std::string> image_files;  // file names (no folder), sorted; pairs with mask_files by index
    std::vector<std::string> mask_files;

    size_t values_per_item() const { return static_cast<size_t>(size) * size * 3; }
    const uint8_t* image(int index) const { return images.data() + values_per_item() * index; }
    const uint8_t* mask(int index) const { return masks.data() + values_per_item() * index; }
};

struct LoadOptions {
    bool use_cache = true;              // read/write the decoded cache (decoded_cache.h)
    std::filesystem::path cache_dir;    // empty: default_cache_dir()
    int threads = 0;                    // decode threads when the cache is cold; 0 = all cores
};

// The sorted image and mask files of one set folder. Throws when a folder is missing, empty, or
// the counts differ (the message names both folders and both counts).
struct SetFiles {
    std::vector<std::filesystem::path> images;
    std::vector<std::filesystem::path> masks;
};
SetFiles list_set_files(const std::filesystem::path& set_dir);

// Decodes, checks and resizes every pair of `set_dir` (no cache). image_size >= 1.
ImageSet decode_image_set(const std::filesystem::path& set_dir, int image_size, int threads = 0);

// The same through the decoded cache: identical contents, faster when warm.
ImageSet load_image_set(const std::filesystem::path& set_dir, int image_size, const LoadOptions& options = {});

// Which parts of a dataset root to load.
struct SplitSelection {
    bool train = true;
    bool validation = true;
    bool evaluation = true;
};

// A whole dataset root at one image size. Unselected parts stay empty (count 0).
struct FollowMeData {
    ImageSet train;
    ImageSet validation;
    std::vector<ImageSet> evaluation;   // in kEvaluationSetNames order when loaded

    // Throws segsweep::Error when the set is not loaded.
    const ImageSet& evaluation_set(const std::string& name) const;
};

FollowMeData load_follow_me_data(const std::filesystem::path& root, int image_size,
                                 const SplitSelection& splits = {}, const LoadOptions& options = {});

// <root>/sample_evaluation_data, or root itself when it directly holds the three evaluation sets
// (so `segsweep score --truth` takes either). Throws when neither holds following_images/.
std::filesystem::path evaluation_root(const std::filesystem::path& root);

}  // namespace segsweep
