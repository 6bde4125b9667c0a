// RandomSource: the one random number generator of sweeps/. A std::mt19937_64 (whose output the
// C++ standard fixes) with our own uniform and normal transforms, so a seed gives the same draws
// with every compiler and standard library (std::uniform_real_distribution does not promise that).
#pragma once

#include <cstdint>
#include <random>

namespace segsweep {

class RandomSource {
public:
    explicit RandomSource(uint64_t seed) : engine_(seed) {}

    // Mixes a seed with a stream number (e.g. the trial index) into an independent seed.
    static uint64_t derive_seed(uint64_t seed, uint64_t stream);

    uint64_t next_u64() { return engine_(); }
    // Uniform on [0, 1), 53 random bits.
    double uniform01();
    // Uniform on [low, high).
    double uniform(double low, double high) { return low + (high - low) * uniform01(); }
    // Uniform integer on [low, high] (inclusive); unbiased (rejection sampling).
    int64_t uniform_int(int64_t low, int64_t high);
    // Standard normal (Box-Muller, one value per call).
    double standard_normal();
    double normal(double mu, double sigma) { return mu + sigma * standard_normal(); }
    // An index drawn with the given (non-negative, not all zero) weights.
    size_t weighted_index(const double* weights, size_t count);

private:
    std::mt19937_64 engine_;
};

}  // namespace segsweep
