// Parzen estimators for the TPE sampler (Bergstra et al., 2011): a mixture of (truncated) normal
// kernels over one numeric coordinate, and a smoothed categorical distribution. Each has a prior
// component, so an estimator built from no observations is the prior itself.
#pragma once

#include <cstddef>
#include <vector>

#include "sweeps/random_source.h"

namespace segsweep {

// One numeric coordinate. Kernels sit at the observations and at the prior's centre; a kernel's
// width is the larger gap to its neighbours (hyperopt's adaptive Parzen rule), clipped to
// [spread / min(100, 1 + n), spread]. With bounds the kernels are truncated to [low, high].
class NumericParzenEstimator {
public:
    NumericParzenEstimator(const std::vector<double>& observations, double prior_centre, double prior_spread,
                           bool bounded, double low, double high, double prior_weight);

    double sample(RandomSource& random) const;
    double log_density(double x) const;

private:
    std::vector<double> centres_;
    std::vector<double> widths_;
    std::vector<double> weights_;   // normalised
    std::vector<double> log_mass_;  // log of each kernel's mass inside [low, high] (0 unbounded)
    bool bounded_;
    double low_;
    double high_;
};

// One categorical choice: weights = prior_weight * prior probability + count among observations.
class CategoricalParzenEstimator {
public:
    CategoricalParzenEstimator(const std::vector<size_t>& observations, const std::vector<double>& prior,
                               double prior_weight);

    size_t sample(RandomSource& random) const;
    double log_probability(size_t index) const;

private:
    std::vector<double> probabilities_;
};

// The standard normal CDF and its inverse (Acklam's rational approximation, refined by one
// Newton step; absolute error below 1e-12 on (0, 1)).
double normal_cdf(double z);
double normal_quantile(double p);

}  // namespace segsweep
