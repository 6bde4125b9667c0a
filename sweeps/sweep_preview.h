// `segsweep sweep preview`: what a sweep file would create, without running anything: the
// normalised spec, warnings, the trials (grid/random) or the bayes plan, and for hyperband the
// rungs (trials judged and continuing at each band) with the epochs the sweep can spend.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "sweeps/hyperband_bands.h"
#include "sweeps/sweep_spec.h"
#include "sweeps/trial_planner.h"

namespace segsweep {

struct SweepPreview {
    SweepSpec spec;
    TrialPlan plan;                   // empty for bayes
    std::vector<int> planned_epochs;  // num_epochs of each trial the sweep can run (bayes: run_cap of the largest)
    HyperbandPreview hyperband;       // filled for early_terminate hyperband
};

SweepPreview make_sweep_preview(const SweepSpec& spec);

// {"sweep": spec, "warnings": [...], "trial_count": N, "grid_size": G, "notes": [...],
//  "trials": [{"index", "hash", "parameters"}], "bayes": {...}, "early_terminate": {...}}
nlohmann::json sweep_preview_json(const SweepPreview& preview);
// The same for a terminal: a summary, a table of trials, and the rung table.
std::string sweep_preview_text(const SweepPreview& preview);

}  // namespace segsweep
