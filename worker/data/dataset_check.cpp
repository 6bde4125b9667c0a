// `segsweep data check`: decode and validate every file of the five sets at their own size and
// count the mask pixels of each class.
#include "worker/data/dataset_check.h"

#include <cstdio>
#include <mutex>

#include "common/error.h"
#include "worker/data/image_io.h"
#include "worker/data/image_set.h"
#include "worker/data/mask_io.h"
#include "worker/data/parallel_for.h"
#include "worker/data/scorer.h"

namespace segsweep {
namespace {

namespace fs = std::filesystem;

std::string size_text(int width, int height) { return std::to_string(width) + "x" + std::to_string(height); }

SetReport check_set(const fs::path& dir, int threads) {
    const SetFiles files = list_set_files(dir);
    const int count = static_cast<int>(files.images.size());
    std::vector<int> widths(count), heights(count), mask_widths(count), mask_heights(count);
    std::vector<std::array<int64_t, 3>> class_pixels(count);
    parallel_for(count, threads, [&](int i) {
        const RgbImage image = read_jpeg(files.images[i]);
        const RgbImage mask = read_one_hot_mask(files.masks[i]);
        widths[i] = image.width;
        heights[i] = image.height;
        mask_widths[i] = mask.width;
        mask_heights[i] = mask.height;
        std::array<int64_t, 3> pixels{0, 0, 0};
        for (size_t p = 0; p < mask.pixels.size(); p += 3)
            for (int c = 0; c < 3; ++c) pixels[c] += mask.pixels[p + c];
        class_pixels[i] = pixels;
    });
    SetReport report;
    report.name = dir.filename().string();
    report.dir = dir;
    report.images = count;
    report.width = widths[0];
    report.height = heights[0];
    std::array<int64_t, 3> totals{0, 0, 0};
    for (int i = 0; i < count; ++i) {
        if (widths[i] != report.width || heights[i] != report.height)
            throw Error(files.images[i].string() + ": image is " + size_text(widths[i], heights[i]) + " but " +
                        files.images[0].filename().string() + " is " + size_text(report.width, report.height) +
                        " (mixed image sizes in one set)");
        if (mask_widths[i] != report.width || mask_heights[i] != report.height)
            throw Error(files.masks[i].string() + ": mask is " + size_text(mask_widths[i], mask_heights[i]) +
                        " but its image " + files.images[i].filename().string() + " is " +
                        size_text(report.width, report.height));
        for (int c = 0; c < 3; ++c) totals[c] += class_pixels[i][c];
        if (class_pixels[i][kHeroChannel] > kHeroPresentPixels) ++report.images_with_hero;
    }
    const double all = static_cast<double>(totals[0] + totals[1] + totals[2]);
    for (int c = 0; c < 3; ++c) report.class_share[c] = all > 0 ? static_cast<double>(totals[c]) / all : 0.0;
    return report;
}

}  // namespace

DatasetReport check_dataset(const fs::path& root, int threads) {
    std::error_code error;
    if (!fs::is_directory(root, error)) throw Error(root.string() + ": dataset folder not found");
    DatasetReport report;
    report.sets.push_back(check_set(root / kTrainSplit, threads));
    report.sets.push_back(check_set(root / kValidationSplit, threads));
    for (const char* name : kEvaluationSetNames) report.sets.push_back(check_set(root / kEvaluationFolder / name, threads));
    return report;
}

std::string format_dataset_report(const DatasetReport& report) {
    std::string out;
    char line[256];
    std::snprintf(line, sizeof(line), "%-18s %7s %9s %11s %11s %11s %10s\n", "set", "images", "size", "background",
                  "people", "hero", "with_hero");
    out += line;
    for (const auto& set : report.sets) {
        std::snprintf(line, sizeof(line), "%-18s %7d %9s %10.3f%% %10.3f%% %10.3f%% %10d\n", set.name.c_str(), set.images,
                      size_text(set.width, set.height).c_str(), 100.0 * set.class_share[0], 100.0 * set.class_share[1],
                      100.0 * set.class_share[2], set.images_with_hero);
        out += line;
    }
    return out;
}

}  // namespace segsweep
