// Mask files: 8-bit RGB PNGs whose every pixel is exactly (255,0,0) background, (0,255,0) other
// people or (0,0,255) hero. Reading checks that and returns the one-hot 0/1 form the loader and
// the scorer use (the original's imread(...).clip(0,1)); writing goes the other way.
#pragma once

#include <filesystem>

#include "worker/data/image_io.h"

namespace segsweep {

// Throws segsweep::Error naming the file, the first bad pixel's position and its colour.
RgbImage one_hot_from_mask_colors(const RgbImage& mask, const std::string& name);
RgbImage read_one_hot_mask(const std::filesystem::path& file);

// One-hot 0/1 (exactly one channel set per pixel) to the three mask colours.
RgbImage mask_colors_from_one_hot(const RgbImage& one_hot);

}  // namespace segsweep
