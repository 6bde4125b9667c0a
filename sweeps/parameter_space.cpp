// Parameter forms: draws, grid values, counts, and the internal coordinates the TPE sampler uses.
#include "sweeps/parameter_space.h"

#include <cmath>

#include "common/error.h"

namespace segsweep {
namespace {

constexpr double kQuantumSlack = 1e-9;  // relative slack when counting multiples of q in [min, max]

bool has_range(const ParameterSpec& p) {
    switch (p.distribution) {
        case Distribution::int_uniform:
        case Distribution::uniform:
        case Distribution::q_uniform:
        case Distribution::log_uniform:
        case Distribution::log_uniform_values:
        case Distribution::q_log_uniform_values:
            return true;
        default:
            return false;
    }
}

bool is_quantised(const ParameterSpec& p) {
    return p.distribution == Distribution::q_uniform || p.distribution == Distribution::q_log_uniform_values ||
           p.distribution == Distribution::q_normal;
}

// k * q written as exactly as doubles allow: k / (1/q) when 1/q is a whole number (3 * 0.1 -> 0.3).
double multiple_of(double k, double q) {
    const double inverse = 1.0 / q;
    const double whole = std::round(inverse);
    if (whole >= 1 && std::fabs(inverse - whole) < kQuantumSlack * whole) return k / whole;
    return k * q;
}

nlohmann::json number_json(const ParameterSpec& p, double value) {
    if (p.integer_key) return static_cast<int64_t>(std::llround(value));
    return value;
}

// W&B's round(x / q) * q, moved into [min, max] for the ranged forms.
double quantise(const ParameterSpec& p, double x) {
    double k = std::round(x / p.q);
    if (has_range(p)) {
        const double lowest = std::ceil(p.min / p.q - kQuantumSlack);
        const double highest = std::floor(p.max / p.q + kQuantumSlack);
        if (k < lowest) k = lowest;
        if (k > highest) k = highest;
    }
    return multiple_of(k, p.q);
}

double as_double(const nlohmann::json& value) { return value.get<double>(); }

}  // namespace

nlohmann::json from_internal(const ParameterSpec& p, double x) {
    double value = is_log_form(p) ? std::exp(x) : x;
    if (is_quantised(p)) return number_json(p, quantise(p, value));
    if (p.distribution == Distribution::int_uniform) {
        double rounded = std::round(value);
        if (rounded < p.min) rounded = p.min;
        if (rounded > p.max) rounded = p.max;
        return static_cast<int64_t>(rounded);
    }
    if (has_range(p)) {  // keep float noise of exp/log inside the range
        const double low = p.distribution == Distribution::log_uniform ? std::exp(p.min) : p.min;
        const double high = p.distribution == Distribution::log_uniform ? std::exp(p.max) : p.max;
        if (value < low) value = low;
        if (value > high) value = high;
    }
    return number_json(p, value);
}

nlohmann::json sample_parameter(const ParameterSpec& p, RandomSource& random) {
    switch (p.distribution) {
        case Distribution::constant:
            return p.values.front();
        case Distribution::categorical:
            if (p.probabilities.empty())
                return p.values[static_cast<size_t>(random.uniform_int(0, static_cast<int64_t>(p.values.size()) - 1))];
            return p.values[random.weighted_index(p.probabilities.data(), p.probabilities.size())];
        case Distribution::int_uniform:
            return random.uniform_int(static_cast<int64_t>(p.min), static_cast<int64_t>(p.max));
        case Distribution::uniform:
            return number_json(p, random.uniform(p.min, p.max));
        case Distribution::q_uniform:
            return number_json(p, quantise(p, random.uniform(p.min, p.max)));
        case Distribution::log_uniform:
            return from_internal(p, random.uniform(p.min, p.max));
        case Distribution::log_uniform_values:
        case Distribution::q_log_uniform_values:
            return from_internal(p, random.uniform(std::log(p.min), std::log(p.max)));
        case Distribution::normal:
        case Distribution::q_normal:
        case Distribution::log_normal:
            return from_internal(p, random.normal(p.mu, p.sigma));
    }
    return nullptr;
}

std::vector<nlohmann::json> grid_values(const ParameterSpec& p) {
    std::vector<nlohmann::json> out;
    switch (p.distribution) {
        case Distribution::constant:
            out.push_back(p.values.front());
            return out;
        case Distribution::categorical:
            return p.values;
        case Distribution::int_uniform:
            for (int64_t v = static_cast<int64_t>(p.min); v <= static_cast<int64_t>(p.max); ++v) out.push_back(v);
            return out;
        case Distribution::q_uniform: {
            const double lowest = std::ceil(p.min / p.q - kQuantumSlack);
            const double highest = std::floor(p.max / p.q + kQuantumSlack);
            for (double k = lowest; k <= highest; k += 1) out.push_back(number_json(p, multiple_of(k, p.q)));
            return out;
        }
        default:
            throw Error("parameters." + p.name + ": " + distribution_name(p.distribution) +
                        " is continuous and has no grid");
    }
}

std::optional<uint64_t> distinct_value_count(const ParameterSpec& p) {
    switch (p.distribution) {
        case Distribution::constant:
            return 1;
        case Distribution::categorical:
            return p.values.size();
        case Distribution::int_uniform:
            return static_cast<uint64_t>(p.max - p.min) + 1;
        case Distribution::q_uniform: {
            const double count = std::floor(p.max / p.q + kQuantumSlack) - std::ceil(p.min / p.q - kQuantumSlack) + 1;
            return count < 1 ? 0 : static_cast<uint64_t>(count);
        }
        default:
            return std::nullopt;
    }
}

bool is_numeric_form(const ParameterSpec& p) {
    return p.distribution != Distribution::constant && p.distribution != Distribution::categorical;
}

bool is_log_form(const ParameterSpec& p) {
    return p.distribution == Distribution::log_uniform || p.distribution == Distribution::log_uniform_values ||
           p.distribution == Distribution::q_log_uniform_values || p.distribution == Distribution::log_normal;
}

bool internal_bounds(const ParameterSpec& p, double& low, double& high) {
    switch (p.distribution) {
        case Distribution::int_uniform:
            low = p.min - 0.5;
            high = p.max + 0.5;
            return true;
        case Distribution::uniform:
        case Distribution::q_uniform:
        case Distribution::log_uniform:
            low = p.min;
            high = p.max;
            return true;
        case Distribution::log_uniform_values:
        case Distribution::q_log_uniform_values:
            low = std::log(p.min);
            high = std::log(p.max);
            return true;
        default:
            return false;
    }
}

void internal_prior(const ParameterSpec& p, double& centre, double& spread) {
    double low = 0, high = 0;
    if (internal_bounds(p, low, high)) {
        centre = 0.5 * (low + high);
        spread = high - low;
        if (spread <= 0) spread = 1;  // a degenerate range: any positive spread works
    } else {
        centre = p.mu;
        spread = p.sigma;
    }
}

std::optional<double> to_internal(const ParameterSpec& p, const nlohmann::json& value) {
    if (!value.is_number()) return std::nullopt;
    const double v = as_double(value);
    if (!std::isfinite(v)) return std::nullopt;
    if (!is_log_form(p)) return v;
    if (v <= 0) return std::nullopt;
    return std::log(v);
}

std::optional<size_t> categorical_index(const ParameterSpec& p, const nlohmann::json& value) {
    for (size_t i = 0; i < p.values.size(); ++i) {
        const auto& candidate = p.values[i];
        if (candidate.is_number() && value.is_number()) {
            if (as_double(candidate) == as_double(value)) return i;
        } else if (candidate == value) {
            return i;
        }
    }
    return std::nullopt;
}

}  // namespace segsweep
