// Trivial prediction folders for trying the scorer without a model (`segsweep data
// trivial-predictions`, the quickstart): for every evaluation image, a <stem>_prediction.png at
// `size` px in PRED_ROOT/<set>/, as write_predictions_grade_set lays them out. These are
// references, not a model: "background" scores 0, "truth" is the ceiling the masks allow at that
// size, "shifted" (the truth moved right by `shift` px) lands in between.
#pragma once

#include <filesystem>
#include <string>

namespace segsweep {

enum class TrivialPrediction {
    background,   // probability 1 for background everywhere
    truth,        // the mask itself, resized to `size` (PIL bilinear on 0/1)
    shifted,      // the resized mask moved right by `shift` px (background fills the gap)
};

// Throws segsweep::Error on an unknown name ("background", "truth", "shifted").
TrivialPrediction trivial_prediction_from_name(const std::string& name);

// Writes pred_root/<set>/*_prediction.png for the three sets of evaluation_root(truth_root).
// Returns the number of files written.
int write_trivial_predictions(const std::filesystem::path& truth_root, const std::filesystem::path& pred_root,
                              TrivialPrediction kind, int size, int shift);

}  // namespace segsweep
