// DeterministicRandom: a small, portable random generator (xoshiro256** seeded through splitmix64)
// with its own uniform/integer mappings, so a seed gives the same numbers on every platform and
// standard library (std::uniform_*_distribution and std::shuffle are implementation-defined).
// Used by the synthetic generator and the batch loader's shuffling and augmentation.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace segsweep {

// Mixes words into one seed (splitmix64 finaliser chain): mix_seed(seed, split, index).
inline uint64_t mix_seed(uint64_t a, uint64_t b) {
    uint64_t z = a + 0x9E3779B97F4A7C15ull + (b * 0xBF58476D1CE4E5B9ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
inline uint64_t mix_seed(uint64_t a, uint64_t b, uint64_t c) { return mix_seed(mix_seed(a, b), c); }

class DeterministicRandom {
public:
    explicit DeterministicRandom(uint64_t seed) {
        uint64_t x = seed;
        for (auto& word : state_) {
            x += 0x9E3779B97F4A7C15ull;
            uint64_t z = x;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
            word = z ^ (z >> 31);
        }
    }

    uint64_t next_u64() {
        const uint64_t result = rotl(state_[1] * 5, 7) * 9;
        const uint64_t t = state_[1] << 17;
        state_[2] ^= state_[0];
        state_[3] ^= state_[1];
        state_[1] ^= state_[2];
        state_[0] ^= state_[3];
        state_[2] ^= t;
        state_[3] = rotl(state_[3], 45);
        return result;
    }

    // [0, 1) with 53 random bits.
    double uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
    double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
    // [lo, hi), hi > lo (numpy's randint(lo, hi) range). Multiply-shift: unbiased enough here.
    int integer(int lo, int hi) {
        const uint64_t span = static_cast<uint64_t>(static_cast<int64_t>(hi) - lo);
        return lo + static_cast<int>((static_cast<unsigned __int128>(next_u64()) * span) >> 64);
    }
    bool chance(double probability) { return uniform() < probability; }
    // Approximately normal (Irwin-Hall, sum of 4 uniforms), mean 0, standard deviation 1.
    double normalish() {
        return (uniform() + uniform() + uniform() + uniform() - 2.0) * 1.7320508075688772;
    }
    // Fisher-Yates with integer(): a permutation of `values`.
    template <typename T>
    void shuffle(std::vector<T>& values) {
        for (int i = static_cast<int>(values.size()) - 1; i > 0; --i) std::swap(values[i], values[integer(0, i + 1)]);
    }

private:
    static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    uint64_t state_[4];
};

}  // namespace segsweep
