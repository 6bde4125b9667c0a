// What one parameter form can produce: random draws, the grid's value list, the number of distinct
// values, and (for the TPE sampler) the numeric "internal" coordinate of a value: the value itself
// for the linear forms, its natural log for the log forms. Quantised forms (q_*) give multiples of
// q, rounded as W&B does (round(x / q) * q) and then moved to the nearest multiple of q inside
// [min, max] when rounding left the range. Values for integer keys come out as JSON integers.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "sweeps/random_source.h"
#include "sweeps/sweep_spec.h"

namespace segsweep {

// One random draw from the parameter's distribution.
nlohmann::json sample_parameter(const ParameterSpec& parameter, RandomSource& random);

// The grid's values in order (constant: 1; categorical: file order; int_uniform: min..max;
// q_uniform: the multiples of q in [min, max], ascending). Throws for the continuous forms.
std::vector<nlohmann::json> grid_values(const ParameterSpec& parameter);

// How many distinct values the form can give, when finite and known (the grid forms); else empty.
std::optional<uint64_t> distinct_value_count(const ParameterSpec& parameter);

// True for the forms with a numeric internal coordinate (everything but constant and categorical).
bool is_numeric_form(const ParameterSpec& parameter);
// True when the internal coordinate is the natural log of the value.
bool is_log_form(const ParameterSpec& parameter);
// True when the internal coordinate is bounded; then [low, high] are its bounds.
bool internal_bounds(const ParameterSpec& parameter, double& low, double& high);
// The prior's centre and spread in internal coordinates (the range's middle and width, or mu/sigma).
void internal_prior(const ParameterSpec& parameter, double& centre, double& spread);
// The internal coordinate of a config value; empty when the value is not a (positive, for log
// forms) number.
std::optional<double> to_internal(const ParameterSpec& parameter, const nlohmann::json& value);
// The config value at an internal coordinate (exp for log forms, then quantised and clamped).
nlohmann::json from_internal(const ParameterSpec& parameter, double internal);

// The categorical index of a config value among parameter.values; empty when it is not one of them.
std::optional<size_t> categorical_index(const ParameterSpec& parameter, const nlohmann::json& value);

}  // namespace segsweep
