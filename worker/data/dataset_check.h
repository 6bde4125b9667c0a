// `segsweep data check`: validates a whole dataset root at the files' own size (every image decodes,
// every mask decodes and holds only the three colours, sizes agree, counts match) and summarises
// each split: image count, file size, share of pixels per class, images with the hero (> 3 px).
#pragma once

#include <array>
#include <filesystem>
#include <string>
#include <vector>

namespace segsweep {

struct SetReport {
    std::string name;                    // "train", ..., "patrol_with_targ"
    std::filesystem::path dir;
    int images = 0;
    int width = 0;                       // file size, px
    int height = 0;
    std::array<double, 3> class_share{};  // fraction of mask pixels: background, people, hero
    int images_with_hero = 0;            // masks with more than 3 hero pixels
};

struct DatasetReport {
    std::vector<SetReport> sets;         // train, validation, then the evaluation sets
};

// Throws segsweep::Error at the first problem (naming the file and the problem).
DatasetReport check_dataset(const std::filesystem::path& root, int threads = 0);

std::string format_dataset_report(const DatasetReport& report);

}  // namespace segsweep
