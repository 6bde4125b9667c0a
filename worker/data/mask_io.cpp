// Mask colour checks and one-hot conversion.
#include "worker/data/mask_io.h"

#include "common/error.h"

namespace segsweep {

RgbImage one_hot_from_mask_colors(const RgbImage& mask, const std::string& name) {
    RgbImage one_hot(mask.width, mask.height);
    const size_t pixels = static_cast<size_t>(mask.width) * mask.height;
    for (size_t p = 0; p < pixels; ++p) {
        const uint8_t* rgb = &mask.pixels[p * 3];
        const int ones = (rgb[0] == 255) + (rgb[1] == 255) + (rgb[2] == 255);
        const int zeros = (rgb[0] == 0) + (rgb[1] == 0) + (rgb[2] == 0);
        if (ones != 1 || zeros != 2) {
            const size_t x = p % static_cast<size_t>(mask.width);
            const size_t y = p / static_cast<size_t>(mask.width);
            throw Error(name + ": mask pixel (x " + std::to_string(x) + ", y " + std::to_string(y) + ") is (" +
                        std::to_string(rgb[0]) + "," + std::to_string(rgb[1]) + "," + std::to_string(rgb[2]) +
                        "), not one of (255,0,0) background, (0,255,0) people, (0,0,255) hero");
        }
        for (int c = 0; c < 3; ++c) one_hot.pixels[p * 3 + c] = rgb[c] ? 1 : 0;
    }
    return one_hot;
}

RgbImage read_one_hot_mask(const std::filesystem::path& file) {
    return one_hot_from_mask_colors(read_png(file), file.string());
}

RgbImage mask_colors_from_one_hot(const RgbImage& one_hot) {
    RgbImage colors(one_hot.width, one_hot.height);
    for (size_t i = 0; i < one_hot.pixels.size(); ++i) colors.pixels[i] = one_hot.pixels[i] ? 255 : 0;
    return colors;
}

}  // namespace segsweep
