// Scratch folders, the shared tiny synthetic dataset and hand-made images for the data tests.
#include "tests/data/test_helpers.h"

#include <unistd.h>

#include <mutex>

#include "worker/data/synth_dataset.h"

namespace segsweep::testing {

namespace fs = std::filesystem;

ScratchDir::ScratchDir(const std::string& name) {
    path_ = fs::path(SEGSWEEP_TEST_TMP) / "data" / (name + "-" + std::to_string(::getpid()));
    fs::remove_all(path_);
    fs::create_directories(path_);
}

ScratchDir::~ScratchDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
}

const fs::path& tiny_synthetic_dataset() {
    static const ScratchDir dir("tiny-dataset");
    static std::once_flag once;
    std::call_once(once, [] {
        SynthOptions options;
        options.out = dir.path() / "root";
        options.seed = 7;
        options.train = 6;
        options.validation = 3;
        options.evaluation = 6;
        options.size = 64;
        options.threads = 2;
        synthesize_dataset(options);
    });
    static const fs::path root = dir.path() / "root";
    return root;
}

RgbImage solid_mask(int width, int height, int channel) {
    RgbImage mask(width, height);
    for (size_t p = 0; p < mask.pixels.size(); p += 3) mask.pixels[p + channel] = 255;
    return mask;
}

RgbImage gradient_image(int width, int height, int seed) {
    RgbImage image(width, height);
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x) {
            uint8_t* p = image.at(x, y);
            p[0] = static_cast<uint8_t>((x * 7 + seed * 31) & 255);
            p[1] = static_cast<uint8_t>((y * 5 + seed * 17) & 255);
            p[2] = static_cast<uint8_t>((x + y + seed * 53) & 255);
        }
    return image;
}

void write_pair(const fs::path& set_dir, const std::string& image_stem, const RgbImage& image,
                const std::string& mask_stem, const RgbImage& mask) {
    fs::create_directories(set_dir / kImagesFolder);
    fs::create_directories(set_dir / kMasksFolder);
    write_jpeg(set_dir / kImagesFolder / (image_stem + ".jpeg"), image, kSynthJpegQuality);
    write_png(set_dir / kMasksFolder / (mask_stem + ".png"), mask);
}

}  // namespace segsweep::testing
