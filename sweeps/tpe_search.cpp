// BayesSearch: the TPE sampler behind method bayes (startup draws, constant liar, l/g split,
// per-parameter Parzen estimators, candidate scoring).
#include "sweeps/tpe_search.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_set>

#include "sweeps/parameter_space.h"
#include "sweeps/parzen_estimator.h"
#include "sweeps/random_source.h"
#include "sweeps/sweep_metric.h"

namespace segsweep {
namespace {

constexpr uint64_t kBayesStreamBase = 1'000'003;  // RandomSource streams of bayes asks (base + n)

struct Ranked {
    size_t index;  // into the observations
    double loss;   // metric turned into "lower is better"
};

// Observations ranked best first (minimising), constant liar applied.
std::vector<Ranked> rank_observations(const SweepSpec& spec, const std::vector<SearchObservation>& observations) {
    double worst = -std::numeric_limits<double>::infinity();
    for (const auto& o : observations)
        if (o.finished && o.value && std::isfinite(*o.value))
            worst = std::max(worst, spec.metric.goal == MetricGoal::minimize ? *o.value : -*o.value);
    std::vector<Ranked> ranked;
    for (size_t i = 0; i < observations.size(); ++i) {
        const auto& o = observations[i];
        double loss = worst;
        if (o.finished && o.value && std::isfinite(*o.value))
            loss = spec.metric.goal == MetricGoal::minimize ? *o.value : -*o.value;
        ranked.push_back({i, loss});
    }
    std::stable_sort(ranked.begin(), ranked.end(), [](const Ranked& a, const Ranked& b) { return a.loss < b.loss; });
    return ranked;
}

nlohmann::json tpe_numeric(const ParameterSpec& p, const std::vector<nlohmann::json>& below,
                           const std::vector<nlohmann::json>& above, const TpeOptions& options, RandomSource& random) {
    std::vector<double> below_x, above_x;
    for (const auto& v : below)
        if (auto x = to_internal(p, v)) below_x.push_back(*x);
    for (const auto& v : above)
        if (auto x = to_internal(p, v)) above_x.push_back(*x);
    double centre = 0, spread = 1, low = 0, high = 0;
    internal_prior(p, centre, spread);
    const bool bounded = internal_bounds(p, low, high);
    const NumericParzenEstimator l(below_x, centre, spread, bounded, low, high, options.prior_weight);
    const NumericParzenEstimator g(above_x, centre, spread, bounded, low, high, options.prior_weight);
    double best_x = 0, best_score = -std::numeric_limits<double>::infinity();
    for (int c = 0; c < options.candidates; ++c) {
        const double x = l.sample(random);
        const double score = l.log_density(x) - g.log_density(x);
        if (c == 0 || score > best_score) {
            best_score = score;
            best_x = x;
        }
    }
    return from_internal(p, best_x);
}

nlohmann::json tpe_categorical(const ParameterSpec& p, const std::vector<nlohmann::json>& below,
                               const std::vector<nlohmann::json>& above, const TpeOptions& options,
                               RandomSource& random) {
    std::vector<double> prior = p.probabilities;
    if (prior.empty()) prior.assign(p.values.size(), 1.0 / static_cast<double>(p.values.size()));
    std::vector<size_t> below_i, above_i;
    for (const auto& v : below)
        if (auto i = categorical_index(p, v)) below_i.push_back(*i);
    for (const auto& v : above)
        if (auto i = categorical_index(p, v)) above_i.push_back(*i);
    const CategoricalParzenEstimator l(below_i, prior, options.prior_weight);
    const CategoricalParzenEstimator g(above_i, prior, options.prior_weight);
    size_t best = 0;
    double best_score = -std::numeric_limits<double>::infinity();
    for (int c = 0; c < options.candidates; ++c) {
        const size_t i = l.sample(random);
        const double score = l.log_probability(i) - g.log_probability(i);
        if (c == 0 || score > best_score) {
            best_score = score;
            best = i;
        }
    }
    return p.values[best];
}

}  // namespace

TpeOptions default_tpe_options(const SweepSpec& spec) {
    TpeOptions options;
    if (spec.run_cap) options.startup_trials = std::min(10, std::max(2, *spec.run_cap / 3));
    return options;
}

BayesSearch::BayesSearch(SweepSpec spec) : spec_(std::move(spec)), options_(default_tpe_options(spec_)) {}

BayesSearch::BayesSearch(SweepSpec spec, TpeOptions options) : spec_(std::move(spec)), options_(options) {}

std::optional<PlannedTrial> BayesSearch::ask(const std::vector<SearchObservation>& observations) const {
    if (spec_.run_cap && observations.size() >= static_cast<size_t>(*spec_.run_cap)) return std::nullopt;
    const auto space = finite_space_size(spec_);
    if (space && observations.size() >= *space) return std::nullopt;

    std::unordered_set<std::string> taken;
    for (const auto& o : observations) taken.insert(config_hash(o.config));
    RandomSource random(RandomSource::derive_seed(spec_.seed, kBayesStreamBase + observations.size()));
    const int index = static_cast<int>(observations.size());

    int scored = 0;
    for (const auto& o : observations)
        if (o.finished && o.value && std::isfinite(*o.value)) ++scored;
    const bool startup = scored < options_.startup_trials;

    // The l/g split, as each parameter's observed values.
    std::vector<std::vector<nlohmann::json>> below(spec_.parameters.size()), above(spec_.parameters.size());
    if (!startup) {
        const auto ranked = rank_observations(spec_, observations);
        const size_t n = ranked.size();
        size_t n_below = static_cast<size_t>(std::ceil(options_.gamma * static_cast<double>(n)));
        n_below = std::clamp<size_t>(n_below, 1, static_cast<size_t>(options_.max_below));
        for (size_t r = 0; r < n; ++r) {
            const nlohmann::json all = to_json(observations[ranked[r].index].config);
            for (size_t k = 0; k < spec_.parameters.size(); ++k)
                (r < n_below ? below : above)[k].push_back(all.at(spec_.parameters[k].name));
        }
    }

    for (int attempt = 0; attempt < options_.max_attempts; ++attempt) {
        // Late attempts fall back to plain draws: TPE may keep proposing a taken point.
        const bool use_tpe = !startup && attempt < options_.max_attempts / 2;
        nlohmann::json values = nlohmann::json::object();
        for (size_t k = 0; k < spec_.parameters.size(); ++k) {
            const ParameterSpec& p = spec_.parameters[k];
            if (!use_tpe || p.distribution == Distribution::constant)
                values[p.name] = sample_parameter(p, random);
            else if (p.distribution == Distribution::categorical)
                values[p.name] = tpe_categorical(p, below[k], above[k], options_, random);
            else
                values[p.name] = tpe_numeric(p, below[k], above[k], options_, random);
        }
        const TrialConfig config = config_with_values(values);
        if (!trial_config_problem(spec_, config).empty()) continue;
        PlannedTrial trial = planned_trial(spec_, index, config);
        if (taken.count(trial.hash)) continue;
        return trial;
    }
    return std::nullopt;
}

}  // namespace segsweep
