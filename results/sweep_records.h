// The bridge between sweeps/ and the store, for the coordinator and `segsweep train --db`:
//   submit_sweep_text / submit_sweep_document  parse + check a submitted sweep, plan its trials (grid/random), and
//   create the
//                       sweep with its trials in one transaction (bayes: no trials yet)
//   add_bayes_trial     ask BayesSearch with the sweep's trials so far and insert its answer
//   search_observations the sweep's trials as BayesSearch observations (constant liar for running ones)
//   replay_early_stopper rebuild an EarlyStopper from the stored curves (coordinator restart)
//   record_standalone_trial  a one-trial sweep for a trainer run outside any sweep
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/trial_result.h"
#include "results/results_store.h"
#include "sweeps/early_stopping.h"
#include "sweeps/sweep_spec.h"
#include "sweeps/tpe_search.h"
#include "sweeps/trial_planner.h"

namespace segsweep {

struct SubmittedSweep {
    SweepSpec spec;
    TrialPlan plan;
    CreatedSweep created;
};

// Parses `text` (format from `source` and the text), plans and stores. Throws segsweep::Error
// (naming `source` and the key path) before anything is written when the file is bad.
SubmittedSweep submit_sweep_text(ResultsStore& store, const std::string& text, const std::string& source);
// The same for a document already read into JSON (stored as its JSON text, format "json").
SubmittedSweep submit_sweep_document(ResultsStore& store, const nlohmann::json& document, const std::string& source);

// The sweep's trials in trial order as observations: finished ones with their metric value
// (best val_loss / val_iou or final score / IoU from the result row), others unfinished.
std::vector<SearchObservation> search_observations(ResultsStore& store, int64_t sweep_id, const MetricSpec& metric);

// Asks the search for the sweep's next trial and inserts it (pending). Empty when the search has
// nothing more (run_cap reached, space used up).
std::optional<int64_t> add_bayes_trial(ResultsStore& store, int64_t sweep_id, const BayesSearch& search);

// An EarlyStopper for the sweep with every stored epoch replayed and final trials marked finished.
EarlyStopper replay_early_stopper(ResultsStore& store, int64_t sweep_id, const SweepSpec& spec);

struct StandaloneTrial {
    int64_t sweep_id = 0;
    int64_t trial_id = 0;
};

// A trainer run outside a sweep: a finished one-trial sweep named `name` (a grid with the config's
// values as constants), the trial in result.state, attempt 1, its epochs and its result.
StandaloneTrial record_standalone_trial(ResultsStore& store, const TrialResult& result, const std::string& name,
                                        const std::string& data_root = "");

}  // namespace segsweep
