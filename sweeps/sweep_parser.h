// Sweep file parsing: JSON or YAML text -> a checked SweepSpec. One schema for both formats.
//
// Keys (W&B vocabulary):  name, description, method (grid | random | bayes),
//   metric {name: val_loss | val_iou | final_score | final_iou, goal: minimize | maximize, target},
//   parameters {<trial-config key>: <form>}, early_terminate, run_cap.
// Our keys: data (dataset root), resources {gpus_per_trial, cpus_per_rank}, max_restarts (default 3),
//   seed (default 0; seeds the random and bayes draws).
// W&B keys that mean nothing here (program, project, entity, controller, command, job, image_uri) are
// accepted and reported in SweepSpec::warnings.
// Parameter forms: {value}, {values}, {values, probabilities}, {min, max} (integers: int_uniform,
//   else uniform), and {distribution: ..., ...} for constant, categorical,
//   categorical_w_probabilities, int_uniform, uniform, q_uniform, log_uniform (min/max are natural-log
//   EXPONENTS, as in W&B), log_uniform_values, q_log_uniform_values, normal, q_normal, log_normal.
// early_terminate: {type: hyperband, min_iter | max_iter + s, eta (3), strict (true)},
//   {type: median, grace_period (3), min_trials (3)} or {type: none}.
//
// Any problem refuses the whole file with one segsweep::Error "<source>: <key path>: <problem>",
// e.g. "sweep.yaml: parameters.learning_rate.min: 0.1 is greater than max (0.01)".
#pragma once

#include <string>

#include "sweeps/sweep_spec.h"
#include "sweeps/sweep_text.h"

namespace segsweep {

// Parses and checks text in the given format. `source` names the file in messages; the spec's
// name defaults to its stem.
SweepSpec parse_sweep_text(const std::string& text, SweepFormat format, const std::string& source);
// The same, detecting the format from the file name and text (sweep_format_for).
SweepSpec parse_sweep_text(const std::string& text, const std::string& source);
// Checks an already-read document (a client that sends the file as a JSON object).
SweepSpec parse_sweep_json(const nlohmann::json& root, const std::string& source);
// Reads and parses a file.
SweepSpec parse_sweep_file(const std::string& path);

// Top-level keys, and the ignored W&B ones (for documentation and messages).
const std::vector<std::string>& sweep_file_keys();
const std::vector<std::string>& ignored_wandb_keys();

}  // namespace segsweep
