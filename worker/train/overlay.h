// Overlay images for people to look at: the camera image with the predicted hero tinted blue and
// the predicted other people tinted green (the mask colours of the dataset), a pixel counting for
// a class when its prediction byte is above the scorer's threshold (p >= 128/255), as scored.
#pragma once

#include <cstdint>

#include "worker/data/image_io.h"

namespace segsweep {

inline constexpr float kOverlayOpacity = 0.5f;  // share of the tint colour in a tinted pixel

// image, prediction: size*size*3 HWC bytes (prediction = uint8(p*255) per class channel).
RgbImage overlay_prediction(const uint8_t* image, const uint8_t* prediction, int size);

}  // namespace segsweep
