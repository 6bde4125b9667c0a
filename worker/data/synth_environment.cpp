// Camera, ground, sky, skyline and camera effects of a synthetic scene.
#include "worker/data/synth_environment.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace segsweep::synth {

Color color_of(double r, double g, double b) {
    return {static_cast<float>(r), static_cast<float>(g), static_cast<float>(b)};
}

Color jittered(DeterministicRandom& random, Color c, double amount) {
    return {c.r * static_cast<float>(random.uniform(1 - amount, 1 + amount)),
            c.g * static_cast<float>(random.uniform(1 - amount, 1 + amount)),
            c.b * static_cast<float>(random.uniform(1 - amount, 1 + amount))};
}

Look draw_look(DeterministicRandom& random) {
    Look look;
    const double e = random.uniform();
    look.environment = e < 0.35 ? Environment::grass : e < 0.65 ? Environment::pavement
                     : e < 0.85 ? Environment::asphalt : Environment::sand;
    switch (look.environment) {
    case Environment::grass:
        look.ground_a = jittered(random, color_of(0.18, 0.36, 0.14), 0.15);
        look.ground_b = jittered(random, color_of(0.40, 0.55, 0.25), 0.15);
        break;
    case Environment::pavement:
        look.ground_a = jittered(random, color_of(0.50, 0.48, 0.45), 0.15);
        look.ground_b = jittered(random, color_of(0.68, 0.65, 0.60), 0.12);
        break;
    case Environment::asphalt:
        look.ground_a = jittered(random, color_of(0.20, 0.20, 0.22), 0.15);
        look.ground_b = jittered(random, color_of(0.34, 0.34, 0.35), 0.15);
        break;
    case Environment::sand:
        look.ground_a = jittered(random, color_of(0.55, 0.45, 0.32), 0.12);
        look.ground_b = jittered(random, color_of(0.72, 0.63, 0.47), 0.12);
        break;
    }
    look.road = look.environment != Environment::asphalt && random.chance(0.35);
    const float road_centre = static_cast<float>(random.uniform(-1.5, 1.5));
    const float road_half = static_cast<float>(random.uniform(0.25, 0.6));
    look.road_x0 = road_centre - road_half;
    look.road_x1 = road_centre + road_half;
    look.overcast = random.chance(0.3);
    look.sky_top = look.overcast ? jittered(random, color_of(0.62, 0.64, 0.68), 0.1)
                                 : jittered(random, color_of(0.30, 0.52, 0.85), 0.15);
    look.sky_horizon = look.overcast ? jittered(random, color_of(0.78, 0.79, 0.80), 0.08)
                                     : jittered(random, color_of(0.72, 0.82, 0.92), 0.08);
    look.haze_color = mix(look.sky_horizon, color_of(0.7, 0.7, 0.7), 0.3f);
    look.haze = static_cast<float>(random.uniform(0.0, 0.55));
    look.gain = static_cast<float>(random.uniform(0.6, 1.25));
    look.contrast = static_cast<float>(random.uniform(0.8, 1.15));
    look.tint = {static_cast<float>(random.uniform(0.9, 1.1)), static_cast<float>(random.uniform(0.93, 1.07)),
                 static_cast<float>(random.uniform(0.9, 1.1))};
    look.light_x = static_cast<float>(random.uniform(-1.0, 1.0));
    look.noise_sigma = static_cast<float>(random.uniform(0.0, 0.035));
    const double b = random.uniform();
    look.blur_passes = b < 0.7 ? 0 : b < 0.92 ? 1 : 2;
    return look;
}

float haze_at(const Look& look, const Camera& camera, float y, int size) {
    const float below = std::max(0.0f, y - camera.horizon);
    const float nearness = std::min(1.0f, below / (0.6f * size));
    return look.haze * (1.0f - nearness) * (1.0f - nearness);
}

void paint_sky_and_ground(Canvas& canvas, const Look& look, const Camera& camera, uint32_t noise_seed) {
    const int size = canvas.size;
    const float s = static_cast<float>(size);
    for (int y = 0; y < size; ++y) {
        const float row = y + 0.5f;
        if (row < camera.horizon) {
            const float t = std::min(1.0f, (camera.horizon - row) / (0.6f * s));
            for (int x = 0; x < size; ++x) {
                Color c = mix(look.sky_horizon, look.sky_top, t);
                const float cloud = fractal_noise((x + 0.5f) / (0.25f * s), row / (0.08f * s), noise_seed + 5u, 2);
                const float cover = std::max(0.0f, cloud - (look.overcast ? 0.35f : 0.55f)) * 2.2f;
                c = mix(c, color_of(0.95, 0.95, 0.96), std::min(1.0f, cover));
                float* pixel = canvas.at(x, y);
                pixel[0] = c.r;
                pixel[1] = c.g;
                pixel[2] = c.b;
            }
            continue;
        }
        // Ground plane: depth grows toward the horizon; texture lives in ground coordinates.
        const float below = (row - camera.horizon) / s + 0.02f;
        const float depth = 1.0f / below;
        const float detail = std::min(1.0f, 2.5f / depth);      // fades fine texture far away
        const float haze = std::min(1.0f, look.haze * 1.5f * std::min(1.0f, 0.08f / below));
        for (int x = 0; x < size; ++x) {
            const float gx = ((x + 0.5f) / s - 0.5f) * depth;
            const float gz = depth;
            const float coarse = fractal_noise(gx * 1.3f, gz * 1.3f, noise_seed + 11u, 2);
            const float fine = value_noise(gx * 9.0f, gz * 9.0f, noise_seed + 13u);
            float t = coarse * 0.8f + (fine - 0.5f) * 0.5f * detail + 0.1f;
            Color c = mix(look.ground_a, look.ground_b, std::max(0.0f, std::min(1.0f, t)));
            if (look.environment == Environment::pavement) {
                const float tile = 0.35f;
                const float u = gx / tile - floor_to_int(gx / tile), v = gz / tile - floor_to_int(gz / tile);
                if ((u < 0.06f || v < 0.06f) && detail > 0.3f) c = c * (1.0f - 0.25f * detail);
            }
            const bool on_road = look.road && gx > look.road_x0 && gx < look.road_x1;
            if (on_road || look.environment == Environment::asphalt) {
                if (on_road) c = mix(color_of(0.22, 0.22, 0.24), color_of(0.32, 0.32, 0.33), fine);
                const float centre = on_road ? 0.5f * (look.road_x0 + look.road_x1) : 0.0f;
                const float dash = gz / 0.6f - floor_to_int(gz / 0.6f);
                if (std::fabs(gx - centre) < 0.035f && dash < 0.5f) c = mix(c, color_of(0.9, 0.88, 0.8), detail);
            }
            c = mix(c, look.haze_color, haze);
            float* pixel = canvas.at(x, y);
            pixel[0] = c.r;
            pixel[1] = c.g;
            pixel[2] = c.b;
        }
    }
}

void paint_skyline(Canvas& canvas, DeterministicRandom& random, const Look& look, const Camera& camera) {
    const int size = canvas.size;
    const float s = static_cast<float>(size);
    if (camera.horizon < 0.05f * s) return;
    const int buildings = random.integer(0, 7);
    for (int b = 0; b < buildings; ++b) {
        const float width = static_cast<float>(random.uniform(0.08, 0.35)) * s;
        const float x0 = static_cast<float>(random.uniform(-0.1, 1.0)) * s;
        const float base = camera.horizon + static_cast<float>(random.uniform(0.0, 0.03)) * s;
        const float top = base - static_cast<float>(random.uniform(0.05, 0.45)) * s;
        const double kind = random.uniform();
        Color wall = kind < 0.3 ? jittered(random, color_of(0.62, 0.60, 0.56), 0.15)
                   : kind < 0.5 ? jittered(random, color_of(0.60, 0.28, 0.20), 0.12)   // brick: reddish
                   : kind < 0.75 ? jittered(random, color_of(0.42, 0.52, 0.62), 0.12)  // glass
                                 : jittered(random, color_of(0.80, 0.76, 0.66), 0.1);
        wall = mix(wall, look.haze_color, look.haze * 0.7f);
        const Color window = mix(wall * 0.55f, color_of(0.75, 0.85, 0.95), kind >= 0.5 && kind < 0.75 ? 0.4f : 0.15f);
        const float cell = static_cast<float>(random.uniform(0.025, 0.05)) * s;
        for (int y = std::max(0, static_cast<int>(top)); y < std::min(size, static_cast<int>(base)); ++y)
            for (int x = std::max(0, static_cast<int>(x0)); x < std::min(size, static_cast<int>(x0 + width)); ++x) {
                const float u = (x - x0) / cell - floor_to_int((x - x0) / cell);
                const float v = (y - top) / cell - floor_to_int((y - top) / cell);
                const Color c = (u > 0.3f && u < 0.75f && v > 0.3f && v < 0.75f) ? window : wall;
                float* pixel = canvas.at(x, y);
                pixel[0] = c.r;
                pixel[1] = c.g;
                pixel[2] = c.b;
            }
    }
}

void finish_pixels(Canvas& canvas, const Look& look, uint32_t noise_seed, RgbImage& image) {
    const int size = canvas.size;
    for (int pass = 0; pass < look.blur_passes; ++pass) {
        // Separable [1 2 1]/4 binomial blur, edges clamped.
        std::vector<float> copy = canvas.rgb;
        for (int y = 0; y < size; ++y)
            for (int x = 0; x < size; ++x)
                for (int c = 0; c < 3; ++c) {
                    const int xl = std::max(0, x - 1), xr = std::min(size - 1, x + 1);
                    const size_t row = static_cast<size_t>(y) * size;
                    canvas.rgb[(row + x) * 3 + c] =
                        0.25f * copy[(row + xl) * 3 + c] + 0.5f * copy[(row + x) * 3 + c] + 0.25f * copy[(row + xr) * 3 + c];
                }
        copy = canvas.rgb;
        for (int y = 0; y < size; ++y)
            for (int x = 0; x < size; ++x)
                for (int c = 0; c < 3; ++c) {
                    const int yu = std::max(0, y - 1), yd = std::min(size - 1, y + 1);
                    canvas.rgb[(static_cast<size_t>(y) * size + x) * 3 + c] =
                        0.25f * copy[(static_cast<size_t>(yu) * size + x) * 3 + c] +
                        0.5f * copy[(static_cast<size_t>(y) * size + x) * 3 + c] +
                        0.25f * copy[(static_cast<size_t>(yd) * size + x) * 3 + c];
                }
    }
    const float tint[3] = {look.tint.r, look.tint.g, look.tint.b};
    DeterministicRandom noise(mix_seed(noise_seed, 0x4E4F495345ull));
    for (int y = 0; y < size; ++y)
        for (int x = 0; x < size; ++x) {
            const float* pixel = canvas.at(x, y);
            uint8_t* out = image.at(x, y);
            const uint64_t bits = noise.next_u64();
            for (int c = 0; c < 3; ++c) {
                // Triangular noise from two 10-bit uniforms, standard deviation noise_sigma.
                const float u1 = static_cast<float>((bits >> (c * 20)) & 1023u) * (1.0f / 1024.0f);
                const float u2 = static_cast<float>((bits >> (c * 20 + 10)) & 1023u) * (1.0f / 1024.0f);
                const float n = (u1 + u2 - 1.0f) * 2.449f * look.noise_sigma;
                float v = ((pixel[c] - 0.5f) * look.contrast + 0.5f) * look.gain * tint[c] + n;
                v = std::max(0.0f, std::min(1.0f, v));
                out[c] = static_cast<uint8_t>(v * 255.0f + 0.5f);
            }
        }
}

}  // namespace segsweep::synth
