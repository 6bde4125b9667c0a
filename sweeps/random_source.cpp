// RandomSource: seed mixing (SplitMix64), uniform, integer, normal and weighted draws.
#include "sweeps/random_source.h"

#include <cmath>
#include <numbers>

namespace segsweep {

uint64_t RandomSource::derive_seed(uint64_t seed, uint64_t stream) {
    // SplitMix64 finaliser over the pair: nearby (seed, stream) pairs give unrelated seeds.
    uint64_t z = seed ^ (stream + 0x9e3779b97f4a7c15ull + (seed << 6) + (seed >> 2));
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

double RandomSource::uniform01() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

int64_t RandomSource::uniform_int(int64_t low, int64_t high) {
    if (high <= low) return low;
    const uint64_t span = static_cast<uint64_t>(high - low) + 1;
    if (span == 0) return static_cast<int64_t>(engine_());  // the whole 64-bit range
    const uint64_t limit = UINT64_MAX - UINT64_MAX % span;  // largest multiple of span
    uint64_t draw = engine_();
    while (draw >= limit) draw = engine_();
    return low + static_cast<int64_t>(draw % span);
}

double RandomSource::standard_normal() {
    double u1 = uniform01();
    while (u1 <= 0.0) u1 = uniform01();
    const double u2 = uniform01();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

size_t RandomSource::weighted_index(const double* weights, size_t count) {
    double total = 0;
    for (size_t i = 0; i < count; ++i) total += weights[i];
    double pick = uniform01() * total;
    for (size_t i = 0; i < count; ++i) {
        if (pick < weights[i]) return i;
        pick -= weights[i];
    }
    for (size_t i = count; i > 0; --i)  // rounding left pick just above the last weight
        if (weights[i - 1] > 0) return i - 1;
    return 0;
}

}  // namespace segsweep
