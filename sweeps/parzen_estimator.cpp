// Parzen estimators of the TPE sampler: kernel placement, bandwidths, sampling and densities.
#include "sweeps/parzen_estimator.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

namespace segsweep {
namespace {

constexpr double kMaxBandwidthDivisor = 100;  // narrowest kernel: spread / min(100, 1 + n)
constexpr double kMinCdfMass = 1e-300;        // below this a truncated kernel counts as empty

double log_normal_pdf(double x, double mu, double sigma) {
    const double z = (x - mu) / sigma;
    return -0.5 * z * z - std::log(sigma) - 0.5 * std::log(2 * std::numbers::pi);
}

double log_sum_exp(const std::vector<double>& terms) {
    double peak = -std::numeric_limits<double>::infinity();
    for (double t : terms) peak = std::max(peak, t);
    if (!std::isfinite(peak)) return peak;
    double sum = 0;
    for (double t : terms) sum += std::exp(t - peak);
    return peak + std::log(sum);
}

}  // namespace

double normal_cdf(double z) { return 0.5 * std::erfc(-z / std::numbers::sqrt2); }

double normal_quantile(double p) {
    if (p <= 0) return -std::numeric_limits<double>::infinity();
    if (p >= 1) return std::numeric_limits<double>::infinity();
    static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,  -2.759285104469687e+02,
                               1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                               6.680131188771972e+01, -1.328068155288572e+01};
    static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                               -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
    static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                               3.754408661907416e+00};
    constexpr double kLowTail = 0.02425;
    double x;
    if (p < kLowTail) {
        const double q = std::sqrt(-2 * std::log(p));
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    } else if (p <= 1 - kLowTail) {
        const double q = p - 0.5, r = q * q;
        x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
            (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
    } else {
        const double q = std::sqrt(-2 * std::log(1 - p));
        x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    // One Newton step on normal_cdf(x) = p.
    const double error = normal_cdf(x) - p;
    const double density = std::exp(-0.5 * x * x) / std::sqrt(2 * std::numbers::pi);
    if (density > 0) x -= error / density;
    return x;
}

NumericParzenEstimator::NumericParzenEstimator(const std::vector<double>& observations, double prior_centre,
                                               double prior_spread, bool bounded, double low, double high,
                                               double prior_weight)
    : bounded_(bounded), low_(low), high_(high) {
    // Sorted kernel centres, the prior's among them.
    struct Kernel {
        double centre;
        bool prior;
    };
    std::vector<Kernel> kernels;
    for (double x : observations) kernels.push_back({x, false});
    kernels.push_back({prior_centre, true});
    std::stable_sort(kernels.begin(), kernels.end(),
                     [](const Kernel& a, const Kernel& b) { return a.centre < b.centre; });

    const double n = static_cast<double>(observations.size());
    const double narrowest = prior_spread / std::min(kMaxBandwidthDivisor, 1 + n);
    for (size_t i = 0; i < kernels.size(); ++i) {
        double width;
        if (kernels[i].prior) {
            width = prior_spread;
        } else {
            const double left =
                i > 0 ? kernels[i].centre - kernels[i - 1].centre : (bounded ? kernels[i].centre - low : 0);
            const double right = i + 1 < kernels.size() ? kernels[i + 1].centre - kernels[i].centre
                                                        : (bounded ? high - kernels[i].centre : 0);
            width = std::clamp(std::max(left, right), narrowest, prior_spread);
        }
        centres_.push_back(kernels[i].centre);
        widths_.push_back(width);
        weights_.push_back(kernels[i].prior ? prior_weight : 1.0);
    }
    double total = 0;
    for (double w : weights_) total += w;
    for (double& w : weights_) w /= total;
    for (size_t i = 0; i < centres_.size(); ++i) {
        if (!bounded_) {
            log_mass_.push_back(0);
            continue;
        }
        const double mass =
            normal_cdf((high_ - centres_[i]) / widths_[i]) - normal_cdf((low_ - centres_[i]) / widths_[i]);
        log_mass_.push_back(std::log(std::max(mass, kMinCdfMass)));
    }
}

double NumericParzenEstimator::sample(RandomSource& random) const {
    const size_t k = random.weighted_index(weights_.data(), weights_.size());
    const double mu = centres_[k], sigma = widths_[k];
    if (!bounded_) return random.normal(mu, sigma);
    const double lower = normal_cdf((low_ - mu) / sigma);
    const double upper = normal_cdf((high_ - mu) / sigma);
    const double u = lower + (upper - lower) * random.uniform01();
    return std::clamp(mu + sigma * normal_quantile(u), low_, high_);
}

double NumericParzenEstimator::log_density(double x) const {
    std::vector<double> terms;
    terms.reserve(centres_.size());
    for (size_t i = 0; i < centres_.size(); ++i)
        terms.push_back(std::log(weights_[i]) + log_normal_pdf(x, centres_[i], widths_[i]) - log_mass_[i]);
    return log_sum_exp(terms);
}

CategoricalParzenEstimator::CategoricalParzenEstimator(const std::vector<size_t>& observations,
                                                       const std::vector<double>& prior, double prior_weight) {
    probabilities_.assign(prior.size(), 0.0);
    for (size_t i = 0; i < prior.size(); ++i) probabilities_[i] = prior_weight * prior[i];
    for (size_t index : observations)
        if (index < probabilities_.size()) probabilities_[index] += 1.0;
    double total = 0;
    for (double p : probabilities_) total += p;
    for (double& p : probabilities_) p /= total;
}

size_t CategoricalParzenEstimator::sample(RandomSource& random) const {
    return random.weighted_index(probabilities_.data(), probabilities_.size());
}

double CategoricalParzenEstimator::log_probability(size_t index) const { return std::log(probabilities_.at(index)); }

}  // namespace segsweep
