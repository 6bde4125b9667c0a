// Person figures: palettes, the hero's fixed look, and the body geometry (in units of the person's
// height, feet at 0 and the top of the head at 1) for any facing and stride.
#include "worker/data/synth_person.h"

#include <cmath>
#include <iterator>

namespace segsweep::synth {
namespace {

constexpr float kPi = 3.14159265358979f;

const Color kSkinTones[] = {{0.96f, 0.80f, 0.69f}, {0.90f, 0.72f, 0.58f}, {0.78f, 0.57f, 0.42f},
                            {0.62f, 0.43f, 0.30f}, {0.45f, 0.30f, 0.20f}, {0.33f, 0.22f, 0.15f}};
const Color kHairColors[] = {{0.08f, 0.07f, 0.06f}, {0.20f, 0.12f, 0.07f}, {0.38f, 0.24f, 0.13f},
                             {0.78f, 0.65f, 0.40f}, {0.60f, 0.60f, 0.58f}, {0.50f, 0.22f, 0.10f}};
const Color kTopColors[] = {{0.92f, 0.92f, 0.90f}, {0.70f, 0.70f, 0.72f}, {0.30f, 0.30f, 0.32f},
                            {0.08f, 0.08f, 0.09f}, {0.10f, 0.15f, 0.35f}, {0.20f, 0.35f, 0.70f},
                            {0.55f, 0.70f, 0.90f}, {0.20f, 0.50f, 0.25f}, {0.42f, 0.45f, 0.20f},
                            {0.85f, 0.75f, 0.20f}, {0.40f, 0.20f, 0.50f}, {0.10f, 0.50f, 0.50f},
                            {0.45f, 0.30f, 0.18f}, {0.80f, 0.72f, 0.58f}};
const Color kBottomColors[] = {{0.20f, 0.28f, 0.45f}, {0.12f, 0.16f, 0.28f}, {0.07f, 0.07f, 0.08f},
                               {0.45f, 0.45f, 0.47f}, {0.60f, 0.55f, 0.40f}, {0.35f, 0.25f, 0.15f},
                               {0.88f, 0.88f, 0.86f}, {0.15f, 0.20f, 0.15f}};
const Color kShoeColors[] = {{0.90f, 0.90f, 0.90f}, {0.10f, 0.10f, 0.10f}, {0.35f, 0.22f, 0.12f},
                             {0.40f, 0.40f, 0.45f}};
// Hero-like clothes worn by other people.
const Color kHeroRed = {0.82f, 0.09f, 0.11f};
const Color kHeroRedDark = {0.70f, 0.07f, 0.09f};
const Color kReddishColors[] = {{0.90f, 0.45f, 0.10f}, {0.90f, 0.50f, 0.60f}, {0.50f, 0.09f, 0.12f},
                                {0.75f, 0.18f, 0.12f}};

template <size_t N>
Color pick(DeterministicRandom& random, const Color (&palette)[N]) {
    return palette[random.integer(0, static_cast<int>(N))];
}

Color jitter(DeterministicRandom& random, Color c, float amount) {
    const float k = 1.0f + static_cast<float>(random.uniform(-amount, amount));
    return {c.r * k + static_cast<float>(random.uniform(-amount, amount)) * 0.2f,
            c.g * k + static_cast<float>(random.uniform(-amount, amount)) * 0.2f,
            c.b * k + static_cast<float>(random.uniform(-amount, amount)) * 0.2f};
}

Part capsule(Vec2 a, Vec2 b, float ra, float rb, Color color, float shading = 0.35f) {
    Part part;
    part.shape = PartShape::capsule;
    part.a = a;
    part.b = b;
    part.ra = ra;
    part.rb = rb;
    part.color = color;
    part.shading = shading;
    return part;
}

Part ellipse(Vec2 centre, Vec2 radii, Color color, float shading = 0.3f) {
    Part part;
    part.shape = PartShape::ellipse;
    part.a = centre;
    part.b = radii;
    part.color = color;
    part.shading = shading;
    return part;
}

}  // namespace

PersonLook hero_look() {
    PersonLook look;
    look.skin = {0.93f, 0.76f, 0.64f};
    look.hair = {0.20f, 0.12f, 0.07f};
    look.top = kHeroRed;
    look.bottom = kHeroRedDark;
    look.shoes = {0.92f, 0.92f, 0.92f};
    look.hair_style = HairStyle::ponytail;
    look.long_sleeves = true;
    look.shorts = false;
    look.build = 0.95f;
    return look;
}

PersonLook random_look(DeterministicRandom& random, double reddish_probability) {
    PersonLook look;
    const int tone = random.integer(0, static_cast<int>(std::size(kSkinTones)) - 1);
    look.skin = mix(kSkinTones[tone], kSkinTones[tone + 1], static_cast<float>(random.uniform()));
    look.hair = jitter(random, pick(random, kHairColors), 0.1f);
    look.top = jitter(random, pick(random, kTopColors), 0.12f);
    look.bottom = jitter(random, pick(random, kBottomColors), 0.1f);
    look.shoes = pick(random, kShoeColors);
    look.stripe = jitter(random, pick(random, kTopColors), 0.1f);
    look.cap = jitter(random, pick(random, kTopColors), 0.1f);
    const double style = random.uniform();
    look.hair_style = style < 0.4 ? HairStyle::short_cut
                    : style < 0.65 ? HairStyle::long_hair
                    : style < 0.78 ? HairStyle::ponytail
                    : style < 0.88 ? HairStyle::bald
                                   : HairStyle::cap;
    look.striped_top = random.chance(0.15);
    look.long_sleeves = random.chance(0.55);
    look.shorts = random.chance(0.2);
    look.build = static_cast<float>(random.uniform(0.85, 1.2));
    if (random.chance(reddish_probability)) {
        const double kind = random.uniform();
        if (kind < 0.4) {
            look.top = jitter(random, kHeroRed, 0.06f);          // the hero's top, other trousers
            look.striped_top = false;
        } else if (kind < 0.6) {
            look.bottom = jitter(random, kHeroRedDark, 0.06f);   // the hero's trousers, another top
        } else {
            look.top = jitter(random, pick(random, kReddishColors), 0.08f);
            look.striped_top = false;
        }
    }
    return look;
}

PersonPose random_pose(DeterministicRandom& random) {
    PersonPose pose;
    pose.facing = static_cast<float>(random.uniform(0.0, 2.0 * kPi));
    pose.stride = static_cast<float>(random.uniform(-1.0, 1.0));
    return pose;
}

Figure make_person(Vec2 foot, float height, const PersonLook& look, const PersonPose& pose, uint8_t label,
                   float haze) {
    const float h = height;
    auto at = [&](float x, float y) { return Vec2{foot.x + x * h, foot.y - y * h}; };
    const float front = std::fabs(std::cos(pose.facing));       // 1 facing or back to the camera
    const float side = std::fabs(std::sin(pose.facing));        // 1 side on
    const bool away = std::cos(pose.facing) < 0.0f;
    const float direction = std::sin(pose.facing) >= 0.0f ? 1.0f : -1.0f;   // where a side-on person walks
    const float shoulder = (0.105f * front + 0.055f * side) * look.build;
    const float hip = (0.060f * front + 0.045f * side) * look.build;
    const float leg_x = 0.045f * front + 0.01f;
    const float step = pose.stride * 0.13f * side * direction;
    const float swing = -pose.stride * 0.10f * side * direction;

    Figure figure;
    figure.label = label;
    figure.haze = haze;
    auto& parts = figure.parts;

    auto add_long_hair = [&] {
        if (look.hair_style == HairStyle::long_hair)
            parts.push_back(capsule(at(0, 0.90f), at(0, 0.74f), 0.060f * h, 0.055f * h, look.hair, 0.2f));
        if (look.hair_style == HairStyle::ponytail)
            parts.push_back(capsule(at(-direction * 0.05f * side, 0.93f), at(-direction * 0.09f * side, 0.79f),
                                    0.028f * h, 0.018f * h, look.hair, 0.2f));
    };
    auto add_legs = [&] {
        for (int s = -1; s <= 1; s += 2) {
            const Vec2 top = at(s * leg_x, 0.50f);
            const Vec2 bottom = at(s * leg_x + s * step, 0.035f);
            if (look.shorts) {
                const Vec2 knee = at(s * leg_x + s * step * 0.5f, 0.32f);
                parts.push_back(capsule(top, knee, 0.050f * h * look.build, 0.042f * h, look.bottom));
                parts.push_back(capsule(knee, bottom, 0.036f * h, 0.030f * h, look.skin));
            } else {
                parts.push_back(capsule(top, bottom, 0.050f * h * look.build, 0.034f * h, look.bottom));
            }
            parts.push_back(capsule(bottom, at(s * leg_x + s * step + direction * 0.045f * side, 0.02f),
                                    0.026f * h, 0.024f * h, look.shoes, 0.1f));
        }
    };
    auto add_arm = [&](int s) {
        const Vec2 top = at(s * (shoulder - 0.012f), 0.765f);
        const Vec2 hand = at(s * (shoulder + 0.018f) + s * swing, 0.45f);
        const Vec2 elbow = {(top.x + hand.x) * 0.5f, (top.y + hand.y) * 0.5f};
        if (look.long_sleeves) {
            parts.push_back(capsule(top, hand, 0.032f * h, 0.027f * h, look.top));
        } else {
            parts.push_back(capsule(top, elbow, 0.032f * h, 0.030f * h, look.top));
            parts.push_back(capsule(elbow, hand, 0.026f * h, 0.024f * h, look.skin));
        }
        parts.push_back(ellipse(hand, {0.028f * h, 0.032f * h}, look.skin));
    };
    auto add_torso = [&] {
        Part torso = capsule(at(0, 0.715f), at(0, 0.545f), shoulder * 0.92f * h, (hip + 0.018f) * h, look.top, 0.45f);
        if (look.striped_top && h >= 40.0f) {
            torso.stripe_color = look.stripe;
            torso.stripe_period = 0.05f * h;
        }
        parts.push_back(torso);
    };
    auto add_head = [&] {
        parts.push_back(capsule(at(0, 0.80f), at(0, 0.85f), 0.028f * h, 0.028f * h, look.skin));
        parts.push_back(ellipse(at(0, 0.905f), {0.058f * h, 0.068f * h}, look.skin, 0.35f));
        switch (look.hair_style) {
        case HairStyle::bald:
            break;
        case HairStyle::cap:
            parts.push_back(ellipse(at(0, 0.94f), {0.063f * h, 0.042f * h}, look.cap, 0.3f));
            if (!away) parts.push_back(ellipse(at(direction * 0.03f * side, 0.915f), {0.07f * h, 0.014f * h}, look.cap, 0.1f));
            break;
        default:
            if (away)
                parts.push_back(ellipse(at(0, 0.91f), {0.062f * h, 0.070f * h}, look.hair, 0.25f));
            else
                parts.push_back(ellipse(at(-direction * 0.012f * side, 0.935f), {0.061f * h, 0.045f * h}, look.hair, 0.25f));
            break;
        }
    };

    const bool side_on = side > 0.7f;
    if (!away) add_long_hair();
    if (side_on) add_arm(-static_cast<int>(direction));   // the far arm, behind the body
    add_legs();
    if (away && !side_on) {
        add_arm(-1);
        add_arm(1);
    }
    add_torso();
    if (side_on)
        add_arm(static_cast<int>(direction));
    else if (!away) {
        add_arm(-1);
        add_arm(1);
    }
    add_head();
    if (away) add_long_hair();
    return figure;
}

}  // namespace segsweep::synth
