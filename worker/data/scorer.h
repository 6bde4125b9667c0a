// The Udacity Follow-Me score, exactly as UDA:code/utils/scoring_utils.py and the project notebook
// compute it, on plain arrays (torch-free):
//   - a predicted pixel counts for a class when its byte uint8(p*255) is above 127;
//   - per image and class, IoU = |truth & pred| / |truth | pred|, and 0 when the union is empty;
//     a set's IoU of a class is the mean over ALL its images (hero-free ones included);
//   - the hero is present in a mask or a prediction when it has more than 3 pixels; per image that
//     is a true positive (both), a false negative (mask only) or a false positive (prediction only);
//     true negatives are not counted;
//   - weight = TP/(TP+FN+FP) over the three sets, final_IoU = mean hero IoU of following_images and
//     patrol_with_targ, final_score = final_IoU * weight.
// Two ways in, which agree exactly: probabilities from the trainer (EvalSetScorer::add_probabilities,
// or tensor_scoring.h for torch tensors) and <stem>_prediction.png files (score_prediction_folders,
// the `segsweep score` command). Both reduce to the same uint8 bytes via prediction_byte().
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "common/trial_result.h"

namespace segsweep {

inline constexpr int kPredictionThreshold = 127;  // a prediction byte above this counts (p >= 128/255)
inline constexpr int kHeroPresentPixels = 3;      // hero present when MORE than this many pixels
inline constexpr const char* kPredictionSuffix = "_prediction.png";

// numpy's (p*255).astype(np.uint8) on a float32 probability: the product in float32, truncated
// toward zero. p outside [0,1] is clamped first and NaN gives 0 (a softmax never produces those).
uint8_t prediction_byte(float probability);

// "0_run1cam1_00005.jpeg" -> "0_run1cam1_00005_prediction.png", as write_predictions_grade_set names it.
std::string prediction_file_name(const std::string& image_file);

// How a float probability array is laid out per image.
enum class ProbabilityLayout {
    chw,  // [3][h][w]: a contiguous NCHW tensor's image
    hwc,  // [h][w][3]: channels last (NHWC)
};

// One image's contribution to its set's score.
struct ImageScore {
    double iou[3] = {0, 0, 0};   // per class; 0 when the union is empty
    bool truth_hero = false;     // more than kHeroPresentPixels hero pixels in the mask
    bool predicted_hero = false; // ... in the prediction
};

// truth: h*w*3 one-hot HWC (any non-zero byte counts as 1, as .clip(0,1) does);
// prediction: h*w*3 HWC bytes uint8(p*255).
ImageScore score_image(const uint8_t* truth, const uint8_t* prediction, int height, int width);

// A set's score from its images' scores, summed in the order given (as the original loop does).
// A data-parallel evaluation gathers every rank's ImageScores in image order and calls this, so
// the result is bit-identical to a single-process run.
EvalSetScore summarize_set(const std::string& name, const std::vector<ImageScore>& images);

// Accumulates one evaluation set, image by image, in the order given.
class EvalSetScorer {
public:
    explicit EvalSetScorer(std::string name);

    void add_image(const uint8_t* truth, const uint8_t* prediction, int height, int width);
    // The same from probabilities, via prediction_byte().
    void add_probabilities(const uint8_t* truth, const float* probabilities, ProbabilityLayout layout,
                           int height, int width);

    int images() const { return static_cast<int>(images_.size()); }
    const std::vector<ImageScore>& image_scores() const { return images_; }
    EvalSetScore result() const { return summarize_set(name_, images_); }

private:
    std::string name_;
    std::vector<ImageScore> images_;
    std::vector<uint8_t> bytes_;  // scratch for add_probabilities
};

// Combines the three sets (any order; each name of kEvaluationSetNames exactly once) into the
// final score. TP+FN+FP = 0 gives weight 0. Throws segsweep::Error on a missing or unknown set.
FollowMeScore combine_follow_me_score(const std::vector<EvalSetScore>& sets);

// One set from files: truth_set_dir/masks/*.png against pred_dir/*.png, paired by sorted order.
// A truth mask of another size than its prediction is resized to it with PIL's bilinear filter
// (as the original does, 256 -> 160). Throws when a folder is missing, the counts differ (naming
// both folders), a file is unreadable, or a truth pixel is not one of the three colours.
EvalSetScore score_prediction_folder(const std::filesystem::path& truth_set_dir,
                                     const std::filesystem::path& pred_dir, const std::string& name);

// All three sets: truth_root/<set>/masks against pred_root/<set>/*.png. truth_root may be the
// dataset root or its sample_evaluation_data folder (evaluation_root()).
FollowMeScore score_prediction_folders(const std::filesystem::path& truth_root,
                                       const std::filesystem::path& pred_root);

// Human-readable table: one row per set (images, IoU per class, TP/FP/FN), then weight,
// final IoU and final score, with 4 decimals.
std::string format_score_table(const FollowMeScore& score);

// Writes a probability map as the original did: 8-bit RGB PNG, channel c = prediction_byte(p_c).
void write_prediction_png(const std::filesystem::path& file, const float* probabilities,
                          ProbabilityLayout layout, int height, int width);

}  // namespace segsweep
