// Background props for the synthetic scenes.
#include "worker/data/synth_props.h"

#include <algorithm>

#include "worker/data/synth_environment.h"

namespace segsweep::synth {
namespace {

constexpr double kRedPropProbability = 0.2;       // a car, bench or sign is red

Part box_part(Vec2 centre, Vec2 half, float radius, Color color, float shading = 0.15f) {
    Part part;
    part.shape = PartShape::box;
    part.a = centre;
    part.b = half;
    part.ra = std::min(radius, std::min(half.x, half.y));
    part.color = color;
    part.shading = shading;
    return part;
}

Part round_part(PartShape shape, Vec2 a, Vec2 b, float ra, float rb, Color color, float texture = 0) {
    Part part;
    part.shape = shape;
    part.a = a;
    part.b = b;
    part.ra = ra;
    part.rb = rb;
    part.color = color;
    part.texture = texture;
    part.shading = 0.3f;
    return part;
}

Color random_prop_color(DeterministicRandom& random) {
    if (random.chance(kRedPropProbability)) return jittered(random, color_of(0.80, 0.10, 0.12), 0.1);
    const Color palette[] = {color_of(0.85, 0.85, 0.85), color_of(0.15, 0.15, 0.17), color_of(0.25, 0.35, 0.6),
                             color_of(0.5, 0.5, 0.52), color_of(0.2, 0.4, 0.25), color_of(0.75, 0.65, 0.3)};
    return jittered(random, palette[random.integer(0, 6)], 0.1);
}

}  // namespace

Figure make_prop(DeterministicRandom& random, Vec2 foot, float unit, float haze, PropKind kind) {
    Figure figure;
    figure.label = kLabelBackground;
    figure.haze = haze;
    auto& parts = figure.parts;
    auto up = [&](float dx, float dy) { return Vec2{foot.x + dx * unit, foot.y - dy * unit}; };
    switch (kind) {
    case PropKind::tree: {
        const float tall = static_cast<float>(random.uniform(1.6, 3.0));
        const Color bark = jittered(random, color_of(0.35, 0.24, 0.15), 0.15);
        const Color leaves = jittered(random, color_of(0.17, 0.38, 0.15), 0.25);
        parts.push_back(round_part(PartShape::capsule, up(0, 0), up(0, tall * 0.6f), 0.07f * unit, 0.05f * unit, bark, 0.3f));
        const int blobs = random.integer(2, 5);
        for (int i = 0; i < blobs; ++i) {
            const Vec2 centre = up(static_cast<float>(random.uniform(-0.3, 0.3)) * tall,
                                   tall * static_cast<float>(random.uniform(0.6, 0.85)));
            const float r = static_cast<float>(random.uniform(0.22, 0.38)) * tall * unit;
            parts.push_back(round_part(PartShape::ellipse, centre, {r, r * 0.9f}, 0, 0, leaves, 0.35f));
            parts.back().texture_scale = 6.0f / std::max(4.0f, r);
        }
        break;
    }
    case PropKind::post: {  // lamp post or sign post
        const float tall = static_cast<float>(random.uniform(1.8, 3.0));
        const Color metal = jittered(random, color_of(0.25, 0.26, 0.28), 0.2);
        parts.push_back(round_part(PartShape::capsule, up(0, 0), up(0, tall), 0.035f * unit, 0.025f * unit, metal));
        if (random.chance(0.5))
            parts.push_back(box_part(up(0, tall * 0.85f), {0.22f * unit, 0.14f * unit}, 0.02f * unit,
                                     random_prop_color(random)));
        else
            parts.push_back(round_part(PartShape::ellipse, up(0, tall), {0.08f * unit, 0.06f * unit}, 0, 0,
                                       color_of(0.9, 0.9, 0.8)));
        break;
    }
    case PropKind::car: {
        const Color body = random_prop_color(random);
        const float length = static_cast<float>(random.uniform(1.6, 2.6));
        parts.push_back(box_part(up(0, 0.32f), {length * 0.5f * unit, 0.22f * unit}, 0.08f * unit, body));
        parts.push_back(box_part(up(-0.05f * length, 0.62f), {length * 0.3f * unit, 0.14f * unit}, 0.06f * unit, body));
        parts.push_back(box_part(up(-0.05f * length, 0.62f), {length * 0.26f * unit, 0.1f * unit}, 0.04f * unit,
                                 color_of(0.2, 0.25, 0.3)));
        for (int w = -1; w <= 1; w += 2)
            parts.push_back(round_part(PartShape::ellipse, up(w * length * 0.3f, 0.12f), {0.13f * unit, 0.13f * unit}, 0, 0,
                                       color_of(0.06, 0.06, 0.06)));
        break;
    }
    case PropKind::bench: {
        const Color wood = random.chance(0.5) ? jittered(random, color_of(0.45, 0.3, 0.18), 0.15) : random_prop_color(random);
        const float length = static_cast<float>(random.uniform(0.8, 1.4));
        parts.push_back(box_part(up(0, 0.27f), {length * 0.5f * unit, 0.035f * unit}, 0.01f * unit, wood));
        parts.push_back(box_part(up(0, 0.45f), {length * 0.5f * unit, 0.06f * unit}, 0.01f * unit, wood));
        for (int l = -1; l <= 1; l += 2)
            parts.push_back(box_part(up(l * length * 0.4f, 0.13f), {0.03f * unit, 0.13f * unit}, 0, color_of(0.15, 0.15, 0.15)));
        break;
    }
    case PropKind::wall: {  // low wall or hedge
        const bool hedge = random.chance(0.5);
        const Color c = hedge ? jittered(random, color_of(0.16, 0.34, 0.13), 0.2) : jittered(random, color_of(0.6, 0.58, 0.54), 0.15);
        const float tall = static_cast<float>(random.uniform(0.35, 0.75));
        const float length = static_cast<float>(random.uniform(1.0, 3.5));
        Part wall = box_part(up(0, tall * 0.5f), {length * 0.5f * unit, tall * 0.5f * unit}, hedge ? 0.1f * unit : 0.01f * unit, c);
        wall.texture = hedge ? 0.35f : 0.12f;
        wall.texture_scale = 6.0f / std::max(4.0f, tall * unit);
        parts.push_back(wall);
        break;
    }
    case PropKind::bush: {
        const Color leaves = jittered(random, color_of(0.2, 0.42, 0.17), 0.25);
        const float r = static_cast<float>(random.uniform(0.25, 0.5)) * unit;
        parts.push_back(round_part(PartShape::ellipse, up(0, 0.3f), {r * 1.3f, r}, 0, 0, leaves, 0.35f));
        parts.back().texture_scale = 6.0f / std::max(4.0f, r);
        break;
    }
    }
    return figure;
}

}  // namespace segsweep::synth
