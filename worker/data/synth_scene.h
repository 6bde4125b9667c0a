// One synthetic drone-camera scene: an RGB image and its one-hot mask (background / other people /
// hero), drawn in C++ from a seed in a few milliseconds.
//
// A scene is a ground plane seen from a drone (horizon height and altitude vary), with sky,
// buildings, ground texture (grass, pavement, asphalt, sand), trees, poles, cars, benches and walls.
// People are human silhouettes (head, hair, torso, arms, legs, shoes) with varied skin, hair and
// clothing, in walking poses, facing any way, scaled by their distance, painted far to near, so
// nearer objects occlude them. The hero always looks the same: red top, red trousers, dark hair in
// a ponytail. Difficulty: some other people wear reddish clothes (a red top with other trousers,
// orange, maroon or pink), some background objects are red, lighting, colour cast, haze, sensor
// noise, blur and JPEG compression vary, and far heroes are only a few pixels tall.
#pragma once

#include <cstdint>

#include "worker/data/image_io.h"

namespace segsweep {

enum class SceneKind {
    training,          // train/validation: a mix of the three kinds below, plus empty scenes
    following,         // the drone follows the hero: large, near the centre (absent ~0.5%)
    patrol_non_targ,   // patrol: other people, no hero
    patrol_with_targ,  // patrol: the hero far away and small (absent ~3%), other people
};

struct SceneImage {
    RgbImage image;        // size x size RGB
    RgbImage mask;         // size x size, each pixel (255,0,0), (0,255,0) or (0,0,255)
    int hero_pixels = 0;   // blue pixels in the mask
    int people = 0;        // other people drawn (some may be fully occluded)
};

// Deterministic: the same kind, seed and size give the same pixels. size >= 32.
SceneImage render_scene(SceneKind kind, uint64_t seed, int size);

}  // namespace segsweep
