// One `parameters.<name>` entry: form detection, field reads, value types for the trial-config key,
// range checks, and whether the form can be a grid axis.
#include "sweeps/parameter_parser.h"

#include <cmath>

#include "common/error.h"
#include "common/trial_config.h"
#include "sweeps/parameter_space.h"
#include "sweeps/spec_reading.h"

namespace segsweep {
namespace {

using namespace spec_reading;

constexpr double kProbabilitySumTolerance = 1e-6;  // |sum(probabilities) - 1| allowed

enum class KeyKind { integer, real, boolean, integer_list };

// The JSON type of a key's default value decides what values it takes.
KeyKind key_kind(const std::string& name) {
    static const nlohmann::json defaults = to_json(TrialConfig{});
    const auto& value = defaults.at(name);
    if (value.is_boolean()) return KeyKind::boolean;
    if (value.is_array()) return KeyKind::integer_list;
    if (value.is_number_integer()) return KeyKind::integer;
    return KeyKind::real;
}

const char* kind_words(KeyKind kind) {
    switch (kind) {
        case KeyKind::integer:
            return "an integer";
        case KeyKind::real:
            return "a number";
        case KeyKind::boolean:
            return "true or false";
        case KeyKind::integer_list:
            return "a list of integers";
    }
    return "a value";
}

// Checks one value's type for the key and returns it normalised (integral floats -> integers).
nlohmann::json checked_value(const std::string& name, KeyKind kind, const nlohmann::json& value,
                             const std::string& path) {
    switch (kind) {
        case KeyKind::integer:
            if (!value.is_number()) break;
            return read_integer(value, path);
        case KeyKind::real:
            if (!value.is_number()) break;
            read_number(value, path);
            return value;
        case KeyKind::boolean:
            if (!value.is_boolean()) break;
            return value;
        case KeyKind::integer_list: {
            if (!value.is_array()) break;
            nlohmann::json list = nlohmann::json::array();
            for (size_t i = 0; i < value.size(); ++i) list.push_back(read_integer(value[i], index_path(path, i)));
            return list;
        }
    }
    throw Error(path + ": " + name + " takes " + kind_words(kind) + ", got " + type_name(value));
}

// A value alone against the key's own range (TrialConfig::validate on the defaults plus this value).
// Keys whose validity depends on each other (image size and the encoder/decoder lists) are checked
// per trial by the planner instead.
void check_value_range(const std::string& name, const nlohmann::json& value, const std::string& path) {
    if (name == "image_size" || name == "encoder_filters" || name == "decoder_filters") return;
    TrialConfig config;
    set_trial_config_key(config, name, value);
    try {
        config.validate();
    } catch (const Error& e) {
        const std::string message = e.what();
        if (message.rfind(name + ":", 0) == 0)
            throw Error(path + ": " + show(value) + " is not a valid " + name + " (" + message + ")");
    }
}

Distribution distribution_from_name(const std::string& text, const std::string& path) {
    static const Distribution all[] = {
        Distribution::constant,
        Distribution::categorical,
        Distribution::int_uniform,
        Distribution::uniform,
        Distribution::q_uniform,
        Distribution::log_uniform,
        Distribution::log_uniform_values,
        Distribution::q_log_uniform_values,
        Distribution::normal,
        Distribution::q_normal,
        Distribution::log_normal,
    };
    if (text == "categorical_w_probabilities") return Distribution::categorical;
    for (Distribution d : all)
        if (text == distribution_name(d)) return d;
    throw Error(path + ": unknown distribution '" + text + "' (valid: " + distribution_names() + ")");
}

Distribution detect_form(const nlohmann::json& body, const std::string& path) {
    if (body.contains("distribution"))
        return distribution_from_name(read_string(body["distribution"], child_path(path, "distribution")),
                                      child_path(path, "distribution"));
    if (body.contains("value")) return Distribution::constant;
    if (body.contains("values")) return Distribution::categorical;
    const bool has_min = body.contains("min"), has_max = body.contains("max");
    if (has_min && has_max) {
        const bool integers = body["min"].is_number_integer() && body["max"].is_number_integer();
        return integers ? Distribution::int_uniform : Distribution::uniform;
    }
    if (has_min != has_max)
        throw Error(path + ": min and max go together (" + (has_min ? "max" : "min") + " is missing)");
    throw Error(path + ": expected one of {value: V}, {values: [...]}, {min: A, max: B} or {distribution: D, ...}");
}

void check_form_keys(const nlohmann::json& body, const std::string& path, Distribution d) {
    switch (d) {
        case Distribution::constant:
            require_known_keys(body, path, {"distribution", "value"});
            break;
        case Distribution::categorical:
            require_known_keys(body, path, {"distribution", "values", "probabilities"});
            break;
        case Distribution::int_uniform:
        case Distribution::uniform:
        case Distribution::log_uniform:
        case Distribution::log_uniform_values:
            require_known_keys(body, path, {"distribution", "min", "max"});
            break;
        case Distribution::q_uniform:
        case Distribution::q_log_uniform_values:
            require_known_keys(body, path, {"distribution", "min", "max", "q"});
            break;
        case Distribution::normal:
        case Distribution::log_normal:
            require_known_keys(body, path, {"distribution", "mu", "sigma"});
            break;
        case Distribution::q_normal:
            require_known_keys(body, path, {"distribution", "mu", "sigma", "q"});
            break;
    }
}

const nlohmann::json& required(const nlohmann::json& body, const char* key, const std::string& path, Distribution d) {
    if (!body.contains(key)) throw Error(child_path(path, key) + ": required for " + distribution_name(d));
    return body[key];
}

void parse_discrete(ParameterSpec& p, const nlohmann::json& body, const std::string& path, KeyKind kind) {
    if (p.distribution == Distribution::constant) {
        const std::string value_path = child_path(path, "value");
        const auto& value = required(body, "value", path, p.distribution);
        p.values.push_back(checked_value(p.name, kind, value, value_path));
        check_value_range(p.name, p.values.back(), value_path);
        return;
    }
    const std::string values_path = child_path(path, "values");
    const auto& values = required(body, "values", path, p.distribution);
    if (!values.is_array()) throw Error(values_path + ": expected a list, got " + type_name(values));
    if (values.empty()) throw Error(values_path + ": empty list (give at least one value)");
    for (size_t i = 0; i < values.size(); ++i) {
        p.values.push_back(checked_value(p.name, kind, values[i], index_path(values_path, i)));
        check_value_range(p.name, p.values.back(), index_path(values_path, i));
    }
    const bool named_with_probabilities =
        body.contains("distribution") && body["distribution"] == "categorical_w_probabilities";
    if (!body.contains("probabilities")) {
        if (named_with_probabilities)
            throw Error(child_path(path, "probabilities") + ": required for categorical_w_probabilities");
        return;
    }
    const std::string prob_path = child_path(path, "probabilities");
    const auto& probabilities = body["probabilities"];
    if (!probabilities.is_array()) throw Error(prob_path + ": expected a list, got " + type_name(probabilities));
    if (probabilities.size() != values.size())
        throw Error(prob_path + ": has " + std::to_string(probabilities.size()) + " entries for " +
                    std::to_string(values.size()) + " values");
    double sum = 0;
    for (size_t i = 0; i < probabilities.size(); ++i) {
        const double probability = read_number(probabilities[i], index_path(prob_path, i));
        if (probability < 0) throw Error(index_path(prob_path, i) + ": must be >= 0");
        p.probabilities.push_back(probability);
        sum += probability;
    }
    if (std::fabs(sum - 1.0) > kProbabilitySumTolerance)
        throw Error(prob_path + ": must sum to 1 (they sum to " + std::to_string(sum) + ")");
}

void parse_numeric(ParameterSpec& p, const nlohmann::json& body, const std::string& path, KeyKind kind,
                   std::vector<std::string>& warnings) {
    const Distribution d = p.distribution;
    if (kind == KeyKind::boolean || kind == KeyKind::integer_list)
        throw Error(path + ": " + p.name + " takes " + kind_words(kind) + "; give it {value} or {values}, not " +
                    distribution_name(d));
    const bool quantised =
        d == Distribution::q_uniform || d == Distribution::q_log_uniform_values || d == Distribution::q_normal;
    const bool real_valued = d == Distribution::uniform || d == Distribution::log_uniform ||
                             d == Distribution::log_uniform_values || d == Distribution::normal ||
                             d == Distribution::log_normal;
    if (kind == KeyKind::integer && real_valued)
        throw Error(path + ": " + p.name + " takes integers but " + distribution_name(d) +
                    " gives real numbers (use int_uniform, q_uniform, q_log_uniform_values, q_normal or values)");

    if (quantised) {
        if (body.contains("q")) p.q = read_number(body["q"], child_path(path, "q"));
        if (p.q <= 0) throw Error(child_path(path, "q") + ": must be > 0");
        if (kind == KeyKind::integer && p.q != std::floor(p.q))
            throw Error(child_path(path, "q") + ": " + p.name + " takes integers, so q must be a whole number");
    }

    if (d == Distribution::normal || d == Distribution::q_normal || d == Distribution::log_normal) {
        if (body.contains("mu")) p.mu = read_number(body["mu"], child_path(path, "mu"));
        if (body.contains("sigma")) p.sigma = read_number(body["sigma"], child_path(path, "sigma"));
        if (p.sigma <= 0) throw Error(child_path(path, "sigma") + ": must be > 0");
        return;
    }

    const std::string min_path = child_path(path, "min"), max_path = child_path(path, "max");
    const auto& min_json = required(body, "min", path, d);
    const auto& max_json = required(body, "max", path, d);
    if (d == Distribution::int_uniform) {
        p.min = static_cast<double>(read_integer(min_json, min_path));
        p.max = static_cast<double>(read_integer(max_json, max_path));
    } else {
        p.min = read_number(min_json, min_path);
        p.max = read_number(max_json, max_path);
    }
    if (p.min > p.max) throw Error(min_path + ": " + show(min_json) + " is greater than max (" + show(max_json) + ")");
    if ((d == Distribution::log_uniform_values || d == Distribution::q_log_uniform_values) && p.min <= 0)
        throw Error(min_path + ": must be > 0 for " + std::string(distribution_name(d)) + " (got " + show(min_json) +
                    "); the values are drawn on a log scale");
    if (d == Distribution::log_uniform && p.min >= 0 && p.max <= 1)
        warnings.push_back(path + ": log_uniform takes natural-log exponents, so min " + show(min_json) + " and max " +
                           show(max_json) + " give values from " + std::to_string(std::exp(p.min)) + " to " +
                           std::to_string(std::exp(p.max)) + "; for a range of values use log_uniform_values");
    if (quantised && distinct_value_count(p).value_or(1) == 0)
        throw Error(path + ": no multiple of q (" + show(body.contains("q") ? body["q"] : nlohmann::json(1)) +
                    ") lies between min and max");
    // The ends of the range must be valid values for the key.
    const bool log_exponents = d == Distribution::log_uniform;
    check_value_range(p.name, from_internal(p, log_exponents ? p.min : (is_log_form(p) ? std::log(p.min) : p.min)),
                      min_path);
    check_value_range(p.name, from_internal(p, log_exponents ? p.max : (is_log_form(p) ? std::log(p.max) : p.max)),
                      max_path);
}

}  // namespace

ParameterSpec parse_parameter(const std::string& name, const nlohmann::json& body, SearchMethod method,
                              std::vector<std::string>& warnings) {
    const std::string path = "parameters." + name;
    bool known = false;
    for (const auto& key : trial_config_keys()) known = known || key == name;
    if (!known) {
        std::string valid;
        for (const auto& key : trial_config_keys()) valid += (valid.empty() ? "" : ", ") + key;
        throw Error(path + ": unknown parameter (valid: " + valid + ")");
    }
    require_object(body, path);
    if (body.contains("parameters"))
        throw Error(child_path(path, "parameters") +
                    ": nested parameters are not supported; sweep the trial-config keys directly");

    ParameterSpec p;
    p.name = name;
    const KeyKind kind = key_kind(name);
    p.integer_key = kind == KeyKind::integer;
    p.distribution = detect_form(body, path);
    check_form_keys(body, path, p.distribution);

    if (p.distribution == Distribution::constant || p.distribution == Distribution::categorical)
        parse_discrete(p, body, path, kind);
    else
        parse_numeric(p, body, path, kind, warnings);

    if (method == SearchMethod::grid) {
        const bool gridable = p.distribution == Distribution::constant || p.distribution == Distribution::categorical ||
                              p.distribution == Distribution::int_uniform || p.distribution == Distribution::q_uniform;
        if (!gridable)
            throw Error(path + ": method grid needs a finite set of values, and " + distribution_name(p.distribution) +
                        " is continuous (use values, value, int_uniform or q_uniform)");
        if (!p.probabilities.empty()) warnings.push_back(path + ".probabilities: ignored by method grid");
    }
    return p;
}

}  // namespace segsweep
