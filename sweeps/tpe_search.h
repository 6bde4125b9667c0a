// BayesSearch: method bayes, a Tree-structured Parzen Estimator sampler (Bergstra et al., 2011),
// as an ask/tell object for the coordinator. "Tell" is the observation list passed to ask(): every
// trial of the sweep so far, in trial order, running ones included.
//
//   BayesSearch search(spec);
//   std::optional<PlannedTrial> next = search.ask(observations);   // empty: run_cap reached or
//                                                                   // no new valid config exists
// ask() is a pure function of (spec, observations): it seeds its draws from spec.seed and the
// number of observations, so a restarted coordinator asks the same question and gets the same
// answer. It never returns a config already among the observations.
//
// The sampler: the first `startup_trials` scored trials are random draws. Then every parameter is
// sampled on its own (univariate TPE): the observations are ranked by the sweep metric, the best
// gamma(n) = min(ceil(0.1 n), 25) form l(x), the rest g(x); `candidates` draws from l(x) are scored
// by log l(x) - log g(x) and the best is kept. Log forms are modelled on the log scale, categoricals
// (values, probabilities as the prior) as smoothed counts. Running trials, and finished trials
// without a metric value (failed, diverged), count with the worst value seen so far ("constant
// liar"), which steers parallel asks away from the configs still being trained.
#pragma once

#include <optional>
#include <vector>

#include "common/trial_config.h"
#include "sweeps/sweep_spec.h"
#include "sweeps/trial_planner.h"

namespace segsweep {

struct SearchObservation {
    TrialConfig config;
    bool finished = false;        // false: pending or running (the constant liar applies)
    std::optional<double> value;  // the sweep metric of a finished trial (trial_metric_value)
};

struct TpeOptions {
    int startup_trials = 10;    // random draws until this many trials have a metric value
    int candidates = 24;        // draws from l(x) scored per parameter
    double gamma = 0.1;         // share of observations in l(x)
    int max_below = 25;         // cap on the observations in l(x)
    double prior_weight = 1.0;  // weight of the prior kernel
    int max_attempts = 200;     // samples tried before giving up on finding a new valid config
};

// Startup draws for a run_cap: min(10, max(2, run_cap / 3)), so small sweeps still get TPE turns.
TpeOptions default_tpe_options(const SweepSpec& spec);

class BayesSearch {
public:
    explicit BayesSearch(SweepSpec spec);
    BayesSearch(SweepSpec spec, TpeOptions options);

    // The next trial (index = observations.size()). Empty when observations.size() >= run_cap, or
    // when no new valid config was found (a finite space that is used up).
    std::optional<PlannedTrial> ask(const std::vector<SearchObservation>& observations) const;

    const SweepSpec& spec() const { return spec_; }
    const TpeOptions& options() const { return options_; }

private:
    SweepSpec spec_;
    TpeOptions options_;
};

}  // namespace segsweep
