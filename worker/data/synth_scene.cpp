// One synthetic scene: camera and lighting draws, sky, ground, skyline, props and people painted
// far to near, then lighting, blur and sensor noise; the mask comes from the canvas labels.
#include "worker/data/synth_scene.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "worker/data/random.h"
#include "worker/data/synth_canvas.h"
#include "worker/data/synth_environment.h"
#include "worker/data/synth_person.h"
#include "worker/data/synth_props.h"

namespace segsweep {
namespace {

using namespace synth;

constexpr float kReferenceSize = 256.0f;          // px: sizes below are given for a 256 px image
constexpr double kReddishProbability = 0.12;      // share of other people in hero-like clothes
constexpr double kOcclusionProbability = 0.15;    // a person gets a prop placed just in front
constexpr double kFollowingHeroProbability = 0.995;
constexpr double kPatrolHeroProbability = 0.97;
constexpr double kFollowingOthersBehindProbability = 0.85;  // following: a passer-by is behind the hero
constexpr float kMaxPropUnit = 0.45f;             // a prop's person-height unit, at most this share of the side

struct Placed {
    float depth_y = 0;     // foot row: painted in increasing order (far to near)
    Figure figure;
    bool shadow = false;
    Vec2 foot;
    float height = 0;
};

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
    // Occluders: walls and hedges twice as likely as the rest.
    const PropKind kinds[] = {PropKind::tree, PropKind::post, PropKind::car, PropKind::bench,
                              PropKind::wall, PropKind::wall, PropKind::bush};
    Placed prop;
    prop.depth_y = y;
    prop.figure = make_prop(random, at, unit, haze_at(look, camera, y, size), kinds[random.integer(0, 7)]);
    placed.push_back(std::move(prop));
}

}  // namespace

SceneImage render_scene(SceneKind kind, uint64_t seed, int size) {
    if (size < 32) throw Error("synthetic scene size must be >= 32 px, got " + std::to_string(size));
    DeterministicRandom random(seed);
    const float s = static_cast<float>(size);
    Camera camera;
    const Plan plan = plan_scene(kind, random, size, camera);
    const Look look = draw_look(random);
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
                                haze_at(look, camera, y, size), static_cast<PropKind>(random.integer(0, kPropKinds)));
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
