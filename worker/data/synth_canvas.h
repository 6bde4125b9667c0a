// Drawing for the synthetic generator: a float RGB canvas with a label per pixel, smooth value
// noise, and "figures" (a person, a tree, a car) made of signed-distance parts (tapered capsules,
// ellipses, rounded boxes) painted with antialiased edges. A pixel takes a figure's label when its
// centre lies inside the figure (coverage >= 1/2), so the mask matches what the image shows; a
// background figure painted over a person (an occluder) gives those pixels back to background.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace segsweep::synth {

inline constexpr uint8_t kLabelBackground = 0;
inline constexpr uint8_t kLabelPeople = 1;
inline constexpr uint8_t kLabelHero = 2;

struct Color {
    float r = 0, g = 0, b = 0;
};
inline Color operator*(Color c, float k) { return {c.r * k, c.g * k, c.b * k}; }
inline Color operator+(Color a, Color b) { return {a.r + b.r, a.g + b.g, a.b + b.b}; }
inline Color mix(Color a, Color b, float t) { return {a.r + (b.r - a.r) * t, a.g + (b.g - a.g) * t, a.b + (b.b - a.b) * t}; }

struct Vec2 {
    float x = 0, y = 0;
};

enum class PartShape {
    capsule,  // segment a-b, radius ra at a growing linearly to rb at b
    ellipse,  // centre a, radii b.x, b.y
    box,      // centre a, half extents b, corner radius ra
};

struct Part {
    PartShape shape = PartShape::capsule;
    Vec2 a, b;
    float ra = 0, rb = 0;
    Color color;
    Color stripe_color;
    float stripe_period = 0;   // px between stripe starts (horizontal stripes); 0 = plain
    float shading = 0.3f;      // round-body shading across the part (0 = flat)
    float texture = 0;         // value-noise brightness variation (foliage, bark), 0..1
    float texture_scale = 0.25f;  // noise frequency, 1/px
};

struct Figure {
    std::vector<Part> parts;   // painted in order: later parts cover earlier ones
    uint8_t label = kLabelBackground;
    float haze = 0;            // 0..1: blend toward the scene's haze colour (distance)
};

// Scene-wide paint settings.
struct PaintContext {
    Color haze_color;
    float light_x = 0.5f;      // -1..1: side the light comes from (shading)
    uint32_t noise_seed = 0;
};

struct Canvas {
    int size = 0;
    std::vector<float> rgb;        // size*size*3, linear 0..1 (clamped when converted to bytes)
    std::vector<uint8_t> label;    // size*size, kLabel*

    explicit Canvas(int side) : size(side), rgb(static_cast<size_t>(side) * side * 3, 0.0f),
                                label(static_cast<size_t>(side) * side, kLabelBackground) {}
    float* at(int x, int y) { return &rgb[(static_cast<size_t>(y) * size + x) * 3]; }
};

// floor() as an int without a libm call (baseline x86-64 has no SSE4.1 round instruction); |x| < 2^31.
inline int32_t floor_to_int(float x) {
    const int32_t i = static_cast<int32_t>(x);
    return x < static_cast<float>(i) ? i - 1 : i;
}

// Smooth value noise in [0, 1) on a unit lattice; fractal_noise sums octaves (each half the
// amplitude, twice the frequency), normalised back to [0, 1).
float value_noise(float x, float y, uint32_t seed);
float fractal_noise(float x, float y, uint32_t seed, int octaves);

void paint_figure(Canvas& canvas, const Figure& figure, const PaintContext& context);

// Multiplies the colour inside an ellipse by `factor`, with soft edges (ground shadows). Labels untouched.
void darken_ellipse(Canvas& canvas, Vec2 centre, Vec2 radii, float factor);

}  // namespace segsweep::synth
