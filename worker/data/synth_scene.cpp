// One synthetic scene: camera and lighting draws, sky, ground, skyline, props and people painted
// far to near, then lighting, blur and sensor noise; the mask comes from the canvas labels.
#include "worker/data/synth_scene.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "worker/data/random.h"
#include "worker/data/synth_canvas.h"
#include "worker/data/synth_person.h"

namespace segsweep {
namespace {

using namespace synth;

constexpr float kReferenceSize = 256.0f;          // px: sizes below are given for a 256 px image
constexpr double kReddishProbability = 0.12;      // share of other people in hero-like clothes
constexpr double kOcclusionProbability = 0.15;    // a person gets a prop placed just in front
constexpr double kFollowingHeroProbability = 0.995;
constexpr double kPatrolHeroProbability = 0.97;
constexpr double kRedPropProbability = 0.2;       // a car, bench or sign is red
constexpr double kFollowingOthersBehindProbability = 0.85;  // following: a passer-by is behind the hero
constexpr float kMaxPropUnit = 0.45f;             // a prop's person-height unit, at most this share of the side

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

struct Placed {
    float depth_y = 0;     // foot row: painted in increasing order (far to near)
    Figure figure;
    bool shadow = false;
    Vec2 foot;
    float height = 0;
};

Color color_of(double r, double g, double b) {
    return {static_cast<float>(r), static_cast<float>(g), static_cast<float>(b)};
}

Color jittered(DeterministicRandom& random, Color c, double amount) {
    return {c.r * static_cast<float>(random.uniform(1 - amount, 1 + amount)),
            c.g * static_cast<float>(random.uniform(1 - amount, 1 + amount)),
            c.b * static_cast<float>(random.uniform(1 - amount, 1 + amount))};
}

Look draw_look(DeterministicRandom& random, int size) {
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
    (void)size;
    return look;
}

// Depth-dependent haze of a thing standing at row y.
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

// A background prop standing at `foot`; `unit` is a person's height there, px.
Figure make_prop(DeterministicRandom& random, Vec2 foot, float unit, float haze, int kind) {
    Figure figure;
    figure.label = kLabelBackground;
    figure.haze = haze;
    auto& parts = figure.parts;
    auto up = [&](float dx, float dy) { return Vec2{foot.x + dx * unit, foot.y - dy * unit}; };
    switch (kind) {
    case 0: {  // tree
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
    case 1: {  // lamp post or sign post
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
    case 2: {  // car
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
    case 3: {  // bench
        const Color wood = random.chance(0.5) ? jittered(random, color_of(0.45, 0.3, 0.18), 0.15) : random_prop_color(random);
        const float length = static_cast<float>(random.uniform(0.8, 1.4));
        parts.push_back(box_part(up(0, 0.27f), {length * 0.5f * unit, 0.035f * unit}, 0.01f * unit, wood));
        parts.push_back(box_part(up(0, 0.45f), {length * 0.5f * unit, 0.06f * unit}, 0.01f * unit, wood));
        for (int l = -1; l <= 1; l += 2)
            parts.push_back(box_part(up(l * length * 0.4f, 0.13f), {0.03f * unit, 0.13f * unit}, 0, color_of(0.15, 0.15, 0.15)));
        break;
    }
    case 4: {  // low wall or hedge
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
    default: {  // bush
        const Color leaves = jittered(random, color_of(0.2, 0.42, 0.17), 0.25);
        const float r = static_cast<float>(random.uniform(0.25, 0.5)) * unit;
        parts.push_back(round_part(PartShape::ellipse, up(0, 0.3f), {r * 1.3f, r}, 0, 0, leaves, 0.35f));
        parts.back().texture_scale = 6.0f / std::max(4.0f, r);
        break;
    }
    }
    return figure;
}

struct Plan {
    bool hero = false;
    float hero_height = 0;
    Vec2 hero_foot;
    bool hero_follow = false;   // seen from behind, as the following drone sees her
    int others = 0;
    int props = 0;
    bool clustered = false;
};

// Camera and hero placement for each kind of scene. Sizes scale with the image (`scale` = size/256).
Plan plan_scene(SceneKind kind, DeterministicRandom& random, int size, Camera& camera) {
    const float s = static_cast<float>(size);
    const float scale = s / kReferenceSize;
    Plan plan;
    if (kind == SceneKind::training) {
        const double pick = random.uniform();
        if (pick < 0.30) {
            kind = SceneKind::following;
        } else if (pick < 0.65) {
            kind = SceneKind::patrol_with_targ;
        } else if (pick < 0.92) {
            kind = SceneKind::patrol_non_targ;
        } else {  // an empty street: props only
            camera.horizon = static_cast<float>(random.uniform(-0.25, 0.35)) * s;
            camera.person_ratio = static_cast<float>(random.uniform(0.1, 0.4));
            plan.props = random.integer(1, 9);
            return plan;
        }
    }
    switch (kind) {
    case SceneKind::following: {
        plan.hero = random.chance(kFollowingHeroProbability);
        plan.hero_follow = random.chance(0.8);
        const float height = static_cast<float>(random.uniform(0.28, 0.52)) * s;
        const float centre_x = s * (0.5f + static_cast<float>(random.uniform(-0.08, 0.08)));
        const float centre_y = s * (0.5f + static_cast<float>(random.uniform(-0.06, 0.08)));
        camera.person_ratio = static_cast<float>(random.uniform(0.5, 0.85));
        plan.hero_height = height;
        plan.hero_foot = {centre_x, centre_y + 0.5f * height};
        camera.horizon = plan.hero_foot.y - height / camera.person_ratio;
        plan.others = random.chance(0.5) ? random.integer(0, 3) : random.integer(0, 7);
        plan.props = random.integer(0, 6);
        break;
    }
    case SceneKind::patrol_with_targ:
    case SceneKind::patrol_non_targ: {
        plan.hero = kind == SceneKind::patrol_with_targ && random.chance(kPatrolHeroProbability);
        camera.horizon = static_cast<float>(random.uniform(-0.25, 0.3)) * s;
        camera.person_ratio = static_cast<float>(random.uniform(0.08, 0.35));
        if (plan.hero) {
            // Mostly far and small (log-uniform 6..40 px at 256), sometimes nearer.
            float height = random.chance(0.8) ? static_cast<float>(std::exp(random.uniform(std::log(6.0), std::log(40.0))))
                                              : static_cast<float>(random.uniform(40.0, 90.0));
            height *= scale;
            // Put her at a visible row; the camera's ratio follows so that the scene stays consistent.
            const float top_row = std::max(camera.horizon, 0.0f) + height;
            const float foot_y = static_cast<float>(random.uniform(top_row, s + 0.2 * height));
            camera.person_ratio = std::max(0.03f, std::min(1.0f, height / std::max(1.0f, foot_y - camera.horizon)));
            plan.hero_height = height;
            plan.hero_foot = {static_cast<float>(random.uniform(0.02, 0.98)) * s, foot_y};
        }
        plan.others = kind == SceneKind::patrol_non_targ ? random.integer(1, 13) : random.integer(0, 10);
        plan.props = random.integer(0, 9);
        plan.clustered = random.chance(0.35);
        break;
    }
    case SceneKind::training:
        break;
    }
    return plan;
}

void add_occluder(std::vector<Placed>& placed, DeterministicRandom& random, const Look& look, const Camera& camera,
                  Vec2 foot, float height, int size) {
    const float y = foot.y + static_cast<float>(random.uniform(0.02, 0.15)) * height;
    const float unit = camera.person_ratio * std::max(1.0f, y - camera.horizon);
    const Vec2 at{foot.x + static_cast<float>(random.uniform(-0.4, 0.4)) * height, y};
    const int kinds[] = {0, 1, 2, 3, 4, 4, 5};
    Placed prop;
    prop.depth_y = y;
    prop.figure = make_prop(random, at, unit, haze_at(look, camera, y, size), kinds[random.integer(0, 7)]);
    placed.push_back(std::move(prop));
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

}  // namespace

SceneImage render_scene(SceneKind kind, uint64_t seed, int size) {
    if (size < 32) throw Error("synthetic scene size must be >= 32 px, got " + std::to_string(size));
    DeterministicRandom random(seed);
    const float s = static_cast<float>(size);
    Camera camera;
    const Plan plan = plan_scene(kind, random, size, camera);
    const Look look = draw_look(random, size);
    const uint32_t noise_seed = static_cast<uint32_t>(random.next_u64());
    PaintContext context{look.haze_color, look.light_x, noise_seed};

    Canvas canvas(size);
    paint_sky_and_ground(canvas, look, camera, noise_seed);
    paint_skyline(canvas, random, look, camera);

    std::vector<Placed> placed;
    const float visible_top = std::max(camera.horizon, 0.0f);
    // Other people: their size follows from their row; some walk in a group.
    const Vec2 group{static_cast<float>(random.uniform(0.1, 0.9)) * s,
                     static_cast<float>(random.uniform(visible_top, s))};
    int people = 0;
    for (int i = 0; i < plan.others; ++i) {
        float y = 0, height = 0, x = 0;
        bool ok = false;
        for (int attempt = 0; attempt < 8 && !ok; ++attempt) {
            if (plan.clustered && random.chance(0.7)) {
                y = group.y + static_cast<float>(random.uniform(-0.08, 0.08)) * s;
                x = group.x + static_cast<float>(random.uniform(-0.12, 0.12)) * s;
            } else if (plan.hero_follow && random.chance(kFollowingOthersBehindProbability)) {
                // The drone follows the hero: most passers-by are further away than she is.
                y = static_cast<float>(random.uniform(visible_top, std::max(visible_top + 1.0f, plan.hero_foot.y)));
                x = static_cast<float>(random.uniform(-0.05, 1.05)) * s;
            } else {
                y = static_cast<float>(random.uniform(visible_top, s * 1.15));
                x = static_cast<float>(random.uniform(-0.05, 1.05)) * s;
            }
            height = camera.person_ratio * (y - camera.horizon) * static_cast<float>(random.uniform(0.8, 1.1));
            ok = height >= 2.0f && height <= 0.6f * s && y - height < s;
        }
        if (!ok) continue;
        Placed person;
        person.depth_y = y;
        person.foot = {x, y};
        person.height = height;
        person.shadow = true;
        person.figure = make_person(person.foot, height, random_look(random, kReddishProbability), random_pose(random),
                                    kLabelPeople, haze_at(look, camera, y, size));
        placed.push_back(std::move(person));
        ++people;
        if (random.chance(kOcclusionProbability)) add_occluder(placed, random, look, camera, {x, y}, height, size);
    }
    if (plan.hero) {
        Placed hero;
        hero.depth_y = plan.hero_foot.y;
        hero.foot = plan.hero_foot;
        hero.height = plan.hero_height;
        hero.shadow = true;
        PersonPose pose = random_pose(random);
        if (plan.hero_follow) pose.facing = 3.14159265f + static_cast<float>(random.uniform(-0.7, 0.7));
        hero.figure = make_person(plan.hero_foot, plan.hero_height, hero_look(), pose, kLabelHero,
                                  haze_at(look, camera, plan.hero_foot.y, size));
        placed.push_back(std::move(hero));
        const double occlusion = plan.hero_follow ? 0.05 : kOcclusionProbability;
        if (random.chance(occlusion)) add_occluder(placed, random, look, camera, plan.hero_foot, plan.hero_height, size);
    }
    for (int i = 0; i < plan.props; ++i) {
        const float y = static_cast<float>(random.uniform(visible_top, s * 1.2));
        const float unit = camera.person_ratio * std::max(1.0f, y - camera.horizon);
        if (unit > kMaxPropUnit * s) continue;   // no prop right in front of the camera
        Placed prop;
        prop.depth_y = y;
        prop.figure = make_prop(random, {static_cast<float>(random.uniform(-0.1, 1.1)) * s, y}, unit,
                                haze_at(look, camera, y, size), random.integer(0, 6));
        placed.push_back(std::move(prop));
    }
    std::stable_sort(placed.begin(), placed.end(), [](const Placed& a, const Placed& b) { return a.depth_y < b.depth_y; });
    for (const auto& item : placed) {
        if (item.shadow)
            darken_ellipse(canvas, {item.foot.x + look.light_x * -0.12f * item.height, item.foot.y},
                           {0.22f * item.height, 0.05f * item.height + 0.5f}, look.overcast ? 0.85f : 0.65f);
        paint_figure(canvas, item.figure, context);
    }

    SceneImage scene;
    scene.image = RgbImage(size, size);
    scene.mask = RgbImage(size, size);
    scene.people = people;
    finish_pixels(canvas, look, noise_seed, scene.image);
    for (int y = 0; y < size; ++y)
        for (int x = 0; x < size; ++x) {
            const uint8_t label = canvas.label[static_cast<size_t>(y) * size + x];
            uint8_t* out = scene.mask.at(x, y);
            out[0] = label == kLabelBackground ? 255 : 0;
            out[1] = label == kLabelPeople ? 255 : 0;
            out[2] = label == kLabelHero ? 255 : 0;
            scene.hero_pixels += label == kLabelHero;
        }
    return scene;
}

}  // namespace segsweep
