// Overlays: pixels predicted hero are tinted blue, people green, by the scorer's threshold.
#include <gtest/gtest.h>

#include "worker/train/overlay.h"

using namespace segsweep;

TEST(Overlay, TintsHeroBluePeopleGreenAndLeavesTheRest) {
    // 2x2: hero (byte 128), people (200), background, hero at 127 (below the threshold).
    const uint8_t image[12] = {100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100};
    const uint8_t prediction[12] = {0, 0, 128, 0, 200, 0, 255, 0, 0, 128, 0, 127};
    RgbImage out = overlay_prediction(image, prediction, 2);
    ASSERT_EQ(out.width, 2);
    const uint8_t* hero = out.at(0, 0);
    EXPECT_EQ(hero[0], 50);
    EXPECT_EQ(hero[1], 50);
    EXPECT_EQ(hero[2], 178);  // 100 + (255-100)/2 = 177.5 -> 178
    const uint8_t* people = out.at(1, 0);
    EXPECT_EQ(people[0], 50);
    EXPECT_EQ(people[1], 178);
    EXPECT_EQ(people[2], 50);
    for (int x = 0; x < 2; ++x)
        for (int c = 0; c < 3; ++c) EXPECT_EQ(out.at(x, 1)[c], 100);
}
