// Tinted overlays of predictions on camera images (see overlay.h).
#include "worker/train/overlay.h"

#include <cmath>

#include "worker/data/image_set.h"
#include "worker/data/scorer.h"

namespace segsweep {

RgbImage overlay_prediction(const uint8_t* image, const uint8_t* prediction, int size) {
    RgbImage out(size, size);
    const uint8_t hero_tint[3] = {0, 0, 255};
    const uint8_t people_tint[3] = {0, 255, 0};
    const size_t pixels = static_cast<size_t>(size) * size;
    for (size_t p = 0; p < pixels; ++p) {
        const uint8_t* pred = prediction + p * 3;
        const uint8_t* tint = nullptr;
        if (pred[kHeroChannel] > kPredictionThreshold) tint = hero_tint;
        else if (pred[kPeopleChannel] > kPredictionThreshold) tint = people_tint;
        for (int c = 0; c < 3; ++c) {
            const float base = image[p * 3 + c];
            const float value = tint ? base + (tint[c] - base) * kOverlayOpacity : base;
            out.pixels[p * 3 + c] = static_cast<uint8_t>(std::lround(value));
        }
    }
    return out;
}

}  // namespace segsweep
