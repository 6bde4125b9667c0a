// Reading image/mask sets: listing and pairing the files, decoding, checking and resizing them
// (in parallel), and loading through the decoded cache.
#include "worker/data/image_set.h"

#include <algorithm>
#include <cstring>

#include "common/error.h"
#include "common/log.h"
#include "worker/data/decoded_cache.h"
#include "worker/data/image_io.h"
#include "worker/data/mask_io.h"
#include "worker/data/parallel_for.h"
#include "worker/data/pil_resize.h"

namespace segsweep {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> sorted_files_with_extension(const fs::path& dir, const std::string& extension) {
    std::error_code error;
    if (!fs::is_directory(dir, error)) throw Error(dir.string() + ": folder not found");
    std::vector<fs::path> files;
    for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) {
        if (it->path().extension() == extension && !it->is_directory()) files.push_back(it->path());
    }
    if (error) throw Error(dir.string() + ": cannot list the folder: " + error.message());
    // sorted(glob(...)): byte order of the names (all files share the folder).
    std::sort(files.begin(), files.end(),
              [](const fs::path& a, const fs::path& b) { return a.filename().string() < b.filename().string(); });
    if (files.empty()) throw Error(dir.string() + ": no " + extension + " files");
    return files;
}

std::string size_text(int width, int height) { return std::to_string(width) + "x" + std::to_string(height); }

}  // namespace

SetFiles list_set_files(const fs::path& set_dir) {
    std::error_code error;
    if (!fs::is_directory(set_dir, error)) throw Error(set_dir.string() + ": folder not found");
    SetFiles files;
    files.images = sorted_files_with_extension(set_dir / kImagesFolder, ".jpeg");
    files.masks = sorted_files_with_extension(set_dir / kMasksFolder, ".png");
    if (files.images.size() != files.masks.size())
        throw Error("image/mask count mismatch: " + (set_dir / kImagesFolder).string() + " holds " +
                    std::to_string(files.images.size()) + " .jpeg files but " + (set_dir / kMasksFolder).string() +
                    " holds " + std::to_string(files.masks.size()) + " .png files");
    return files;
}

ImageSet decode_image_set(const fs::path& set_dir, int image_size, int threads) {
    if (image_size < 1) throw Error("image_size must be >= 1, got " + std::to_string(image_size));
    const SetFiles files = list_set_files(set_dir);
    ImageSet set;
    set.name = set_dir.filename().string();
    set.dir = set_dir;
    set.count = static_cast<int>(files.images.size());
    set.size = image_size;
    const size_t per_item = set.values_per_item();
    set.images.resize(per_item * set.count);
    set.masks.resize(per_item * set.count);
    std::vector<int> widths(set.count), heights(set.count), mask_widths(set.count), mask_heights(set.count);

    parallel_for(set.count, threads, [&](int i) {
        const RgbImage image = read_jpeg(files.images[i]);
        const RgbImage mask = read_one_hot_mask(files.masks[i]);
        widths[i] = image.width;
        heights[i] = image.height;
        mask_widths[i] = mask.width;
        mask_heights[i] = mask.height;
        const auto image_resized = pil_resize_bilinear(image.pixels.data(), image.width, image.height, 3,
                                                       image_size, image_size);
        const auto mask_resized = pil_resize_bilinear(mask.pixels.data(), mask.width, mask.height, 3,
                                                      image_size, image_size);
        std::memcpy(set.images.data() + per_item * i, image_resized.data(), per_item);
        std::memcpy(set.masks.data() + per_item * i, mask_resized.data(), per_item);
    });

    // Every image and mask of a set must have the first image's size.
    set.file_width = widths[0];
    set.file_height = heights[0];
    for (int i = 0; i < set.count; ++i) {
        if (widths[i] != set.file_width || heights[i] != set.file_height)
            throw Error(files.images[i].string() + ": image is " + size_text(widths[i], heights[i]) + " but " +
                        files.images[0].filename().string() + " is " + size_text(set.file_width, set.file_height) +
                        " (mixed image sizes in one set)");
        if (mask_widths[i] != set.file_width || mask_heights[i] != set.file_height)
            throw Error(files.masks[i].string() + ": mask is " + size_text(mask_widths[i], mask_heights[i]) +
                        " but its image " + files.images[i].filename().string() + " is " +
                        size_text(set.file_width, set.file_height));
    }
    for (const auto& file : files.images) set.image_files.push_back(file.filename().string());
    for (const auto& file : files.masks) set.mask_files.push_back(file.filename().string());
    return set;
}

ImageSet load_image_set(const fs::path& set_dir, int image_size, const LoadOptions& options) {
    if (!options.use_cache) return decode_image_set(set_dir, image_size, options.threads);
    if (image_size < 1) throw Error("image_size must be >= 1, got " + std::to_string(image_size));
    const SetFiles files = list_set_files(set_dir);
    const uint64_t key = cache_key(files, image_size);
    const fs::path cache_dir = options.cache_dir.empty() ? default_cache_dir() : options.cache_dir;
    const fs::path cache_file = cache_file_path(cache_dir, set_dir, image_size);

    ImageSet set;
    if (read_decoded_cache(cache_file, key, image_size, set)) {
        set.name = set_dir.filename().string();
        set.dir = set_dir;
        for (const auto& file : files.images) set.image_files.push_back(file.filename().string());
        for (const auto& file : files.masks) set.mask_files.push_back(file.filename().string());
        LOG_D("%s: %d images at %dpx from the decoded cache %s", set_dir.c_str(), set.count, image_size,
              cache_file.c_str());
        return set;
    }
    set = decode_image_set(set_dir, image_size, options.threads);
    // The files may have changed while we decoded them; key the cache on what we listed before.
    if (cache_key(list_set_files(set_dir), image_size) == key) write_decoded_cache(cache_file, key, set);
    return set;
}

const ImageSet& FollowMeData::evaluation_set(const std::string& name) const {
    for (const auto& set : evaluation)
        if (set.name == name) return set;
    throw Error("evaluation set '" + name + "' is not loaded");
}

fs::path evaluation_root(const fs::path& root) {
    std::error_code error;
    if (fs::is_directory(root / kEvaluationFolder / kFollowingImages, error)) return root / kEvaluationFolder;
    if (fs::is_directory(root / kFollowingImages, error)) return root;
    throw Error(root.string() + ": neither " + (root / kEvaluationFolder / kFollowingImages).string() + " nor " +
                (root / kFollowingImages).string() + " exists (expected a dataset root or its " +
                kEvaluationFolder + " folder)");
}

FollowMeData load_follow_me_data(const fs::path& root, int image_size, const SplitSelection& splits,
                                 const LoadOptions& options) {
    std::error_code error;
    if (!fs::is_directory(root, error)) throw Error(root.string() + ": dataset folder not found");
    FollowMeData data;
    if (splits.train) data.train = load_image_set(root / kTrainSplit, image_size, options);
    if (splits.validation) data.validation = load_image_set(root / kValidationSplit, image_size, options);
    if (splits.evaluation) {
        const fs::path eval_root = root / kEvaluationFolder;
        for (const char* name : kEvaluationSetNames)
            data.evaluation.push_back(load_image_set(eval_root / name, image_size, options));
    }
    return data;
}

}  // namespace segsweep
