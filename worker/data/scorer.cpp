// The Udacity Follow-Me scorer (scoring_utils.py score_run_iou and the notebook's final cells) on
// plain byte arrays, plus the prediction-folder path behind `segsweep score`.
#include "worker/data/scorer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "common/error.h"
#include "worker/data/image_io.h"
#include "worker/data/image_set.h"
#include "worker/data/mask_io.h"
#include "worker/data/pil_resize.h"

namespace segsweep {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> sorted_pngs(const fs::path& dir) {
    std::error_code error;
    if (!fs::is_directory(dir, error)) throw Error(dir.string() + ": folder not found");
    std::vector<fs::path> files;
    for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error))
        if (it->path().extension() == ".png" && !it->is_directory()) files.push_back(it->path());
    if (error) throw Error(dir.string() + ": cannot list the folder: " + error.message());
    std::sort(files.begin(), files.end(),
              [](const fs::path& a, const fs::path& b) { return a.filename().string() < b.filename().string(); });
    return files;
}

}  // namespace

uint8_t prediction_byte(float probability) {
    if (!(probability > 0.0f)) return 0;             // also NaN
    if (probability >= 1.0f) return 255;
    const float scaled = probability * 255.0f;       // float32 product, as numpy on a float32 array
    return static_cast<uint8_t>(scaled);             // truncation toward zero, as astype(np.uint8)
}

std::string prediction_file_name(const std::string& image_file) {
    return fs::path(image_file).stem().string() + kPredictionSuffix;
}

ImageScore score_image(const uint8_t* truth, const uint8_t* prediction, int height, int width) {
    const size_t pixels = static_cast<size_t>(height) * width;
    int64_t intersection[3] = {0, 0, 0};
    int64_t union_count[3] = {0, 0, 0};
    for (size_t p = 0; p < pixels; ++p) {
        for (int c = 0; c < 3; ++c) {
            const bool t = truth[p * 3 + c] != 0;
            const bool q = prediction[p * 3 + c] > kPredictionThreshold;
            intersection[c] += t && q;
            union_count[c] += t || q;
        }
    }
    ImageScore score;
    for (int c = 0; c < 3; ++c)
        score.iou[c] = union_count[c] == 0 ? 0.0
                                           : static_cast<double>(intersection[c]) / static_cast<double>(union_count[c]);
    int64_t truth_hero = 0, predicted_hero = 0;
    for (size_t p = 0; p < pixels; ++p) {
        truth_hero += truth[p * 3 + kHeroChannel] != 0;
        predicted_hero += prediction[p * 3 + kHeroChannel] > kPredictionThreshold;
    }
    score.truth_hero = truth_hero > kHeroPresentPixels;
    score.predicted_hero = predicted_hero > kHeroPresentPixels;
    return score;
}

EvalSetScore summarize_set(const std::string& name, const std::vector<ImageScore>& images) {
    EvalSetScore score;
    score.name = name;
    score.images = static_cast<int>(images.size());
    double sums[3] = {0, 0, 0};
    for (const auto& image : images) {
        for (int c = 0; c < 3; ++c) sums[c] += image.iou[c];
        if (image.truth_hero) {
            if (image.predicted_hero)
                ++score.true_positives;
            else
                ++score.false_negatives;
        } else if (image.predicted_hero) {
            ++score.false_positives;
        }
    }
    if (!images.empty()) {
        const double n = static_cast<double>(images.size());
        score.iou_background = sums[kBackgroundChannel] / n;
        score.iou_people = sums[kPeopleChannel] / n;
        score.iou_hero = sums[kHeroChannel] / n;
    }
    return score;
}

EvalSetScorer::EvalSetScorer(std::string name) : name_(std::move(name)) {}

void EvalSetScorer::add_image(const uint8_t* truth, const uint8_t* prediction, int height, int width) {
    images_.push_back(score_image(truth, prediction, height, width));
}

void EvalSetScorer::add_probabilities(const uint8_t* truth, const float* probabilities, ProbabilityLayout layout,
                                      int height, int width) {
    const size_t pixels = static_cast<size_t>(height) * width;
    bytes_.resize(pixels * 3);
    if (layout == ProbabilityLayout::hwc) {
        for (size_t i = 0; i < pixels * 3; ++i) bytes_[i] = prediction_byte(probabilities[i]);
    } else {
        for (int c = 0; c < 3; ++c)
            for (size_t p = 0; p < pixels; ++p) bytes_[p * 3 + c] = prediction_byte(probabilities[c * pixels + p]);
    }
    add_image(truth, bytes_.data(), height, width);
}

FollowMeScore combine_follow_me_score(const std::vector<EvalSetScore>& sets) {
    FollowMeScore score;
    for (const char* name : kEvaluationSetNames) {
        const EvalSetScore* found = nullptr;
        for (const auto& set : sets) {
            if (set.name != name) continue;
            if (found) throw Error(std::string("score: evaluation set '") + name + "' given twice");
            found = &set;
        }
        if (!found) throw Error(std::string("score: evaluation set '") + name + "' is missing");
        score.sets.push_back(*found);
    }
    if (sets.size() != score.sets.size())
        for (const auto& set : sets)
            if (std::none_of(kEvaluationSetNames.begin(), kEvaluationSetNames.end(),
                             [&](const char* name) { return set.name == name; }))
                throw Error("score: unknown evaluation set '" + set.name + "'");
    int tp = 0, fp = 0, fn = 0;
    for (const auto& set : score.sets) {
        tp += set.true_positives;
        fp += set.false_positives;
        fn += set.false_negatives;
    }
    score.weight = tp + fn + fp > 0 ? static_cast<double>(tp) / static_cast<double>(tp + fn + fp) : 0.0;
    score.final_iou = (score.sets[0].iou_hero + score.sets[2].iou_hero) / 2.0;
    score.final_score = score.final_iou * score.weight;
    return score;
}

EvalSetScore score_prediction_folder(const fs::path& truth_set_dir, const fs::path& pred_dir, const std::string& name) {
    const fs::path masks_dir = truth_set_dir / kMasksFolder;
    const auto truth_files = sorted_pngs(masks_dir);
    if (truth_files.empty()) throw Error(masks_dir.string() + ": no .png files");
    const auto pred_files = sorted_pngs(pred_dir);
    if (pred_files.size() != truth_files.size())
        throw Error("prediction/mask count mismatch: " + pred_dir.string() + " holds " +
                    std::to_string(pred_files.size()) + " .png files but " + masks_dir.string() + " holds " +
                    std::to_string(truth_files.size()));
    EvalSetScorer scorer(name);
    for (size_t i = 0; i < truth_files.size(); ++i) {
        RgbImage truth = read_one_hot_mask(truth_files[i]);
        const RgbImage prediction = read_png(pred_files[i]);
        if (truth.width != prediction.width || truth.height != prediction.height) {
            // imresize(gt, pred.shape): PIL bilinear on the 0/1 bytes.
            RgbImage resized(prediction.width, prediction.height);
            resized.pixels = pil_resize_bilinear(truth.pixels.data(), truth.width, truth.height, 3, prediction.width,
                                                 prediction.height);
            truth = std::move(resized);
        }
        scorer.add_image(truth.pixels.data(), prediction.pixels.data(), prediction.height, prediction.width);
    }
    return scorer.result();
}

FollowMeScore score_prediction_folders(const fs::path& truth_root, const fs::path& pred_root) {
    const fs::path eval_root = evaluation_root(truth_root);
    std::error_code error;
    if (!fs::is_directory(pred_root, error)) throw Error(pred_root.string() + ": prediction folder not found");
    std::vector<EvalSetScore> sets;
    for (const char* name : kEvaluationSetNames)
        sets.push_back(score_prediction_folder(eval_root / name, pred_root / name, name));
    return combine_follow_me_score(sets);
}

std::string format_score_table(const FollowMeScore& score) {
    std::string out;
    char line[256];
    std::snprintf(line, sizeof(line), "%-18s %6s %10s %10s %10s %5s %5s %5s\n", "set", "images", "iou_bg",
                  "iou_people", "iou_hero", "TP", "FP", "FN");
    out += line;
    for (const auto& set : score.sets) {
        std::snprintf(line, sizeof(line), "%-18s %6d %10.4f %10.4f %10.4f %5d %5d %5d\n", set.name.c_str(), set.images,
                      set.iou_background, set.iou_people, set.iou_hero, set.true_positives, set.false_positives,
                      set.false_negatives);
        out += line;
    }
    std::snprintf(line, sizeof(line), "weight %.4f   final_IoU %.4f   final_score %.4f\n", score.weight,
                  score.final_iou, score.final_score);
    out += line;
    return out;
}

void write_prediction_png(const fs::path& file, const float* probabilities, ProbabilityLayout layout, int height,
                          int width) {
    RgbImage image(width, height);
    const size_t pixels = static_cast<size_t>(height) * width;
    for (size_t p = 0; p < pixels; ++p)
        for (int c = 0; c < 3; ++c)
            image.pixels[p * 3 + c] = prediction_byte(
                layout == ProbabilityLayout::hwc ? probabilities[p * 3 + c] : probabilities[c * pixels + p]);
    write_png(file, image);
}

}  // namespace segsweep
