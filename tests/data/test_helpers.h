// Shared helpers for the data-layer tests: scratch folders under build/test-tmp, small synthetic
// datasets, and tiny hand-made image sets.
#pragma once

#include <filesystem>
#include <string>

#include "worker/data/image_io.h"
#include "worker/data/image_set.h"

namespace segsweep::testing {

// A fresh, empty folder SEGSWEEP_TEST_TMP/data/<name>-<pid>, removed when the object goes.
class ScratchDir {
public:
    explicit ScratchDir(const std::string& name);
    ~ScratchDir();
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

// A small synthetic dataset root: train 6, validation 3, eval 6 (3/1/2), 64 px, seed 7.
// Made once per test binary and shared (read-only) by the tests that need one.
const std::filesystem::path& tiny_synthetic_dataset();

// A one-colour mask file (all one class) and a matching JPEG, for hand-built sets.
RgbImage solid_mask(int width, int height, int channel);
RgbImage gradient_image(int width, int height, int seed);

// Writes images/<stem>.jpeg and masks/<stem>.png under set_dir.
void write_pair(const std::filesystem::path& set_dir, const std::string& image_stem, const RgbImage& image,
                const std::string& mask_stem, const RgbImage& mask);

}  // namespace segsweep::testing
