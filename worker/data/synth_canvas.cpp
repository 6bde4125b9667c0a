// Signed-distance painting of figures, value noise and soft shadows for the synthetic generator.
#include "worker/data/synth_canvas.h"

#include <algorithm>
#include <cmath>

namespace segsweep::synth {
namespace {

uint32_t hash_lattice(int32_t x, int32_t y, uint32_t seed) {
    uint32_t h = seed ^ 0x9E3779B9u;
    h ^= static_cast<uint32_t>(x) * 0x85EBCA6Bu;
    h = (h ^ (h >> 13)) * 0xC2B2AE35u;
    h ^= static_cast<uint32_t>(y) * 0x27D4EB2Fu;
    h = (h ^ (h >> 15)) * 0x85EBCA6Bu;
    return h ^ (h >> 16);
}

float lattice_value(int32_t x, int32_t y, uint32_t seed) {
    return static_cast<float>(hash_lattice(x, y, seed) >> 8) * (1.0f / 16777216.0f);
}

float smooth(float t) { return t * t * (3.0f - 2.0f * t); }

float clamp01(float v) { return v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v); }

// Signed distance from p to the part (negative inside) and the across-part coordinate (-1..1)
// used for shading.
float part_distance(const Part& part, Vec2 p, float& across) {
    switch (part.shape) {
    case PartShape::capsule: {
        const float bax = part.b.x - part.a.x, bay = part.b.y - part.a.y;
        const float pax = p.x - part.a.x, pay = p.y - part.a.y;
        const float length2 = bax * bax + bay * bay;
        const float h = length2 > 0.0f ? clamp01((pax * bax + pay * bay) / length2) : 0.0f;
        const float dx = pax - bax * h, dy = pay - bay * h;
        const float radius = part.ra + (part.rb - part.ra) * h;
        const float distance = std::sqrt(dx * dx + dy * dy);
        across = radius > 0.0f ? std::max(-1.0f, std::min(1.0f, dx / radius)) : 0.0f;
        return distance - radius;
    }
    case PartShape::ellipse: {
        const float rx = std::max(part.b.x, 1e-3f), ry = std::max(part.b.y, 1e-3f);
        const float nx = (p.x - part.a.x) / rx, ny = (p.y - part.a.y) / ry;
        across = std::max(-1.0f, std::min(1.0f, nx));
        return (std::sqrt(nx * nx + ny * ny) - 1.0f) * std::min(rx, ry);
    }
    case PartShape::box: {
        const float qx = std::fabs(p.x - part.a.x) - part.b.x + part.ra;
        const float qy = std::fabs(p.y - part.a.y) - part.b.y + part.ra;
        const float ox = std::max(qx, 0.0f), oy = std::max(qy, 0.0f);
        across = part.b.x > 0.0f ? std::max(-1.0f, std::min(1.0f, (p.x - part.a.x) / part.b.x)) : 0.0f;
        return std::sqrt(ox * ox + oy * oy) + std::min(std::max(qx, qy), 0.0f) - part.ra;
    }
    }
    return 1e9f;
}

void part_bounds(const Part& part, float& x0, float& y0, float& x1, float& y1) {
    switch (part.shape) {
    case PartShape::capsule: {
        const float r = std::max(part.ra, part.rb);
        x0 = std::min(part.a.x, part.b.x) - r;
        x1 = std::max(part.a.x, part.b.x) + r;
        y0 = std::min(part.a.y, part.b.y) - r;
        y1 = std::max(part.a.y, part.b.y) + r;
        return;
    }
    case PartShape::ellipse:
    case PartShape::box:
        x0 = part.a.x - part.b.x;
        x1 = part.a.x + part.b.x;
        y0 = part.a.y - part.b.y;
        y1 = part.a.y + part.b.y;
        return;
    }
}

}  // namespace

float value_noise(float x, float y, uint32_t seed) {
    const int32_t ix = floor_to_int(x), iy = floor_to_int(y);
    const float fx = static_cast<float>(ix), fy = static_cast<float>(iy);
    const float tx = smooth(x - fx), ty = smooth(y - fy);
    const float v00 = lattice_value(ix, iy, seed), v10 = lattice_value(ix + 1, iy, seed);
    const float v01 = lattice_value(ix, iy + 1, seed), v11 = lattice_value(ix + 1, iy + 1, seed);
    const float top = v00 + (v10 - v00) * tx;
    const float bottom = v01 + (v11 - v01) * tx;
    return top + (bottom - top) * ty;
}

float fractal_noise(float x, float y, uint32_t seed, int octaves) {
    float sum = 0.0f, amplitude = 1.0f, total = 0.0f;
    for (int o = 0; o < octaves; ++o) {
        sum += amplitude * value_noise(x, y, seed + static_cast<uint32_t>(o) * 101u);
        total += amplitude;
        amplitude *= 0.5f;
        x *= 2.0f;
        y *= 2.0f;
    }
    return sum / total;
}

void paint_figure(Canvas& canvas, const Figure& figure, const PaintContext& context) {
    if (figure.parts.empty()) return;
    float bx0 = 1e9f, by0 = 1e9f, bx1 = -1e9f, by1 = -1e9f;
    for (const auto& part : figure.parts) {
        float x0 = 0, y0 = 0, x1 = 0, y1 = 0;
        part_bounds(part, x0, y0, x1, y1);
        bx0 = std::min(bx0, x0);
        by0 = std::min(by0, y0);
        bx1 = std::max(bx1, x1);
        by1 = std::max(by1, y1);
    }
    const int px0 = std::max(0, static_cast<int>(std::floor(bx0)) - 1);
    const int py0 = std::max(0, static_cast<int>(std::floor(by0)) - 1);
    const int px1 = std::min(canvas.size - 1, static_cast<int>(std::ceil(bx1)) + 1);
    const int py1 = std::min(canvas.size - 1, static_cast<int>(std::ceil(by1)) + 1);
    if (px0 > px1 || py0 > py1) return;

    for (int y = py0; y <= py1; ++y) {
        for (int x = px0; x <= px1; ++x) {
            const Vec2 p{x + 0.5f, y + 0.5f};
            float alpha = 0.0f;
            Color premultiplied;
            bool inside = false;
            for (const auto& part : figure.parts) {
                float across = 0.0f;
                const float distance = part_distance(part, p, across);
                const float coverage = clamp01(0.5f - distance);
                if (coverage <= 0.0f) continue;
                inside = inside || distance <= 0.0f;
                Color color = part.color;
                if (part.stripe_period > 0.0f) {
                    const float phase = (p.y - part.a.y) / part.stripe_period;
                    if (phase - static_cast<float>(floor_to_int(phase)) < 0.5f) color = part.stripe_color;
                }
                const float shade = 1.0f + part.shading * (0.45f * across * context.light_x - 0.35f * across * across);
                color = color * shade;
                if (part.texture > 0.0f) {
                    const float n = value_noise(p.x * part.texture_scale, p.y * part.texture_scale,
                                                context.noise_seed + 77u);
                    color = color * (1.0f + part.texture * (n - 0.5f) * 2.0f);
                }
                color = mix(color, context.haze_color, figure.haze);
                premultiplied = premultiplied * (1.0f - coverage) + color * coverage;
                alpha = alpha * (1.0f - coverage) + coverage;
            }
            if (alpha <= 0.0f) continue;
            float* pixel = canvas.at(x, y);
            pixel[0] = pixel[0] * (1.0f - alpha) + premultiplied.r;
            pixel[1] = pixel[1] * (1.0f - alpha) + premultiplied.g;
            pixel[2] = pixel[2] * (1.0f - alpha) + premultiplied.b;
            if (inside) canvas.label[static_cast<size_t>(y) * canvas.size + x] = figure.label;
        }
    }
}

void darken_ellipse(Canvas& canvas, Vec2 centre, Vec2 radii, float factor) {
    const int x0 = std::max(0, static_cast<int>(centre.x - radii.x) - 1);
    const int x1 = std::min(canvas.size - 1, static_cast<int>(centre.x + radii.x) + 1);
    const int y0 = std::max(0, static_cast<int>(centre.y - radii.y) - 1);
    const int y1 = std::min(canvas.size - 1, static_cast<int>(centre.y + radii.y) + 1);
    const float rx = std::max(radii.x, 0.5f), ry = std::max(radii.y, 0.5f);
    for (int y = y0; y <= y1; ++y)
        for (int x = x0; x <= x1; ++x) {
            const float nx = (x + 0.5f - centre.x) / rx, ny = (y + 0.5f - centre.y) / ry;
            const float r = std::sqrt(nx * nx + ny * ny);
            const float strength = clamp01((1.0f - r) * 2.5f);
            if (strength <= 0.0f) continue;
            const float k = 1.0f + (factor - 1.0f) * strength;
            float* pixel = canvas.at(x, y);
            pixel[0] *= k;
            pixel[1] *= k;
            pixel[2] *= k;
        }
}

}  // namespace segsweep::synth
