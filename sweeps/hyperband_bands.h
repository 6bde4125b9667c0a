// Hyperband band (rung) arithmetic with W&B's rules, and the rung preview of `sweep preview`.
//
// Bands, as W&B's hyperband_stopping.py computes them:
//   min_iter form:        min_iter * eta^k, k = 0, 1, ...  (each truncated to an integer)
//   max_iter and s form:  max_iter / eta^i, i = 1..s, kept while >= 1 (truncated), ascending
// e.g. min_iter 3, eta 3 -> 3, 9, 27, 81, ...;  max_iter 27, s 2, eta 3 -> 3, 9.
// Band b is judged on the value at epoch b (epochs count from 1). W&B indexes its metric history
// from 0, so its band b reads the (b+1)-th logged value: a W&B history whose first entry is
// "iteration 0" maps onto our epochs by dropping that first entry.
//
// At a band with n recorded values, a trial continues when its value is no worse than element
// floor(n / eta) of the sorted values, so about the top 1/eta (floor(n/eta) + 1 of n, ties kept).
#pragma once

#include <cstdint>
#include <vector>

#include "sweeps/sweep_spec.h"

namespace segsweep {

constexpr int kMaxHyperbandBandEpoch = 1'000'000;  // epochs; min_iter bands stop growing here

// The bands in ascending order, without duplicates.
std::vector<int> hyperband_bands(const HyperbandSpec& spec);

// How many of `judged` trials at a band continue past it: floor(judged / eta) + 1, at most judged.
int hyperband_kept(int judged, double eta);

struct RungPreview {
    int epoch = 0;       // the band
    int judged = 0;      // trials that reach this epoch
    int continuing = 0;  // trials kept past it (of those planned to run longer)
};

struct HyperbandPreview {
    std::vector<RungPreview> rungs;       // bands below the longest planned trial
    int64_t epochs_without_stopping = 0;  // sum of the trials' planned epochs: the most any policy spends
    int64_t epochs_with_full_rungs = 0;   // epochs spent when every rung keeps exactly its top share
};

// The preview for trials with the given planned epochs (num_epochs each). The "full rungs" count
// assumes each trial is judged against every trial at its rung, keeping the longest-planned trials
// when choosing survivors (so it is the most that share can cost). Asynchronous stopping judges a
// trial against the trials recorded so far, so a sweep can spend more, up to epochs_without_stopping.
HyperbandPreview preview_hyperband(const HyperbandSpec& spec, const std::vector<int>& planned_epochs);

}  // namespace segsweep
