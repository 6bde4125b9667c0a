// Background props of a synthetic scene, standing on the ground and scaled by the person height
// at their row: trees, lamp or sign posts, cars, benches, low walls or hedges, bushes. Some cars,
// benches and signs are red (hero-coloured background). All are labelled background, so a prop
// painted over a person occludes them in the mask too.
#pragma once

#include "worker/data/random.h"
#include "worker/data/synth_canvas.h"

namespace segsweep::synth {

enum class PropKind { tree, post, car, bench, wall, bush };
inline constexpr int kPropKinds = 6;

// `unit`: a person's height at `foot`, px.
Figure make_prop(DeterministicRandom& random, Vec2 foot, float unit, float haze, PropKind kind);

}  // namespace segsweep::synth
