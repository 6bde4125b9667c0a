// Human figures for the synthetic generator: a look (skin, hair, clothes) and a pose (facing,
// stride) turned into a Figure of capsules and ellipses standing on a foot point, `height` px tall.
// The hero's look is fixed (hero_look); other people draw theirs from palettes, some of them in
// reddish clothes that resemble the hero's in part (a red top or red trousers, orange, pink, maroon).
#pragma once

#include "worker/data/random.h"
#include "worker/data/synth_canvas.h"

namespace segsweep::synth {

enum class HairStyle { short_cut, long_hair, ponytail, bald, cap };

struct PersonLook {
    Color skin, hair, top, bottom, shoes;
    Color stripe;                 // second colour of a striped top
    Color cap;                    // cap colour (HairStyle::cap)
    HairStyle hair_style = HairStyle::short_cut;
    bool striped_top = false;
    bool long_sleeves = true;
    bool shorts = false;
    float build = 1.0f;           // width factor, ~0.85 (slim) .. 1.2 (broad)
};

struct PersonPose {
    float facing = 0;             // radians: 0 faces the camera, pi faces away, +-pi/2 side on
    float stride = 0;             // -1..1: how far the legs are apart in a walking step
};

// Red top, red trousers, dark brown hair in a ponytail, light skin, white shoes.
PersonLook hero_look();
// A random passer-by; with `reddish_probability` their clothes are partly hero-like.
PersonLook random_look(DeterministicRandom& random, double reddish_probability);
PersonPose random_pose(DeterministicRandom& random);

Figure make_person(Vec2 foot, float height, const PersonLook& look, const PersonPose& pose, uint8_t label,
                   float haze);

}  // namespace segsweep::synth
