// The setting of a synthetic scene: the camera (horizon row, person size per row), the look
// (ground type, optional road, sky, haze, lighting, colour cast, sensor noise, blur), painting the
// sky, the ground plane with perspective texture and the skyline, and the final camera effects
// (lighting, blur, noise) that turn the float canvas into bytes.
#pragma once

#include <cstdint>

#include "worker/data/image_io.h"
#include "worker/data/random.h"
#include "worker/data/synth_canvas.h"

namespace segsweep::synth {

enum class Environment { grass, pavement, asphalt, sand };

struct Camera {
    float horizon = 0;     // px from the top (may be negative: looking down, no sky)
    float person_ratio = 0.3f;   // a person's height per px between their feet and the horizon
};

struct Look {
    Environment environment = Environment::grass;
    bool road = false;
    float road_x0 = 0, road_x1 = 0;   // ground-plane span of a road band
    Color ground_a, ground_b;
    Color sky_top, sky_horizon;
    Color haze_color;
    float haze = 0;
    float gain = 1, contrast = 1;
    Color tint{1, 1, 1};
    float light_x = 0.5f;
    float noise_sigma = 0;   // 0..1 units
    int blur_passes = 0;
    bool overcast = false;
};

Color color_of(double r, double g, double b);
// c with each channel scaled by a random factor in [1 - amount, 1 + amount].
Color jittered(DeterministicRandom& random, Color c, double amount);

Look draw_look(DeterministicRandom& random);
// Depth-dependent haze of a thing standing at row y.
float haze_at(const Look& look, const Camera& camera, float y, int size);
void paint_sky_and_ground(Canvas& canvas, const Look& look, const Camera& camera, uint32_t noise_seed);
void paint_skyline(Canvas& canvas, DeterministicRandom& random, const Look& look, const Camera& camera);
// Blur passes, lighting (contrast, gain, tint) and sensor noise, then rounding to bytes.
void finish_pixels(Canvas& canvas, const Look& look, uint32_t noise_seed, RgbImage& image);

}  // namespace segsweep::synth
